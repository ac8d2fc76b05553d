"""How fast the overdue page answers with ~1,000,000 occurrences (SQLite, the embedded default).

    .venv/bin/python bench/overdue_page.py [--occurrences 1000000] [--requests 200] [--db PATH]

Fills a fresh database (the agency directory and the Bắc Kạn plan, then synthetic tasks with
monthly due dates, bulk-inserted), signs in as Alliance staff and times requests to /overdue
through the TestClient: the first page, deep pages, each filter, each sort. Prints p50/p95.
"""
import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from config import CONFIG_DIR  # noqa: E402
from config.settings import Settings  # noqa: E402
from dondoc.cli import app as cli  # noqa: E402
from dondoc.app.context import AppContext  # noqa: E402
from dondoc.web import create_app  # noqa: E402
from models.accounts import add_staff_user  # noqa: E402
from models.agency import Agency  # noqa: E402
from models.clock import FixedClock  # noqa: E402
from models.db import transaction  # noqa: E402
from models.occurrence import Occurrence  # noqa: E402
from models.plan import Plan, Task  # noqa: E402

TODAY = date(2020, 6, 30)
PER_TASK = 100  # monthly due dates over eight years and a bit


def month_ends(start: date, count: int) -> list[date]:
    days, year, month = [], start.year, start.month
    for _ in range(count):
        following = date(year + (month == 12), month % 12 + 1, 1)
        days.append(following - timedelta(days=1))
        year, month = following.year, following.month
    return days


def fill(context: AppContext, occurrences: int) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["plan", "load", str(CONFIG_DIR / "plans" / "bac-kan-2015-2020.yaml")], obj=context)
    assert result.exit_code == 0, result.output
    rng = random.Random(7)
    sections = ["3.1.1", "3.1.2", "3.1.5", "3.2.1", "3.3", "4.1", "4.2"]
    with transaction(context.engine) as session:
        plan_id = session.exec(select(Plan.id)).first()[0]
        agencies = [row[0] for row in session.exec(select(Agency.id))]
        tasks = occurrences // PER_TASK
        session.execute(insert(Task), [dict(
            plan_id=plan_id, ref=f"B{n}", section=rng.choice(sections), title=f"Nhiệm vụ thử nghiệm số {n}",
            source_text="Văn bản nhiệm vụ thử nghiệm", lead_agency_id=rng.choice(agencies), timing="recurring",
            date_source="text", retired=False) for n in range(tasks)])
        task_ids = [row[0] for row in session.execute(select(Task.id).where(Task.ref.startswith("B")))]
    started = time.perf_counter()
    batch = []
    for task_id in task_ids:
        first = date(2012 + rng.randrange(8), rng.randrange(1, 13), 1)
        previous = first
        for due in month_ends(first, PER_TASK):
            past = due < TODAY
            done = past and rng.random() < 0.9
            batch.append(dict(task_id=task_id, due_date=due, starts_on=previous, kind="deadline",
                              progress="done" if done else "open", completed_on=due if done else None))
            previous = due + timedelta(days=1)
        if len(batch) >= 50_000:
            with context.engine.begin() as connection:
                connection.execute(insert(Occurrence), batch)
            batch = []
    if batch:
        with context.engine.begin() as connection:
            connection.execute(insert(Occurrence), batch)
    with context.engine.begin() as connection:
        connection.execute(text("ANALYZE"))
        total = connection.execute(text("SELECT count(*) FROM occurrence")).scalar_one()
        overdue = connection.execute(text(
            "SELECT count(*) FROM occurrence WHERE progress != 'done' AND due_date < :d"), dict(d=TODAY)).scalar_one()
    print(f"filled {total:,} occurrences ({overdue:,} overdue on {TODAY:%d/%m/%Y}) in {time.perf_counter() - started:.1f} s")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def signed_in_client(context: AppContext, email: str, password: str, landing: str = "/overdue") -> TestClient:
    """A client of the real app, signed in as this staff member through the sign-in form, landing on
    `landing` (the sign-in's `next`): not on the overview, staff's default, whose charts read every
    occurrence of the database and would make its time and memory this process's."""
    client = TestClient(create_app(context))
    page = client.get("/signin").text
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    client.post("/signin/password", data=dict(email=email, password=password, csrf=csrf, next=landing))
    return client


def request_kinds(agencies: list[str], deep_pages: tuple[int, int]) -> dict:
    """The mix of requests timed: pages, filters and sorts, each a function of a seeded Random."""
    return {
        "first page": lambda r: "/overdue",
        "page 2-20": lambda r: f"/overdue?page={r.randrange(2, 21)}",
        f"deep page ({deep_pages[0]}-{deep_pages[1] - 1})": lambda r: f"/overdue?page={r.randrange(*deep_pages)}",
        "agency": lambda r: f"/overdue?agency={r.choice(agencies)}",
        "district *, section": lambda r: f"/overdue?district=*&section={r.choice(['3.1', '3.3', '4.2'])}",
        "min days 365": lambda r: "/overdue?min_days=365",
        "sort by agency": lambda r: "/overdue?sort=agency",
        "sort by agency, page 2-20": lambda r: f"/overdue?sort=agency&page={r.randrange(2, 21)}",
        "newest first": lambda r: "/overdue?sort=-due",
    }


def time_requests(client, kinds: dict, requests: int) -> dict[str, list[float]]:
    """`requests` GETs taking the kinds in turn; milliseconds by kind. Every answer must be a 200."""
    rng = random.Random(11)
    timings: dict[str, list[float]] = {k: [] for k in kinds}
    for n in range(requests):
        kind = list(kinds)[n % len(kinds)]
        url = kinds[kind](rng)
        started = time.perf_counter()
        response = client.get(url)
        timings[kind].append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--occurrences", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--db", type=Path, default=None, help="reuse (or create) this SQLite file")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="dondoc-bench-"))
    path = args.db or folder / "bench.db"
    settings = Settings(data_dir=folder, database_url=f"sqlite:///{path}", today=TODAY, actor="bench")
    context = AppContext(settings)
    with context.engine.connect() as connection:
        have = connection.execute(text("SELECT count(*) FROM occurrence")).scalar_one()
    if have < args.occurrences * 0.9:
        fill(context, args.occurrences)
    with transaction(context.engine) as session:
        if not session.execute(text("SELECT 1 FROM staffuser")).first():
            add_staff_user(session, email="alice@lmhtx.example.org", name="Alice", password="bench password 2020",
                           now=FixedClock.on(TODAY).now(), actor="bench")
    client = signed_in_client(context, "alice@lmhtx.example.org", "bench password 2020")
    assert client.get("/overdue").status_code == 200
    timings = time_requests(client, request_kinds(["SKHDT", "STC", "BA-BE", "PAC-NAM", "SNNPTNT"], (200, 1001)),
                            args.requests)
    every = [t for values in timings.values() for t in values]
    print(f"{'request':24} {'n':>4} {'p50 ms':>8} {'p95 ms':>8}")
    for kind, values in timings.items():
        print(f"{kind:24} {len(values):>4} {statistics.median(values):8.1f} {percentile(values, 0.95):8.1f}")
    print(f"{'all':24} {len(every):>4} {statistics.median(every):8.1f} {percentile(every, 0.95):8.1f}")
    context.close()


if __name__ == "__main__":
    main()
