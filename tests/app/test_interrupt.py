"""Ctrl-C on a real `dondoc simulate` process: it stops soon, keeps what it committed, gives the
outbox's claims back, says what was done and how to go on, and exits 130."""
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

from models.outbox import Message, MessageStatus

ROOT = Path(__file__).resolve().parents[2]


def _daily_messages(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Message).where(Message.kind == "daily")).one()


def test_ctrl_c_stops_a_running_simulation_keeping_the_days_done_and_exits_130(loaded, settings, engine):
    env = dict(os.environ, DONDOC_DATABASE_URL=settings.resolved_database_url, DONDOC_DATA_DIR=str(settings.data_dir),
               DONDOC_LANGUAGE="en", PYTHONPATH=str(ROOT))
    env.pop("DONDOC_TODAY", None)
    process = subprocess.Popen([sys.executable, "-m", "dondoc.cli", "simulate", "--from", "01/01/2015", "--to", "31/12/2020"],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while _daily_messages(engine) == 0:  # the days have started (the Prefect server took its time)
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the simulation never started"
            time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        signalled = time.monotonic()
        said = []  # when each line of stderr came: the report of what was done, then the exit
        reader = threading.Thread(target=lambda: said.extend((time.monotonic(), line) for line in process.stderr))
        reader.start()
        stdout = process.stdout.read()
        process.wait(timeout=60)
        ended = time.monotonic()
        reader.join(timeout=10)
        stderr = "".join(line for _, line in said)
        took = ended - signalled
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    # The days stop at once and Prefect closes its run: about a second at rest (bench/cli.py measures it);
    # generous here, for a loaded machine.
    assert took < 15, f"{took:.1f} s from Ctrl-C to exit"
    # Once it has said what was done it leaves (dondoc.app.interrupt.exit_now): not seconds later, after
    # Prefect's queues drain and the heap is freed. A gap the load cannot stretch much: no work is left.
    reported = next(at for at, line in said if "Stopped (Ctrl-C)" in line)
    assert ended - reported < 1.0, f"{ended - reported:.2f} s from the report to the exit"
    assert "Traceback" not in stderr and "Crash detected" not in stderr, stderr
    assert "Stopped (Ctrl-C): the days 01/01/2015 → " in stderr, stderr
    last_day = stderr.split("the days 01/01/2015 → ", 1)[1].split()[0]
    assert "to go on: dondoc simulate --from " in stderr and "--to 31/12/2020" in stderr
    assert f"Simulated 01/01/2015 → 31/12/2020: " in stdout
    # What was committed stays, nothing after the last day reported; no message left claimed.
    day, month, year = (int(x) for x in last_day.split("/"))
    with Session(engine) as session:
        latest = session.exec(select(func.max(Message.send_date)).where(Message.kind == "daily")).one()
        claimed = session.exec(select(func.count()).select_from(Message).where(Message.status == MessageStatus.SENDING)).one()
    assert latest is not None and (latest.year, latest.month, latest.day) <= (year, month, day)
    assert (year, month, day) < (2020, 12, 31)  # it did stop
    assert claimed == 0


def test_a_dispatch_asked_to_stop_records_what_it_sent_and_gives_the_rest_back_due_at_once(settings, engine, tmp_path):
    """What Ctrl-C does to a delivery (dondoc.app.interrupt.requested is the `stop` the jobs pass)."""
    from datetime import date

    from dondoc.app import jobs
    from dondoc.app.context import AppContext
    from models.clock import FixedClock
    from notifications.dispatch import dispatch
    from notifications.transports import FileTransport
    from tests.conftest import at_vn
    from tests.outbox_support import fill_outbox

    now = at_vn(date(2016, 1, 15))
    fill_outbox(engine, 30, now=now)
    policy = jobs.load_policy(AppContext(settings)).reminders
    transport = FileTransport(tmp_path / "outbox", "Dondoc <dondoc@example.org>")
    sent_so_far = []
    original_send = transport.send

    def send(message, flush):
        sent_so_far.append(message.id)
        return original_send(message, flush)

    transport.send = send
    report = dispatch(engine, transport, now=now, policy=policy, batch=50, wall_clock=FixedClock(now),
                      stop=lambda: len(sent_so_far) >= 12)  # Ctrl-C after the twelfth message
    assert report.interrupted and report.sent == 12
    with Session(engine) as session:
        statuses = [m.status for m in session.exec(select(Message))]
    assert statuses.count(MessageStatus.SENT) == 12 and statuses.count(MessageStatus.QUEUED) == 18
    assert MessageStatus.SENDING not in statuses  # no claim left to expire: the next run sends them at once
    again = dispatch(engine, FileTransport(tmp_path / "outbox", "Dondoc <dondoc@example.org>"), now=now, policy=policy,
                     wall_clock=FixedClock(now))
    assert again.sent == 18 and len(list((tmp_path / "outbox").rglob("*.eml"))) == 30
