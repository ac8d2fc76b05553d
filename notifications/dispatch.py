"""The dispatcher: claims queued messages, sends them, records every attempt.

Claiming is a compare-and-set (UPDATE ... WHERE id IN (...) AND still due) so two dispatchers
never send the same message; on PostgreSQL candidates are read FOR UPDATE SKIP LOCKED. A claim is
a lease: `claimed_at` on the wall clock, valid for `lease`. A batch is claimed in one statement and
sent over one SMTP connection that stays open for the whole dispatch. Claims read the partial index
of claimable messages (ix_message_claimable) in id order from where the previous batch ended, so
what they scan is the rest of the queue, not the dead entries of the messages already sent (on
PostgreSQL, until a VACUUM); the dispatch ends with a claim from the start of the queue. On
PostgreSQL the claim also returns what is sent (one statement per batch), and the next batch is
claimed in a thread while this one is sent (_ClaimAhead).

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

Speed (bench/reminders.py, bench/national.py): the per-message write is done while the client
would otherwise wait for the server. On SQLite it is two statements and a commit compiled once and
run through the driver (WAL with synchronous=NORMAL, so no fsync per commit and a crash of the
process loses nothing committed). On PostgreSQL it is one prepared statement that is its own
transaction (_PostgresWriter), sent as soon as the message is sent and read back once the server
has answered the next message's DATA with 354: one round trip per message to the database, its WAL
flush included, overlapping the SMTP exchange instead of adding four round trips to it. The rows it updates are
small: the bodies and MIME bytes live in MessageContent. The messages are read with one Core
SELECT per batch (on PostgreSQL, by the claim itself), and the stored MIME bytes go straight to smtplib.

A SQLite "database is locked" (another process writing for longer than the busy timeout) is
retried (models.db.retry_locked); a transaction retried that way was rolled back first.
"""
import hashlib
import os
import socket
import sqlite3
import uuid
from typing import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from select import select as wait_for_sockets

from sqlalchemy import any_, bindparam, func, insert, or_, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from config.policy import ReminderPolicy
from models.clock import Clock, SystemClock
from models.db import is_locked, retry_locked
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


def worker_prefix() -> str:
    """What every dispatcher of this process names itself with (host and process id)."""
    return f"{socket.gethostname()}:{os.getpid()}:"


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
_ATTEMPT = insert(DeliveryAttempt)


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


def _outcome(message, *, now: datetime, policy: ReminderPolicy, reply: str | None,
             error: TransportError | None) -> tuple[str, dict]:
    attempts = message.attempts + 1
    values = dict(m_id=message.id, m_attempts=attempts, m_sent_at=None, m_reply=None, m_error=None, m_next=now)
    if error is None:
        values.update(m_status=MessageStatus.SENT, m_sent_at=now, m_reply=reply)
        return "sent", values
    values.update(m_error=str(error))
    if error.permanent or attempts >= policy.max_attempts:
        values.update(m_status=MessageStatus.FAILED)
        return "permanent", values
    values.update(m_status=MessageStatus.QUEUED,
                  m_next=retry_time(message.attempts, now, policy.retry_after_minutes))
    return "temporary", values


def _write(connection: Connection, outcomes: list[tuple], *, worker: str, now: datetime) -> list[str]:
    """Inside a transaction: each outcome, only if our claim still holds (compare-and-set), and its
    attempt. Returns each outcome, or "lost" where our claim had expired and another dispatcher
    took the message over."""
    results, attempts = [], []
    for message, outcome, values, detail in outcomes:
        if connection.execute(_RECORD, dict(values, m_worker=worker)).rowcount != 1:
            results.append("lost")
            continue
        results.append(outcome)
        attempts.append(dict(message_id=message.id, at=now, worker=worker, outcome=outcome, detail=detail))
    if attempts:
        connection.execute(_ATTEMPT, attempts)
    return results


class _DriverWriter:
    """SQLite: the same statements as _write, compiled once by SQLAlchemy and run straight through
    the driver (per message, SQLAlchemy's execution bookkeeping costs about as much as SQLite's own
    work). The driver's transaction is the connection's: begun by the UPDATE, ended by commit()."""

    def __init__(self, connection: Connection):
        self.driver = connection.connection.driver_connection
        (self.update, self.update_names, self.insert, self.insert_names, self.constants,
         self.moment) = _driver_statements(connection.dialect)

    def execute(self, outcomes: list[tuple], *, worker: str, now: datetime) -> list[str]:
        cursor = self.driver.cursor()
        results, attempts = [], []
        at = self.moment(now)
        for message, outcome, values, detail in outcomes:
            params = dict(self.constants, **values, m_worker=worker)
            params["m_next"], params["m_sent_at"] = self.moment(params["m_next"]), self.moment(params["m_sent_at"])
            cursor.execute(self.update, [params[name] for name in self.update_names])
            if cursor.rowcount != 1:
                results.append("lost")
                continue
            results.append(outcome)
            row = dict(a_message_id=message.id, a_at=at, a_worker=worker, a_outcome=outcome, a_detail=detail)
            attempts.append([row[name] for name in self.insert_names])
        if attempts:
            cursor.executemany(self.insert, attempts)
        cursor.close()
        return results


_compiled: dict[str, tuple] = {}


def _driver_statements(dialect) -> tuple:
    """_DriverWriter's SQL, compiled once per dialect (a simulation dispatches on every working day)."""
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


class _PostgresWriter:
    """PostgreSQL (psycopg): the outcome of the message just sent is recorded by one prepared
    statement (_RECORD_POSTGRES) sent through libpq's asynchronous calls without waiting for it
    (`start`), so the server runs it and flushes its WAL to disk while the SMTP server answers the
    next MAIL, RCPT and DATA; `finish` reads its result before that message's content leaves. (Waiting
    for BEGIN, the UPDATE, the INSERT and COMMIT's WAL flush in turn, four round trips to a server
    process competing for the same cores, cost three times the whole SMTP exchange.)

    It has a connection of its own, used through libpq only and outside any transaction block
    (psycopg, seeing a ROLLBACK on a connection where it prepared statements, deallocates them all),
    and reads the result of the statement in flight before the connection goes back to the pool."""

    # Prepared once per database session (it outlives this writer in the pool: created if missing).
    NAME = b"dondoc_record_outcome_" + hashlib.sha256(_RECORD_POSTGRES).hexdigest()[:12].encode()

    def __init__(self, engine: Engine):
        from psycopg import pq

        self.connection = engine.raw_connection()
        self.pgconn = self.connection.driver_connection.pgconn
        self.encoding = self.connection.driver_connection.info.encoding  # the session's client_encoding
        self.idle, self.command_ok = pq.TransactionStatus.IDLE, pq.ExecStatus.COMMAND_OK
        self.sqlstate = pq.DiagnosticField.SQLSTATE
        self.in_flight: list[tuple] | None = None
        prepared = self.pgconn.prepare(self.NAME, _RECORD_POSTGRES)
        if prepared.status != self.command_ok and prepared.error_field(self.sqlstate) != b"42P05":  # exists already
            self.connection.close()
            self._raise(prepared)

    def close(self) -> None:
        try:
            if self.in_flight is not None:
                self.finish()
        finally:
            self.connection.close()

    def _raise(self, result) -> None:
        import psycopg

        code = result.error_field(self.sqlstate) if result is not None else None
        message = result.get_error_message() if result is not None else "no result from PostgreSQL"
        raise psycopg.errors.lookup(code.decode())(message) if code else psycopg.OperationalError(message)

    def _text(self, value) -> bytes | None:
        """A parameter in PostgreSQL's text format (the statement casts it to its column's type)."""
        if value is None:
            return None
        return (value.isoformat() if isinstance(value, datetime) else str(value)).encode(self.encoding)

    def start(self, outcomes: list[tuple], *, worker: str, now: datetime) -> None:
        assert self.in_flight is None and len(outcomes) == 1, "one outcome at a time"
        assert self.pgconn.transaction_status == self.idle, "no transaction may be open on the connection"
        message, outcome, values, detail = outcomes[0]
        params = (values["m_id"], worker, values["m_status"], values["m_attempts"], values["m_sent_at"],
                  values["m_reply"], values["m_error"], values["m_next"], now, outcome, detail)
        self.pgconn.send_query_prepared(self.NAME, [self._text(v) for v in params])
        self.in_flight = outcomes
        socket_ = self.pgconn.socket
        while self.pgconn.flush():  # the connection is non-blocking: send what is left when it can
            readable, _, _ = wait_for_sockets([socket_], [socket_], [])
            if readable:
                self.pgconn.consume_input()

    def finish(self) -> list[str]:
        """Wait for the statement in flight; its outcome, or "lost" where our claim had expired."""
        outcomes, self.in_flight = self.in_flight, None
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
        return [outcome if results[-1].command_tuples == 1 else "lost" for _, outcome, _, _ in outcomes]


def _record(connection: Connection, outcomes: list[tuple], *, worker: str, now: datetime) -> list[str]:
    """Write attempts' outcomes in one committed transaction (tried again if SQLite is locked)."""

    def write() -> list[str]:
        with connection.begin():
            return _write(connection, outcomes, worker=worker, now=now)

    return retry_locked(write)


@dataclass
class _Batch:
    messages: list  # claimed, in id order, with what a transport sends
    claimed_at: datetime  # on the wall clock: the lease runs from here
    size: int  # how many were asked for
    after: int  # the claim read on from this id (0: from the start of the queue)


class _ClaimAhead:
    """PostgreSQL: the next batch is claimed in a thread, on a connection of its own, while this one
    is sent. A claim updates a whole batch's rows and commits: tens of milliseconds the SMTP server
    would otherwise wait for, ten times per 2,000 messages. What it claimed and was not sent (the
    dispatch ended early, or gave its claims back) is given back; after a crash it waits for the
    lease to expire, like the batch being sent."""

    def __init__(self, engine: Engine, claim, worker: str):
        self.connection = engine.connect()
        self.threads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dondoc-claim")
        self.claim, self.worker, self.next = claim, worker, None

    def start(self, *, size: int, after: int) -> None:
        self.next = self.threads.submit(self.claim, self.connection, size=size, after=after)

    def take(self) -> _Batch | None:
        next_, self.next = self.next, None
        return next_.result() if next_ is not None else None

    def give_back(self) -> None:
        batch = self.take()
        if batch is not None:
            _release(self.connection, [m.id for m in batch.messages], self.worker)

    def close(self) -> None:
        try:
            self.give_back()
        finally:
            self.threads.shutdown()
            self.connection.close()


def dispatch(engine: Engine, transport, *, now: datetime, policy: ReminderPolicy, wall_clock: Clock | None = None,
             lease: timedelta = timedelta(minutes=10), batch: int = 200, limit: int | None = None,
             only: list[int] | None = None, stop: Callable[[], bool] | None = None) -> DispatchReport:
    """Send every message that is due at `now`, batch by batch, over one transport connection.

    `now` is the application's time (it decides what is due and is recorded); claims use the
    wall clock, since a claim's expiry is about a process that died, not about the plan's calendar.
    `only` restricts it to these message ids (a sign-in link goes out at once, alone). `stop`, asked
    before each message: when it says yes, the dispatch ends there (the rest is given back to the queue).
    """
    wall_clock = wall_clock or SystemClock()
    worker = worker_name()
    report = DispatchReport()
    pending: list[tuple] = []  # the outcome of the message just sent, not yet committed
    written: list[list[str]] = []  # its statements' results, once run in a transaction not yet committed

    def tally(outcome: str, message, error: TransportError | None) -> None:
        if outcome == "sent":
            report.sent += 1
        elif outcome == "temporary":
            report.retrying += 1
        elif outcome == "permanent":
            report.failed += 1
        if error is not None and outcome != "lost":
            report.errors.append(f"{message.recipient_email}: {error}")

    def write(outcomes: list[tuple], connection: Connection) -> None:
        results = _record(connection, [(m, outcome, values, detail) for m, outcome, values, detail, _ in outcomes],
                          worker=worker, now=now)
        for (message, _, _, _, error), result in zip(outcomes, results):
            tally(result, message, error)

    def flush(final: bool = True) -> None:
        """Make the last outcome durable. The transport calls this while the server answers the
        next message's MAIL (final=False: the statements run; on PostgreSQL the one statement is
        sent, if it was not already) and once RCPT and DATA are accepted (final=True: the commit;
        on PostgreSQL its result is read), and in any case before that message's content leaves;
        so a crash can leave at most one message sent and not recorded."""
        if pending and not written and postgres is not None:
            postgres.start([p[:4] for p in pending], worker=worker, now=now)
            written.append([])  # its results come with finish()
        elif pending and not written:
            try:
                if driver is not None:
                    written.append(driver.execute([p[:4] for p in pending], worker=worker, now=now))
                else:
                    connection.begin()
                    written.append(_write(connection, [p[:4] for p in pending], worker=worker, now=now))
            except (OperationalError, sqlite3.OperationalError) as error:
                (driver.driver if driver is not None else connection).rollback()
                if not is_locked(error):
                    raise
                return write_now()  # waits for the lock, trying again
        if final and written and postgres is not None:
            written.pop()
            results = postgres.finish()
            for (message, _, _, _, error), result in zip(pending, results):
                tally(result, message, error)
            pending.clear()
        elif final and written:
            try:
                (driver.driver if driver is not None else connection).commit()
            except (OperationalError, sqlite3.OperationalError) as error:
                (driver.driver if driver is not None else connection).rollback()
                written.clear()
                if not is_locked(error):
                    raise
                return write_now()
            results = written.pop()
            for (message, _, _, _, error), result in zip(pending, results):
                tally(result, message, error)
            pending.clear()

    def write_now() -> None:
        done = pending.copy()
        pending.clear()
        write(done, connection)

    def done_count() -> int:
        return report.sent + report.retrying + report.failed + len(pending)

    # A transport whose sending can be repeated without a second copy reaching anyone (the .eml
    # folder: a message is always the same file) has its outcomes written once per batch.
    idempotent = getattr(transport, "idempotent", False)
    with transport as open_transport, engine.connect() as connection:
        driver = _DriverWriter(connection) if engine.dialect.name == "sqlite" else None
        # (a transport written to once per batch records its outcomes the plain way)
        postgres = _PostgresWriter(engine) if (engine.dialect.name, engine.dialect.driver) == (
            "postgresql", "psycopg") and not idempotent else None

        def claim(claiming: Connection, *, size: int, after: int) -> _Batch:
            claimed_at = wall_clock.now()
            return _Batch(_claim(engine, claiming, now=now, lease_until=claimed_at - lease, wall_now=claimed_at,
                                 worker=worker, batch=size, after=after, only=only), claimed_at, size, after)

        # PostgreSQL: the next batch is claimed while this one is sent. (SQLite has one writer at a
        # time: a claim in a thread would hold the lock the outcomes wait for.)
        ahead = None
        after = 0  # each claim reads on from the last message claimed before it
        try:
            if engine.dialect.name == "postgresql":
                ahead = _ClaimAhead(engine, claim, worker)
            while limit is None or done_count() < limit:
                flush()
                claimed = ahead.take() if ahead is not None else None
                if claimed is None:
                    claimed = claim(connection, size=batch if limit is None else min(batch, limit - done_count()),
                                    after=after)
                messages, claimed_at = claimed.messages, claimed.claimed_at
                # A short batch is the end of the queue; the dispatch ends with a claim from its start
                # that comes back short (as every claim was before `after`): it takes the claims that
                # expired meanwhile and the messages another dispatcher gave back.
                finished = len(messages) < claimed.size and not claimed.after
                after = messages[-1].id if len(messages) == claimed.size else 0
                if not messages:
                    if finished:
                        break
                    continue
                left = None if limit is None else limit - done_count() - len(messages)
                if ahead is not None and not finished and (left is None or left > 0):
                    ahead.start(size=batch if left is None else min(batch, left), after=after)  # the next claim
                for position, message in enumerate(messages):
                    if stop is not None and stop():
                        # Asked to stop (Ctrl-C): what was sent is recorded, the rest goes back to the queue.
                        flush()
                        _release(connection, [m.id for m in messages[position:]], worker)
                        report.interrupted = True
                        return report
                    if position and wall_clock.now() - claimed_at > lease / 2:
                        # Our claim is getting old: hand the rest back and claim afresh, so a slow
                        # server never lets another dispatcher take over messages we are still sending.
                        flush()
                        _release(connection, [m.id for m in messages[position:]], worker)
                        if ahead is not None:
                            ahead.give_back()
                        after = messages[position - 1].id
                        break
                    try:
                        reply, error = open_transport.send(message, None if idempotent else flush), None
                    except ConnectError as failure:
                        # No server at all: every message left in the batch stays queued for later.
                        flush()
                        rest = messages[position:]
                        write([(m, *_outcome(m, now=now, policy=policy, reply=None, error=failure), str(failure), None)
                               for m in rest], connection)
                        report.errors.append(f"{len(rest)} message(s) not sent: {failure}")
                        return report
                    except TransportError as failure:
                        reply, error = None, failure
                    if not idempotent:
                        flush()  # in case the transport failed before it called flush
                    outcome, values = _outcome(message, now=now, policy=policy, reply=reply, error=error)
                    pending.append((message, outcome, values, reply if error is None else str(error), error))
                    if postgres is not None:
                        flush(final=False)  # on its way now: its commit overlaps the next MAIL and RCPT
                else:
                    if finished:
                        break
            flush()
        finally:
            try:
                if ahead is not None:
                    ahead.close()
            finally:
                if postgres is not None:
                    postgres.close()
    return report
