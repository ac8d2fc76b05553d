"""What people ask of the data: task lists, the overdue list, one task's periods and history. Read-only.

Written on the plain tables of models/core.py (SQLAlchemy Core, no SQLModel): the command line reads them
without loading the table classes (issue 23). `session` is a Session or a Connection (both execute).
"""
from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlalchemy import and_, bindparam, func, literal_column, or_, select
from sqlalchemy.engine import Connection

from config.errors import InputError
from models.clock import local_date
from models.core import agency as Agency, audit_entry as AuditEntry, occurrence as Occurrence, plan as Plan
from models.core import message as Message, task as Task, task_coordinator as TaskCoordinator
from models.occurrence_values import OccurrenceKind, Progress
from models.status import Period, done_by, duty_status, occurrence_days_late, occurrence_status


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


# The constants are written into the SQL, not bound: SQLite reads a partial index alone only when the
# query visibly implies the index's condition (models/occurrence.py says more).
_NOT_DONE = Occurrence.c.progress != literal_column(f"'{Progress.DONE.value}'")
_HAS_DEADLINE = Occurrence.c.kind == literal_column(f"'{OccurrenceKind.DEADLINE.value}'")
_LIVE = Task.c.retired == False  # noqa: E712


def _done_later_than(today: date):
    return and_(Occurrence.c.progress == literal_column(f"'{Progress.DONE.value}'"), Occurrence.c.completed_on > today)


def open_as_of(session, today: date):
    """The condition "not done by `today`" (models/occurrence.py open_as_of, on the plain table)."""
    later = session.execute(select(Occurrence.c.id).where(_done_later_than(today)).limit(1)).first()
    return or_(_NOT_DONE, _done_later_than(today)) if later else _NOT_DONE


def _agency_filter(statement, agency_code: str | None, plan_code: str | None = None):
    statement = statement.where(Agency.c.code == agency_code) if agency_code else statement
    return statement.where(Plan.c.code == plan_code) if plan_code else statement


def _plan_codes(session) -> dict[int, str]:
    return dict(session.execute(select(Plan.c.id, Plan.c.code)).all())


def list_tasks(session, *, now: datetime, agency_code: str | None = None,
               plan_code: str | None = None) -> list[TaskRow]:
    """Every live task with its next occurrence not done by the day of `now`, that occurrence's status,
    and the duty's status; completions recorded for a later day do not count."""
    today = local_date(now)
    statement = _agency_filter(
        select(Task.c.id, Task.c.ref, Task.c.section, Task.c.title, Task.c.timing, Task.c.due_date, Task.c.rrule,
               Task.c.plan_id, Agency.c.code, Agency.c.name_vi)
        .join(Agency, Task.c.lead_agency_id == Agency.c.id).join(Plan, Plan.c.id == Task.c.plan_id).where(_LIVE),
        agency_code, plan_code,
    ).order_by(Task.c.plan_id, Task.c.id)
    rows = session.execute(statement).all()
    task_ids = [row.id for row in rows]
    coordinating: dict[int, list[str]] = {}
    for task_id, code in session.execute(
        select(TaskCoordinator.c.task_id, Agency.c.code).join(Agency, TaskCoordinator.c.agency_id == Agency.c.id)
        .where(TaskCoordinator.c.task_id.in_(task_ids)).order_by(Agency.c.code)
    ):
        coordinating.setdefault(task_id, []).append(code)
    next_open: dict = {}
    periods: dict[int, list[Period]] = {}
    for occ in session.execute(
        select(Occurrence).where(Occurrence.c.task_id.in_(task_ids),
                                 Occurrence.c.kind.in_([OccurrenceKind.DEADLINE.value, OccurrenceKind.CHECKIN.value]))
        .order_by(Occurrence.c.due_date)
    ):
        periods.setdefault(occ.task_id, []).append(
            Period(occ.due_date, occ.starts_on, occ.kind, occ.progress, occ.completed_on, occ.original_due))
        if occ.kind == OccurrenceKind.DEADLINE and not done_by(occ.progress, occ.completed_on, occ.due_date, today):
            next_open.setdefault(occ.task_id, occ)
    result = []
    plans = _plan_codes(session)
    for task in rows:
        occ = next_open.get(task.id)
        duty = duty_status(periods.get(task.id, []), today)
        status = occurrence_status(occ, today).value if occ else None
        result.append(TaskRow(
            ref=task.ref, section=task.section, title=task.title, lead=task.code, lead_name=task.name_vi,
            coordinating=coordinating.get(task.id, []), timing=task.timing, due=task.due_date, rrule=task.rrule,
            next_due=occ.due_date if occ else None, status=status if occ else duty.value, duty_status=duty.value,
            plan=plans.get(task.plan_id),
        ))
    return result


def overdue(session, *, now: datetime, agency_code: str | None = None, plan_code: str | None = None,
            limit: int | None = None, offset: int = 0) -> list[OverdueRow]:
    """Every occurrence with a deadline past and not done by the day of `now`, worst (oldest) first."""
    today = local_date(now)
    statement = _agency_filter(
        select(Occurrence.c.due_date, Occurrence.c.starts_on, Occurrence.c.kind, Occurrence.c.progress,
               Occurrence.c.completed_on, Task.c.ref, Task.c.title, Task.c.plan_id, Agency.c.code, Agency.c.name_vi)
        .select_from(Occurrence)
        .join(Task, Occurrence.c.task_id == Task.c.id)
        .join(Agency, Task.c.lead_agency_id == Agency.c.id)
        .join(Plan, Plan.c.id == Task.c.plan_id)
        .where(open_as_of(session, today), Occurrence.c.due_date < today, _HAS_DEADLINE, _LIVE),
        agency_code, plan_code,
    ).order_by(Occurrence.c.due_date, Task.c.ref).offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    plans = _plan_codes(session)
    return [
        OverdueRow(
            ref=row.ref, title=row.title, lead=row.code, lead_name=row.name_vi, due=row.due_date,
            days_overdue=occurrence_days_late(row, today), status=occurrence_status(row, today).value,
            progress="open" if row.progress == "done" else row.progress, kind=row.kind, plan=plans.get(row.plan_id),
        )
        for row in session.execute(statement)
    ]


def find_task_id(session, *, ref: str, plan_code: str | None = None) -> int:
    """The id of the live task with this ref (any case: 3.3-A/ba-be is 3.3-a/BA-BE); a ref that is not
    there is refused with the closest one (models/updates.py find_task gives the task itself)."""
    statement = select(Task.c.id).where(Task.c.ref == ref, _LIVE)
    if not session.execute(statement).first():
        statement = select(Task.c.id).where(func.upper(Task.c.ref) == ref.upper(), _LIVE)
    if plan_code:
        statement = statement.join(Plan, Plan.c.id == Task.c.plan_id).where(Plan.c.code == plan_code)
    ids = session.execute(statement).scalars().all()
    if len(ids) == 1:
        return ids[0]
    if len(ids) > 1:
        raise InputError(f"ref {ref} is in several plans; name one with --plan", field="ref",
                         vi=f"mã {ref} có trong nhiều kế hoạch; chọn một bằng --plan")
    shares = session.execute(select(Task.c.ref).where(Task.c.ref.startswith(f"{ref}/"), _LIVE)).scalars().all()
    if shares:
        raise InputError(f"{ref} is shared by a group; name one agency's share, e.g. {shares[0]} "
                         f"(all: {', '.join(shares)})", field="ref",
                         vi=f"{ref} được giao cho một nhóm cơ quan; chọn phần của một cơ quan, ví dụ {shares[0]} "
                            f"(tất cả: {', '.join(shares)})")
    from config.errors import did_you_mean
    refs = session.execute(select(Task.c.ref).where(_LIVE)).scalars().all()
    raise InputError(f"no task with ref {ref}{did_you_mean(ref, refs)}", field="ref",
                     vi=f"không có nhiệm vụ nào mã {ref}{did_you_mean(ref, refs, 'vi')}")


def task_record(session, task_id: int):
    """One task's row (ref, title, source_text, product), its occurrences by due date, and its history
    (the task's and its occurrences' audit entries, oldest first)."""
    task = session.execute(select(Task.c.id, Task.c.ref, Task.c.title, Task.c.source_text, Task.c.product)
                           .where(Task.c.id == task_id)).one()
    occurrences = session.execute(select(Occurrence).where(Occurrence.c.task_id == task_id)
                                  .order_by(Occurrence.c.due_date)).all()
    occ_ids = [o.id for o in occurrences]
    history = session.execute(select(AuditEntry).where(
        ((AuditEntry.c.entity == "task") & (AuditEntry.c.entity_id == task_id))
        | ((AuditEntry.c.entity == "occurrence") & (AuditEntry.c.entity_id.in_(occ_ids)))
    ).order_by(AuditEntry.c.id)).all()
    return task, occurrences, history


# Built once: queueing runs every day, thousands of days in a simulation.
_QUEUED_KEYS = select(Message.c.key).where(Message.c.key.in_(bindparam("keys", expanding=True)))


def queued_keys(session, keys: list[str]) -> set[str]:
    """Which of these message keys are in the outbox already: what queueing skips
    (notifications/outbox.py), and what `dondoc remind` asks before it decides there is nothing to do.
    Read on a Session's connection (no autoflush: the queueing's rows are written in its own order)."""
    connection = session if isinstance(session, Connection) else session.connection()
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        found.update(connection.execute(_QUEUED_KEYS, dict(keys=keys[start:start + 500])).scalars())
    return found
