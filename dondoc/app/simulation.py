"""A simulation: every daily job for each day of a period, in order, as if time passed."""
from datetime import date, timedelta

from dondoc.app import interrupt, jobs, review_jobs
from dondoc.app.context import AppContext
from dondoc.app.simulated_work import simulate_work_day


def simulate_days(context: AppContext, start: date, end: date, demo_agencies: bool = False) -> list[dict]:
    """Run the daily jobs for each day from `start` to `end` (inclusive): the annual review's (open,
    chase, compile; with `demo_agencies`, simulated agencies answer it, and ask for extensions, report
    completions that staff return: dondoc/app/simulated_work.py), then the reminders (which also deliver
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


# Of ten agencies, how many never report, and of ten due dates of a reporting agency, how many it meets,
# meets late, or leaves open: a province part-way through its plan, for the demo's dashboard.
NEVER_REPORT, ON_TIME, LATE = 2, 6, 2


def demo_reporting(context: AppContext, today: date) -> dict[str, int]:
    """Record, as each agency's focal point, the completions a province part-way through its plan would
    have by `today`: most agencies report (most due dates on time, some late, a few left open), a few
    never do. Deterministic (a checksum of the agency and the task decides), and recorded through
    models.updates.mark_done like any completion. What it recorded, by kind."""
    import zlib

    from sqlmodel import select

    from models.agency import Agency, FocalPoint
    from models.clock import FixedClock
    from models.db import transaction
    from models.occurrence import HAS_DEADLINE, Occurrence, Progress
    from models.plan import Plan, Task
    from models.updates import mark_done

    def share(text: str) -> int:
        return zlib.crc32(text.encode()) % 10

    done = {"on_time": 0, "late": 0, "left_open": 0, "never_reporting_agencies": 0}
    with transaction(context.engine) as session:
        rows = session.exec(select(Occurrence, Task, Agency, Plan).join(Task, Occurrence.task_id == Task.id)
                            .join(Agency, Task.lead_agency_id == Agency.id).join(Plan, Task.plan_id == Plan.id)
                            .where(HAS_DEADLINE, Occurrence.progress != Progress.DONE.value,
                                   Occurrence.due_date < today, Task.retired.is_not(True))
                            .order_by(Occurrence.due_date, Occurrence.id)).all()
        people = {agency_id: email for agency_id, email in session.exec(
            select(FocalPoint.agency_id, FocalPoint.email).where(FocalPoint.active == True,  # noqa: E712
                                                                FocalPoint.role == "primary").order_by(FocalPoint.id))}
        silent = {a.code for _, _, a, _ in rows if share(a.code) < NEVER_REPORT}
        done["never_reporting_agencies"] = len(silent)
        for occ, task, agency, plan in rows:
            if agency.code in silent:
                continue
            roll = share(f"{task.ref}|{occ.due_date}")
            if roll < ON_TIME:
                on = occ.due_date - timedelta(days=3 + 4 * roll)
                kind = "on_time"
            elif roll < ON_TIME + LATE:
                on = occ.due_date + timedelta(days=12 + 20 * (roll - ON_TIME))
                kind = "late"
            else:
                done["left_open"] += 1
                continue
            if on >= today:
                done["left_open"] += 1
                continue
            actor = f"web:focal:{people[agency.id]}" if agency.id in people else "demo"
            mark_done(session, ref=task.ref, on=on, note=None, due=occ.due_date, plan_code=plan.code,
                      at=FixedClock.on(min(on + timedelta(days=1), today)).now(), actor=actor)
            done[kind] += 1
    return done
