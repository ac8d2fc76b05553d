"""The append-only record of every change: who, when, what, old and new value, note."""
from datetime import datetime

from sqlalchemy import Column, Text, event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Field, SQLModel
import models.schema  # noqa: F401,E402  (every table loaded before the ORM's first query)

from models.types import UtcDateTime


class AuditEntry(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False, index=True))
    actor: str = Field(max_length=120)
    entity: str = Field(max_length=40)  # plan, task, occurrence, focal_point, ...
    entity_id: int | None = Field(default=None, index=True)
    ref: str | None = Field(default=None, max_length=120)
    field: str = Field(max_length=60)
    old_value: str | None = Field(default=None, sa_column=Column(Text))
    new_value: str | None = Field(default=None, sa_column=Column(Text))
    note: str | None = Field(default=None, sa_column=Column(Text))


class AuditIsAppendOnly(Exception):
    pass


@event.listens_for(OrmSession, "before_flush")
def _refuse_audit_rewrites(session, flush_context, instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry):
            raise AuditIsAppendOnly("audit entries are never changed or deleted")


def record(session, *, at: datetime, actor: str, entity: str, entity_id: int | None, field: str,
           old=None, new=None, ref: str | None = None, note: str | None = None) -> AuditEntry:
    # Kept within the columns' sizes (a long email address in an actor, a long plan code in a ref):
    # the audit entry is written cut rather than failing the change it records.
    entry = AuditEntry(
        at=at, actor=actor[:120], entity=entity, entity_id=entity_id, ref=ref[:120] if ref else ref, field=field,
        old_value=None if old is None else str(old), new_value=None if new is None else str(new),
        note=note,
    )
    session.add(entry)
    return entry
