"""Every surface tells the same numbers on the same day: `dondoc tasks`, `dondoc overdue`, /overview,
/overdue with its CSV and XLSX, the Alliance's weekly summary email and the compiled báo cáo (md and
xlsx) give the same duties per category and lead agency, on a day before the plan's first deadline, one
in the middle and the horizon's last day. A completion recorded for a later day counts on none of the
earlier ones."""
import csv
import io
import json
import re
from urllib.parse import unquote
from collections import Counter, defaultdict
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from config.policy import read_policy
from config.targets import read_targets
from config.organization import read_organization
from dondoc.documents.bao_cao import write_report
from models.agency import Agency
from models.clock import VN_TZ, FixedClock
from models.db import transaction
from models.plan import Plan
from models.review.operations import open_cycle
from dondoc.documents.report_content import build_report
from models.workdays import WorkCalendar
from notifications.daily import plan_daily_digests
from notifications.render import render
from tests.conftest import CONFIG_DIR

DAYS = [date(2015, 6, 15), date(2018, 6, 29), date(2020, 12, 31)]
CATEGORIES = ["done_on_time", "done_late", "open_in_time", "open_overdue", "no_deadline"]
POLICY = read_policy(CONFIG_DIR / "policy.yaml")
THANH = "thanh.ht@lmhtx.example.org"  # Alliance staff: the weekly summary


@pytest.fixture
def recorded(loaded, web_context):
    """Some duties done on time, some late, one recorded for a day in 2019 (after the middle day)."""
    loaded.ok("task", "done", "3.1.2-c", "--on", "2015-12-20", "--today", "2015-12-21")
    loaded.ok("task", "done", "3.3-a/BA-BE", "--on", "2015-08-10", "--today", "2015-08-10")
    loaded.ok("task", "done", "4.2-a/SKHDT", "--on", "2015-06-10", "--today", "2015-06-10")
    loaded.ok("task", "done", "3.1.1-b", "--on", "2019-03-01", "--today", "2019-03-01")
    for year in range(2015, 2021):
        loaded.ok("task", "done", "3.1.1-a", "--due", f"{year}-12-31", "--on", f"{year}-12-{20 if year < 2018 else 30}",
                  "--today", f"{year}-12-31")
    return web_context


def from_tasks(cli, day) -> dict[str, Counter]:
    rows = json.loads(cli.ok("tasks", "--today", day.isoformat(), "--format", "json").stdout)
    counts: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        counts[row["lead"]][row["duty_status"]] += 1
    return counts


def overdue_duties(cli, day) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for row in json.loads(cli.ok("overdue", "--today", day.isoformat(), "--format", "json").stdout):
        found[row["lead"]].add(row["ref"])
    return found


def from_charts(html) -> dict[str, dict[str, tuple[int, int]]]:
    """The overview's rate charts (SVG): per bar, the agency or section it links to and its
    'done on time / due so far'."""
    charts = {}
    for key, parameter in (("agencies", "agency"), ("districts", "agency"), ("sections", "section")):
        svg = html.split(f'id="figure-{key}"', 1)[1].split("</figure>", 1)[0]
        charts[key] = {unquote(found): (int(on_time), int(due)) for found, on_time, due in re.findall(
            rf'xlink:href="/overdue\?{parameter}=([^"]+)"><desc class="xlink">[^<]*</desc>'
            r'<desc class="label">(\d+) / (\d+)</desc>', svg)}
    return charts


def from_overview(alice, day) -> tuple[dict[str, int], dict[str, tuple[int, int, int]]]:
    html = alice.get(f"/overview?today={day.isoformat()}").text
    cards = {status: int(n) for status, n in re.findall(r'data-status="(\w+)"><strong>([\d.]+)</strong>', html)}
    rates = {}
    for row in html.split('id="rates"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr>")[1:]:
        code = re.search(r'href="/agencies/([^"]+)"', row).group(1)
        cells = dict(re.findall(r'data-status="(\w+)"[^>]*>([\d.]+)<', row))
        rates[code] = (int(cells["done_on_time"]), int(cells["done_late"]), int(cells["open_overdue"]))
    return cards, rates


def from_exports(alice, day, names) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    text = alice.get(f"/overdue.csv?today={day.isoformat()}").content.decode("utf-8-sig")
    by_csv: dict[str, set[str]] = defaultdict(set)
    for row in list(csv.reader(io.StringIO(text)))[1:]:
        by_csv[names[row[3]]].add(row[0])
    by_xlsx: dict[str, set[str]] = defaultdict(set)
    sheet = load_workbook(io.BytesIO(alice.get(f"/overdue.xlsx?today={day.isoformat()}").content)).active
    for row in list(sheet.iter_rows(values_only=True))[1:]:
        by_xlsx[names[row[3]]].add(row[0])
    return by_csv, by_xlsx


def from_weekly_summary(context, day, names) -> dict[str, int]:
    calendar = WorkCalendar.from_policy(POLICY.working_days)
    with Session(context.engine) as session:
        digests = {d.email: d for d in plan_daily_digests(session, today=day, policy=POLICY.reminders,
                                                          calendar=calendar, base_url="http://x").digests}
    if THANH not in digests or not digests[THANH].summary:
        return {}
    text = render("daily", "vi", digests[THANH].template_context(day)).text
    return {names[name]: int(n) for name, n in re.findall(r"^(.+): (\d+) nhiệm vụ", text, re.MULTILINE)
            if name in names}


def from_report(context, tmp_path, day, names) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """The báo cáo of the day's year compiled on that day: its cumulative table, from md and from xlsx."""
    with transaction(context.engine) as session:
        plan = session.exec(select(Plan)).one()
        cycle = open_cycle(session, plan, day.year, now=datetime(day.year, 11, 1, 8, tzinfo=VN_TZ),
                           review_policy=POLICY.review, actor="test").cycle
        report = build_report(session, cycle, now=FixedClock.on(day).now(),
                              targets=read_targets(CONFIG_DIR / "plans" / "bac-kan-2015-2020.targets.yaml"))
    md, xlsx = tmp_path / f"{day}.md", tmp_path / f"{day}.xlsx"
    organization = read_organization(CONFIG_DIR / "organization.yaml")
    write_report(report, md, organization)
    write_report(report, xlsx, organization)
    table = md.read_text(encoding="utf-8").split("Phụ lục 2. Lũy kế từ đầu Kế hoạch", 1)[1].split("\n\n", 2)[1]
    by_md = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        by_md[names.get(cells[0], cells[0])] = [int(c) for c in cells[1:6]]
    by_xlsx = {names.get(row[0], row[0]): list(row[1:6])
               for row in list(load_workbook(xlsx)["Lũy kế"].iter_rows(values_only=True))[1:]}
    return by_md, by_xlsx


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_every_surface_gives_the_same_duties_per_category_and_agency(recorded, loaded, alice, tmp_path, day):
    with Session(recorded.engine) as session:
        names = {a.name_vi: a.code for a in session.exec(select(Agency))}
    tasks = from_tasks(loaded, day)
    totals = Counter()
    for counts in tasks.values():
        totals.update(counts)
    overdue_by_agency = {code: counts["open_overdue"] for code, counts in tasks.items() if counts["open_overdue"]}

    # `dondoc summary` (the whole plan, per agency) is the same table.
    summary = json.loads(loaded.ok("summary", "--today", day.isoformat(), "--format", "json").stdout)
    assert {r["key"]: [r[c] for c in CATEGORIES] for r in summary if r["key"]} == \
        {code: [counts[c] for c in CATEGORIES] for code, counts in tasks.items()}

    # `dondoc overdue` lists each late period; the duties it names are the overdue duties.
    assert {code: len(refs) for code, refs in overdue_duties(loaded, day).items()} == overdue_by_agency

    cards, rates = from_overview(alice, day)
    # The charts (server-drawn SVG) say the same: per agency, district and section, on time / due so far.
    charts = from_charts(alice.get(f"/overview?today={day.isoformat()}").text)
    assert charts["agencies"] == {code: (c["done_on_time"], c["done_on_time"] + c["done_late"] + c["open_overdue"])
                                  for code, c in tasks.items() if c["done_on_time"] + c["done_late"] + c["open_overdue"]}
    with Session(recorded.engine) as session:
        districts = {a.code for a in session.exec(select(Agency).where(Agency.kind == "district"))}
    assert charts["districts"] == {code: n for code, n in charts["agencies"].items() if code in districts}
    assert sum(due for _, due in charts["sections"].values()) == sum(due for _, due in charts["agencies"].values())
    assert {c: cards[c] for c in CATEGORIES} == {c: totals[c] for c in CATEGORIES}
    expected_rates = {code: (c["done_on_time"], c["done_late"], c["open_overdue"]) for code, c in tasks.items()
                      if c["done_on_time"] + c["done_late"] + c["open_overdue"]}
    assert rates == expected_rates

    by_csv, by_xlsx = from_exports(alice, day, names)
    assert {code: len(refs) for code, refs in by_csv.items()} == overdue_by_agency
    assert by_xlsx == by_csv

    assert from_weekly_summary(recorded, day, names) == overdue_by_agency

    by_md, by_xlsx_report = from_report(recorded, tmp_path, day, names)
    expected_report = {code: [counts[c] for c in CATEGORIES] for code, counts in tasks.items()}
    expected_report["Tổng số"] = [totals[c] for c in CATEGORIES]
    assert by_md == expected_report
    assert by_xlsx_report == expected_report


def test_the_days_are_the_ones_named_and_each_shows_something_to_compare(recorded, loaded):
    before, middle, end = (from_tasks(loaded, day) for day in DAYS)
    total = lambda counts, c: sum(x[c] for x in counts.values())  # noqa: E731
    assert total(before, "open_overdue") == 0 and total(before, "done_on_time") == 1  # 4.2-a/SKHDT, early
    assert total(middle, "open_overdue") > 0 and total(middle, "done_late") >= 1
    assert total(end, "no_deadline") == total(middle, "no_deadline") > 0, "never late, whatever the day"
    # 3.1.1-b was done on 01/03/2019: overdue in the middle (29/06/2018), done late at the end.
    middle_rows = {r["ref"]: r for r in json.loads(loaded.ok("tasks", "--today", "2018-06-29", "--format", "json").stdout)}
    end_rows = {r["ref"]: r for r in json.loads(loaded.ok("tasks", "--today", "2020-12-31", "--format", "json").stdout)}
    assert middle_rows["3.1.1-b"]["duty_status"] == "open_overdue" and end_rows["3.1.1-b"]["duty_status"] == "done_late"
    # 3.1.1-a: every year done on time until 2017, the later years on 30/12: still on time.
    assert end_rows["3.1.1-a"]["duty_status"] == "done_on_time"
