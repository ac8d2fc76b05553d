"""A synthetic national workload on SQLite and PostgreSQL (issue 8, "Benchmark").

    .venv/bin/python -m bench.national [--provinces 34] [--db sqlite|postgresql|both] [--write BENCHMARKS.md]
    .venv/bin/python -m bench.national --db sqlite --steps load,overdue --keep   # only these steps, kept

The workload: `--provinces` provinces (34 by default, Vietnam's count since 2025), each with its own
agency directory (the seed's 35 agencies, codes prefixed by the province, P07-SKHDT; `--focal-points`
officers per agency, 42 by default, so ~1,470 per province and ~50,000 in all) and `--plans` plan(s)
built from the seed plan (config/plans/bac-kan-2015-2020.yaml): `--blocks` copies of its 48 entries
per plan, refs renumbered (12.3.1.1-a), titles and agency codes renamed. 34 x 36 x 823 = 1,007,352
occurrences. The first `--loader-provinces` (3) provinces are written as YAML to a temporary folder and
loaded through the real loader (models.loading.load_agencies / load_plan, what `dondoc plan load` runs;
the load rate is theirs); at 130-230 tasks/s the loader would need 12-20 minutes for all 161,568 tasks,
so the other provinces are copies of the first made in SQL (INSERT ... SELECT). Then, as if people had
recorded their progress, 85% of the occurrences due before the swept day are marked done and 5% in
progress (chosen by id, so every run and both databases get the same rows), and the statistics are
taken: ANALYZE on SQLite, VACUUM ANALYZE on PostgreSQL (what a DBA or autovacuum does after a bulk
load; without the VACUUM the visibility map is empty and every index-only scan also reads the table).

Steps, each in a fresh child process (its peak RSS, ru_maxrss, is the step's peak memory; it
includes the interpreter and imports, shown as the "imports only" baseline):

1. load: the directories and plans through the loader (rate = tasks created / seconds spent
   reading the files and loading them, committed);
2. sweep: `dondoc.app.jobs.plan_reminders` (the daily sweep, dry run: it builds every digest and
   writes nothing) on `--day`, against the bare indexed SQL selecting the same due rows; the
   median of `--sweeps` runs (3) against the median of 3 runs of the SQL, the first of each in a
   process whose caches are still cold;
3. dispatch: `--messages` digests queued through the outbox and sent by `dondoc.app.jobs.deliver` (the
   dispatcher and SmtpTransport) to a local aiosmtpd in a child process, against raw smtplib sending
   the same pre-built bytes over one reused connection to the same server; median of `--runs`;
4. overdue page: GET /overdue through the FastAPI TestClient signed in as staff, `--requests`
   requests over pages, filters and sorts: p50, p95 (the client is entered, so the app's lifespan
   runs as under uvicorn);
   overview page: GET /overview (staff's landing page: every count over every occurrence, per agency,
   section, year and quarter), `--overview-requests` times, every plan's and one plan's in turn: p50,
   p95 and the peak RSS (target < 300 MiB: the occurrences are streamed and folded, issue 22);
5. review: `dondoc.app.review_jobs.open_review` for every plan of every province (the year's cycle and
   one request per reporting agency, emails queued, not sent), plan after plan while the next one fits
   in `--review-budget` seconds; what was not opened is extrapolated (and said so).

To measure again only some steps on data kept by an earlier run (`--keep` prints its folder):

    .venv/bin/python -m bench.national --db postgresql --steps dispatch --folder /tmp/dondoc-bench-national-XXXX

Without `load` in `--steps` nothing is dropped or loaded: the steps run on the SQLite file in that folder
and on the PostgreSQL schema as they are (dispatch queues its digests after the ones already sent).

Prints one table per database side by side and, with --write, replaces the section between
`<!-- national:start -->` and `<!-- national:end -->` in that file. Loopback only. PostgreSQL: the
schema bench_national in postgresql://postgres@127.0.0.1:5432/test (BENCH_PG_URL), dropped and
recreated, and dropped at the end unless --keep. A full run takes ~25 minutes for both databases.
"""
import argparse
import json
import os
import platform
import resource
import shutil
import smtplib
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from email.utils import parseaddr
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
PG_SCHEMA = "bench_national"
START, END = "<!-- national:start -->", "<!-- national:end -->"
SEED_PLAN = ROOT / "config" / "plans" / "bac-kan-2015-2020.yaml"
SEED_AGENCIES = ROOT / "config" / "agencies.yaml"
MAIL_FROM = "Dondoc <dondoc@example.org>"
STAFF_EMAIL, STAFF_PASSWORD = "alice@lmhtx.example.org", "bench password 2020"

# The 34 provinces and centrally-run cities since 1 July 2025.
PROVINCES = [
    "Hà Nội", "Huế", "Lai Châu", "Điện Biên", "Sơn La", "Lạng Sơn", "Quảng Ninh", "Thanh Hóa", "Nghệ An",
    "Hà Tĩnh", "Cao Bằng", "Tuyên Quang", "Lào Cai", "Thái Nguyên", "Phú Thọ", "Bắc Ninh", "Hưng Yên",
    "Hải Phòng", "Ninh Bình", "Quảng Trị", "Đà Nẵng", "Quảng Ngãi", "Gia Lai", "Khánh Hòa", "Lâm Đồng",
    "Đắk Lắk", "Thành phố Hồ Chí Minh", "Đồng Nai", "Tây Ninh", "Cần Thơ", "Vĩnh Long", "Đồng Tháp", "Cà Mau",
    "An Giang",
]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Nông", "Triệu"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Ngọc", "Thanh", "Hữu", "Quang"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Lan", "Linh", "Long", "Mai",
         "Nam", "Nga", "Phúc", "Quân", "Sơn", "Thảo", "Thu", "Trang", "Tuấn", "Yến"]
ASCII_GIVEN = ["an", "binh", "cuong", "dung", "giang", "ha", "hai", "hanh", "hoa", "hung", "lan", "linh", "long",
               "mai", "nam", "nga", "phuc", "quan", "son", "thao", "thu", "trang", "tuan", "yen"]

# Row labels of the table, in order (the test checks every one is printed).
ROWS = [
    ("load_rate", "plan load rate (real loader)", ""),
    ("directory", "agency directories load", ""),
    ("sweep", "daily sweep plan_reminders", ""),
    ("bare", "bare indexed SQL, same due rows", ""),
    ("sweep_ratio", "sweep / bare SQL", "<= 3x"),
    ("dispatch", "dispatch to aiosmtpd", ""),
    ("raw", "raw smtplib, same bytes, one connection", ""),
    ("dispatch_ratio", "dispatch / raw smtplib", ">= 0.7"),
    ("p50", "overdue page p50", ""),
    ("p95", "overdue page p95", "< 200 ms"),
    ("overview_p50", "overview page p50", ""),
    ("overview_p95", "overview page p95", ""),
    ("review", "open annual review, every agency", ""),
    ("mem_base", "peak RSS: imports only (baseline)", ""),
    ("mem_load", "peak RSS: load", ""),
    ("mem_sweep", "peak RSS: sweep", ""),
    ("mem_dispatch", "peak RSS: dispatch", ""),
    ("mem_overdue", "peak RSS: overdue page", ""),
    ("mem_overview", "peak RSS: overview page", "< 300 MiB"),
    ("mem_review", "peak RSS: review", ""),
]


# --- the workload files ----------------------------------------------------------------------

def prefix(number: int) -> str:
    return f"P{number:02d}"


def province_name(number: int) -> str:
    name = PROVINCES[(number - 1) % len(PROVINCES)]
    return name if number <= len(PROVINCES) else f"{name} {number}"


def write_workload(folder: Path, provinces: int, plans: int, blocks: int, focal_points: int,
                   loader_provinces: int | None = None) -> dict:
    """Per province: agencies.yaml and plan-<n>.yaml under folder/P07/. Returns the counts written."""
    import yaml

    seed_plan = yaml.safe_load(SEED_PLAN.read_text(encoding="utf-8"))
    seed_agencies = yaml.safe_load(SEED_AGENCIES.read_text(encoding="utf-8"))
    counts = dict(provinces=provinces, plans=0, entries=0, agencies=0, focal_points=0)
    for p in range(1, min(provinces, loader_provinces or provinces) + 1):
        code, province = prefix(p), province_name(p)
        out = folder / code
        out.mkdir(parents=True, exist_ok=True)
        agencies, groups = [], []
        for a_index, agency in enumerate(seed_agencies["agencies"]):
            people = []
            for n in range(focal_points):
                g = (p * 7 + a_index * 3 + n) % len(GIVEN)
                role = "head" if n == 0 else ("primary" if n == 1 else "deputy")
                people.append(dict(
                    name=f"{FAMILY[(p + a_index + n) % len(FAMILY)]} {MIDDLE[n % len(MIDDLE)]} {GIVEN[g]}",
                    email=f"{ASCII_GIVEN[g]}.{n}@{agency['code'].lower()}.{code.lower()}.example.org",
                    role=role, language="en" if n % 20 == 19 else "vi"))
            agencies.append(dict(code=f"{code}-{agency['code']}", name_vi=f"{agency['name_vi']} ({province})",
                                 name_en=f"{agency['name_en']} ({province})", kind=agency["kind"],
                                 focal_points=people))
        for group in seed_agencies.get("groups", []):
            groups.append(dict(code=f"{code}-{group['code']}", name_vi=f"{group['name_vi']} ({province})",
                               name_en=f"{group['name_en']} ({province})",
                               members=[f"{code}-{m}" for m in group["members"]]))
        (out / "agencies.yaml").write_text(
            yaml.safe_dump(dict(agencies=agencies, groups=groups), allow_unicode=True, sort_keys=False), encoding="utf-8")
        counts["agencies"] += len(agencies)
        counts["focal_points"] += len(agencies) * focal_points
        for n in range(1, plans + 1):
            header = dict(seed_plan["plan"])
            header["code"] = f"{code}-KTTT-{n}"
            header["province"] = province
            header["title"] = f"[{province}, kế hoạch {n}] {header['title']}"
            tasks = []
            for block in range(1, blocks + 1):
                for entry in seed_plan["tasks"]:
                    entry = dict(entry)
                    entry["ref"] = f"{block}.{entry['ref']}"
                    entry["title"] = f"{entry['title']} (nhóm {block})"
                    entry["lead"] = ([f"{code}-{lead}" for lead in entry["lead"]] if isinstance(entry["lead"], list)
                                     else f"{code}-{entry['lead']}")
                    entry["coordinating"] = [f"{code}-{c}" for c in entry.get("coordinating") or []]
                    tasks.append(entry)
            (out / f"plan-{n}.yaml").write_text(
                yaml.safe_dump(dict(plan=header, tasks=tasks), allow_unicode=True, sort_keys=False), encoding="utf-8")
            counts["plans"] += 1
            counts["entries"] += len(tasks)
    return counts


# --- helpers shared by the steps -------------------------------------------------------------

def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def context_for(cfg: dict, **extra):
    from config.settings import Settings
    from dondoc.app.context import AppContext

    settings = Settings(data_dir=Path(cfg["folder"]), database_url=cfg["url"], today=date.fromisoformat(cfg["day"]),
                        actor="bench", mail_from=MAIL_FROM, **extra)
    return AppContext(settings)


def is_sqlite(cfg: dict) -> bool:
    return cfg["url"].startswith("sqlite")


# The provinces after the first `--loader-provinces` are copies of the first one, made in SQL: the
# same rows with the province's codes, names and addresses (the loader would take too long for all).
COPY_SQL = [
    """INSERT INTO agency (code, name_vi, name_en, kind)
       SELECT :new || substr(code, 4), replace(name_vi, :old_name, :new_name), replace(name_en, :old_name, :new_name), kind
       FROM agency WHERE code LIKE :old_like ORDER BY id""",
    """INSERT INTO agencygroup (code, name_vi, name_en)
       SELECT :new || substr(code, 4), replace(name_vi, :old_name, :new_name), replace(name_en, :old_name, :new_name)
       FROM agencygroup WHERE code LIKE :old_like ORDER BY id""",
    """INSERT INTO agencygroupmember (group_id, agency_id)
       SELECT g2.id, a2.id FROM agencygroupmember m
       JOIN agencygroup g1 ON g1.id = m.group_id JOIN agency a1 ON a1.id = m.agency_id
       JOIN agencygroup g2 ON g2.code = :new || substr(g1.code, 4) JOIN agency a2 ON a2.code = :new || substr(a1.code, 4)
       WHERE g1.code LIKE :old_like""",
    """INSERT INTO focalpoint (agency_id, name, email, role, language, active)
       SELECT a2.id, f.name, replace(f.email, :old_mail, :new_mail), f.role, f.language, f.active
       FROM focalpoint f JOIN agency a1 ON a1.id = f.agency_id JOIN agency a2 ON a2.code = :new || substr(a1.code, 4)
       WHERE a1.code LIKE :old_like ORDER BY f.id""",
    """INSERT INTO plan (code, title, province, horizon_start, horizon_end, source, review_inputs_due, loaded_at)
       SELECT :new || substr(code, 4), replace(title, :old_name, :new_name), :new_name, horizon_start, horizon_end,
              source, review_inputs_due, loaded_at
       FROM plan WHERE code LIKE :old_like ORDER BY id""",
    """INSERT INTO task (plan_id, ref, section, title, source_text, lead_agency_id, lead_group_code, timing, due_date,
                         rrule, anchor, date_source, deadline_phrase, retired)
       SELECT p2.id, replace(t.ref, :old_slash, :new_slash), t.section, t.title, t.source_text, a2.id,
              CASE WHEN t.lead_group_code IS NULL THEN NULL ELSE :new || substr(t.lead_group_code, 4) END,
              t.timing, t.due_date, t.rrule, t.anchor, t.date_source, t.deadline_phrase, t.retired
       FROM task t JOIN plan p1 ON p1.id = t.plan_id JOIN plan p2 ON p2.code = :new || substr(p1.code, 4)
       JOIN agency a1 ON a1.id = t.lead_agency_id JOIN agency a2 ON a2.code = :new || substr(a1.code, 4)
       WHERE p1.code LIKE :old_like ORDER BY t.id""",
    """INSERT INTO taskcoordinator (task_id, agency_id)
       SELECT t2.id, a2.id FROM taskcoordinator c
       JOIN task t1 ON t1.id = c.task_id JOIN plan p1 ON p1.id = t1.plan_id
       JOIN plan p2 ON p2.code = :new || substr(p1.code, 4)
       JOIN task t2 ON t2.plan_id = p2.id AND t2.ref = replace(t1.ref, :old_slash, :new_slash)
       JOIN agency a1 ON a1.id = c.agency_id JOIN agency a2 ON a2.code = :new || substr(a1.code, 4)
       WHERE p1.code LIKE :old_like""",
    """INSERT INTO occurrence (task_id, due_date, starts_on, kind, progress)
       SELECT t2.id, o.due_date, o.starts_on, o.kind, o.progress FROM occurrence o
       JOIN task t1 ON t1.id = o.task_id JOIN plan p1 ON p1.id = t1.plan_id
       JOIN plan p2 ON p2.code = :new || substr(p1.code, 4)
       JOIN task t2 ON t2.plan_id = p2.id AND t2.ref = replace(t1.ref, :old_slash, :new_slash)
       WHERE p1.code LIKE :old_like ORDER BY o.id""",
]


def copy_province(engine, number: int) -> None:
    from sqlalchemy import text

    old, new = prefix(1), prefix(number)
    params = dict(old_like=f"{old}-%", new=new, old_name=f"{province_name(1)}", new_name=province_name(number),
                  old_mail=f".{old.lower()}.example.org", new_mail=f".{new.lower()}.example.org",
                  old_slash=f"/{old}-", new_slash=f"/{new}-")
    with engine.begin() as connection:
        for statement in COPY_SQL:
            connection.execute(text(statement), params)


# --- step 1: load ----------------------------------------------------------------------------

def step_load(cfg: dict) -> dict:
    from sqlalchemy import text

    from config.files import read_agency_file, read_plan_file
    from dondoc.app.jobs import load_policy
    from models.clock import VN_TZ
    from models.db import transaction
    from models.loading import load_agencies, load_plan

    context = context_for(cfg)
    engine = context.engine  # creates and migrates the schema
    policy = load_policy(context)
    at = datetime(2015, 1, 1, 8, tzinfo=VN_TZ)
    folder = Path(cfg["workload"])
    directory_seconds = plan_seconds = 0.0
    tasks = occurrences = plans = 0
    for province in sorted(p for p in folder.iterdir() if p.is_dir()):
        started = time.perf_counter()
        directory = read_agency_file(province / "agencies.yaml")
        with transaction(engine) as session:
            load_agencies(session, directory, at=at, actor="bench")
        directory_seconds += time.perf_counter() - started
        for plan_path in sorted(province.glob("plan-*.yaml")):
            started = time.perf_counter()
            plan_file, lines = read_plan_file(plan_path)
            with transaction(engine) as session:
                report = load_plan(session, plan_file, lines, directory, path=plan_path, policy=policy.due_dates,
                                   at=at, actor="bench")
            plan_seconds += time.perf_counter() - started
            tasks += report.tasks_created
            occurrences += report.occurrences_created
            plans += 1
        print(f"  loaded {province.name}: {tasks:,} tasks, {occurrences:,} occurrences so far", file=sys.stderr)
    loaded_provinces = len([p for p in folder.iterdir() if p.is_dir()])
    started = time.perf_counter()
    for number in range(loaded_provinces + 1, cfg["provinces"] + 1):
        copy_province(engine, number)
        if number % 5 == 0 or number == cfg["provinces"]:
            print(f"  copied up to {prefix(number)}", file=sys.stderr)
    copy_seconds = time.perf_counter() - started

    # People record progress: of what is due before the swept day, 85% done, 5% in progress.
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(text("UPDATE occurrence SET progress = 'done', completed_on = due_date "
                                "WHERE due_date < :day AND id % 20 < 17"), dict(day=date.fromisoformat(cfg["day"])))
        connection.execute(text("UPDATE occurrence SET progress = 'in_progress', progress_percent = 50 "
                                "WHERE due_date < :day AND id % 20 = 17"), dict(day=date.fromisoformat(cfg["day"])))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # After a bulk load a DBA (or autovacuum, soon after) runs VACUUM ANALYZE: on PostgreSQL the
        # VACUUM sets the visibility map, without which an index-only scan still visits the table for
        # every row (~75,000 heap fetches for each count of the overdue page). SQLite has no such map.
        connection.execute(text("ANALYZE" if is_sqlite(cfg) else "VACUUM ANALYZE"))
        counted = {name: connection.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
                   for name in ("plan", "task", "occurrence", "agency", "focalpoint")}
    progress_seconds = time.perf_counter() - started
    context.close()
    return dict(tasks=tasks, occurrences=occurrences, plans=plans, plan_seconds=plan_seconds,
                loaded_provinces=loaded_provinces, copy_seconds=copy_seconds, provinces=cfg["provinces"],
                directory_seconds=directory_seconds, progress_seconds=progress_seconds, counted=counted,
                rate=tasks / plan_seconds if plan_seconds else 0.0)


# --- step 2: the daily sweep -----------------------------------------------------------------

BARE_SQL = """
SELECT occurrence.id, occurrence.due_date, task.id, task.ref, task.title, task.lead_agency_id
FROM occurrence JOIN task ON occurrence.task_id = task.id
WHERE occurrence.progress != 'done' AND occurrence.due_date <= {p} AND occurrence.kind = 'deadline'
  AND NOT task.retired
"""


def step_sweep(cfg: dict) -> dict:
    from dondoc.app.jobs import load_policy, plan_reminders
    from models.reminders import lookahead_days

    context = context_for(cfg)
    policy = load_policy(context)
    day = date.fromisoformat(cfg["day"])
    horizon = day + timedelta(days=lookahead_days(policy.reminders))
    sql = BARE_SQL.format(p="?" if is_sqlite(cfg) else "%s")
    bare, rows = [], 0
    # Also this process's CPU time (on SQLite the database's work is in it): on a machine shared with
    # other jobs, waiting for a core inflates the wall times, and the CPU times' ratio still compares.
    bare_cpu, sweeps_cpu = [], []
    connection = context.engine.raw_connection()
    try:
        for _ in range(3):
            cursor = connection.cursor()
            started, cpu = time.perf_counter(), time.process_time()
            cursor.execute(sql, (horizon.isoformat() if is_sqlite(cfg) else horizon,))
            rows = len(cursor.fetchall())
            bare.append(time.perf_counter() - started)
            bare_cpu.append(time.process_time() - cpu)
            cursor.close()
        connection.rollback()
    finally:
        connection.close()
    sweeps, digests, items = [], 0, 0
    for _ in range(cfg["sweeps"]):
        started, cpu = time.perf_counter(), time.process_time()
        result = plan_reminders(context, day, policy)
        sweeps.append(time.perf_counter() - started)
        sweeps_cpu.append(time.process_time() - cpu)
        digests, items = len(result.digests), sum(len(d.items) for d in result.digests)
        del result
    context.close()
    return dict(bare=statistics.median(bare), bare_runs=bare, rows=rows, sweep=statistics.median(sweeps),
                sweep_runs=sweeps, digests=digests, items=items, horizon=horizon.isoformat(),
                bare_cpu=statistics.median(bare_cpu), sweep_cpu=statistics.median(sweeps_cpu))


# --- step 3: dispatch ------------------------------------------------------------------------

def step_dispatch(cfg: dict) -> dict:
    from sqlalchemy import func
    from sqlmodel import Session, select

    from bench.reminders import Server, queue_messages
    from dondoc.app.jobs import deliver, load_policy, sending_time
    from models.agency import FocalPoint
    from models.outbox import Message

    day = date.fromisoformat(cfg["day"])
    ours, raw, size = [], [], 0
    with Server(in_process=False) as server:
        context = context_for(cfg, smtp_host="127.0.0.1", smtp_port=server.port)
        policy = load_policy(context)
        now = sending_time(day, policy)
        with Session(context.engine) as session:
            people = [(fp.email, fp.name) for fp in session.exec(select(FocalPoint).order_by(FocalPoint.id).limit(5000))]
            # Measured again on kept data, the runs follow the earlier ones: their keys are taken.
            first_run = session.exec(select(func.count()).select_from(Message)
                                     .where(Message.key.like("bench|%|0"))).one()
        envelope_from = parseaddr(MAIL_FROM)[1]
        for run in range(first_run, first_run + cfg["runs"]):
            messages = queue_messages(context.engine, run, cfg["messages"], day, now, people)
            started = time.perf_counter()
            report = deliver(context, now, policy)
            elapsed = time.perf_counter() - started
            assert report.sent == cfg["messages"] and not report.errors, (report.sent, report.errors[:3])
            ours.append(report.sent / elapsed)
            started = time.perf_counter()
            with smtplib.SMTP("127.0.0.1", server.port, timeout=30) as smtp:
                for raw_bytes, recipient in messages:
                    smtp.sendmail(envelope_from, [recipient], raw_bytes)
            raw.append(len(messages) / (time.perf_counter() - started))
            size = statistics.median(len(r) for r, _ in messages)
        context.close()
    return dict(ours=statistics.median(ours), raw=statistics.median(raw), ours_runs=ours, raw_runs=raw, size=size)


# --- step 4: the overdue page ----------------------------------------------------------------

def step_overdue(cfg: dict) -> dict:
    from sqlmodel import select

    from bench.overdue_page import percentile, request_kinds, signed_in_client, time_requests
    from models.accounts import add_staff_user
    from models.agency import Agency
    from models.clock import FixedClock
    from models.db import transaction

    context = context_for(cfg)
    day = date.fromisoformat(cfg["day"])
    with transaction(context.engine) as session:
        add_staff_user(session, email=STAFF_EMAIL, name="Alice", password=STAFF_PASSWORD,
                       now=FixedClock.on(day).now(), actor="bench", update_existing=True)
        codes = [c for c in session.exec(select(Agency.code))
                 if c.split("-", 1)[1] in ("SKHDT", "STC", "SNNPTNT", "BA-BE", "PAC-NAM", "LMHTX")]
    # Started as uvicorn starts it (the app's lifespan runs), so its startup work is in place.
    with signed_in_client(context, STAFF_EMAIL, STAFF_PASSWORD) as client:
        first = client.get("/overdue")
        assert first.status_code == 200 and "/signin" not in str(first.url), first.url
        timings = time_requests(client, request_kinds(codes, (50, 500)), cfg["requests"])
    every = [t for values in timings.values() for t in values]
    context.close()
    return dict(p50=statistics.median(every), p95=percentile(every, 0.95), requests=len(every),
                by_kind={k: [statistics.median(v), percentile(v, 0.95)] for k, v in timings.items() if v},
                worst=max(((percentile(v, 0.95), k) for k, v in timings.items() if v))[1])


# --- step 4b: the overview page ----------------------------------------------------------------

def step_overview(cfg: dict) -> dict:
    """GET /overview (staff's landing page: the four categories, per agency, per section, per year and
    per quarter, every count over every occurrence of the database) `--overview-requests` times, every
    plan's figures and then one plan's in turn; p50, p95 and the process's peak RSS."""
    from sqlmodel import select

    from bench.overdue_page import percentile, signed_in_client
    from models.accounts import add_staff_user
    from models.clock import FixedClock
    from models.db import transaction
    from models.plan import Plan

    context = context_for(cfg)
    day = date.fromisoformat(cfg["day"])
    with transaction(context.engine) as session:
        add_staff_user(session, email=STAFF_EMAIL, name="Alice", password=STAFF_PASSWORD,
                       now=FixedClock.on(day).now(), actor="bench", update_existing=True)
        first_plan = session.exec(select(Plan.code).order_by(Plan.id)).first()
    before = peak_rss_mib()
    urls = {"every plan": "/overview", "one plan": f"/overview?plan={first_plan}"}
    timings: dict[str, list[float]] = {kind: [] for kind in urls}
    with signed_in_client(context, STAFF_EMAIL, STAFF_PASSWORD) as client:
        for n in range(cfg.get("overview_requests", 6)):
            kind = list(urls)[n % len(urls)]
            started = time.perf_counter()
            answer = client.get(urls[kind])
            timings[kind].append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200 and "/signin" not in str(answer.url), (answer.status_code, answer.url)
    every = [t for values in timings.values() for t in values]
    context.close()
    return dict(p50=statistics.median(every), p95=percentile(every, 0.95), requests=len(every),
                rss_before=before, by_kind={k: [statistics.median(v), percentile(v, 0.95)] for k, v in timings.items() if v})


# --- step 5: open the annual review ----------------------------------------------------------

def step_review(cfg: dict) -> dict:
    """open_review for each plan in turn, until the next one would not fit in the time budget.

    Prints a PROGRESS line after each plan, so a run stopped at the budget still reports what it did.
    """
    from sqlalchemy import func, text
    from sqlmodel import Session, select

    from dondoc.app.jobs import load_policy
    from dondoc.app.review_jobs import open_review
    from models.agency import FocalPoint
    from models.plan import Plan
    from models.review.operations import reporting_agencies

    context = context_for(cfg)
    policy = load_policy(context)
    year = cfg["review_year"]
    day = date(year, policy.review.opens.month, policy.review.opens.day)
    with Session(context.engine) as session:
        plans = list(session.exec(select(Plan).order_by(Plan.id)))
        # What opening the first plan's cycle asks for: its reporting agencies and their focal points.
        agencies = reporting_agencies(session, plans[0])
        people = session.exec(select(func.count()).select_from(FocalPoint).where(
            FocalPoint.agency_id.in_([a.id for a in agencies]), FocalPoint.active == True)).one()  # noqa: E712
        elsewhere = sum(1 for a in agencies if not a.code.startswith(plans[0].code.split("-", 1)[0] + "-"))
    shape = dict(plans_total=len(plans), first_plan_agencies=len(agencies), first_plan_people=people,
                 first_plan_other_provinces=elsewhere)
    print("PROGRESS " + json.dumps(dict(shape, plans=0, seconds=0.0, emails=0, rss=peak_rss_mib())), flush=True)
    requests = emails = without = done = 0
    seconds = 0.0
    for plan in plans:
        if done and seconds + seconds / done > cfg["review_budget"]:
            break
        started = time.perf_counter()
        report = open_review(context, day, year=year, plan_code=plan.code, policy=policy, send=False)
        seconds += time.perf_counter() - started
        done += 1
        emails += report.requests
        without += len(report.without_focal_point)
        print("PROGRESS " + json.dumps(dict(shape, plans=done, seconds=seconds, emails=emails, rss=peak_rss_mib())),
              flush=True)
    with context.engine.connect() as connection:
        requests = connection.execute(text("SELECT count(*) FROM reviewrequest")).scalar_one()
    context.close()
    return dict(shape, seconds=seconds, plans=done, emails=emails, requests=requests, without_focal_point=without,
                finished=done == len(plans))


def step_imports(cfg: dict) -> dict:
    import bench.reminders  # noqa: F401
    import dondoc.app.jobs  # noqa: F401
    import dondoc.app.review_jobs  # noqa: F401
    import dondoc.web  # noqa: F401
    return {}


STEPS = dict(imports=step_imports, load=step_load, sweep=step_sweep, dispatch=step_dispatch,
             overdue=step_overdue, overview=step_overview, review=step_review)


def run_step(name: str, cfg: dict) -> dict:
    """One step in a fresh child process; its own peak RSS comes back with its result."""
    if cfg.get("in_process"):  # the quick test: the same steps without a process each (RSS is then cumulative)
        started = time.perf_counter()
        result = STEPS[name](cfg)
        return dict(result, rss=peak_rss_mib(), wall=time.perf_counter() - started)
    path = Path(cfg["folder"]) / f"step-{name}.json"
    path.write_text(json.dumps(cfg), encoding="utf-8")
    started = time.perf_counter()
    timeout = max(2 * cfg["review_budget"], cfg["review_budget"] + 120) if name == "review" else None
    try:
        completed = subprocess.run([sys.executable, "-m", "bench.national", "--step", name, "--config", str(path)],
                                   cwd=ROOT, stdout=subprocess.PIPE, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as stopped:
        # The first plan alone did not fit in the budget: report what the child said before it was stopped.
        output = stopped.stdout.decode() if isinstance(stopped.stdout, bytes) else (stopped.stdout or "")
        progress = [json.loads(line.removeprefix("PROGRESS ")) for line in output.splitlines()
                    if line.startswith("PROGRESS ")]
        result = dict(progress[-1] if progress else {}, stopped_after=timeout, finished=False, requests=None,
                      wall=time.perf_counter() - started)
        print(f"  {name}: stopped after {timeout} s", file=sys.stderr)
        return result
    lines = [line for line in completed.stdout.splitlines() if line.startswith("RESULT ")]
    if completed.returncode != 0 or not lines:
        raise RuntimeError(f"step {name} failed (exit {completed.returncode})\n{completed.stdout[-3000:]}")
    result = json.loads(lines[-1].removeprefix("RESULT "))
    result["wall"] = time.perf_counter() - started
    print(f"  {name}: {result['wall']:.1f} s, peak RSS {result['rss']:.0f} MiB", file=sys.stderr)
    return result


def child(name: str, config_path: Path) -> None:
    cfg = json.loads(config_path.read_text(encoding="utf-8"))
    result = STEPS[name](cfg)
    result["rss"] = peak_rss_mib()
    print("RESULT " + json.dumps(result, default=str), flush=True)


# --- the databases ---------------------------------------------------------------------------

def pg_admin_url() -> str:
    return os.environ.get("BENCH_PG_URL", PG_URL)


def pg_prepare() -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(pg_admin_url())
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    engine.dispose()
    return pg_schema_url()


def pg_schema_url() -> str:
    base = pg_admin_url()
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{PG_SCHEMA}"


def pg_drop() -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(pg_admin_url())
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
    engine.dispose()


def pg_version() -> str:
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(pg_admin_url())
        with engine.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar_one()
        engine.dispose()
        return version.split()[0]
    except Exception as exc:  # noqa: BLE001 - only describes the machine
        return f"unavailable ({type(exc).__name__})"


ALL_STEPS = ("imports", "load", "sweep", "dispatch", "overdue", "overview", "review")


def run_database(kind: str, base: dict, folder: Path, keep: bool, steps: tuple[str, ...] = ALL_STEPS) -> dict:
    cfg = dict(base, folder=str(folder / kind))
    Path(cfg["folder"]).mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        database = Path(cfg["folder"]) / "national.db"
        if "load" in steps:  # a load starts from an empty database, also in a reused --folder
            for leftover in (database, database.with_name("national.db-wal"), database.with_name("national.db-shm")):
                leftover.unlink(missing_ok=True)
        cfg["url"] = f"sqlite:///{database.as_posix()}"
    else:  # a fresh schema for a load; the kept one as it is for the other steps
        cfg["url"] = pg_prepare() if "load" in steps else pg_schema_url()
    began = time.perf_counter()
    print(f"{kind}:", file=sys.stderr)
    results = {}
    try:
        for name in steps:
            results[name] = run_step(name, cfg)
    finally:
        if kind == "postgresql" and not keep:
            pg_drop()
    results["whole"] = time.perf_counter() - began
    return results


# --- the report ------------------------------------------------------------------------------

def machine() -> dict:
    mem_kib = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    cpu = ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    except OSError:
        pass
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return dict(cpus=cpus, cpu=cpu, memory=f"{mem_kib / 1024 / 1024:.1f} GiB", python=platform.python_version(),
                sqlite=sqlite3.sqlite_version, system=f"{platform.system()} {platform.release()} {platform.machine()}",
                load=" / ".join(f"{x:.1f}" for x in os.getloadavg()))


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def cells(r: dict) -> dict[str, str]:
    """The table's cells for one database ("not run" for the steps left out by --steps)."""
    found = {key: "not run" for key, _, _ in ROWS}
    if "load" in r:
        load = r["load"]
        found.update(
            load_rate=f"{load['rate']:,.0f} tasks/s ({load['tasks']:,} tasks of {load['loaded_provinces']} provinces "
                      f"in {load['plan_seconds']:.0f} s)",
            directory=f"{load['directory_seconds']:.1f} s ({load['loaded_provinces']} provinces, "
                      f"{load['loaded_provinces'] * load['counted']['focalpoint'] // max(1, load['provinces']):,} focal points)",
            mem_load=f"{load['rss']:,.0f} MiB")
    if "sweep" in r:
        sweep = r["sweep"]
        sweep_ratio = sweep["sweep"] / sweep["bare"] if sweep["bare"] else float("inf")
        found.update(
            sweep=f"{sweep['sweep']:.2f} s ({sweep['digests']:,} digests, {sweep['items']:,} items)",
            bare=f"{sweep['bare']:.2f} s ({sweep['rows']:,} rows)",
            sweep_ratio=f"{sweep_ratio:.1f}x {verdict(sweep_ratio <= 3)}",
            mem_sweep=f"{sweep['rss']:,.0f} MiB")
    if "dispatch" in r:
        dispatch = r["dispatch"]
        dispatch_ratio = dispatch["ours"] / dispatch["raw"] if dispatch["raw"] else 0.0
        found.update(
            dispatch=f"{dispatch['ours']:,.0f} digests/s",
            raw=f"{dispatch['raw']:,.0f} msgs/s",
            dispatch_ratio=f"{dispatch_ratio:.2f} {verdict(dispatch_ratio >= 0.7)}",
            mem_dispatch=f"{dispatch['rss']:,.0f} MiB")
    if "overdue" in r:
        overdue = r["overdue"]
        found.update(
            p50=f"{overdue['p50']:.0f} ms",
            p95=f"{overdue['p95']:.0f} ms {verdict(overdue['p95'] < 200)}",
            mem_overdue=f"{overdue['rss']:,.0f} MiB")
    if "overview" in r:
        overview = r["overview"]
        found.update(
            overview_p50=f"{overview['p50']:,.0f} ms",
            overview_p95=f"{overview['p95']:,.0f} ms",
            mem_overview=f"{overview['rss']:,.0f} MiB {verdict(overview['rss'] < 300)}")
    if "review" in r:
        review = r["review"]
        found.update(
            review=review_cell(review),
            mem_review=(f"{review['rss']:,.0f} MiB" if "rss" in review else "n/a")
                       + ("" if review.get("finished") else " (as far as it got)"))
    if "imports" in r:
        found.update(mem_base=f"{r['imports']['rss']:,.0f} MiB")
    return found


def duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else (f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h")


def review_cell(review: dict) -> str:
    total = review.get("plans_total", 0)
    if review.get("finished"):
        return (f"{review['seconds']:.1f} s ({total} plans, {review['requests']:,} requests, "
                f"{review['emails']:,} emails queued)")
    if review.get("plans"):
        estimate = review["seconds"] / review["plans"] * total
        return (f"{review['plans']} of {total} plans in {review['seconds']:.0f} s ({review['emails']:,} emails queued); "
                f"all {total}: ~{duration(estimate)} (extrapolated)")
    return (f"> {review.get('stopped_after', 0):.0f} s: the first of {total} plans did not finish "
            f"({review.get('first_plan_agencies', 0)} agencies, {review.get('first_plan_people', 0):,} people to email)")


def table_rows(results: dict[str, dict]) -> list[list[str]]:
    per_db = {kind: cells(r) for kind, r in results.items()}
    return [[label, *(per_db[kind][key] for kind in results), target] for key, label, target in ROWS]


NAMES = dict(sqlite="SQLite", postgresql="PostgreSQL")


def print_table(results: dict[str, dict], title: str) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover - rich comes with Prefect
        for row in table_rows(results):
            print(" | ".join(row))
        return
    table = Table(title=title)
    for header in ["measure", *(NAMES[k] for k in results), "target"]:
        table.add_column(header)
    for row in table_rows(results):
        table.add_row(*row)
    Console(width=200).print(table)


def markdown(results: dict[str, dict], args, counts: dict, info: dict, stamp: str, whole: float) -> str:
    rows = table_rows(results)
    header = ["measure", *(NAMES[k] for k in results), "target"]
    first = next(iter(results.values()))["load"]["counted"]
    loaded = next(iter(results.values()))["load"]["loaded_provinces"]
    copied = ", ".join(f"{NAMES[k]} {r['load']['copy_seconds']:.0f} s" for k, r in results.items())
    lines = [
        START,
        f"## National workload (`python -m bench.national`), {stamp}",
        "",
        f"Machine: {info['cpus']} cores ({info['cpu']}), {info['memory']} RAM, {info['system']}, "
        f"Python {info['python']}, SQLite {info['sqlite']}, PostgreSQL {info['postgresql']}. "
        + (f"{args.note} " if args.note else "")
        + f"(load average 1/5/15 min at the start: {info['load']}; at the end: {info['load_end']}).",
        "",
        f"Workload: {counts['provinces']} provinces x {args.plans} plan(s) x {args.blocks} copies of the seed plan's 48 "
        f"entries; {first['plan']:,} plans, {first['task']:,} tasks, {first['occurrence']:,} occurrences, "
        f"{first['agency']:,} agencies, {first['focalpoint']:,} focal points ({args.focal_points} per agency). "
        f"The first {loaded} province(s) were loaded from generated YAML files through models.loading (the code of "
        f"`dondoc plan load`): the load rate is theirs; the other {args.provinces - loaded} were copied from the first "
        f"in SQL (INSERT ... SELECT with the province's codes and names; {copied}). Swept day {args.day} "
        f"(85% of earlier occurrences done, 5% in progress); review year {args.review_year}. Each step runs in a fresh "
        f"process; peak RSS is that process's ru_maxrss (the baseline row is the same imports doing nothing).",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
    ]
    details = []
    for kind, r in results.items():
        d, s, o = r["dispatch"], r["sweep"], r["overdue"]
        details.append(
            f"- {NAMES[kind]}: whole run {r['whole'] / 60:.1f} min (load step {r['load']['wall']:.0f} s, of which "
            f"marking progress and (VACUUM) ANALYZE {r['load']['progress_seconds']:.0f} s). Sweep runs "
            f"{', '.join(f'{x:.2f}' for x in s['sweep_runs'])} s, bare SQL runs {', '.join(f'{x:.2f}' for x in s['bare_runs'])} s "
            f"(medians compared; due up to {s['horizon']}; this process's CPU time: sweep {s['sweep_cpu']:.2f} s, bare SQL "
            f"{s['bare_cpu']:.2f} s). Dispatch: {args.messages:,} digests (~{d['size'] / 1024:.1f} KiB MIME) per run, "
            f"dispatcher {', '.join(f'{x:,.0f}' for x in d['ours_runs'])}/s, raw {', '.join(f'{x:,.0f}' for x in d['raw_runs'])}/s "
            f"(median of {args.runs}; aiosmtpd in a child process on loopback). Overdue page: {o['requests']} requests, "
            f"p50/p95 by kind: {'; '.join(f'{k} {v[0]:.0f}/{v[1]:.0f} ms' for k, v in o['by_kind'].items())}. "
            f"Overview page: {r['overview']['requests']} requests, p50/p95 by kind: "
            f"{'; '.join(f'{k} {v[0]:,.0f}/{v[1]:,.0f} ms' for k, v in r['overview']['by_kind'].items())}. Review: opening the first plan's "
            f"cycle asks {r['review'].get('first_plan_agencies', '?')} agencies "
            f"({r['review'].get('first_plan_other_provinces', '?')} of them from other provinces) and emails "
            f"{r['review'].get('first_plan_people', 0):,} people.")
    lines += details
    lines += [
        "",
        f"Whole benchmark {whole / 60:.1f} min.",
        END,
    ]
    return "\n".join(lines)


def write_section(path: Path, section: str, start: str = START, end: str = END) -> None:
    """Replace the part of `path` between the markers `start` and `end` (or append it)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--provinces", type=int, default=34)
    parser.add_argument("--plans", type=int, default=1, help="plans per province")
    parser.add_argument("--blocks", type=int, default=36, help="copies of the seed plan's entries in each plan")
    parser.add_argument("--focal-points", type=int, default=42, help="focal points per agency")
    parser.add_argument("--loader-provinces", type=int, default=3,
                        help="provinces loaded through the real loader; the others are copied in SQL")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--day", default="2018-06-13", help="the swept day (a working day)")
    parser.add_argument("--sweeps", type=int, default=3, help="sweep runs (median; the bare SQL runs 3 times too)")
    parser.add_argument("--messages", type=int, default=2000, help="digests dispatched per run")
    parser.add_argument("--runs", type=int, default=3, help="dispatch runs (median)")
    parser.add_argument("--requests", type=int, default=80, help="overdue page requests")
    parser.add_argument("--overview-requests", type=int, default=6,
                        help="overview page requests (every plan's figures and one plan's, in turn)")
    parser.add_argument("--review-year", type=int, default=2018)
    parser.add_argument("--review-budget", type=float, default=240,
                        help="seconds for the review step: plans are opened in turn while the next one fits")
    parser.add_argument("--write", type=Path, default=None, help="update the national section of this file")
    parser.add_argument("--note", default="",
                        help="what else ran on the machine meanwhile, said next to its load averages")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and the PostgreSQL schema")
    parser.add_argument("--steps", default=",".join(ALL_STEPS),
                        help="comma-separated steps to run (default: all; with fewer, each step's result is "
                             "printed too); without load, the data of --folder and the PostgreSQL schema kept by "
                             "an earlier --keep run are used as they are")
    parser.add_argument("--folder", type=Path, default=None,
                        help="the working folder (default: a new temporary one), e.g. one kept by --keep")
    parser.add_argument("--in-process", action="store_true",
                        help="run the steps in this process (quicker, for the test; peak RSS is then cumulative)")
    parser.add_argument("--step", choices=list(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--config", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step:
        child(args.step, args.config)
        return {}

    steps = tuple(name.strip() for name in args.steps.split(",") if name.strip())
    if unknown := [name for name in steps if name not in STEPS]:
        parser.error(f"unknown steps: {', '.join(unknown)} (choose from {', '.join(ALL_STEPS)})")
    if set(steps) != set(ALL_STEPS) and args.write:
        parser.error("--write needs every step")
    if "load" not in steps and args.folder is None:
        parser.error("without the load step, --folder names the folder an earlier --keep run kept")
    began = time.perf_counter()
    info = machine()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    info["postgresql"] = pg_version() if "postgresql" in kinds else "not measured"
    folder = args.folder or Path(tempfile.mkdtemp(prefix="dondoc-bench-national-"))
    try:
        if "load" in steps:
            counts = write_workload(folder / "workload", args.provinces, args.plans, args.blocks, args.focal_points,
                                    args.loader_provinces)
            print(f"workload files (loader provinces): {counts}", file=sys.stderr)
        else:
            counts = dict(provinces=args.provinces)
        base = dict(workload=str(folder / "workload"), provinces=args.provinces, day=args.day, sweeps=args.sweeps, messages=args.messages,
                    runs=args.runs, requests=args.requests,
                    overview_requests=args.overview_requests, review_year=args.review_year,
                    review_budget=args.review_budget, in_process=args.in_process)
        results = {kind: run_database(kind, base, folder, args.keep or "load" not in steps, steps) for kind in kinds}
    finally:
        if args.keep or "load" not in steps:
            print(f"kept: {folder}", file=sys.stderr)
        elif args.folder is None:
            shutil.rmtree(folder, ignore_errors=True)
    info["load_end"] = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    whole = time.perf_counter() - began
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print_table(results, f"dondoc national benchmark, {stamp}")
    if set(steps) != set(ALL_STEPS):
        for kind, result in results.items():
            print(f"{NAMES[kind]}:")
            for name, step in result.items():
                print(f"  {name}: {json.dumps(step, default=str)}")
        print(f"load average 1/5/15 min at the start: {info['load']}; at the end: {info['load_end']}", file=sys.stderr)
        return dict(results=results, counts=counts, rows=table_rows(results))
    section = markdown(results, args, counts, info, stamp, whole)
    if args.write:
        write_section(args.write, section)
        print(f"wrote the national section of {args.write}", file=sys.stderr)
    return dict(results=results, counts=counts, section=section, rows=table_rows(results))


if __name__ == "__main__":
    main()
