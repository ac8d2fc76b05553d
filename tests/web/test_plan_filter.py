"""Two plans loaded (the bundled Bắc Kạn plan and a small second one sharing a ref with it): the overdue
page, its exports, the overview, the agency and task pages and `dondoc overdue` take a plan filter and
name each row's plan; the filtered overdue list still reads its indexes."""
import csv
import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, text
from sqlmodel import Session

from models.clock import FixedClock
from models.dashboard import OverdueFilter, overdue_all, overdue_page
from tests.conftest import BUNDLED_PLAN, ON_POSTGRES
from tests.web.conftest import TODAY

NOW = FixedClock.on(TODAY).now()
SECOND = "BK-HTX-2016"
SECOND_PLAN = f"""
plan:
  code: {SECOND}
  title: Kế hoạch hỗ trợ hợp tác xã năm 2015
  province: Bắc Kạn
  horizon_start: 2015-01-01
  horizon_end: 2016-12-31
  issued_on: 2015-03-01
tasks:
- ref: 3.1.1-b
  section: 3.1.1
  title: Rà soát hợp tác xã yếu kém
  lead: SKHDT
  timing: one-off
  due: 2015-10-31
  date_source: text
  text: Sở Kế hoạch và Đầu tư rà soát hợp tác xã yếu kém, xong trước ngày 31/10/2015.
- ref: "2.1"
  section: "2"
  title: Tập huấn cán bộ hợp tác xã
  lead: BA-BE
  timing: one-off
  due: 2015-11-30
  date_source: text
  text: Ủy ban nhân dân huyện Ba Bể tập huấn cán bộ hợp tác xã trước ngày 30/11/2015.
"""


@pytest.fixture
def two_plans(loaded, web_context, tmp_path):
    path = tmp_path / "second.yaml"
    path.write_text(SECOND_PLAN, encoding="utf-8")
    loaded.ok("plan", "load", path)
    return loaded


def _table_rows(html: str, table_id: str) -> list[str]:
    body = html.split(f'id="{table_id}"', 1)[1].split("</tbody>", 1)[0].split("<tbody>", 1)[1]
    return [row for row in body.split("<tr>")[1:]]


def test_the_overdue_page_filters_by_plan_and_names_each_rows_plan(two_plans, alice, web_context):
    with Session(web_context.engine) as session:
        everything = overdue_page(session, now=NOW, flt=OverdueFilter(), page_size=10 ** 6)
        second = overdue_all(session, now=NOW, flt=OverdueFilter(plan=SECOND))
        first = overdue_all(session, now=NOW, flt=OverdueFilter(plan="BK-KTTT-2015-2020"))
    assert [(i.ref, i.plan) for i in second] == [("3.1.1-b", SECOND), ("2.1", SECOND)]
    assert len(first) + len(second) == everything.total and {i.plan for i in first} == {"BK-KTTT-2015-2020"}

    page = alice.get(f"/overdue?plan={SECOND}").text
    assert f'<option value="{SECOND}" selected>' in page.split('id="f-plan"', 1)[1].split("</select>", 1)[0]
    rows = _table_rows(page, "overdue")
    assert len(rows) == 2 and all(f'class="plan">{SECOND}</td>' in row for row in rows)
    assert f'href="/tasks/3.1.1-b?plan={SECOND}"' in rows[0]
    assert 'id="total">2<' in page
    unfiltered = alice.get("/overdue").text
    assert 'class="plan">BK-KTTT-2015-2020</td>' in unfiltered and "<th>Kế hoạch</th>" in unfiltered


def test_the_exports_start_each_row_with_its_plan_and_keep_the_filter(two_plans, alice):
    rows = list(csv.reader(io.StringIO(alice.get(f"/overdue.csv?plan={SECOND}").content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Kế hoạch", "Mã nhiệm vụ"]
    assert [(r[0], r[1], r[5]) for r in rows[1:]] == [(SECOND, "3.1.1-b", "31/10/2015"), (SECOND, "2.1", "30/11/2015")]
    both = list(csv.reader(io.StringIO(alice.get("/overdue.csv").content.decode("utf-8-sig"))))
    assert {r[0] for r in both[1:]} == {SECOND, "BK-KTTT-2015-2020"}
    sheet = load_workbook(io.BytesIO(alice.get(f"/overdue.xlsx?plan={SECOND}").content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == rows[0] and [v[:2] for v in values[1:]] == [(SECOND, "3.1.1-b"), (SECOND, "2.1")]


def test_one_plan_loaded_shows_no_plan_column_or_filter(loaded, alice):
    page = alice.get("/overdue").text
    assert 'id="f-plan"' not in page and 'class="plan"' not in page
    rows = list(csv.reader(io.StringIO(alice.get("/overdue.csv").content.decode("utf-8-sig"))))
    assert rows[0][0] == "Mã nhiệm vụ"


def test_the_command_line_overdue_list_takes_the_plan_and_names_it(two_plans, monkeypatch):
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")  # the English message is the one checked here
    rows = json.loads(two_plans.ok("overdue", "--plan", SECOND, "--today", TODAY.isoformat(),
                                   "--format", "json").stdout)
    assert [(r["ref"], r["plan"]) for r in rows] == [("3.1.1-b", SECOND), ("2.1", SECOND)]
    table = two_plans.ok("overdue", "--today", TODAY.isoformat()).stdout
    assert "Kế hoạch" in table and SECOND in table and "BK-KTTT-2015-2020" in table
    refused = two_plans("overdue", "--plan", "NO-SUCH-PLAN", "--today", TODAY.isoformat())
    assert refused.exit_code != 0 and "no plan with code NO-SUCH-PLAN" in refused.output


def test_the_overview_shows_one_plans_figures_when_asked(two_plans, alice):
    page = alice.get(f"/overview?plan={SECOND}").text
    assert f'<option value="{SECOND}" selected>' in page
    assert f"<strong>{SECOND}</strong>" in page.split('id="shown-plan"', 1)[1]
    assert "(2 nhiệm vụ)" in page  # the second plan's two duties only
    assert f'href="/overdue?plan={SECOND}"' in page
    assert "(2 nhiệm vụ)" not in alice.get("/overview").text


def test_the_agency_and_task_pages_tell_the_plans_apart(two_plans, alice):
    agency = alice.get("/agencies/SKHDT").text
    assert f'class="plan">{SECOND}</td>' in agency and f'href="/tasks/3.1.1-b?plan={SECOND}"' in agency
    only = alice.get(f"/agencies/SKHDT?plan={SECOND}").text
    assert len(_table_rows(only, "tasks")) == 1 and f"Kế hoạch {SECOND}" in only
    task = alice.get(f"/tasks/3.1.1-b?plan={SECOND}").text
    assert "Rà soát hợp tác xã yếu kém" in task and f"{SECOND} — Kế hoạch hỗ trợ hợp tác xã" in task
    assert f'action="/tasks/3.1.1-b?plan={SECOND}"' in task
    other = alice.get("/tasks/3.1.1-b?plan=BK-KTTT-2015-2020").text
    assert "Rà soát hợp tác xã yếu kém" not in other
    assert alice.get("/tasks/3.1.1-b").status_code == 404  # in two plans: the plan must be named


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's plans; PostgreSQL's planner takes a tiny test table whole")
def test_the_plan_filter_reads_the_indexes_and_never_a_whole_table(two_plans, web_context):
    with web_context.engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    statements = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(web_context.engine, "before_cursor_execute", keep)
    try:
        with Session(web_context.engine) as session:
            for sort in ("due", "agency"):
                overdue_page(session, now=NOW, flt=OverdueFilter(plan=SECOND, sort=sort), page=1, page_size=5)
    finally:
        event.remove(web_context.engine, "before_cursor_execute", keep)
    with web_context.engine.connect() as connection:
        plans = [" | ".join(row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + s, p))
                 for s, p in statements if s.lstrip().upper().startswith("SELECT")]
    assert any("ix_occurrence_overdue" in plan for plan in plans), plans
    for plan in plans:
        assert "SCAN occurrence" not in plan and "SCAN task" not in plan, plan
