"""The daily reminder flow: occurrences due -> outbox -> dispatch. One flow run per daily job."""
from datetime import date

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from dondoc.app import jobs
from flows import runtime


@task(retries=2, retry_delay_seconds=10, cache_policy=NO_CACHE, retry_condition_fn=runtime.not_bad_input)
def queue_digests(day: date) -> int:
    """Queue the day's digests into the outbox (idempotent: a rerun queues nothing new)."""
    return jobs.queue_reminders(runtime.current(), day).queued


@task(retries=2, retry_delay_seconds=30, cache_policy=NO_CACHE, retry_condition_fn=runtime.not_bad_input)
def deliver_outbox(day: date) -> dict:
    """Send what is due in the outbox over one connection: as of now when the clock is on `day`
    (retries due since the morning go out), else as of the day's sending time."""
    context = runtime.current()
    policy = jobs.load_policy(context)
    report = jobs.deliver(context, jobs.delivery_moment(day, context.clock().now(), policy), policy)
    return dict(sent=report.sent, retrying=report.retrying, failed=report.failed, errors=report.errors,
                waiting=jobs.undelivered(context).describe(), interrupted=report.interrupted)


@flow(name="send-reminders")
def send_reminders(day: date | None = None) -> dict:
    """Remind the owners of what is due or late on `day` (default: today in Vietnam)."""
    context = runtime.current()
    day = day or context.clock().now().date()
    queued = queue_digests(day)
    delivered = deliver_outbox(day)
    return dict(day=day.isoformat(), queued=queued, **delivered)
