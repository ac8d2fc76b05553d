"""The dispatcher: nothing lost, nothing sent twice, even with two at once or after a crash."""
import asyncio
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from sqlalchemy import update
from sqlmodel import Session, select

from dondoc.app import jobs
from dondoc.app.context import AppContext
from models.clock import FixedClock
from models.outbox import DeliveryAttempt, Message, MessageStatus
from tests.conftest import at_vn, requires_postgres
from notifications.dispatch import dispatch
from notifications.transports import FileTransport, SmtpTransport
from tests.outbox_support import ConnectionMailbox, DispatcherForks, dispatcher_process, fill_outbox, start_server
from tests.review_support import start_smtp


def queued_day(loaded, settings):
    """15/01/2016's digests queued, not yet sent."""
    context = AppContext(settings)
    swept = jobs.queue_reminders(context, date(2016, 1, 15))
    assert swept.queued > 20
    return context, swept.queued


def test_two_dispatchers_at_once_send_every_message_exactly_once(loaded, settings):
    controller, box = start_smtp()
    smtp_settings = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": controller.port})
    context, queued = queued_day(loaded, smtp_settings)
    policy = jobs.load_policy(context)
    now = jobs.sending_time(date(2016, 1, 15), policy)
    reports = []

    def run():
        reports.append(dispatch(context.engine, SmtpTransport(smtp_settings), now=now, policy=policy.reminders,
                                batch=5))

    try:
        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        controller.stop()
        context.close()
    assert sum(r.sent for r in reports) == queued
    ids = Counter(m.to[0] for m in box.messages)
    assert len(box.messages) == queued and max(ids.values()) == 1


def test_a_message_whose_dispatcher_died_mid_send_is_sent_again_with_the_same_message_id(loaded, settings):
    controller, box = start_smtp()
    smtp_settings = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": controller.port})
    context, queued = queued_day(loaded, smtp_settings)
    policy = jobs.load_policy(context)
    now = jobs.sending_time(date(2016, 1, 15), policy)
    wall = FixedClock(at_vn(date(2026, 11, 27), 9, 0))  # claims expire in real time, not plan time
    try:
        with Session(context.engine) as session:
            first = session.exec(select(Message).order_by(Message.id)).first()
            first_id, first_to, first_mid = first.id, first.recipient_email.lower(), first.message_id
            # As a dispatcher killed after claiming leaves it: "sending", claimed long ago.
            session.exec(update(Message).where(Message.id == first_id).values(
                status=MessageStatus.SENDING, claimed_by="dead:1", claimed_at=wall.now() - timedelta(hours=1)))
            session.commit()
        fresh = dispatch(context.engine, SmtpTransport(smtp_settings), now=now, policy=policy.reminders,
                         lease=timedelta(hours=2), wall_clock=wall)
        assert fresh.sent == queued - 1, "a live claim is left alone"
        recovered = dispatch(context.engine, SmtpTransport(smtp_settings), now=now, policy=policy.reminders,
                             lease=timedelta(minutes=10), wall_clock=wall)
        assert recovered.sent == 1
        with Session(context.engine) as session:
            assert session.get(Message, first_id).status == MessageStatus.SENT
        resent = [m for m in box.messages if first_to in m.to]
        assert len(resent) == 1 and resent[0].message_id == first_mid
    finally:
        controller.stop()
        context.close()


# --- crashes: a real dispatcher process, killed ----------------------------------------------

KILLS = 20


@pytest.mark.slow
def test_a_dispatcher_killed_20_times_at_random_points_loses_nothing_and_repeats_only_the_message_in_flight(
        settings, engine):
    box = ConnectionMailbox()
    controller = start_server(box)
    now = at_vn(date(2016, 1, 15))
    ids = fill_outbox(engine, 300, now=now)
    lease = 60
    smtp_settings = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": controller.port,
                                                "dispatch_lease_seconds": lease})
    rng = random.Random(8)
    forks = DispatcherForks(smtp_settings, now=now)
    try:
        for kill in range(KILLS):
            # Each run's wall clock is a lease past the last one's: the dead claims have expired.
            pid = forks.start(wall_offset=kill * (lease + 1), batch=rng.choice([5, 20, 200]))
            target = len(box.messages) + rng.randint(0, 20)
            while len(box.messages) < target:
                time.sleep(0.0005)
            time.sleep(rng.uniform(0, 0.004))
            os.kill(pid, signal.SIGKILL)
            status, _ = forks.wait(pid)
            assert status == -signal.SIGKILL, "killed while it still had mail to send"
        survivor = forks.start(wall_offset=KILLS * (lease + 1))
        status, printed = forks.wait(survivor)
        assert status == 0, printed
    finally:
        forks.close()
        controller.stop()
    delivered = Counter(m.message_id for m in box.messages)
    assert set(delivered) == set(ids), "every message arrived"
    with Session(engine) as session:
        statuses = Counter(session.exec(select(Message.status)))
    assert statuses == {MessageStatus.SENT: len(ids)}
    # Each dispatcher process sent over one connection of its own. A message that came again later
    # was sent and not yet recorded when its process died: at most one per process killed.
    later = Counter()
    seen_after = set()
    for message, connection in reversed(list(zip(box.messages, box.connections))):
        if message.message_id in seen_after:
            later[connection] += 1
        seen_after.add(message.message_id)
    assert len(set(box.connections)) <= KILLS + 1
    assert max(later.values(), default=0) <= 1, "one message in flight per killed process, no more"
    assert max(delivered.values()) <= 2 and sum(later.values()) == sum(n - 1 for n in delivered.values())


# --- concurrency: four processes on one PostgreSQL outbox -------------------------------------

class Gate(ConnectionMailbox):
    """Holds its first answers to DATA until `parties` connections are sending (or `deadline` s),
    so that every process is in the middle of its work at the same time."""

    def __init__(self, parties: int, deadline: float):
        super().__init__()
        self.parties, self.deadline, self.peers, self.open = parties, deadline, set(), None

    async def handle_DATA(self, server, session, envelope):
        if self.open is None:
            self.open = asyncio.Event()
        self.peers.add(session.peer)
        if len(self.peers) >= self.parties:
            self.open.set()
        try:
            await asyncio.wait_for(self.open.wait(), self.deadline)
        except TimeoutError:
            self.open.set()
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.slow
@pytest.mark.postgres
@requires_postgres
def test_two_dispatchers_and_two_remind_runs_at_once_send_3000_messages_each_exactly_once(settings, engine, tmp_path):
    box = Gate(parties=4, deadline=90)
    controller = start_server(box)
    now = jobs.sending_time(date(2016, 1, 15), jobs.load_policy(AppContext(settings)))
    ids = fill_outbox(engine, 3000, now=now)
    smtp = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": controller.port,
                                       "smtp_timeout_seconds": 120})
    dondoc = Path(sys.executable).parent / "dondoc"
    try:
        processes = [dispatcher_process(smtp, now=now) for _ in range(2)]
        for n in range(2):
            env = dict(os.environ, DONDOC_DATABASE_URL=smtp.resolved_database_url, DONDOC_SMTP_HOST="127.0.0.1",
                       DONDOC_SMTP_PORT=str(controller.port), DONDOC_SMTP_TIMEOUT_SECONDS="120",
                       DONDOC_DATA_DIR=str(tmp_path / f"remind{n}"))
            env.pop("PREFECT_API_URL", None)
            processes.append(subprocess.Popen([dondoc, "remind", "--today", "2016-01-15"], env=env,
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        outputs = [p.communicate(timeout=240) for p in processes]
    finally:
        controller.stop()
    for process, (out, err) in zip(processes, outputs):
        assert process.returncode == 0, out + err
    delivered = Counter(m.message_id for m in box.messages)
    assert set(delivered) == set(ids) and max(delivered.values()) == 1, "each exactly once"
    with Session(engine) as session:
        assert Counter(session.exec(select(Message.status))) == {MessageStatus.SENT: 3000}
        workers = Counter(w.split(":")[1] for w in session.exec(select(DeliveryAttempt.worker)))
    assert sum(workers.values()) == 3000
    assert {str(p.pid) for p in processes} == set(workers), "all four processes sent some of it"


class _FolderThatDies(FileTransport):
    """The local outbox folder, in a process that dies after writing `files` messages."""

    def __init__(self, folder, files: int):
        super().__init__(folder, "Dondoc <dondoc@example.org>")
        self.left = files

    def send(self, message, wait=None):
        if self.left == 0:
            raise SystemExit("killed")  # nothing after this point runs, as after a SIGKILL
        self.left -= 1
        return super().send(message, wait)


def test_the_local_outbox_folder_killed_mid_batch_ends_with_one_file_per_message(settings, engine, tmp_path):

    now = at_vn(date(2016, 1, 15))
    message_ids = fill_outbox(engine, 120, now=now)
    policy = jobs.load_policy(AppContext(settings)).reminders
    folder = tmp_path / "outbox"
    with pytest.raises(SystemExit):
        dispatch(engine, _FolderThatDies(folder, 75), now=now, policy=policy, batch=50, wall_clock=FixedClock(now))
    written_before = sorted(p.name for p in folder.rglob("*.eml"))
    assert len(written_before) == 75
    with Session(engine) as session:  # the second batch's outcomes were never written
        assert len(session.exec(select(Message).where(Message.status == MessageStatus.SENT)).all()) == 50

    later = FixedClock(at_vn(date(2016, 1, 15), 9))  # past the dead process's lease
    report = dispatch(engine, FileTransport(folder, "Dondoc <dondoc@example.org>"), now=now, policy=policy,
                      wall_clock=later, lease=timedelta(minutes=10))
    assert report.sent == 70 and not report.errors
    files = sorted(folder.rglob("*.eml"))
    assert len(files) == 120 and set(written_before) <= {p.name for p in files}
    assert sorted(f.read_bytes().split(b"Message-ID: ")[1].split(b"\r\n")[0].decode() for f in files) == sorted(message_ids)
    with Session(engine) as session:
        assert {m.status for m in session.exec(select(Message))} == {MessageStatus.SENT}
        assert len(session.exec(select(DeliveryAttempt)).all()) == 120


# --- what is recorded when: watched from the server's side --------------------------------------

class RecordWatcher(ConnectionMailbox):
    """A mailbox that, each time a message's content has come in (before it answers 250), reads the
    outbox through a connection of its own: which of the messages it took earlier are not yet
    recorded as sent. `steal`: a Message-ID whose claim another dispatcher takes over while it is
    being sent (as when a lease expired), so the sender's compare-and-set must fail."""

    def __init__(self, engine, steal: str | None = None):
        super().__init__()
        self.engine, self.steal, self.unrecorded = engine, steal, []

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        taken_before = {m.message_id for m in self.messages[:-1]}
        with Session(self.engine) as session_:
            statuses = dict(session_.exec(select(Message.message_id, Message.status)
                                          .where(Message.message_id.in_(taken_before))).all())
            self.unrecorded.append(sorted(mid for mid in taken_before if statuses[mid] != MessageStatus.SENT))
            if self.messages[-1].message_id == self.steal:
                session_.exec(update(Message).where(Message.message_id == self.steal)
                              .values(claimed_by="another:1", status=MessageStatus.SENDING))
                session_.commit()
        return reply


def dispatch_to_a_local_server(settings, engine, mailbox, *, now, batch: int):
    """One dispatch of what is queued to an SMTP server on loopback that hands what it gets to `mailbox`."""
    controller = start_server(mailbox)
    smtp = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": controller.port})
    try:
        return dispatch(engine, SmtpTransport(smtp), now=now, policy=jobs.load_policy(AppContext(smtp)).reminders,
                        batch=batch)
    finally:
        controller.stop()


def test_when_the_server_takes_a_message_every_message_it_took_before_is_already_recorded_as_sent(
        settings, engine):
    now = at_vn(date(2016, 1, 15))
    ids = fill_outbox(engine, 60, now=now)
    box = RecordWatcher(engine)
    report = dispatch_to_a_local_server(settings, engine, box, now=now, batch=25)
    assert report.sent == len(ids) and [m.message_id for m in box.messages] == ids
    # At most one message (the one the server is taking) is ever sent and not yet recorded.
    assert box.unrecorded == [[]] * len(ids)
    with Session(engine) as session:
        assert Counter(session.exec(select(DeliveryAttempt.outcome))) == {"sent": len(ids)}


def test_a_message_whose_claim_another_dispatcher_took_over_mid_send_is_left_to_it_and_not_recorded_as_ours(
        settings, engine):
    now = at_vn(date(2016, 1, 15))
    ids = fill_outbox(engine, 5, now=now)
    box = RecordWatcher(engine, steal=ids[2])
    controller = start_server(box)
    smtp = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": controller.port})
    try:
        report = dispatch(engine, SmtpTransport(smtp), now=now, policy=jobs.load_policy(AppContext(smtp)).reminders)
    finally:
        controller.stop()
    assert report.sent == 4 and not report.errors and len(box.messages) == 5
    with Session(engine) as session:
        stolen = session.exec(select(Message).where(Message.message_id == ids[2])).one()
        assert (stolen.status, stolen.claimed_by, stolen.attempts) == (MessageStatus.SENDING, "another:1", 0)
        assert session.exec(select(DeliveryAttempt).where(DeliveryAttempt.message_id == stolen.id)).all() == []
        assert Counter(session.exec(select(Message.status))) == {MessageStatus.SENT: 4, MessageStatus.SENDING: 1}


def statements_of_a_dispatch(settings, engine, *, messages: int, batch: int) -> tuple[list[str], list[str]]:
    """Dispatch `messages` queued messages to a local SMTP server in batches of `batch`, checking
    every one arrived; their Message-IDs and the SQL the dispatch ran."""
    from sqlalchemy import event

    now = at_vn(date(2016, 1, 15))
    ids = fill_outbox(engine, messages, now=now)
    box = ConnectionMailbox()
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        report = dispatch_to_a_local_server(settings, engine, box, now=now, batch=batch)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert report.sent == len(ids) == len(box.messages)
    return ids, statements


def test_the_dispatcher_writes_each_outcome_beside_the_orm_so_sqlalchemy_runs_a_few_statements_per_batch_not_per_message(
        settings, engine):
    """Per message, SQLAlchemy's execution costs about as much as the database's own work, and on
    PostgreSQL each of its statements was a round trip of its own (BEGIN, UPDATE, INSERT, COMMIT):
    the outcomes go through the driver (SQLite) or libpq (PostgreSQL, one statement each)."""
    ids, statements = statements_of_a_dispatch(settings, engine, messages=100, batch=25)
    batches = len(ids) // 25 + 1  # the last claim finds nothing
    assert len(statements) <= 4 * batches, statements


# --- the claim --------------------------------------------------------------------------------

class ClockThatMovesOn:
    """The wall clock standing still for the first `calls` readings, then `later`."""

    def __init__(self, start, later, calls: int):
        self.start, self.later, self.calls = start, later, calls

    def now(self):
        self.calls -= 1
        return self.start if self.calls >= 0 else self.later


def test_a_claim_that_expires_while_the_dispatcher_works_through_the_queue_is_sent_before_it_finishes(
        settings, engine):
    """Each claim reads on from the last message claimed; the dispatch still ends with a claim from
    the start of the queue, which takes a dead dispatcher's message whose lease ran out meanwhile."""
    now = at_vn(date(2016, 1, 15))
    ids = fill_outbox(engine, 60, now=now)
    wall = at_vn(date(2026, 11, 27), 9, 0)
    with Session(engine) as session:
        first = session.exec(select(Message).order_by(Message.id)).first()
        session.exec(update(Message).where(Message.id == first.id).values(
            status=MessageStatus.SENDING, claimed_by="dead:1", claimed_at=wall - timedelta(minutes=9, seconds=30)))
        session.commit()
    box = ConnectionMailbox()
    controller = start_server(box)
    smtp = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": controller.port})
    try:
        report = dispatch(engine, SmtpTransport(smtp), now=now, policy=jobs.load_policy(AppContext(smtp)).reminders,
                          batch=25, lease=timedelta(minutes=10),
                          wall_clock=ClockThatMovesOn(wall, wall + timedelta(minutes=1), calls=5))
    finally:
        controller.stop()
    assert report.sent == 60 and not report.errors
    assert sorted(m.message_id for m in box.messages) == sorted(ids)
    assert box.messages[-1].message_id == ids[0], "taken last, once its lease had run out"
    with Session(engine) as session:
        assert Counter(session.exec(select(Message.status))) == {MessageStatus.SENT: 60}


def test_the_claim_reads_the_due_messages_in_id_order_from_an_index_of_the_claimable_ones_only(engine):
    """On PostgreSQL every message sent leaves dead entries in an index of its status until a VACUUM:
    a claim that scanned (status, next_attempt_at) visited every message ever queued. The claim's
    condition repeats ix_message_claimable's word for word, which SQLite needs to use a partial index."""
    from sqlalchemy import text as sql
    from notifications.dispatch import _candidates, _due

    now = at_vn(date(2016, 1, 15))
    fill_outbox(engine, 30, now=now)
    claim = _candidates(_due(now, now - timedelta(minutes=10)), after=10, batch=5, only=None)
    compiled = claim.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(sql("SET LOCAL enable_seqscan = off"))  # a table this small is read whole
            plan = "\n".join(connection.execute(sql(f"EXPLAIN {compiled}")).scalars())
        else:
            plan = "\n".join(row[-1] for row in connection.execute(sql(f"EXPLAIN QUERY PLAN {compiled}")))
        assert "ix_message_claimable" in plan, plan
        assert [row.id for row in connection.execute(claim)] == list(range(11, 16))


@requires_postgres
def test_on_postgresql_a_batch_is_claimed_and_read_in_one_statement(settings, engine):
    """The claim (FOR UPDATE SKIP LOCKED, compare-and-set) and the read of what is sent were four
    statements in two transactions, each a round trip (and a ping, as the pool checked a connection out)."""
    ids, statements = statements_of_a_dispatch(settings, engine, messages=100, batch=25)
    claims = [s for s in statements if "FOR UPDATE SKIP LOCKED" in s]
    assert len(claims) == len(statements), statements  # the outcomes go through libpq
    assert len(claims) <= len(ids) // 25 + 2  # the batches, the end of the queue, its start again


class AheadWatcher(ConnectionMailbox):
    """A mailbox that, when the message `at` comes in, reads (through a connection of its own) the
    status of the messages `then` (waiting up to 5 s for them to change)."""

    def __init__(self, engine, at: str, then: list[str]):
        super().__init__()
        self.engine, self.at, self.then, self.seen = engine, at, then, None

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        if self.messages[-1].message_id == self.at:
            for _ in range(100):
                with Session(self.engine) as session_:
                    self.seen = Counter(session_.exec(select(Message.status).where(Message.message_id.in_(self.then))))
                if self.seen.get(MessageStatus.SENDING) == len(self.then):
                    break
                await asyncio.sleep(0.05)
        return reply


@requires_postgres
def test_on_postgresql_the_next_batch_is_claimed_while_this_one_is_sent(settings, engine):
    """A claim updates a whole batch and commits; the SMTP server need not wait for it."""
    now = at_vn(date(2016, 1, 15))
    ids = fill_outbox(engine, 60, now=now)
    box = AheadWatcher(engine, at=ids[10], then=ids[25:50])
    report = dispatch_to_a_local_server(settings, engine, box, now=now, batch=25)
    assert report.sent == 60 and [m.message_id for m in box.messages] == ids
    assert box.seen == {MessageStatus.SENDING: 25}, "the second batch was claimed during the first"


def test_a_dispatcher_that_stops_mid_batch_leaves_claimed_only_the_batch_it_was_sending(settings, engine, tmp_path):
    """On PostgreSQL the next batch may already be claimed: it goes back to the queue at once
    rather than waiting for its lease to expire."""
    now = at_vn(date(2016, 1, 15))
    fill_outbox(engine, 120, now=now)
    policy = jobs.load_policy(AppContext(settings)).reminders
    with pytest.raises(SystemExit):
        dispatch(engine, _FolderThatDies(tmp_path / "outbox", 75), now=now, policy=policy, batch=50,
                 wall_clock=FixedClock(now))
    with Session(engine) as session:
        statuses = Counter(session.exec(select(Message.status)))
    assert statuses == {MessageStatus.SENT: 50, MessageStatus.SENDING: 50, MessageStatus.QUEUED: 20}
