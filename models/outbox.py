"""The durable outbox: every email is a row before it is sent, and stays one after.

A Message is one email to one person (a day's digest, a review request, a sign-in link), its
MessageContent what it says (bodies and MIME bytes, kept apart from the delivery state). An
OutboxItem is one reason it was sent: (recipient, occurrence, rule, day), unique, so the same
reminder can never be queued twice. A task late for several periods is one reason (one digest
line); its row points at one of the late occurrences. Each delivery attempt is recorded.
"""
from datetime import date, datetime, timedelta

from sqlalchemy import Column, Index, LargeBinary, Text, text
from sqlmodel import Field, SQLModel
import models.schema  # noqa: F401,E402  (every table loaded before the ORM's first query)

from models.outbox_values import CLAIMABLE, MessageStatus  # noqa: F401  (their home before)
from models.types import UtcDateTime


class Message(SQLModel, table=True):
    # The claimable rows by id, the order they are claimed in (migration 0010_claimable_messages).
    # ix_message_message_id: a bounce that lost our return path names its message by Message-ID (0012).
    __table_args__ = (Index("ix_message_claimable", "id", sqlite_where=text(CLAIMABLE), postgresql_where=text(CLAIMABLE)),
                      Index("ix_message_message_id", "message_id"))

    id: int | None = Field(default=None, primary_key=True)
    # kind|recipient|day or another natural key: queuing the same message twice is impossible.
    key: str = Field(unique=True, max_length=400)
    kind: str = Field(max_length=40)
    recipient_email: str = Field(max_length=254, index=True)
    recipient_name: str
    language: str = Field(default="vi", max_length=2)
    send_date: date = Field(index=True)
    subject: str = Field(sa_column=Column(Text, nullable=False))
    message_id: str = Field(max_length=300)  # the Message-ID header, the same on every attempt
    # The bodies and the MIME bytes are in MessageContent: this row changes on every attempt, and
    # SQLite rewrites a whole row (tens of KiB with them) on each update.
    status: str = Field(default=MessageStatus.QUEUED, max_length=20)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    claimed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    claimed_by: str | None = Field(default=None, max_length=80)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    smtp_reply: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))

    def retry_time(self, now: datetime, retry_after_minutes: int) -> datetime:
        return retry_time(self.attempts, now, retry_after_minutes)


def retry_time(attempts: int, now: datetime, retry_after_minutes: int) -> datetime:
    """After the n-th temporary failure wait retry_after * 2^(n-1), at most a day (`attempts` counts
    the attempts before this failure)."""
    minutes = retry_after_minutes * 2 ** max(0, attempts - 1)
    return now + timedelta(minutes=min(minutes, 24 * 60))


class MessageContent(SQLModel, table=True):
    """What a message says, written once when it is queued and never changed: the whole MIME message
    (its text and HTML parts included), so every attempt sends the same bytes."""

    message_id: int = Field(foreign_key="message.id", primary_key=True)
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class OutboxItem(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # recipient|occurrence|rule|nominal day: one row per reason, ever.
    key: str = Field(unique=True, max_length=400)
    message_id: int = Field(foreign_key="message.id", index=True)
    recipient_email: str = Field(max_length=254)
    occurrence_id: int | None = Field(default=None, foreign_key="occurrence.id", index=True)
    rule: str = Field(max_length=40)
    section: str = Field(max_length=20)  # overdue, due_today, due_soon, fyi, summary
    fire_date: date = Field(index=True)


class DeliveryAttempt(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    worker: str = Field(max_length=80)
    outcome: str = Field(max_length=20)  # sent, temporary, permanent
    detail: str | None = Field(default=None, sa_column=Column(Text))
