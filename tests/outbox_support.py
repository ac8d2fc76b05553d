"""Helpers for the dispatcher's fault, crash and concurrency tests: an outbox filled without a plan,
a dispatcher in a process of its own, SMTP servers on loopback that misbehave on cue.

Run as a program, this module is that dispatcher process:

    python -m tests.outbox_support --now 2016-01-15T08:00:00+07:00 [--batch N] [--wall-offset S]

It reads its settings from the environment (DONDOC_DATABASE_URL, DONDOC_SMTP_HOST, DONDOC_SMTP_PORT,
DONDOC_DISPATCH_LEASE_SECONDS, ...), prints "ready <pid>" once everything is imported, dispatches
everything due, and prints its report as JSON. `--wall-offset` moves its wall clock that many
seconds into the future: the claims of a process killed before are then expired, without waiting
for the lease in real time.

With `--forks` it imports once and then, for each line "<wall offset> <batch>" on its stdin, forks
a dispatcher process (a fresh process with its own database connections: it prints
"ready <pid>", dispatches, prints its report) and prints "exit <pid> <status>" when it ends. A
test can kill those processes twenty times without paying Python's start-up twenty times.
"""
import argparse
import asyncio
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from aiosmtpd.controller import Controller

from tests.review_support import Mailbox, free_port

ROOT = Path(__file__).resolve().parents[1]


def fill_outbox(engine, count: int, *, now: datetime, names: list[str] | None = None,
                mail_from: str = "Dondoc <dondoc@example.org>") -> list[str]:
    """Queue `count` small messages (to person<n>@example.org, or to `names`) in one statement;
    their Message-IDs in order. The MIME is a plain text part written out here (building 3,000
    with the `emails` library takes seconds, and these tests are about delivery, not content)."""
    from email.utils import format_datetime

    from sqlalchemy import insert, select

    from models.outbox import Message, MessageContent, MessageStatus
    from notifications.outbox import message_id_for

    addresses = names or [f"person{n:04d}@example.org" for n in range(count)]
    rows, contents = [], []
    for n, address in enumerate(addresses):
        key, subject = f"test|{address}|{n}", f"Nhắc việc {n}"
        message_id = message_id_for(key, mail_from)
        rows.append(dict(key=key, kind="daily", recipient_email=address, recipient_name=f"Người nhận {n}",
                         language="vi", send_date=now.date(), subject=subject, message_id=message_id,
                         status=MessageStatus.QUEUED, next_attempt_at=now, created_at=now))
        contents.append(dict(raw=(f"From: {mail_from}\r\nTo: {address}\r\nSubject: Nhac viec {n}\r\n"
                                  f"Message-ID: {message_id}\r\nDate: {format_datetime(now)}\r\nX-Dondoc-Kind: daily\r\n"
                                  f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                                  f"Noi dung {n}\r\n").encode()))
    with engine.begin() as connection:
        connection.execute(insert(Message), rows)
        ids = dict(connection.execute(select(Message.key, Message.id).where(Message.key.in_([r["key"] for r in rows]))).all())
        connection.execute(insert(MessageContent), [dict(content, message_id=ids[row["key"]])
                                                    for row, content in zip(rows, contents)])
    return [row["message_id"] for row in rows]


def dispatcher_process(settings, *, now: datetime, batch: int = 200, wall_offset: float = 0,
                       forks: bool = False, extra_env: dict | None = None) -> subprocess.Popen:
    """Start `python -m tests.outbox_support` with these settings; its stdout is a pipe."""
    env = dict(os.environ, DONDOC_DATABASE_URL=settings.resolved_database_url,
               DONDOC_DATA_DIR=str(settings.data_dir), DONDOC_SMTP_HOST=settings.smtp_host,
               DONDOC_SMTP_PORT=str(settings.smtp_port), DONDOC_MAIL_FROM=settings.resolved_mail_from,
               DONDOC_DISPATCH_LEASE_SECONDS=str(settings.dispatch_lease_seconds),
               DONDOC_SMTP_TIMEOUT_SECONDS=str(settings.smtp_timeout_seconds),
               PYTHONPATH=str(ROOT), **(extra_env or {}))
    return subprocess.Popen([sys.executable, "-m", "tests.outbox_support", "--now", now.isoformat(),
                             "--batch", str(batch), "--wall-offset", str(wall_offset)] + (["--forks"] if forks else []),
                            cwd=ROOT, env=env, stdin=subprocess.PIPE if forks else None, stdout=subprocess.PIPE,
                            text=True)


def wait_until_ready(process: subprocess.Popen) -> int:
    """The pid of the dispatcher once it is about to dispatch."""
    line = process.stdout.readline()
    assert line.startswith("ready "), f"the dispatcher process did not start: {line!r}"
    return int(line.split()[1])


class DispatcherForks:
    """`python -m tests.outbox_support --forks`: dispatcher processes forked on demand."""

    def __init__(self, settings, *, now: datetime):
        self.process = dispatcher_process(settings, now=now, forks=True)

    def start(self, *, wall_offset: float = 0, batch: int = 200) -> int:
        self.process.stdin.write(f"{wall_offset} {batch}\n")
        self.process.stdin.flush()
        return wait_until_ready(self.process)

    def wait(self, pid: int) -> tuple[int, list[str]]:
        """The exit status of dispatcher `pid` (negative: killed by that signal) and what it printed."""
        lines = []
        for line in self.process.stdout:
            if line.startswith(f"exit {pid} "):
                return int(line.split()[2]), lines
            lines.append(line)
        raise AssertionError(f"the fork server ended before dispatcher {pid}: {lines}")

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(10)


class ShiftedClock:
    """The real clock, `offset` ahead."""

    def __init__(self, offset: timedelta):
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset


# --- SMTP servers on loopback ---------------------------------------------------------------

class ConnectionMailbox(Mailbox):
    """A Mailbox that also notes which connection (the client's address and port) each message came by."""

    def __init__(self):
        super().__init__()
        self.connections: list[tuple] = []

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        self.connections.append(session.peer)
        return reply


def start_server(handler) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller


def close_after_reply(server) -> None:
    """Close the connection once the reply being returned has been written (as a server that
    answers 421 does)."""
    asyncio.get_running_loop().call_soon(server.transport.close)


def drop_now(server) -> None:
    """Drop the connection at once: no reply to what the client just sent."""
    server.transport.abort()


def run_dispatcher(*, now: datetime, batch: int, wall_offset: float) -> None:
    from config.policy import ReminderPolicy
    from config.settings import Settings
    from models.db import make_engine
    from notifications.dispatch import dispatch
    from notifications.transports import transport_for

    settings = Settings()
    engine = make_engine(settings.resolved_database_url)
    print(f"ready {os.getpid()}", flush=True)
    report = dispatch(engine, transport_for(settings), now=now, policy=ReminderPolicy(),
                      wall_clock=ShiftedClock(timedelta(seconds=wall_offset)),
                      lease=timedelta(seconds=settings.dispatch_lease_seconds), batch=batch)
    print(json.dumps(dict(sent=report.sent, retrying=report.retrying, failed=report.failed,
                          errors=report.errors, pid=os.getpid())), flush=True)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--now", type=datetime.fromisoformat, required=True)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--wall-offset", type=float, default=0)
    parser.add_argument("--forks", action="store_true")
    args = parser.parse_args()
    if not args.forks:
        run_dispatcher(now=args.now, batch=args.batch, wall_offset=args.wall_offset)
        return
    import notifications.dispatch  # noqa: F401  (imported once, before forking)
    import notifications.transports  # noqa: F401
    for line in sys.stdin:
        wall_offset, batch = line.split()
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            try:
                run_dispatcher(now=args.now, batch=int(batch), wall_offset=float(wall_offset))
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        print(f"exit {pid} {os.waitstatus_to_exitcode(status)}", flush=True)


if __name__ == "__main__":
    main()
