"""Simulation: every daily job for each day of a period, in order, in one flow run."""
from datetime import date, timedelta

from prefect import flow

from dondoc import jobs
from flows import runtime


@flow(name="simulate")
def simulate(start: date, end: date) -> list[dict]:
    """Run the daily jobs for each day from `start` to `end` (inclusive), as if time passed."""
    context = runtime.current()
    policy = jobs.load_policy(context)
    reports = []
    day = start
    while day <= end:
        reports.append(jobs.run_reminder_day(context, day, policy).as_dict())
        day += timedelta(days=1)
    return reports
