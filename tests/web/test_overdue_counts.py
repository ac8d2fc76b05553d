"""The overdue page's counts and pages (models.dashboard.overdue_page) against a plain reference: every
occurrence read into Python and filtered by the rule the page states, on the Bắc Kạn plan on 15/01/2016,
with a task retired, an occurrence withdrawn, some progress recorded, and some completions recorded for a
day after the one asked about (still open on it)."""
import gc
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text
from sqlmodel import Session, select

import models.dashboard as dashboard
from dondoc.web import create_app
from models.agency import Agency, AgencyKind
from models.clock import FixedClock
from models.dashboard import OverdueFilter, overdue_all, overdue_page
from models.db import transaction
from models.occurrence import Occurrence, OccurrenceKind, Progress
from models.plan import Task
from tests.conftest import ON_POSTGRES
from tests.web.conftest import TODAY

NOW = FixedClock.on(TODAY).now()

FILTERS = [
    dict(),
    dict(agency="SKHDT"),
    dict(agency="PAC-NAM", min_days=100),
    dict(district="*"),
    dict(district="PAC-NAM"),
    dict(district="SKHDT"),  # not a district-level unit: nothing
    dict(section="3.1"),
    dict(section="3.3", district="*"),
    dict(section="3.1", district="*"),
    dict(min_days=365),
    dict(min_days=100000),
]


@pytest.fixture
def varied(web_context):
    """Some rows done, some in progress, one task retired and one occurrence withdrawn."""
    with transaction(web_context.engine) as session:
        due = list(session.scalars(select(Occurrence).where(Occurrence.due_date < TODAY).order_by(Occurrence.id)))
        for n, occurrence in enumerate(due):
            if n % 5 == 0:
                occurrence.progress, occurrence.completed_on = Progress.DONE.value, occurrence.due_date
            elif n % 5 == 1:
                occurrence.progress, occurrence.progress_percent = Progress.IN_PROGRESS.value, 30
            elif n % 10 == 3:  # done, but on a day after the one the page is asked about
                occurrence.progress, occurrence.completed_on = Progress.DONE.value, TODAY + timedelta(days=10)
            session.add(occurrence)
        overdue_tasks = sorted({o.task_id for o in due[2::5]})
        retired = session.get(Task, overdue_tasks[0])
        retired.retired = True
        session.add(retired)
        withdrawn = session.get(Occurrence, due[7].id)
        withdrawn.kind = OccurrenceKind.WITHDRAWN.value
        session.add(withdrawn)
    return web_context


def reference(session: Session, flt: OverdueFilter) -> list[int]:
    """The ids the page should list, in its order: every occurrence read and tested in Python."""
    latest_due = TODAY - timedelta(days=max(1, flt.min_days))
    tasks = {t.id: t for t in session.scalars(select(Task))}
    agencies = {a.id: a for a in session.scalars(select(Agency))}
    code_rank = {code: n for n, code in enumerate(session.scalars(select(Agency.code).order_by(Agency.code)))}
    rows = []
    for occurrence in session.scalars(select(Occurrence)):
        task = tasks[occurrence.task_id]
        agency = agencies[task.lead_agency_id]
        done_by_today = occurrence.progress == Progress.DONE.value and occurrence.completed_on <= TODAY
        if (done_by_today or occurrence.kind != OccurrenceKind.DEADLINE.value
                or occurrence.due_date > latest_due or task.retired):
            continue
        if flt.agency and agency.code != flt.agency:
            continue
        if flt.district == "*" and agency.kind != AgencyKind.DISTRICT.value:
            continue
        is_district = agency.kind == AgencyKind.DISTRICT.value
        if flt.district not in (None, "*") and (agency.code != flt.district or not is_district):
            continue
        if flt.section and not (task.section == flt.section or task.section.startswith(flt.section + ".")):
            continue
        rows.append((code_rank[agency.code], occurrence.due_date, occurrence.id))
    if flt.sort == "agency":
        return [i for _, _, i in sorted(rows)]
    ordered = sorted(rows, key=lambda r: (r[1], r[2]), reverse=flt.sort == "-due")
    return [i for _, _, i in ordered]


def pages_joined(session: Session, flt: OverdueFilter, page_size: int) -> tuple[int, list[int]]:
    first = overdue_page(session, now=NOW, flt=flt, page=1, page_size=page_size)
    ids = [i.occurrence_id for i in first.items]
    for n in range(2, first.pages + 1):
        ids += [i.occurrence_id for i in overdue_page(session, now=NOW, flt=flt, page=n, page_size=page_size).items]
    return first.total, ids


@pytest.mark.parametrize("sort", ["due", "-due", "agency"])
def test_every_filter_pages_through_the_rows_of_a_plain_reference_in_the_same_order(varied, sort):
    with Session(varied.engine) as session:
        for filters in FILTERS:
            flt = OverdueFilter(**filters, sort=sort)
            expected = reference(session, flt)
            total, ids = pages_joined(session, flt, page_size=9)
            assert (total, ids) == (len(expected), expected), filters
            assert [i.occurrence_id for i in overdue_all(session, now=NOW, flt=flt)] == expected, filters


def test_the_reference_is_not_trivial(varied):
    """The cases above cover rows left out for each reason, and filters with and without rows."""
    with Session(varied.engine) as session:
        everything = reference(session, OverdueFilter())
        assert len(everything) > 50
        assert reference(session, OverdueFilter(district="SKHDT")) == []
        assert 0 < len(reference(session, OverdueFilter(section="3.3", district="*"))) < len(everything)
        retired = session.scalars(select(Task.id).where(Task.retired == True)).all()  # noqa: E712
        assert retired and session.scalars(select(Occurrence.id).where(
            Occurrence.task_id.in_(retired), Occurrence.progress != Progress.DONE.value,
            Occurrence.due_date < TODAY)).first()
        done_later = set(session.scalars(select(Occurrence.id).where(Occurrence.completed_on > TODAY)))
        assert done_later and done_later & set(everything), "rows done after the day asked are listed on it"
        checkins = set(session.scalars(select(Occurrence.id).where(Occurrence.kind == OccurrenceKind.CHECKIN.value,
                                                                    Occurrence.due_date < TODAY)))
        assert checkins and not checkins & set(everything), "no-deadline duties are never listed"


def test_the_agency_sort_lines_up_across_its_batches_of_agencies(varied, monkeypatch):
    """Batches of one agency, then two, then all the others: pages that straddle batches and agencies
    still hold every row once, in order."""
    monkeypatch.setattr(dashboard, "AGENCY_BATCHES", (1, 2))
    with Session(varied.engine) as session:
        for filters in (dict(), dict(district="*"), dict(section="3.1", min_days=30)):
            flt = OverdueFilter(**filters, sort="agency")
            expected = reference(session, flt)
            for page_size in (1, 4, 50):
                assert pages_joined(session, flt, page_size) == (len(expected), expected), (filters, page_size)


def test_a_page_past_the_end_shows_the_last_page(varied):
    with Session(varied.engine) as session:
        for sort in ("due", "agency"):
            flt = OverdueFilter(sort=sort)
            last = overdue_page(session, now=NOW, flt=flt, page=10 ** 6, page_size=9)
            assert last.page == last.pages
            assert [i.occurrence_id for i in last.items] == reference(session, flt)[(last.pages - 1) * 9:]


def test_the_first_page_by_agency_counts_only_the_first_batch_of_agencies(varied):
    """Counting every agency's rows (the whole list joined to its tasks) was the agency sort's cost."""
    counted_batches = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if "sum(" in statement.lower() and "lead_agency_id" in statement:
            counted_batches.append(statement)

    event.listen(varied.engine, "before_cursor_execute", note)
    try:
        with Session(varied.engine) as session:
            first = overdue_page(session, now=NOW, flt=OverdueFilter(sort="agency"), page=1, page_size=5)
    finally:
        event.remove(varied.engine, "before_cursor_execute", note)
    assert len(first.items) == 5 and len(counted_batches) == 1


def _plans(engine, flt: OverdueFilter, page_of=None) -> list[str]:
    """SQLite's query plan of every statement the page (`page_of`, overdue_page by default) runs for this filter."""
    statements = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        with Session(engine) as session:
            (page_of or overdue_page)(session, now=NOW, flt=flt, page=1, page_size=5)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    with engine.connect() as connection:
        return [" | ".join(row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
                for statement, parameters in statements if statement.lstrip().upper().startswith("SELECT")]


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's plans; PostgreSQL's planner takes a tiny test table whole")
def test_the_counts_read_the_narrow_indexes_and_never_a_whole_table(varied):
    with varied.engine.begin() as connection:
        # In normal use nothing is recorded for a day after today: the page reads the indexes alone.
        connection.execute(text("UPDATE occurrence SET completed_on = due_date WHERE completed_on > :today"),
                           dict(today=TODAY))
        connection.execute(text("ANALYZE"))  # as the national database: statistics taken
    plain = _plans(varied.engine, OverdueFilter())
    assert any("ix_occurrence_overdue_due" in plan for plan in plain), plain
    by_agency = _plans(varied.engine, OverdueFilter(sort="agency"))
    assert any("ix_occurrence_overdue_task" in plan for plan in by_agency), by_agency
    broad = _plans(varied.engine, OverdueFilter(district="*", section="3.3"))
    assert any("COVERING INDEX ix_task_lead_retired_section" in plan for plan in broad), broad
    for plan in plain + by_agency + broad:
        assert "SCAN occurrence" not in plan and "SCAN task" not in plan, plan


def test_the_started_app_freezes_what_startup_made_out_of_the_garbage_collectors_sight(web_context):
    try:
        with TestClient(create_app(web_context)):
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_the_agency_filters_list_every_agency_with_a_live_task_the_chosen_one_selected(alice, web_context):
    from models.dashboard import agencies_with_tasks

    with Session(web_context.engine) as session:
        leading = agencies_with_tasks(session)
        district = next(a for a in leading if a.kind == AgencyKind.DISTRICT.value)
    page = alice.get(f"/overdue?district={district.code}&agency=SKHDT").text
    agency_select = page.split('id="f-agency"', 1)[1].split("</select>", 1)[0]
    district_select = page.split('id="f-district"', 1)[1].split("</select>", 1)[0]
    assert agency_select.count("<option") == len(leading) + 1  # and "Tất cả"
    assert '<option value="SKHDT" selected>' in agency_select and agency_select.count(" selected") == 1
    assert f'<option value="{district.code}" selected>{district.name_vi}</option>' in district_select
    assert district_select.count("<option") == len([a for a in leading if a.kind == AgencyKind.DISTRICT.value]) + 2
    english = alice.get("/overdue?lang=en").text.split('id="f-agency"', 1)[1].split("</select>", 1)[0]
    assert f">{leading[0].name_en}</option>" in english


@pytest.mark.skipif(not ON_POSTGRES, reason="a PostgreSQL setting")
def test_the_page_runs_without_parallel_workers_for_its_transaction_only(varied):
    with Session(varied.engine) as session:
        overdue_page(session, now=NOW, flt=OverdueFilter(), page=1)
        assert session.execute(text("SHOW max_parallel_workers_per_gather")).scalar_one() == "0"
        session.commit()
        assert session.execute(text("SHOW max_parallel_workers_per_gather")).scalar_one() != "0"
