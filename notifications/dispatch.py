"""The dispatcher: claims queued messages, sends them, records every attempt.

Claiming is a compare-and-set (UPDATE ... WHERE id=? AND status=?) so two dispatchers never
send the same message; on PostgreSQL candidates are read FOR UPDATE SKIP LOCKED. A message is
marked sent right after the server accepts it; if the process dies in between, the claim
expires and the message is sent once more with the same Message-ID (the only duplicate possible).
"""
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from config.policy import ReminderPolicy
from models.clock import Clock, SystemClock
from models.outbox import DeliveryAttempt, Message, MessageStatus
from notifications.transports import TransportError


@dataclass
class DispatchReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _claim(engine: Engine, *, now: datetime, lease_until: datetime, wall_now: datetime, worker: str,
           batch: int, only: list[int] | None = None) -> list[int]:
    """Claim up to `batch` messages that are due: queued ones, and ones whose claim has expired."""
    due = or_(
        (Message.status == MessageStatus.QUEUED) & (Message.next_attempt_at <= now),
        (Message.status == MessageStatus.SENDING) & (Message.claimed_at <= lease_until),
    )
    candidates = select(Message.id).where(due).order_by(Message.id).limit(batch)
    if only is not None:
        candidates = candidates.where(Message.id.in_(only))
    if engine.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    with engine.begin() as connection:
        ids = list(connection.execute(candidates).scalars())
        if not ids:
            return []
        # One compare-and-set for the batch: a row another dispatcher claimed in between no
        # longer matches `due` and is left to it.
        connection.execute(update(Message).where(Message.id.in_(ids), due)
                           .values(status=MessageStatus.SENDING, claimed_at=wall_now, claimed_by=worker))
        claimed = list(connection.execute(select(Message.id).where(
            Message.id.in_(ids), Message.status == MessageStatus.SENDING, Message.claimed_by == worker)).scalars())
    return claimed


def _record(connection, message: Message, *, worker: str, now: datetime, policy: ReminderPolicy,
            reply: str | None = None, error: TransportError | None = None) -> str:
    """Write the outcome of one attempt, only if our claim still holds (compare-and-set)."""
    attempts = message.attempts + 1
    values = dict(attempts=attempts, claimed_at=None, claimed_by=None)
    if error is None:
        outcome = "sent"
        values.update(status=MessageStatus.SENT, sent_at=now, smtp_reply=reply, last_error=None)
    elif error.permanent or attempts >= policy.max_attempts:
        outcome = "permanent"
        values.update(status=MessageStatus.FAILED, last_error=str(error))
    else:
        outcome = "temporary"
        values.update(status=MessageStatus.QUEUED, last_error=str(error),
                      next_attempt_at=message.retry_time(now, policy.retry_after_minutes))
    with connection.begin():
        changed = connection.execute(
            update(Message).where(Message.id == message.id, Message.claimed_by == worker).values(**values)
        ).rowcount
        if changed != 1:  # our claim expired and another dispatcher took the message over
            return "lost"
        connection.execute(insert(DeliveryAttempt).values(
            message_id=message.id, at=now, worker=worker, outcome=outcome,
            detail=reply if error is None else str(error)))
    return outcome


def dispatch(engine: Engine, transport, *, now: datetime, policy: ReminderPolicy, wall_clock: Clock | None = None,
             lease: timedelta = timedelta(minutes=10), batch: int = 200, limit: int | None = None,
             only: list[int] | None = None) -> DispatchReport:
    """Send every message that is due at `now`, batch by batch, over one transport connection each.

    `now` is the application's time (it decides what is due and is recorded); claims use the
    wall clock, since a claim's expiry is about a process that died, not about the plan's calendar.
    `only` restricts it to these message ids (a sign-in link goes out at once, alone).
    """
    wall_clock = wall_clock or SystemClock()
    worker = worker_name()
    report = DispatchReport()
    while limit is None or report.sent + report.retrying + report.failed < limit:
        wall_now = wall_clock.now()
        ids = _claim(engine, now=now, lease_until=wall_now - lease, wall_now=wall_now, worker=worker,
                     batch=batch if limit is None else min(batch, limit), only=only)
        if not ids:
            break
        with Session(engine) as session:
            messages = session.exec(select(Message).where(Message.id.in_(ids)).order_by(Message.id)).scalars().all()
            session.expunge_all()
        with transport as open_transport, engine.connect() as connection:
            for message in messages:
                try:
                    reply = open_transport.send(message)
                    outcome = _record(connection, message, worker=worker, now=now, policy=policy, reply=reply)
                except TransportError as error:
                    outcome = _record(connection, message, worker=worker, now=now, policy=policy, error=error)
                    report.errors.append(f"{message.recipient_email}: {error}")
                if outcome == "sent":
                    report.sent += 1
                elif outcome == "temporary":
                    report.retrying += 1
                elif outcome == "permanent":
                    report.failed += 1
        if len(ids) < batch:
            break
    return report
