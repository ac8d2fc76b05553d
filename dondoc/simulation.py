"""A simulation: every daily job for each day of a period, in order, as if time passed."""
from datetime import date, timedelta

from dondoc import interrupt, jobs, review_jobs
from dondoc.context import AppContext
from dondoc.simulated_work import simulate_work_day


def simulate_days(context: AppContext, start: date, end: date, demo_agencies: bool = False) -> list[dict]:
    """Run the daily jobs for each day from `start` to `end` (inclusive): the annual review's (open,
    chase, compile; with `demo_agencies`, simulated agencies answer it, and ask for extensions, report
    completions that staff return: dondoc/simulated_work.py), then the reminders (which also deliver
    the outbox). One report per day. Ctrl-C (dondoc.interrupt) ends it after the day being run,
    each day being committed whole: the reports of the days run are returned."""
    policy = jobs.load_policy(context)
    # Nothing in the directory or the plans changes while simulated time passes: read them once.
    directory, plans = jobs.read_directory(context), review_jobs.read_plans(context)
    reports = []
    day = start
    while day <= end and not interrupt.requested():
        review = review_jobs.run_review_day(context, day, policy, demo_agencies=demo_agencies, plans=plans)
        work = simulate_work_day(context, day, policy) if demo_agencies else {}
        report = jobs.run_reminder_day(context, day, policy, directory).as_dict()
        if any(work.values()):
            report["work"] = work
        busy = review.opened or review.requests or review.chasers or review.missing_lists
        if busy or review.simulated_submissions or review.reports:
            report["review"] = review.as_dict()
        reports.append(report)
        day += timedelta(days=1)
    return reports
