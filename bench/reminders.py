"""Reminder benchmarks, measured in one run on this machine (issue 4, "Benchmark").

    .venv/bin/python bench/reminders.py [--occurrences 1000000] [--messages 1000] [--today 2018-06-13] [--only a|b]

(a) Digests per second through the dispatcher (SmtpTransport) to a local aiosmtpd server, against
    raw smtplib sending the same pre-built bytes over one reused connection (the transport's
    ceiling). Median of 3 runs each, fresh messages queued for every run. Target ratio >= 0.7.
(b) The daily sweep (plan_daily_digests) over ~1,000,000 occurrences in SQLite, against the bare
    indexed SQL query selecting the same due rows. Target <= 3x and under 10 s.

Prints a table and appends it to BENCHMARKS.md at the repository root. Loopback only.
"""
import argparse
import multiprocessing
import os
import platform
import random
import resource
import smtplib
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from email.utils import parseaddr
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from config import CONFIG_DIR  # noqa: E402
from config.files import read_agency_file  # noqa: E402
from config.policy import read_policy  # noqa: E402
from config.settings import Settings  # noqa: E402
from models.agency import Agency, FocalPoint  # noqa: E402
from models.clock import VN_TZ  # noqa: E402
from models.db import make_engine, migrate, transaction  # noqa: E402
from models.loading import load_agencies  # noqa: E402
from models.occurrence import Occurrence  # noqa: E402
from models.outbox import Message, MessageContent  # noqa: E402
from models.plan import Plan, Task, TaskCoordinator  # noqa: E402
from models.reminders import lookahead_days  # noqa: E402
from models.workdays import WorkCalendar  # noqa: E402
from notifications.daily import Item, PlannedDigest, plan_daily_digests, queue_daily_reminders, task_link  # noqa: E402
from notifications.dispatch import dispatch  # noqa: E402
from notifications.outbox import enqueue  # noqa: E402
from notifications.render import render  # noqa: E402
from notifications.transports import SmtpTransport  # noqa: E402

BASE_URL = "http://127.0.0.1:8000"
MAIL_FROM = "Dondoc <dondoc@example.org>"
TITLES = [
    "Rà soát, đánh giá tình hình hoạt động của các hợp tác xã trên địa bàn",
    "Hướng dẫn các hợp tác xã xây dựng phương án sản xuất, kinh doanh",
    "Tổ chức tập huấn, bồi dưỡng cán bộ quản lý hợp tác xã",
    "Hỗ trợ hợp tác xã tiếp cận nguồn vốn tín dụng ưu đãi",
    "Báo cáo sơ kết tình hình thực hiện kế hoạch phát triển kinh tế tập thể",
    "Xây dựng mô hình hợp tác xã kiểu mới gắn với chuỗi giá trị nông sản",
]


# --- machine -------------------------------------------------------------------------------

def machine_line() -> str:
    mem_kib = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"nproc {cpus}, memory {mem_kib / 1024 / 1024:.1f} GiB, Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}, {platform.system()} {platform.machine()}")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def fresh_database(folder: Path, name: str):
    engine = make_engine(f"sqlite:///{(folder / name).as_posix()}")
    migrate(engine)
    with transaction(engine) as session:
        load_agencies(session, read_agency_file(CONFIG_DIR / "agencies.yaml"),
                      at=datetime(2015, 1, 1, tzinfo=VN_TZ), actor="bench")
    return engine


# --- (a) dispatcher vs raw smtplib -----------------------------------------------------------

class AcceptAll:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"


def serve(port: int, ready, stop) -> None:
    """The SMTP server in its own process, as in production (in-process it would compete for the GIL)."""
    controller = Controller(AcceptAll(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


class Server:
    def __init__(self, in_process: bool):
        self.in_process, self.port = in_process, free_port()

    def __enter__(self):
        if self.in_process:
            self.controller = Controller(AcceptAll(), hostname="127.0.0.1", port=self.port)
            self.controller.start()
        else:
            ready, self.stop = multiprocessing.Event(), multiprocessing.Event()
            self.process = multiprocessing.Process(target=serve, args=(self.port, ready, self.stop), daemon=True)
            self.process.start()
            assert ready.wait(30), "SMTP server did not start"
        return self

    def __exit__(self, *exc):
        if self.in_process:
            self.controller.stop()
        else:
            self.stop.set()
            self.process.join(10)
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def digest_context(today: date, rng: random.Random, name: str) -> dict:
    """A realistic Vietnamese digest: some overdue tasks, one due today, some due soon, an FYI."""
    digest = PlannedDigest(email="x@example.org", name=name, language="vi",
                           agency_names=["Sở Kế hoạch và Đầu tư"])
    for n in range(12):
        section, due = rng.choice([("overdue", today - timedelta(days=rng.randrange(1, 400))),
                                   ("due_soon", today + timedelta(days=rng.choice([1, 7, 30]))),
                                   ("fyi", today + timedelta(days=7))])
        if n == 0:
            section, due = "due_today", today
        ref = f"3.{rng.randrange(1, 4)}.{rng.randrange(1, 9)}-{'abcd'[n % 4]}"
        days = abs((today - due).days)
        digest.items.append(Item(occurrence_id=n, rule="overdue", nominal=today, section=section,
                                 ref=ref, title=rng.choice(TITLES), due=due, days=days,
                                 link=task_link(BASE_URL, ref), escalated=days > 14 and section == "overdue",
                                 lead_name="Sở Tài chính" if section == "fyi" else None))
    return digest.template_context(today, base_url=BASE_URL)


def queue_messages(engine, run: int, count: int, today: date, now: datetime, people: list[tuple[str, str]]):
    rng = random.Random(run)
    contexts = [digest_context(today, rng, name) for _, name in people[:20]]
    rendered = [render("daily", "vi", c) for c in contexts]
    ids = []
    with transaction(engine) as session:
        for n in range(count):
            email, name = people[n % len(people)]
            local, domain = email.split("@", 1)
            message = enqueue(session, key=f"bench|{run}|{n}", kind="daily",
                              recipient_email=f"{local}+r{run}n{n}@{domain}", recipient_name=name, language="vi",
                              send_date=today, rendered=rendered[n % len(rendered)], now=now, mail_from=MAIL_FROM)
            ids.append(message.id)
    with Session(engine) as session:
        return session.execute(select(MessageContent.raw, Message.recipient_email).join(MessageContent)
                               .where(Message.id.in_(ids)).order_by(Message.id)).all()


def bench_dispatch(folder: Path, count: int, policy, runs: int = 3, in_process: bool = False) -> dict:
    engine = fresh_database(folder, "outbox.db")
    with Session(engine) as session:
        people = [(fp.email, fp.name) for fp in session.exec(select(FocalPoint)).scalars()]
    server = Server(in_process).__enter__()
    port = server.port
    settings = Settings(data_dir=folder, database_url="sqlite://", smtp_host="127.0.0.1", smtp_port=port,
                        mail_from=MAIL_FROM)
    envelope_from = parseaddr(MAIL_FROM)[1]
    today = date(2018, 6, 13)
    now = datetime.combine(today, policy.reminders.sending_hour, VN_TZ)
    ours, raw = [], []
    try:
        for run in range(runs):
            messages = queue_messages(engine, run, count, today, now, people)
            started = time.perf_counter()
            report = dispatch(engine, SmtpTransport(settings), now=now, policy=policy.reminders)
            elapsed = time.perf_counter() - started
            assert report.sent == count and not report.errors, (report.sent, report.errors[:3])
            ours.append(count / elapsed)

            # The same pre-built bytes the dispatcher just sent, over one reused connection.
            started = time.perf_counter()
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
                for raw_bytes, recipient in messages:
                    smtp.sendmail(envelope_from, [recipient], raw_bytes)
            raw.append(count / (time.perf_counter() - started))
    finally:
        server.__exit__()
        engine.dispose()
    size = statistics.median(len(r) for r, _ in messages)
    return dict(ours=statistics.median(ours), raw=statistics.median(raw), ours_runs=ours, raw_runs=raw,
                size=size)


# --- (b) the daily sweep over ~1M occurrences ------------------------------------------------

def fill(engine, occurrences: int, today: date, seed: int = 7) -> dict:
    rng = random.Random(seed)
    per_task = 100
    tasks = max(1, occurrences // per_task)
    start, end = date(2015, 1, 1), date(2020, 12, 31)
    span = (end - start).days
    with transaction(engine) as session:
        agencies = [row[0] for row in session.execute(select(Agency.id))]
        plan_ids = []
        for n in range(10):  # ten synthetic plans
            plan = Plan(code=f"BENCH-{n}", title=f"Kế hoạch thử nghiệm {n}", province="Bắc Kạn",
                        horizon_start=start, horizon_end=end)
            session.add(plan)
            session.flush()
            plan_ids.append(plan.id)
        session.execute(insert(Task), [dict(
            plan_id=plan_ids[n % len(plan_ids)], ref=f"3.{n % 4 + 1}.{n}", section=f"3.{n % 4 + 1}",
            title=rng.choice(TITLES) + f" ({n})", source_text="Văn bản nhiệm vụ thử nghiệm",
            lead_agency_id=rng.choice(agencies), timing="recurring", date_source="text",
            retired=rng.random() < 0.01) for n in range(tasks)])
        task_ids = [row[0] for row in session.execute(select(Task.id))]
        coordinators = []
        for task_id in task_ids:
            if rng.random() < 0.3:
                for agency_id in rng.sample(agencies, rng.randint(1, 2)):
                    coordinators.append(dict(task_id=task_id, agency_id=agency_id))
        session.execute(insert(TaskCoordinator), coordinators)
    batch, total = [], 0
    for task_id in task_ids:
        step = span / per_task
        offset = rng.random() * step
        previous = start
        for k in range(per_task):
            due = start + timedelta(days=int(offset + k * step))
            roll = rng.random()
            # Completions are recorded on or before the day they happen: none is dated after `today`.
            progress = "done" if roll < 0.2 and due < today else ("in_progress" if roll < 0.25 else "open")
            batch.append(dict(task_id=task_id, due_date=due, starts_on=previous,
                              kind="withdrawn" if rng.random() < 0.01 else "deadline", progress=progress,
                              completed_on=due if progress == "done" else None))
            previous = due + timedelta(days=1)
        if len(batch) >= 50_000:
            with engine.begin() as connection:
                connection.execute(insert(Occurrence), batch)
            total += len(batch)
            batch = []
    if batch:
        with engine.begin() as connection:
            connection.execute(insert(Occurrence), batch)
        total += len(batch)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return dict(tasks=len(task_ids), occurrences=total, coordinators=len(coordinators))


BARE_SQL = """
SELECT occurrence.id, occurrence.due_date, task.id, task.ref, task.title, task.lead_agency_id
FROM occurrence JOIN task ON occurrence.task_id = task.id
WHERE occurrence.progress != 'done' AND occurrence.due_date <= ? AND occurrence.kind = 'deadline'
  AND task.retired = 0
"""


def bench_sweep(folder: Path, occurrences: int, today: date, policy, sweeps: int = 2) -> dict:
    engine = fresh_database(folder, "sweep.db")
    started = time.perf_counter()
    filled = fill(engine, occurrences, today)
    fill_seconds = time.perf_counter() - started
    horizon = today + timedelta(days=lookahead_days(policy.reminders))
    calendar = WorkCalendar.from_policy(policy.working_days)
    assert calendar.is_working_day(today), f"{today} is not a working day"

    bare, rows = [], 0
    connection = engine.raw_connection()
    try:
        plan = connection.execute("EXPLAIN QUERY PLAN " + BARE_SQL, (horizon.isoformat(),)).fetchall()
        for _ in range(3):
            started = time.perf_counter()
            rows = len(connection.execute(BARE_SQL, (horizon.isoformat(),)).fetchall())
            bare.append(time.perf_counter() - started)
    finally:
        connection.close()

    sweep, digests, items = [], 0, 0
    for _ in range(sweeps):
        with Session(engine) as session:
            started = time.perf_counter()
            result = plan_daily_digests(session, today=today, policy=policy.reminders, calendar=calendar,
                                        base_url=BASE_URL)
            sweep.append(time.perf_counter() - started)
            digests, items = len(result.digests), sum(len(d.items) for d in result.digests)
            del result
    # The whole daily job's writing half too: render, build the MIME, write the outbox rows (rolled back).
    with Session(engine) as session:
        started = time.perf_counter()
        queued = queue_daily_reminders(session, today=today, now=datetime.combine(today, policy.reminders.sending_hour,
                                                                                  VN_TZ),
                                       policy=policy.reminders, calendar=calendar, base_url=BASE_URL,
                                       mail_from=MAIL_FROM).queued
        session.flush()
        queue_seconds = time.perf_counter() - started
        session.rollback()
    engine.dispose()
    return dict(filled=filled, fill_seconds=fill_seconds, rows=rows, bare=statistics.median(bare),
                sweep=statistics.median(sweep), sweep_runs=sweep, digests=digests, items=items,
                queue_seconds=queue_seconds, queued=queued,
                plan=" | ".join(str(r[-1]) for r in plan), horizon=horizon)


# --- report ----------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--occurrences", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2018, 6, 13),
                        help="the working day swept in (b) (default a Wednesday: no Monday summary)")
    parser.add_argument("--server-in-process", action="store_true",
                        help="run aiosmtpd in a thread of this process (default: a child process)")
    parser.add_argument("--only", choices=["a", "b"], help="run only part (a), the dispatcher, or (b), the sweep")
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args()
    policy = read_policy(CONFIG_DIR / "policy.yaml")
    folder = Path(tempfile.mkdtemp(prefix="dondoc-bench-reminders-"))
    began, load_before = time.perf_counter(), os.getloadavg()[0]

    a = b = None
    if args.only != "b":
        a = bench_dispatch(folder, args.messages, policy, in_process=args.server_in_process)
    rss_a = peak_rss_mib()
    if args.only != "a":
        b = bench_sweep(folder, args.occurrences, args.today, policy)
    rss_b = peak_rss_mib()

    stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    lines = [
        f"## Reminders (`bench/reminders.py{' --only ' + args.only if args.only else ''}`), {stamp}",
        "",
        f"Machine: {machine_line()}; load average before the run {load_before:.1f} (other work on the machine when > 0.5).",
        "",
        "| measure | result | target | verdict |",
        "|---|---|---|---|",
    ]
    details = []
    if a:
        ratio_a = a["ours"] / a["raw"]
        lines += [
            f"| (a) dispatcher, SmtpTransport -> aiosmtpd (loopback, "
            f"{'same process' if args.server_in_process else 'child process'}), {args.messages} digests, median of 3 "
            f"| {a['ours']:,.0f} digests/s | | |",
            f"| (a) raw smtplib, same bytes, one reused connection, median of 3 | {a['raw']:,.0f} msgs/s | | |",
            f"| (a) ratio dispatcher / raw | {ratio_a:.2f} | >= 0.7 | {'met' if ratio_a >= 0.7 else 'MISSED'} |",
        ]
        details.append(f"digest MIME ~{a['size'] / 1024:.1f} KiB; dispatcher runs "
                       f"{', '.join(f'{x:,.0f}' for x in a['ours_runs'])}/s, raw runs "
                       f"{', '.join(f'{x:,.0f}' for x in a['raw_runs'])}/s (each raw run right after its dispatcher run).")
    if b:
        ratio_b = b["sweep"] / b["bare"]
        lines += [
            f"| (b) daily sweep `plan_daily_digests`, {b['filled']['occurrences']:,} occurrences, "
            f"{args.today.isoformat()} (median of {len(b['sweep_runs'])}) | {b['sweep']:.2f} s | < 10 s "
            f"| {'met' if b['sweep'] < 10 else 'MISSED'} |",
            f"| (b) bare indexed SQL, same due rows ({b['rows']:,} rows), median of 3 | {b['bare']:.2f} s | | |",
            f"| (b) ratio sweep / bare SQL | {ratio_b:.1f}x | <= 3x | {'met' if ratio_b <= 3 else 'MISSED'} |",
            f"| (b) the same day queued: sweep + render + MIME + outbox rows ({b['queued']} digests, rolled back) "
            f"| {b['queue_seconds']:.2f} s | | |",
        ]
        details.append(
            f"Sweep data: {b['filled']['tasks']:,} tasks in 10 plans, {b['filled']['coordinators']:,} coordinator links, "
            f"due dates 2015-2020, ~75% open, 1% withdrawn, 1% retired tasks; filled in {b['fill_seconds']:.0f} s. "
            f"Sweep runs {', '.join(f'{x:.2f}' for x in b['sweep_runs'])} s -> {b['digests']} digests, "
            f"{b['items']:,} items (a late task is one item). Horizon {b['horizon'].isoformat()}. Bare query plan: {b['plan']}.")
    lines += [
        (f"| peak RSS after (a) / after (b) | {rss_a:,.0f} MiB / {rss_b:,.0f} MiB | | |" if a and b else
         f"| peak RSS | {rss_b:,.0f} MiB | | |"),
        "",
        f"Details: {' '.join(details)} Whole run {time.perf_counter() - began:.0f} s.",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    output = args.output
    header = "" if output.exists() else "# Benchmarks\n\nMeasured numbers, newest last. Each section names its script and machine.\n\n"
    with output.open("a", encoding="utf-8") as handle:
        handle.write(header + report + "\n")
    print(f"appended to {output}")


if __name__ == "__main__":
    main()
