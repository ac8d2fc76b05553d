"""Recording what agencies did: completion and progress on an occurrence, through the audit."""
import re
from datetime import date, datetime

from sqlalchemy import or_
from sqlmodel import Session, select

from config.errors import InputError
from models.audit import record
from models.clock import local_date
from models.occurrence import Occurrence, OccurrenceKind, Progress
from models.plan import Plan, Task


def find_task(session: Session, *, ref: str, plan_code: str | None = None) -> Task:
    """The task with this ref (any case: 3.3-A/ba-be is 3.3-a/BA-BE); a ref that is not there is refused
    with the closest one (the rule: models/queries.py find_task_id)."""
    from models.queries import find_task_id
    return session.get(Task, find_task_id(session, ref=ref, plan_code=plan_code))


def pick_occurrence(session: Session, *, task: Task, due: date | None) -> Occurrence:
    """The occurrence due on `due`, or else the earliest one not yet done."""
    statement = select(Occurrence).where(Occurrence.task_id == task.id, Occurrence.kind != OccurrenceKind.WITHDRAWN)
    if due is not None:
        # The date in force, or the plan's date of an extended occurrence (people quote either).
        occ = session.exec(statement.where(or_(Occurrence.due_date == due, Occurrence.original_due == due))
                           .order_by(Occurrence.due_date)).first()
        if occ is None:
            dates = ", ".join(d.strftime("%d/%m/%Y") for d in session.exec(
                select(Occurrence.due_date).where(Occurrence.task_id == task.id).order_by(Occurrence.due_date)))
            raise InputError(f"{task.ref} has no occurrence due {due:%d/%m/%Y} (its due dates: {dates})", field="due",
                             vi=f"Nhiệm vụ {task.ref} không có kỳ hạn ngày {due:%d/%m/%Y} (các kỳ hạn: {dates})")
        return occ
    occ = session.exec(statement.where(Occurrence.progress != Progress.DONE).order_by(Occurrence.due_date)).first()
    if occ is None:
        raise InputError(f"every occurrence of {task.ref} is already done", field="ref",
                         vi=f"Mọi kỳ của nhiệm vụ {task.ref} đều đã hoàn thành")
    return occ


MAX_NOTE = 4000
# Said of a note too long, whether it reached the check or was too large to be read at all (the web's 413).
NOTE_TOO_LONG = (f"the note is longer than {MAX_NOTE} characters", f"Ghi chú dài quá {MAX_NOTE} ký tự")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def check_note(note: str | None) -> None:
    """A note is text people typed: at most MAX_NOTE characters, no control characters."""
    if note and len(note) > MAX_NOTE:
        raise InputError(NOTE_TOO_LONG[0], field="note", vi=NOTE_TOO_LONG[1])
    if note and _CONTROL.search(note):
        raise InputError("the note contains a control character", field="note", vi="Ghi chú có ký tự điều khiển")


def _set(session, occ: Occurrence, ref: str, *, at: datetime, actor: str, why: str | None, **values) -> None:
    for name, new in values.items():
        old = getattr(occ, name)
        if old != new:
            record(session, at=at, actor=actor, entity="occurrence", entity_id=occ.id, ref=ref, field=name,
                   old=old, new=new, note=why)
            setattr(occ, name, new)
    occ.updated_at = at
    from models.reassignment import follow_the_duty
    follow_the_duty(session, occ, ref=ref, at=at, actor=actor, note=why)


def check_completion_day(on: date, at: datetime) -> None:
    """A completion is recorded for a day that has come: never after today (the clock's, in Vietnam)."""
    today = local_date(at)
    if on > today:
        raise InputError(f"the completion date {on:%d/%m/%Y} is after today ({today:%d/%m/%Y}): record it on or "
                         f"after the day it happens", field="on",
                         vi=f"Ngày hoàn thành {on:%d/%m/%Y} sau ngày hôm nay ({today:%d/%m/%Y}): "
                            f"chỉ ghi nhận việc đã hoàn thành")


def mark_done(session: Session, *, ref: str, on: date, note: str | None, at: datetime, actor: str,
              due: date | None = None, plan_code: str | None = None) -> Occurrence:
    check_completion_day(on, at)
    task = find_task(session, ref=ref, plan_code=plan_code)
    occ = pick_occurrence(session, task=task, due=due)
    check_note(note)
    values = dict(progress=Progress.DONE.value, completed_on=on, progress_percent=100)
    if note:
        values["note"] = note
    _set(session, occ, task.ref, at=at, actor=actor, why=note, **values)
    return occ


def record_progress(session: Session, *, ref: str, percent: int | None, note: str | None, at: datetime,
                    actor: str, due: date | None = None, plan_code: str | None = None) -> Occurrence:
    if percent is not None and not 0 <= percent <= 100:
        raise InputError(f"progress must be between 0 and 100, not {percent}", field="percent",
                         vi=f"Tiến độ phải từ 0 đến 100, không phải {percent}")
    check_note(note)
    task = find_task(session, ref=ref, plan_code=plan_code)
    occ = pick_occurrence(session, task=task, due=due)
    values = dict(progress=Progress.IN_PROGRESS.value, completed_on=None)
    if percent is not None:
        values["progress_percent"] = percent
    if note:
        values["note"] = note
    _set(session, occ, task.ref, at=at, actor=actor, why=note, **values)
    return occ


def mark_open(session: Session, *, ref: str, note: str | None, at: datetime, actor: str,
              due: date | None = None, plan_code: str | None = None) -> Occurrence:
    """Record that a task (one occurrence) has not been started after all: back to open."""
    check_note(note)
    task = find_task(session, ref=ref, plan_code=plan_code)
    occ = pick_occurrence(session, task=task, due=due)
    values = dict(progress=Progress.OPEN.value, completed_on=None)
    if note:
        values["note"] = note
    _set(session, occ, task.ref, at=at, actor=actor, why=note, **values)
    return occ


def record_note(session: Session, *, ref: str, note: str, at: datetime, actor: str, due: date | None = None,
                plan_code: str | None = None) -> Occurrence:
    """Keep a note on a task (one occurrence of it) without changing its progress."""
    check_note(note)
    task = find_task(session, ref=ref, plan_code=plan_code)
    occ = pick_occurrence(session, task=task, due=due)
    _set(session, occ, task.ref, at=at, actor=actor, why=note, note=note)
    return occ
