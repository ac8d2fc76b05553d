"""What people ask of the data: task lists and the overdue list. Read-only."""
from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from models.agency import Agency
from models.clock import local_date
from models.occurrence import HAS_DEADLINE, Occurrence, OccurrenceKind, open_as_of
from models.status import done_by, duty_status, occurrence_days_late, occurrence_status, Period
from models.plan import Plan, Task, TaskCoordinator


@dataclass
class TaskRow:
    ref: str
    section: str
    title: str
    lead: str
    lead_name: str
    coordinating: list[str]
    timing: str
    due: date | None
    rrule: str | None
    next_due: date | None
    status: str | None  # the next open period's category (not_started, open_in_time, open_overdue; no_deadline)
    duty_status: str | None = None  # the duty's category as of the day (models/status.py duty_status)
    plan: str | None = None  # the plan's code

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class OverdueRow:
    ref: str
    title: str
    lead: str
    lead_name: str
    due: date
    days_overdue: int
    status: str
    progress: str
    kind: str
    plan: str | None = None  # the plan's code

    def as_dict(self) -> dict:
        return asdict(self)


def _agency_filter(statement, agency_code: str | None, plan_code: str | None = None):
    statement = statement.where(Agency.code == agency_code) if agency_code else statement
    return statement.where(Plan.code == plan_code) if plan_code else statement


def _plan_codes(session: Session) -> dict[int, str]:
    return dict(session.exec(select(Plan.id, Plan.code)).all())


def list_tasks(session: Session, *, now: datetime, agency_code: str | None = None,
               plan_code: str | None = None) -> list[TaskRow]:
    """Every live task with its next occurrence not done by the day of `now`, that occurrence's status,
    and the duty's status; completions recorded for a later day do not count."""
    today = local_date(now)
    statement = _agency_filter(
        select(Task, Agency).join(Agency, Task.lead_agency_id == Agency.id).join(Plan, Plan.id == Task.plan_id)
        .where(Task.retired == False),  # noqa: E712
        agency_code, plan_code,
    ).order_by(Task.plan_id, Task.id)
    rows = session.exec(statement).all()
    task_ids = [task.id for task, _ in rows]
    coordinating: dict[int, list[str]] = {}
    for task_id, code in session.exec(
        select(TaskCoordinator.task_id, Agency.code).join(Agency, TaskCoordinator.agency_id == Agency.id)
        .where(TaskCoordinator.task_id.in_(task_ids)).order_by(Agency.code)
    ):
        coordinating.setdefault(task_id, []).append(code)
    next_open: dict[int, Occurrence] = {}
    periods: dict[int, list[Period]] = {}
    for occ in session.exec(
        select(Occurrence).where(Occurrence.task_id.in_(task_ids),
                                 Occurrence.kind.in_([OccurrenceKind.DEADLINE, OccurrenceKind.CHECKIN]))
        .order_by(Occurrence.due_date)
    ):
        periods.setdefault(occ.task_id, []).append(
            Period(occ.due_date, occ.starts_on, occ.kind, occ.progress, occ.completed_on, occ.original_due))
        if occ.kind == OccurrenceKind.DEADLINE and not done_by(occ.progress, occ.completed_on, occ.due_date, today):
            next_open.setdefault(occ.task_id, occ)
    result = []
    plans = _plan_codes(session)
    for task, agency in rows:
        occ = next_open.get(task.id)
        duty = duty_status(periods.get(task.id, []), today)
        status = occurrence_status(occ, today).value if occ else None
        result.append(TaskRow(
            ref=task.ref, section=task.section, title=task.title, lead=agency.code, lead_name=agency.name_vi,
            coordinating=coordinating.get(task.id, []), timing=task.timing, due=task.due_date, rrule=task.rrule,
            next_due=occ.due_date if occ else None, status=status if occ else duty.value, duty_status=duty.value,
            plan=plans.get(task.plan_id),
        ))
    return result


def overdue(session: Session, *, now: datetime, agency_code: str | None = None, plan_code: str | None = None,
            limit: int | None = None, offset: int = 0) -> list[OverdueRow]:
    """Every occurrence with a deadline past and not done by the day of `now`, worst (oldest) first."""
    today = local_date(now)
    statement = _agency_filter(
        select(Occurrence, Task, Agency)
        .join(Task, Occurrence.task_id == Task.id)
        .join(Agency, Task.lead_agency_id == Agency.id)
        .join(Plan, Plan.id == Task.plan_id)
        .where(open_as_of(session, today), Occurrence.due_date < today, HAS_DEADLINE, Task.retired == False),  # noqa: E712
        agency_code, plan_code,
    ).order_by(Occurrence.due_date, Task.ref).offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    plans = _plan_codes(session)
    return [
        OverdueRow(
            ref=task.ref, title=task.title, lead=agency.code, lead_name=agency.name_vi, due=occ.due_date,
            days_overdue=occurrence_days_late(occ, today), status=occurrence_status(occ, today).value,
            progress="open" if occ.progress == "done" else occ.progress, kind=occ.kind, plan=plans.get(task.plan_id),
        )
        for occ, task, agency in session.exec(statement)
    ]
