"""SQLite allows one writer at a time: another process holding the write lock makes dondoc wait and
try again, never fail."""
import logging
import sqlite3
import threading
from collections import Counter
from datetime import date

import pytest
from sqlmodel import Session, select

from dondoc.app import jobs
from dondoc.app.context import AppContext
from models.outbox import Message, MessageStatus
from tests.conftest import ON_POSTGRES, Cli

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="about SQLite's single writer")


class Retries(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record):
        self.count += "database is locked" in record.getMessage()


class LockHolder(threading.Thread):
    """Another process's connection taking the write lock for `hold` seconds, again and again."""

    def __init__(self, path: str, hold: float, pause: float):
        super().__init__(daemon=True)
        self.path, self.hold, self.pause = path, hold, pause
        self.stop, self.times_held = threading.Event(), 0

    def run(self):
        connection = sqlite3.connect(self.path, isolation_level=None, timeout=60)
        try:
            while not self.stop.is_set():
                connection.execute("BEGIN IMMEDIATE")  # the write lock, as a writing process holds it
                self.times_held += 1
                self.stop.wait(self.hold)
                connection.execute("COMMIT")
                self.stop.wait(self.pause)
        finally:
            connection.close()


@pytest.mark.slow
def test_remind_rides_out_another_process_holding_the_write_lock_and_prints_no_error(loaded, settings, capfd):
    # Wait 0.2 s for the lock, not 30: the lock is held 0.5 s at a time, so dondoc meets
    # "database is locked" for real and has to try again.
    impatient = settings.model_copy(update={"sqlite_busy_timeout_seconds": 0.2})
    holder = LockHolder(settings.resolved_database_url.removeprefix("sqlite:///"), hold=0.5, pause=0.15)
    retries = Retries()
    logger = logging.getLogger("dondoc.db")
    logger.addHandler(retries)  # on the logger itself: Prefect replaces the root logger's handlers
    level, logger.level, logger.propagate = logger.level, logging.DEBUG, False  # counted here, not printed
    holder.start()
    try:
        result = Cli(impatient)("remind", "--today", "2016-01-15")
    finally:
        holder.stop.set()
        holder.join()
        logger.removeHandler(retries)
        logger.setLevel(level)
        logger.propagate = True
    printed = result.output + "".join(capfd.readouterr())  # Prefect's log handlers write to the real stderr
    assert result.exit_code == 0, printed
    assert "thư nhắc vào hàng đợi" in printed  # "digests queued" with DONDOC_LANGUAGE=en
    assert "locked" not in printed and "error" not in printed.lower(), printed
    assert holder.times_held > 1  # whether a write met the lock is up to timing: the test below makes sure
    context = AppContext(settings)
    try:
        with Session(context.engine) as session:
            statuses = Counter(session.exec(select(Message.status)))
    finally:
        context.close()
    assert set(statuses) == {MessageStatus.SENT} and statuses[MessageStatus.SENT] > 20


def test_queueing_meets_a_held_write_lock_waits_tries_again_and_succeeds(loaded, settings):
    impatient = settings.model_copy(update={"sqlite_busy_timeout_seconds": 0.1})
    context = AppContext(impatient)
    other = sqlite3.connect(settings.resolved_database_url.removeprefix("sqlite:///"), isolation_level=None,
                            check_same_thread=False)

    class ReleaseOnFirstRetry(Retries):
        """Another process holds the write lock until dondoc has met it once and said it will try again."""

        def emit(self, record):
            super().emit(record)
            if self.count == 1:
                other.execute("COMMIT")

    retries = ReleaseOnFirstRetry()
    logger = logging.getLogger("dondoc.db")
    logger.addHandler(retries)
    level, logger.level = logger.level, logging.DEBUG
    try:
        other.execute("BEGIN IMMEDIATE")
        queued = jobs.queue_reminders(context, date(2016, 1, 15)).queued
    finally:
        logger.removeHandler(retries)
        logger.setLevel(level)
        other.close()
        context.close()
    assert retries.count == 1
    assert queued > 0
