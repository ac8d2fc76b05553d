"""The inbox flow: replies recorded and confirmed, bounces marked, from the reply mailbox. One flow
run per scheduled read; the work is dondoc/app/jobs.py read_inbox."""
from datetime import datetime

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from dondoc.app import jobs
from flows import runtime


@task(retries=2, retry_delay_seconds=30, cache_policy=NO_CACHE)
def read_replies_and_bounces(moment: datetime) -> dict:
    """Process every message in the reply mailbox once, then send the confirmations it queued."""
    return jobs.read_inbox(runtime.current(), moment).as_dict()


@flow(name="read-inbox")
def read_inbox(moment: datetime | None = None) -> dict:
    """Read the reply mailbox as at `moment` (default: now, on the application's clock)."""
    return read_replies_and_bounces(moment or runtime.current().clock().now())
