"""The dispatcher: claims queued messages, sends them, records every attempt.

In four named parts, read in this order:

- `Claims`: a batch is claimed by a compare-and-set (UPDATE ... WHERE id IN (...) AND still due),
  so two dispatchers never send the same message; on PostgreSQL the candidates are read FOR UPDATE
  SKIP LOCKED and the claim returns what is sent (one statement per batch), and the next batch is
  claimed in a thread while this one is sent. A claim is a lease: `claimed_at` on the wall clock,
  valid for `lease`. Claims read the partial index of claimable messages (ix_message_claimable) in
  id order from where the previous batch ended, so what they scan is the rest of the queue, not the
  dead entries of the messages already sent (on PostgreSQL, until a VACUUM); the dispatch ends with
  a claim from the start of the queue.
- `Outcome`: what an attempt came to (sent, retry later, failed for good), as a pure function.
- `OutcomeWriter`: records outcomes, compare-and-set on our claim, each with its attempt; one
  writer per database behind one protocol (`SqliteWriter`, `PostgresWriter`).
- `dispatch()`: the loop. Per message one call, `Delivery.send`: claimed -> sent -> recorded.

The crash guarantee. Each outcome is written in its own short transaction (one UPDATE of the
message, compare-and-set on our claim, and one INSERT of the attempt with the server's reply),
committed *before the next message's content is handed to the server*: it is written while the
server answers the next MAIL, RCPT and DATA, and the content waits for the commit. So at any
moment at most one message is "accepted by the server but not yet recorded": the one in flight.
If the process dies (SIGKILL, OOM, a power cut of the process), its claims expire after the
lease and the next dispatcher sends what they covered: the messages never sent go out once,
and the one in flight, if the server had already taken it, goes out a second time with the same
Message-ID. At most one duplicate per crash, never a loss. A live dispatcher never outruns its
own lease: when half of it has passed it gives back the rest of the batch and claims again.

The local .eml folder is idempotent (a message is always the same file, written whole and renamed):
sending one again leaves one copy, so its outcomes are written once per batch, and a crash only
means the batch's files are written again.

Speed (bench/reminders.py, bench/national.py): the per-message write is done while the client would
otherwise wait for the server. On SQLite it is two statements and a commit compiled once and run
through the driver (WAL with synchronous=NORMAL, so no fsync per commit and a crash of the process
loses nothing committed). On PostgreSQL it is one statement in a transaction of its own, sent
through libpq's asynchronous calls as soon as the message is sent (the server runs it and flushes
its WAL meanwhile) and read back once the server has answered the next message's DATA with 354 (why
not psycopg's pipeline mode: PostgresWriter). The rows it updates are small: the bodies and MIME
bytes live in MessageContent. The messages are read with one Core SELECT per batch (on PostgreSQL,
by the claim itself), and the stored MIME bytes go straight to smtplib.

A SQLite "database is locked" (another process writing for longer than the busy timeout) is
retried (models.db.retry_locked); a transaction retried that way was rolled back first.
"""
import hashlib
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from select import select as wait_for_sockets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Callable, Protocol

from sqlalchemy import any_, bindparam, func, insert, or_, select, text, update
from sqlalchemy.engine import Connection, Engine

from config.policy import ReminderPolicy
from models.clock import Clock, SystemClock
from models.db import is_locked, retry_locked
from models.outbox_values import worker_prefix  # (its home: `dondoc status` reads claims without this module)
from models.outbox import CLAIMABLE, DeliveryAttempt, Message, MessageContent, MessageStatus, retry_time
from models.types import UtcDateTime
from notifications.transports import ConnectError, TransportError


@dataclass
class DispatchReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    interrupted: bool = False  # `stop` said so: the rest was given back to the queue, due at once


def worker_name() -> str:
    return f"{worker_prefix()}{uuid.uuid4().hex[:6]}"


# What a transport needs from a message (rows with these attributes, not ORM objects).
_SENDING_COLUMNS = (Message.id, Message.kind, Message.recipient_email, Message.send_date, MessageContent.raw,
                    Message.attempts)

# One outcome, compare-and-set on our claim. Prepared once; every value is a parameter.
_RECORD = (update(Message)
           .where(Message.id == bindparam("m_id"), Message.claimed_by == bindparam("m_worker"),
                  Message.status == MessageStatus.SENDING)
           .values(status=bindparam("m_status"), attempts=bindparam("m_attempts"), claimed_at=None,
                   claimed_by=None, sent_at=bindparam("m_sent_at"), smtp_reply=bindparam("m_reply"),
                   last_error=bindparam("m_error"), next_attempt_at=bindparam("m_next")))


def _due(now: datetime, lease_until: datetime):
    return or_(
        (Message.status == MessageStatus.QUEUED) & (Message.next_attempt_at <= now),
        (Message.status == MessageStatus.SENDING) & (Message.claimed_at <= lease_until),
    )


def _candidates(due, *, after: int, batch: int, only: list[int] | None):
    """The ids of the first `batch` `due` messages after id `after`, from ix_message_claimable: its
    condition is repeated word for word (SQLite uses a partial index only when the query says so),
    and `after` starts the scan where the last batch ended, not at the dead entries PostgreSQL
    leaves for every message already sent (until a VACUUM)."""
    candidates = (select(Message.id).where(text(CLAIMABLE), Message.id > after, due)
                  .order_by(Message.id).limit(batch))
    if only is not None:
        candidates = candidates.where(Message.id.in_(only))
    return candidates


def _claim(engine: Engine, connection: Connection, *, now: datetime, lease_until: datetime, wall_now: datetime,
           worker: str, batch: int, after: int = 0, only: list[int] | None = None) -> list:
    """Claim up to `batch` messages that are due (queued ones, and ones whose claim has expired),
    the first after id `after`; the claimed messages in id order, with what a transport sends."""
    if engine.dialect.name == "postgresql":
        return _claim_postgres(connection, now=now, lease_until=lease_until, wall_now=wall_now, worker=worker,
                               batch=batch, after=after, only=only)
    due = _due(now, lease_until)
    candidates = _candidates(due, after=after, batch=batch, only=only)

    def claim() -> list[int]:
        with engine.begin() as claiming:
            ids = list(claiming.execute(candidates).scalars())
            if not ids:
                return []
            # One compare-and-set for the batch: a row another dispatcher claimed in between no
            # longer matches `due` and is left to it.
            claiming.execute(update(Message).where(Message.id.in_(ids), due)
                             .values(status=MessageStatus.SENDING, claimed_at=wall_now, claimed_by=worker))
            return list(claiming.execute(select(Message.id).where(
                Message.id.in_(ids), Message.status == MessageStatus.SENDING,
                Message.claimed_by == worker).order_by(Message.id)).scalars())

    ids = retry_locked(claim)
    if not ids:
        return []
    messages = connection.execute(select(*_SENDING_COLUMNS).join(MessageContent)
                                  .where(Message.id.in_(ids)).order_by(Message.id)).all()
    connection.rollback()  # end the read: no transaction stays open while we send
    return messages


def _claim_postgres(connection: Connection, *, now: datetime, lease_until: datetime, wall_now: datetime, worker: str,
                    batch: int, after: int, only: list[int] | None) -> list:
    """PostgreSQL: the claim and the read of what is sent in one statement (with its BEGIN and
    COMMIT three round trips, where the four statements in two transactions took nine). The
    candidates are locked FOR UPDATE SKIP LOCKED (rows another dispatcher is claiming are passed
    over, not waited for), collected once into an array, and the UPDATE claims them compare-and-set
    on `due` again."""
    due = _due(now, lease_until)
    candidates = _candidates(due, after=after, batch=batch, only=only).with_for_update(skip_locked=True)
    claimed = (update(Message).where(Message.id == any_(func.array(candidates.scalar_subquery())), due)
               .values(status=MessageStatus.SENDING, claimed_at=wall_now, claimed_by=worker)
               .returning(*(column for column in _SENDING_COLUMNS if column.table is Message.__table__))
               .cte("claimed"))
    sending = (select(*(claimed.c[column.name] if column.table is Message.__table__ else column
                        for column in _SENDING_COLUMNS))
               .join_from(claimed, MessageContent, MessageContent.message_id == claimed.c.id).order_by(claimed.c.id))
    with connection.begin():
        return connection.execute(sending).all()


def _release(connection: Connection, ids: list[int], worker: str) -> None:
    """Give claimed, unsent messages back to the queue, due again at once (no attempt made)."""
    if not ids:
        return

    def release() -> None:
        with connection.begin():
            connection.execute(update(Message).where(
                Message.id.in_(ids), Message.claimed_by == worker, Message.status == MessageStatus.SENDING,
            ).values(status=MessageStatus.QUEUED, claimed_at=None, claimed_by=None))

    retry_locked(release)


# --- claims ------------------------------------------------------------------------------------

@dataclass
class Batch:
    messages: list  # claimed, in id order, with what a transport sends
    claimed_at: datetime  # on the wall clock: the lease runs from here
    size: int  # how many were asked for
    after: int  # the claim read on from this id (0: from the start of the queue)

    @property
    def last_of_the_queue(self) -> bool:
        """A short batch is the end of the queue; the dispatch ends with a claim from its start that
        comes back short (as every claim was before `after`): it takes the claims that expired
        meanwhile and the messages another dispatcher gave back."""
        return len(self.messages) < self.size and not self.after


class Claims:
    """The batches one dispatcher claims, each read on from the last message claimed before it.

    On PostgreSQL the next batch is claimed in a thread, on a connection of its own, while this one
    is sent (`claim_ahead`): a claim updates a whole batch's rows and commits, tens of milliseconds
    the SMTP server would otherwise wait for, ten times per 2,000 messages. (SQLite has one writer at
    a time: a claim in a thread would hold the lock the outcomes wait for.) What was claimed ahead
    and not sent (the dispatch ended early, or gave its claims back) is given back; after a crash it
    waits for the lease to expire, like the batch being sent."""

    def __init__(self, engine: Engine, *, worker: str, now: datetime, lease: timedelta, wall_clock: Clock,
                 only: list[int] | None):
        self.engine, self.worker, self.now, self.lease, self.wall_clock, self.only = (
            engine, worker, now, lease, wall_clock, only)
        self.after = 0  # the next claim reads on from this id
        self.ahead: Future | None = None
        self.threads = self.ahead_connection = None
        if engine.dialect.name == "postgresql":
            self.threads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dondoc-claim")
            self.ahead_connection = engine.connect()

    def _claim(self, connection: Connection, size: int, after: int) -> Batch:
        claimed_at = self.wall_clock.now()
        messages = _claim(self.engine, connection, now=self.now, lease_until=claimed_at - self.lease,
                          wall_now=claimed_at, worker=self.worker, batch=size, after=after, only=self.only)
        return Batch(messages, claimed_at, size, after)

    def next(self, connection: Connection, size: int) -> Batch:
        """The batch claimed ahead, or one claimed now; the claim after it reads on from its last message."""
        ahead, self.ahead = self.ahead, None
        batch = ahead.result() if ahead is not None else self._claim(connection, size, self.after)
        self.after = batch.messages[-1].id if len(batch.messages) == batch.size else 0
        return batch

    def claim_ahead(self, size: int) -> None:
        if self.threads is not None:
            self.ahead = self.threads.submit(self._claim, self.ahead_connection, size, self.after)

    def give_back(self, connection: Connection, messages: list) -> None:
        """Claimed, unsent messages back to the queue, due again at once (no attempt made)."""
        _release(connection, [m.id for m in messages], self.worker)

    def give_back_ahead(self) -> None:
        ahead, self.ahead = self.ahead, None
        if ahead is not None:
            self.give_back(self.ahead_connection, ahead.result().messages)

    def lease_half_gone(self, batch: Batch) -> bool:
        return self.wall_clock.now() - batch.claimed_at > self.lease / 2

    def close(self) -> None:
        try:
            if self.threads is not None:
                self.give_back_ahead()
        finally:
            if self.threads is not None:
                self.threads.shutdown()
                self.ahead_connection.close()


# --- outcomes ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """What one attempt came to, and the values recorded for it."""
    message: object  # the row sent (id, recipient_email, attempts, ...)
    result: str  # "sent", "temporary" (retried later) or "permanent" (failed for good)
    values: dict  # the message's new columns, as _RECORD's m_* parameters
    detail: str | None  # the server's reply, or the error
    error: TransportError | None


def outcome_of(message, *, now: datetime, policy: ReminderPolicy, reply: str | None,
               error: TransportError | None) -> Outcome:
    attempts = message.attempts + 1
    values = dict(m_id=message.id, m_attempts=attempts, m_sent_at=None, m_reply=None, m_error=None, m_next=now)
    if error is None:
        values.update(m_status=MessageStatus.SENT, m_sent_at=now, m_reply=reply)
        return Outcome(message, "sent", values, reply, None)
    values.update(m_error=str(error))
    if error.permanent or attempts >= policy.max_attempts:
        values.update(m_status=MessageStatus.FAILED)
        return Outcome(message, "permanent", values, str(error), error)
    values.update(m_status=MessageStatus.QUEUED, m_next=retry_time(message.attempts, now, policy.retry_after_minutes))
    return Outcome(message, "temporary", values, str(error), error)


class OutcomeWriter(Protocol):
    """Records outcomes in one transaction, in two steps, so that the database works while the SMTP
    server does: `begin` runs or sends the statements (nothing is durable yet), `commit` makes them
    durable and says, for each outcome, what was recorded: its result, or "lost" where our claim had
    expired and another dispatcher had taken the message over (compare-and-set on the claim).

    `eager`: the writer begins as soon as an outcome is known (its statement travels to a server
    process and runs there while the next message starts); otherwise it begins while the server
    answers the next message's MAIL (its statements run here). Either commits once that message's
    RCPT and DATA are accepted, before its content leaves."""

    eager: bool

    def begin(self, outcomes: list[Outcome]) -> None: ...

    def commit(self) -> list[str]: ...

    def rollback(self) -> None: ...

    def close(self) -> None: ...


class SqliteWriter:
    """SQLite: an UPDATE (compare-and-set on our claim) and an INSERT of the attempt per outcome,
    compiled once by SQLAlchemy and run straight through the driver (per message, SQLAlchemy's
    execution bookkeeping costs about as much as SQLite's own work). The driver's transaction is
    the connection's: begun by the first UPDATE, ended by commit()."""

    eager = False

    def __init__(self, connection: Connection, *, worker: str, now: datetime):
        self.driver = connection.connection.driver_connection
        (self.update, self.update_names, self.insert, self.insert_names, self.constants,
         self.moment) = _driver_statements(connection.dialect)
        self.worker, self.at = worker, self.moment(now)
        self.results: list[str] = []

    def begin(self, outcomes: list[Outcome]) -> None:
        cursor = self.driver.cursor()
        attempts = []
        for outcome in outcomes:
            params = dict(self.constants, **outcome.values, m_worker=self.worker)
            params["m_next"], params["m_sent_at"] = self.moment(params["m_next"]), self.moment(params["m_sent_at"])
            cursor.execute(self.update, [params[name] for name in self.update_names])
            if cursor.rowcount != 1:
                self.results.append("lost")
                continue
            self.results.append(outcome.result)
            row = dict(a_message_id=outcome.message.id, a_at=self.at, a_worker=self.worker, a_outcome=outcome.result,
                       a_detail=outcome.detail)
            attempts.append([row[name] for name in self.insert_names])
        if attempts:
            cursor.executemany(self.insert, attempts)
        cursor.close()

    def commit(self) -> list[str]:
        self.driver.commit()
        results, self.results = self.results, []
        return results

    def rollback(self) -> None:
        self.driver.rollback()
        self.results = []

    def close(self) -> None:
        self.rollback()


_compiled: dict[str, tuple] = {}


def _driver_statements(dialect) -> tuple:
    """SqliteWriter's SQL, compiled once per dialect (a simulation dispatches on every working day)."""
    if dialect.name not in _compiled:
        update_sql = _RECORD.compile(dialect=dialect)
        insert_sql = insert(DeliveryAttempt).values(
            message_id=bindparam("a_message_id"), at=bindparam("a_at"), worker=bindparam("a_worker"),
            outcome=bindparam("a_outcome"), detail=bindparam("a_detail")).compile(dialect=dialect)
        update_names = list(update_sql.positiontup)
        # The statement's own literals (claimed_at=NULL, status='sending', ...), as SQLAlchemy binds them.
        constants = {name: value for name, value in update_sql.construct_params(
            {name: None for name in update_names if name.startswith("m_")}).items() if not name.startswith("m_")}
        moment = UtcDateTime().dialect_impl(dialect).bind_processor(dialect)  # the columns' own conversion (UTC, never naive)
        _compiled[dialect.name] = (str(update_sql), update_names, str(insert_sql), list(insert_sql.positiontup),
                                   constants, moment)
    return _compiled[dialect.name]


# PostgreSQL: an outcome in one statement, the compare-and-set UPDATE and the INSERT of its attempt
# joined by a CTE. Sent outside any transaction block, it is its own transaction: one round trip,
# the commit included. $2 is our worker name, in the claim's check and in the attempt.
_RECORD_POSTGRES = b"""
WITH recorded AS (
    UPDATE message
    SET status = $3, attempts = $4::integer, claimed_at = NULL, claimed_by = NULL,
        sent_at = $5::timestamptz, smtp_reply = $6, last_error = $7, next_attempt_at = $8::timestamptz
    WHERE id = $1::integer AND claimed_by = $2 AND status = 'sending'
    RETURNING id)
INSERT INTO deliveryattempt (message_id, at, worker, outcome, detail)
SELECT id, $9::timestamptz, $2, $10, $11 FROM recorded
"""


class PostgresWriter:
    """PostgreSQL (psycopg): each outcome is one prepared statement (_RECORD_POSTGRES), its own
    transaction, sent through libpq's asynchronous calls as soon as the message is sent (`begin`),
    so the server runs it and flushes its WAL to disk while the SMTP server answers the next MAIL,
    RCPT and DATA; `commit` reads its result (by then, as a rule, already there) before that message's
    content leaves. (Waiting for BEGIN, the UPDATE, the INSERT and COMMIT's WAL flush in turn, four
    round trips to a server process competing for the same cores, cost three times the whole SMTP
    exchange.) A batch of outcomes (the folder transport's) goes one statement after another.

    Why not psycopg's pipeline mode: its public API sends a Sync (what ends the implicit transaction
    and makes the server answer) only in `Pipeline.sync()`, which waits for every result, so the
    outcome needs a confirming round trip the statement above does not; and its query conversion and
    adaptation of the eleven parameters per message cost more than the exchange with the server
    (measured, BENCHMARKS.md 2026-12-06, "the dispatcher in named parts": 0.7-1.1 ms of CPU per
    message against 0.5-0.7 ms here, and fewer messages a second).

    It has a connection of its own, used through libpq only and outside any transaction block
    (psycopg, seeing a ROLLBACK on a connection where it prepared statements, deallocates them all),
    and reads the result of the statement in flight before the connection goes back to the pool."""

    eager = True
    # Prepared once per database session (it outlives this writer in the pool: created if missing).
    NAME = b"dondoc_record_outcome_" + hashlib.sha256(_RECORD_POSTGRES).hexdigest()[:12].encode()

    def __init__(self, engine: Engine, *, worker: str, now: datetime):
        from psycopg import pq

        self.worker, self.at = worker, now
        self.connection = engine.raw_connection()
        self.pgconn = self.connection.driver_connection.pgconn
        self.encoding = self.connection.driver_connection.info.encoding  # the session's client_encoding
        self.idle, self.command_ok = pq.TransactionStatus.IDLE, pq.ExecStatus.COMMAND_OK
        self.sqlstate = pq.DiagnosticField.SQLSTATE
        self.in_flight: Outcome | None = None  # its statement sent, its result not yet read
        self.queue: list[Outcome] = []  # to send after it
        prepared = self.pgconn.prepare(self.NAME, _RECORD_POSTGRES)
        if prepared.status != self.command_ok and prepared.error_field(self.sqlstate) != b"42P05":  # exists already
            self.connection.close()
            self._raise(prepared)

    def begin(self, outcomes: list[Outcome]) -> None:
        self.queue = list(outcomes)
        self._send(self.queue.pop(0))

    def commit(self) -> list[str]:
        results = [self._result()]
        while self.queue:
            self._send(self.queue.pop(0))
            results.append(self._result())
        return results

    def rollback(self) -> None:
        self.queue = []
        if self.in_flight is not None:
            self._result()  # read before the connection is used again

    def close(self) -> None:
        try:
            if self.in_flight is not None:
                self._result()
        finally:
            self.connection.close()

    def _send(self, outcome: Outcome) -> None:
        assert self.in_flight is None, "one statement at a time"
        assert self.pgconn.transaction_status == self.idle, "no transaction may be open on the connection"
        values = outcome.values
        params = (values["m_id"], self.worker, values["m_status"], values["m_attempts"], values["m_sent_at"],
                  values["m_reply"], values["m_error"], values["m_next"], self.at, outcome.result, outcome.detail)
        self.pgconn.send_query_prepared(self.NAME, [self._text(v) for v in params])
        self.in_flight = outcome
        socket_ = self.pgconn.socket
        while self.pgconn.flush():  # the connection is non-blocking: send what is left when it can
            readable, _, _ = wait_for_sockets([socket_], [socket_], [])
            if readable:
                self.pgconn.consume_input()

    def _result(self) -> str:
        """Wait for the statement in flight; its outcome, or "lost" where our claim had expired."""
        outcome, self.in_flight = self.in_flight, None
        results = []
        while True:
            while self.pgconn.is_busy():
                wait_for_sockets([self.pgconn.socket], [], [])
                self.pgconn.consume_input()
            result = self.pgconn.get_result()
            if result is None:
                break
            results.append(result)
        if not results or results[-1].status != self.command_ok:
            self._raise(results[-1] if results else None)
        return outcome.result if results[-1].command_tuples == 1 else "lost"

    def _text(self, value) -> bytes | None:
        """A parameter in PostgreSQL's text format (the statement casts it to its column's type)."""
        if value is None:
            return None
        return (value.isoformat() if isinstance(value, datetime) else str(value)).encode(self.encoding)

    def _raise(self, result) -> None:
        import psycopg

        code = result.error_field(self.sqlstate) if result is not None else None
        message = result.get_error_message() if result is not None else "no result from PostgreSQL"
        raise psycopg.errors.lookup(code.decode())(message) if code else psycopg.OperationalError(message)


def writer_for(engine: Engine, connection: Connection, *, worker: str, now: datetime) -> OutcomeWriter:
    """The database's outcome writer (SQLite's on the dispatch's own connection)."""
    if engine.dialect.name == "postgresql":
        return PostgresWriter(engine, worker=worker, now=now)
    return SqliteWriter(connection, worker=worker, now=now)


# --- the loop ----------------------------------------------------------------------------------

class Ledger:
    """The outcomes not yet durable (the message just sent; a folder transport's whole batch), on
    their way through the writer, and what they came to, tallied in the report."""

    def __init__(self, writer: OutcomeWriter, report: DispatchReport):
        self.writer, self.report = writer, report
        self.pending: list[Outcome] = []
        self.begun = False

    @property
    def count(self) -> int:
        """The outcomes taken so far (recorded or on their way), those lost to another dispatcher aside."""
        return self.report.sent + self.report.retrying + self.report.failed + len(self.pending)

    def add(self, outcome: Outcome, *, on_its_way: bool) -> None:
        """`on_its_way`: begin writing it at once (an eager writer, a transport that waits)."""
        self.pending.append(outcome)
        if on_its_way:
            self._write(commit=False)

    def wait(self, *, final: bool = True) -> None:
        """What the transport calls while the server answers the next message's MAIL (final=False)
        and once RCPT and DATA are accepted (final=True), and in any case before that message's
        content leaves: by then the last outcome is durable, so a crash can leave at most one
        message sent and not recorded."""
        self._write(commit=final)

    def settle(self) -> None:
        """Everything pending made durable (before a claim, a give-back, the end)."""
        self._write(commit=True)

    def _write(self, *, commit: bool) -> None:
        if not self.pending:
            return
        try:
            if not self.begun:
                self.begun = True
                self.writer.begin(self.pending)
            if commit:
                self._tally(self.writer.commit())
        except Exception as error:
            self.writer.rollback()
            self.begun = False
            if not is_locked(error):
                raise
            self._tally(retry_locked(self._write_now))  # waits for SQLite's lock, trying again

    def _write_now(self) -> list[str]:
        try:
            self.writer.begin(self.pending)
            return self.writer.commit()
        except Exception:
            self.writer.rollback()
            raise

    def _tally(self, results: list[str]) -> None:
        for outcome, result in zip(self.pending, results):
            if result == "sent":
                self.report.sent += 1
            elif result == "temporary":
                self.report.retrying += 1
            elif result == "permanent":
                self.report.failed += 1
            if outcome.error is not None and result != "lost":
                self.report.errors.append(f"{outcome.message.recipient_email}: {outcome.error}")
        self.pending, self.begun = [], False


@dataclass
class Delivery:
    """Sending over one transport connection, each message's outcome recorded through the ledger."""
    transport: object
    ledger: Ledger
    now: datetime
    policy: ReminderPolicy

    def send(self, message) -> None:
        """The once-only guarantee, for one claimed message: sent, then recorded, and the outcome of
        the message before it made durable before this one's content leaves (the transport waits
        for `ledger.wait`). A folder transport (idempotent: a message is always the same file) does
        not wait: its outcomes are recorded with the batch."""
        idempotent = getattr(self.transport, "idempotent", False)
        try:
            reply, error = self.transport.send(message, None if idempotent else self.ledger.wait), None
        except ConnectError:
            raise  # no server at all: the loop hands the rest of the batch to not_sent
        except TransportError as failure:
            reply, error = None, failure
        if not idempotent:
            self.ledger.settle()  # in case the transport failed before it called wait
        self.ledger.add(outcome_of(message, now=self.now, policy=self.policy, reply=reply, error=error),
                        on_its_way=not idempotent and self.ledger.writer.eager)

    def not_sent(self, messages: list, failure: ConnectError) -> None:
        """No server at all: every message left in the batch stays queued for later."""
        self.ledger.settle()
        for message in messages:  # (recorded on each, said once in the report, for the whole batch)
            outcome = outcome_of(message, now=self.now, policy=self.policy, reply=None, error=failure)
            self.ledger.add(replace(outcome, error=None), on_its_way=False)
        self.ledger.settle()


def dispatch(engine: Engine, transport, *, now: datetime, policy: ReminderPolicy, wall_clock: Clock | None = None,
             lease: timedelta = timedelta(minutes=10), batch: int = 200, limit: int | None = None,
             only: list[int] | None = None, stop: Callable[[], bool] | None = None) -> DispatchReport:
    """Send every message that is due at `now`, batch by batch, over one transport connection.

    `now` is the application's time (it decides what is due and is recorded); claims use the
    wall clock, since a claim's expiry is about a process that died, not about the plan's calendar.
    `only` restricts it to these message ids (a sign-in link goes out at once, alone). `stop`, asked
    before each message: when it says yes, the dispatch ends there (the rest is given back to the queue).
    """
    worker, report = worker_name(), DispatchReport()
    with ExitStack() as closing:
        open_transport = closing.enter_context(transport)
        connection = closing.enter_context(engine.connect())
        claims = Claims(engine, worker=worker, now=now, lease=lease, wall_clock=wall_clock or SystemClock(), only=only)
        closing.callback(claims.close)  # gives back what was claimed ahead and not sent
        writer = writer_for(engine, connection, worker=worker, now=now)
        closing.callback(writer.close)
        ledger = Ledger(writer, report)
        delivery = Delivery(open_transport, ledger, now, policy)
        while limit is None or ledger.count < limit:
            ledger.settle()
            claimed = claims.next(connection, batch if limit is None else min(batch, limit - ledger.count))
            if not claimed.messages:
                if claimed.last_of_the_queue:
                    break
                continue
            left = None if limit is None else limit - ledger.count - len(claimed.messages)
            if not claimed.last_of_the_queue and (left is None or left > 0):
                claims.claim_ahead(batch if left is None else min(batch, left))
            for position, message in enumerate(claimed.messages):
                if stop is not None and stop():
                    # Asked to stop (Ctrl-C): what was sent is recorded, the rest goes back to the queue.
                    ledger.settle()
                    claims.give_back(connection, claimed.messages[position:])
                    report.interrupted = True
                    return report
                if position and claims.lease_half_gone(claimed):
                    # Our claim is getting old: hand the rest back and claim afresh, so a slow
                    # server never lets another dispatcher take over messages we are still sending.
                    ledger.settle()
                    claims.give_back(connection, claimed.messages[position:])
                    claims.give_back_ahead()
                    claims.after = claimed.messages[position - 1].id
                    break
                try:
                    delivery.send(message)  # claimed -> sent -> recorded
                except ConnectError as failure:
                    rest = claimed.messages[position:]
                    delivery.not_sent(rest, failure)
                    report.errors.append(f"{len(rest)} message(s) not sent: {failure}")
                    return report
            else:
                if claimed.last_of_the_queue:
                    break
        ledger.settle()
    return report
