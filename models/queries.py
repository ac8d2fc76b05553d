"""What people ask of the data: task lists and the overdue list. Read-only."""
from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from models.agency import Agency
from models.clock import local_date
from models.occurrence import NOT_DONE, NOT_WITHDRAWN, Occurrence, status_category
from models.plan import Task, TaskCoordinator


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
    status: str | None

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

    def as_dict(self) -> dict:
        return asdict(self)


def _agency_filter(statement, agency_code: str | None):
    return statement.where(Agency.code == agency_code) if agency_code else statement


def list_tasks(session: Session, *, now: datetime, agency_code: str | None = None) -> list[TaskRow]:
    """Every live task with its next open occurrence and that occurrence's status."""
    today = local_date(now)
    statement = _agency_filter(
        select(Task, Agency).join(Agency, Task.lead_agency_id == Agency.id).where(Task.retired == False),  # noqa: E712
        agency_code,
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
    for occ in session.exec(
        select(Occurrence).where(Occurrence.task_id.in_(task_ids), NOT_DONE, NOT_WITHDRAWN).order_by(Occurrence.due_date)
    ):
        next_open.setdefault(occ.task_id, occ)
    result = []
    for task, agency in rows:
        occ = next_open.get(task.id)
        status = None
        if occ:
            status = status_category(occ.due_date, occ.starts_on, occ.progress, occ.completed_on, today).value
        result.append(TaskRow(
            ref=task.ref, section=task.section, title=task.title, lead=agency.code, lead_name=agency.name_vi,
            coordinating=coordinating.get(task.id, []), timing=task.timing, due=task.due_date, rrule=task.rrule,
            next_due=occ.due_date if occ else None, status=status,
        ))
    return result


def overdue(session: Session, *, now: datetime, agency_code: str | None = None,
            limit: int | None = None, offset: int = 0) -> list[OverdueRow]:
    """Every occurrence past its due date and not done, worst (oldest) first."""
    today = local_date(now)
    statement = _agency_filter(
        select(Occurrence, Task, Agency)
        .join(Task, Occurrence.task_id == Task.id)
        .join(Agency, Task.lead_agency_id == Agency.id)
        .where(NOT_DONE, Occurrence.due_date < today, NOT_WITHDRAWN, Task.retired == False),  # noqa: E712
        agency_code,
    ).order_by(Occurrence.due_date, Task.ref).offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    return [
        OverdueRow(
            ref=task.ref, title=task.title, lead=agency.code, lead_name=agency.name_vi, due=occ.due_date,
            days_overdue=occ.days_overdue(now), status=occ.status_category(now).value,
            progress=occ.progress, kind=occ.kind,
        )
        for occ, task, agency in session.exec(statement)
    ]
