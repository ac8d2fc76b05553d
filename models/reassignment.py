"""Moving a duty to another lead agency, or changing its coordinators (staff only, with a reason).

The rule (`split_on_move`): a reassignment takes effect on its day, today or a later one. From that
day the duty's open occurrences are the new lead's: its reminders, the overdue list and the reports
follow the task's lead. An occurrence already done when the duty moves stays credited to the agency
that held it (Occurrence.held_by_agency_id), so status, the reports per agency and the history keep
saying who did it. Until its day a reassignment is pending; the daily job applies those that have
come (`apply_due`), so the day's digest already goes to the new lead.

A later `plan load` of the same plan keeps a reassignment (the file's lead does not undo it) and
says so (models/loading.py).
"""
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Column, Text, delete
from sqlmodel import Field, Session, SQLModel, select
import models.schema  # noqa: F401,E402  (every table loaded before the ORM's first query)

from config.errors import InputError
from models.agency import Agency
from models.audit import record
from models.clock import local_date
from models.occurrence import Occurrence, Progress
from models.plan import Task, TaskCoordinator
from models.types import UtcDateTime
from models.updates import MAX_NOTE, check_note, find_task


class TaskReassignment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    effective_on: date
    from_agency_id: int = Field(foreign_key="agency.id")
    to_agency_id: int = Field(foreign_key="agency.id")
    # The coordinating agencies' codes before and after, comma-separated ("" for none).
    coordinators_before: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    coordinators_after: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    actor: str = Field(max_length=120)
    at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    applied_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))


def split_on_move(progress: str, held_by: int | None, old_lead: int) -> int | None:
    """Who an occurrence is credited to after its duty moves away from `old_lead`: a done one keeps
    the agency that held it (already pinned, or the old lead); an open one follows the duty (None)."""
    if progress == Progress.DONE:
        return held_by or old_lead
    return None


def follow_the_duty(session: Session, occ: Occurrence, *, ref: str, at: datetime, actor: str, note: str | None) -> None:
    """An occurrence no longer done (returned, reopened, back in progress) is its duty's again: the
    credit kept for the agency that had done it goes (split_on_move's rule), so its reminders and its
    counts both follow the lead. Recorded in the audit."""
    if occ.held_by_agency_id is not None and occ.progress != Progress.DONE:
        held = session.get(Agency, occ.held_by_agency_id)
        record(session, at=at, actor=actor, entity="occurrence", entity_id=occ.id, ref=ref, field="held_by_agency_id",
               old=held.code if held else occ.held_by_agency_id, new=None, note=note)
        occ.held_by_agency_id = None


def credited_agency(held_by: int | None, task_lead: int) -> int:
    """The agency an occurrence counts for: the one pinned on it, else its task's lead."""
    return held_by or task_lead


def _agency(session: Session, code: str, field: str) -> Agency:
    agency = session.exec(select(Agency).where(Agency.code == code.strip())).first()
    if agency is None:
        raise InputError(f"no agency with code {code}", field=field, vi=f"Không có cơ quan có mã {code}")
    return agency


def _coordinator_codes(session: Session, task_id: int) -> list[str]:
    return list(session.exec(select(Agency.code).join(TaskCoordinator, TaskCoordinator.agency_id == Agency.id)
                             .where(TaskCoordinator.task_id == task_id).order_by(Agency.code)))


def pending_for(session: Session, task_id: int) -> TaskReassignment | None:
    return session.exec(select(TaskReassignment).where(TaskReassignment.task_id == task_id,
                                                       TaskReassignment.applied_at == None)  # noqa: E711
                        .order_by(TaskReassignment.id.desc())).first()


@dataclass
class Reassigned:
    reassignment: TaskReassignment
    task: Task
    old_lead: Agency
    new_lead: Agency
    applied: bool


def reassign(session: Session, *, ref: str, to_code: str | None, coordinators: list[str] | None, reason: str,
             effective_on: date | None, at: datetime, actor: str, plan_code: str | None = None) -> Reassigned:
    """Staff move a duty to `to_code` (or keep its lead) and/or set its coordinators, from
    `effective_on` (default: today), with a reason. Applied at once when its day has come."""
    today = local_date(at)
    reason = (reason or "").strip()
    if not reason:
        raise InputError("a reassignment needs a reason", field="reason", vi="Cần ghi lý do điều chuyển")
    if len(reason) > MAX_NOTE:
        raise InputError(f"the reason is longer than {MAX_NOTE} characters", field="reason",
                         vi=f"Lý do dài quá {MAX_NOTE} ký tự")
    check_note(reason)
    effective_on = effective_on or today
    if effective_on < today:
        raise InputError(f"the effective date {effective_on:%d/%m/%Y} is before today ({today:%d/%m/%Y}): a duty "
                         f"moves from today or a later day", field="from",
                         vi=f"Ngày hiệu lực {effective_on:%d/%m/%Y} trước hôm nay ({today:%d/%m/%Y}): chỉ điều "
                            f"chuyển từ hôm nay hoặc một ngày sau")
    task = find_task(session, ref=ref, plan_code=plan_code)
    if pending_for(session, task.id) is not None:
        raise InputError(f"{task.ref} already has a reassignment waiting for its day", field="ref",
                         vi=f"Nhiệm vụ {task.ref} đã có một quyết định điều chuyển đang chờ ngày hiệu lực")
    old_lead = session.get(Agency, task.lead_agency_id)
    new_lead = _agency(session, to_code, "to") if to_code and to_code.strip() else old_lead
    before = _coordinator_codes(session, task.id)
    if coordinators is None:
        after = [c for c in before if c != new_lead.code]
    else:
        after = sorted({_agency(session, c, "coordinators").code for c in coordinators if c.strip()})
    if new_lead.code in after:
        raise InputError(f"{new_lead.code} cannot both lead and coordinate {task.ref}", field="coordinators",
                         vi=f"{new_lead.code} không thể vừa chủ trì vừa phối hợp nhiệm vụ {task.ref}")
    if new_lead.id == old_lead.id and after == before:
        raise InputError(f"{task.ref} is already led by {old_lead.code} with these coordinators: nothing to change",
                         field="to", vi=f"Nhiệm vụ {task.ref} đã do {old_lead.code} chủ trì với các cơ quan phối hợp "
                                        f"này: không có gì thay đổi")
    row = TaskReassignment(task_id=task.id, effective_on=effective_on, from_agency_id=old_lead.id,
                           to_agency_id=new_lead.id, coordinators_before=",".join(before),
                           coordinators_after=",".join(after), reason=reason, actor=actor, at=at)
    session.add(row)
    session.flush()
    record(session, at=at, actor=actor, entity="task", entity_id=task.id, ref=task.ref, field="reassignment",
           old=f"{old_lead.code} ({', '.join(before) or '-'})", new=f"{new_lead.code} ({', '.join(after) or '-'}) "
           f"từ {effective_on:%d/%m/%Y}", note=reason)
    applied = False
    if effective_on <= today:
        _apply(session, row, at=at)
        applied = True
    return Reassigned(row, task, old_lead, new_lead, applied)


def _apply(session: Session, row: TaskReassignment, *, at: datetime) -> None:
    task = session.get(Task, row.task_id)
    old_lead = task.lead_agency_id
    why = f"điều chuyển #{row.id}: {row.reason}"
    if row.to_agency_id != old_lead:
        for occ in session.exec(select(Occurrence).where(Occurrence.task_id == task.id)):
            held = split_on_move(occ.progress, occ.held_by_agency_id, old_lead)
            if held != occ.held_by_agency_id:
                occ.held_by_agency_id = held
        record(session, at=at, actor=row.actor, entity="task", entity_id=task.id, ref=task.ref,
               field="lead_agency_id", old=session.get(Agency, old_lead).code,
               new=session.get(Agency, row.to_agency_id).code, note=why)
        task.lead_agency_id = row.to_agency_id
    wanted = [c for c in row.coordinators_after.split(",") if c]
    current = _coordinator_codes(session, task.id)
    if wanted != current:
        session.exec(delete(TaskCoordinator).where(TaskCoordinator.task_id == task.id))
        ids = {a.code: a.id for a in session.exec(select(Agency).where(Agency.code.in_(wanted)))}
        session.add_all(TaskCoordinator(task_id=task.id, agency_id=ids[c]) for c in wanted if c in ids)
        record(session, at=at, actor=row.actor, entity="task", entity_id=task.id, ref=task.ref,
               field="coordinating", old=", ".join(current), new=", ".join(wanted), note=why)
    row.applied_at = at


def apply_due(session: Session, *, today: date, at: datetime) -> list[TaskReassignment]:
    """Apply the pending reassignments whose day has come (the daily job calls this first)."""
    due = session.exec(select(TaskReassignment).where(TaskReassignment.applied_at == None,  # noqa: E711
                                                      TaskReassignment.effective_on <= today)
                       .order_by(TaskReassignment.effective_on, TaskReassignment.id)).all()
    for row in due:
        _apply(session, row, at=at)
    return list(due)


def kept_leads(session: Session, plan_id: int) -> dict[int, TaskReassignment]:
    """The plan's tasks whose lead or coordinators a reassignment set (the latest, applied or not):
    a plan load keeps them."""
    rows = session.exec(select(TaskReassignment).join(Task, Task.id == TaskReassignment.task_id)
                        .where(Task.plan_id == plan_id).order_by(TaskReassignment.id)).all()
    return {row.task_id: row for row in rows}
