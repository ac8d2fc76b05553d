"""Coordinators' share: an agency the plan tells to coordinate on a duty ("phối hợp") adds a
contribution note the lead sees on the task page (and in the audit)."""
from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, Session, SQLModel, select
import models.schema  # noqa: F401,E402  (every table loaded before the ORM's first query)

from config.errors import InputError
from models.agency import Agency
from models.audit import record
from models.plan import TaskCoordinator
from models.types import UtcDateTime
from models.updates import check_note, find_task


class TaskContribution(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    note: str = Field(sa_column=Column(Text, nullable=False))
    actor: str = Field(max_length=120)
    at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))


def contribute(session: Session, *, ref: str, agency_code: str, note: str, at: datetime, actor: str,
               plan_code: str | None = None) -> TaskContribution:
    """One use case for the CLI and the web: a coordinating agency's note on a duty."""
    note = (note or "").strip()
    if not note:
        raise InputError("the contribution note is empty", field="note", vi="Chưa nhập nội dung phối hợp")
    check_note(note)
    task = find_task(session, ref=ref, plan_code=plan_code)
    agency = session.exec(select(Agency).where(Agency.code == agency_code)).first()
    if agency is None:
        raise InputError(f"no agency with code {agency_code}", field="agency", vi=f"Không có cơ quan có mã {agency_code}")
    if session.get(TaskCoordinator, (task.id, agency.id)) is None:
        raise InputError(f"{agency.code} does not coordinate {task.ref}", field="agency",
                         vi=f"{agency.code} không phải cơ quan phối hợp của nhiệm vụ {task.ref}")
    row = TaskContribution(task_id=task.id, agency_id=agency.id, note=note, actor=actor, at=at)
    session.add(row)
    session.flush()
    record(session, at=at, actor=actor, entity="task", entity_id=task.id, ref=task.ref, field="contribution",
           new=agency.code, note=note)
    return row


def contributions_of(session: Session, task_id: int) -> list[tuple[TaskContribution, Agency]]:
    return list(session.exec(select(TaskContribution, Agency).join(Agency, Agency.id == TaskContribution.agency_id)
                             .where(TaskContribution.task_id == task_id).order_by(TaskContribution.id)))
