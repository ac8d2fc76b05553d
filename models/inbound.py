"""What came back by email: each message read from the reply mailbox, once, and the addresses that
bounced hard.

An InboundMail row is written in the same transaction as everything the message did (the updates it
recorded, its confirmation queued, the outbox message it failed): its key (the Message-ID, or a hash
of the bytes) is unique, so a message read again, by a second run or after a crash, does nothing.

A BouncedAddress is a focal point's address that a mail server refused for good: shown on its
agency's page and on the overview until someone clears it (`dondoc bounced --clear EMAIL`), once the
directory has a working address.
"""
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Column, Text, func
from sqlmodel import Field, Session, SQLModel, select
import models.schema  # noqa: F401,E402  (every table loaded before the ORM's first query)

from models.agency import Agency, FocalPoint
from models.clock import local_date
from models.types import UtcDateTime


class InboundKind:
    REPLY = "reply"
    BOUNCE = "bounce"
    AUTO_REPLY = "auto_reply"
    OWN = "own"  # one of our own messages come back (a loop): ignored
    UNKNOWN = "unknown"


class InboundMail(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=400)  # the Message-ID, or sha256:<hex> of the bytes
    processed_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    sender: str = Field(default="", max_length=254)
    subject: str = Field(default="", sa_column=Column(Text, nullable=False))
    kind: str = Field(max_length=20)  # InboundKind
    outcome: str = Field(max_length=20)  # recorded, partly, not_understood, refused, ignored, failed, delayed, ...
    # The outbox message it answers (a reply) or reports on (a bounce).
    message_id: int | None = Field(default=None, foreign_key="message.id", index=True)
    detail: str | None = Field(default=None, sa_column=Column(Text))


class BouncedAddress(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, max_length=254)  # lower case
    bounced_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    message_id: int | None = Field(default=None, foreign_key="message.id")


def is_processed(session: Session, key: str) -> bool:
    return session.exec(select(InboundMail.id).where(InboundMail.key == key)).first() is not None


@dataclass(frozen=True)
class DeadAddress:
    """A focal point whose address bounced hard."""
    email: str
    name: str
    agency_code: str
    agency_name_vi: str
    agency_name_en: str
    reason: str
    bounced_at: datetime

    @property
    def bounced_on(self) -> date:
        """The day in Vietnam."""
        return local_date(self.bounced_at)


def dead_addresses(session: Session, *, agency_id: int | None = None) -> list[DeadAddress]:
    """The active focal points (of one agency, or all) whose address bounced hard, newest first."""
    statement = (select(FocalPoint.email, FocalPoint.name, Agency.code, Agency.name_vi, Agency.name_en,
                        BouncedAddress.reason, BouncedAddress.bounced_at)
                 .join(Agency, Agency.id == FocalPoint.agency_id)
                 .join(BouncedAddress, BouncedAddress.email == func.lower(FocalPoint.email))
                 .where(FocalPoint.active == True)  # noqa: E712
                 .order_by(BouncedAddress.bounced_at.desc(), Agency.code, FocalPoint.email))
    if agency_id is not None:
        statement = statement.where(FocalPoint.agency_id == agency_id)
    return [DeadAddress(*row) for row in session.exec(statement)]


def bounced_emails(session: Session) -> set[str]:
    return set(session.exec(select(BouncedAddress.email)))
