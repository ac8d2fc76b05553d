"""The overdue page's duties (models.dashboard.overdue_duty_page) against a brute-force computation: every
occurrence, task and agency read into Python, the listed periods chosen by the rule the page states, grouped
by task and sorted, for each sort and filter on a generated dataset (the Bắc Kạn plan on 15/01/2016 with
progress drawn at random: done, in progress, done after the day asked, tasks retired, periods withdrawn).
The page walks an index in the page's order and stops at the page's last duty; these tests make its walks
stop and resume everywhere (a few rows read at a time, agencies one by one)."""
import random
from datetime import timedelta

import pytest
from sqlalchemy import event, text
from sqlmodel import Session, select

import models.dashboard as dashboard
from models.agency import Agency, AgencyKind
from models.clock import FixedClock
from models.dashboard import OverdueFilter, overdue_duty_page
from models.db import transaction
from models.occurrence import Occurrence, OccurrenceKind, Progress
from models.plan import Plan, Task
from tests.conftest import ON_POSTGRES
from tests.web.conftest import TODAY

NOW = FixedClock.on(TODAY).now()

FILTERS = [
    dict(),
    dict(agency="SKHDT"),
    dict(agency="PAC-NAM", min_days=100),
    dict(district="*"),
    dict(district="BA-BE"),
    dict(district="SKHDT"),  # not a district-level unit: nothing
    dict(section="3.1"),
    dict(section="3.3", district="*"),
    dict(min_days=200),
    dict(min_days=100000),
    dict(q="3.3"),
    dict(q="skhdt 3.1"),
    dict(q="nothing-matches-this"),
    dict(plan="BK-KTTT-2015-2020"),
    dict(plan="NO-SUCH-PLAN"),
]


@pytest.fixture
def generated(web_context):
    """The seed plan's periods up to the day asked, each given a state at random (seeded)."""
    draw = random.Random(22)
    with transaction(web_context.engine) as session:
        due = list(session.scalars(select(Occurrence).where(Occurrence.due_date < TODAY).order_by(Occurrence.id)))
        for occurrence in due:
            roll = draw.random()
            if roll < 0.35:
                occurrence.progress, occurrence.completed_on = Progress.DONE.value, occurrence.due_date
            elif roll < 0.55:
                occurrence.progress, occurrence.progress_percent = Progress.IN_PROGRESS.value, draw.randrange(101)
            elif roll < 0.6:  # done, but on a day after the one the page is asked about: open on it
                occurrence.progress = Progress.DONE.value
                occurrence.completed_on = TODAY + timedelta(days=draw.randrange(1, 40))
            session.add(occurrence)
        for occurrence in draw.sample(due, 3):
            occurrence.kind = OccurrenceKind.WITHDRAWN.value
            session.add(occurrence)
        for task_id in draw.sample(sorted({o.task_id for o in due}), 3):
            task = session.get(Task, task_id)
            task.retired = True
            session.add(task)
    return web_context


def brute_force(session: Session, flt: OverdueFilter) -> list[tuple[int, list[int]]]:
    """(task id, its listed periods' occurrence ids oldest first) of every listed duty, in the page's order."""
    latest_due = TODAY - timedelta(days=max(1, flt.min_days))
    tasks = {t.id: t for t in session.scalars(select(Task))}
    agencies = {a.id: a for a in session.scalars(select(Agency))}
    plans = {p.id: p.code for p in session.scalars(select(Plan))}
    code_rank = {code: n for n, code in enumerate(session.scalars(select(Agency.code).order_by(Agency.code)))}
    words = [w.replace("\\", "").replace("%", "").replace("_", "").lower() for w in (flt.q or "").split()[:8]]
    periods: dict[int, list[Occurrence]] = {}
    for occurrence in session.scalars(select(Occurrence)):
        task = tasks[occurrence.task_id]
        agency = agencies[task.lead_agency_id]
        done_by_today = occurrence.progress == Progress.DONE.value and occurrence.completed_on <= TODAY
        if (done_by_today or occurrence.kind != OccurrenceKind.DEADLINE.value
                or occurrence.due_date > latest_due or task.retired):
            continue
        is_district = agency.kind == AgencyKind.DISTRICT.value
        if ((flt.agency and agency.code != flt.agency) or (flt.district == "*" and not is_district)
                or (flt.district not in (None, "*") and (agency.code != flt.district or not is_district))
                or (flt.section and not (task.section == flt.section or task.section.startswith(flt.section + ".")))
                or (flt.plan and plans[task.plan_id] != flt.plan)):
            continue
        said = [task.ref, task.title, agency.code, agency.name_vi, agency.name_en]
        if not all(any(word in s.lower() for s in said) for word in words):
            continue
        periods.setdefault(task.id, []).append(occurrence)
    for found in periods.values():
        found.sort(key=lambda o: (o.due_date, o.id))

    def key(task_id: int):
        oldest = periods[task_id][0].due_date
        if flt.sort == "agency":
            return (code_rank[agencies[tasks[task_id].lead_agency_id].code], oldest, task_id)
        if flt.sort == "-due":
            return (-oldest.toordinal(), -task_id)
        return (oldest, task_id)

    return [(t, [o.id for o in periods[t]]) for t in sorted(periods, key=key)]


def every_page(session: Session, flt: OverdueFilter, page_size: int) -> tuple[int, int, list[tuple[int, list[int]]]]:
    """(duties, periods, every page's duties one after the other), read page by page."""
    first = overdue_duty_page(session, now=NOW, flt=flt, page=1, page_size=page_size)
    duties = list(first.items)
    for n in range(2, first.pages + 1):
        page = overdue_duty_page(session, now=NOW, flt=flt, page=n, page_size=page_size)
        assert (page.page, page.total, page.periods) == (n, first.total, first.periods)
        duties += page.items
    return first.total, first.periods, [(d.task_id, [p.occurrence_id for p in d.periods]) for d in duties]


@pytest.mark.parametrize("sort", ["due", "-due", "agency"])
def test_every_sort_and_filter_pages_through_the_duties_of_a_brute_force_computation(generated, sort):
    with Session(generated.engine) as session:
        for filters in FILTERS:
            flt = OverdueFilter(**filters, sort=sort)
            expected = brute_force(session, flt)
            periods = sum(len(p) for _, p in expected)
            for page_size in (7, 50):
                assert every_page(session, flt, page_size) == (len(expected), periods, expected), (filters, page_size)


@pytest.mark.parametrize("sort", ["due", "-due", "agency"])
def test_the_walks_stop_and_resume_anywhere_and_still_give_every_duty_once_in_order(generated, sort, monkeypatch):
    """Three rows read at a time (a day's rows split between reads), agencies one, then two at a time:
    pages of one duty, of four and of all of them."""
    monkeypatch.setattr(dashboard, "WALK_ROWS", 3)
    monkeypatch.setattr(dashboard, "DUTY_AGENCY_BATCHES", (1, 2))
    with Session(generated.engine) as session:
        for filters in (dict(), dict(district="*"), dict(section="3.1", min_days=30)):
            flt = OverdueFilter(**filters, sort=sort)
            expected = brute_force(session, flt)
            periods = sum(len(p) for _, p in expected)
            for page_size in (1, 4, 10 ** 6):
                assert every_page(session, flt, page_size) == (len(expected), periods, expected), (filters, page_size)


def test_the_generated_data_makes_the_comparison_worth_something(generated):
    """Duties of several periods, several duties sharing their oldest due date (ties go by task id), rows
    left out for each reason, and filters with and without duties."""
    with Session(generated.engine) as session:
        everything = brute_force(session, OverdueFilter())
        assert len(everything) > 40 and sum(len(p) for _, p in everything) > len(everything)
        oldest = [session.get(Occurrence, periods[0]).due_date for _, periods in everything]
        assert len(set(oldest)) < len(oldest) / 3
        assert brute_force(session, OverdueFilter(district="SKHDT")) == []
        assert 0 < len(brute_force(session, OverdueFilter(q="3.3"))) < len(everything)
        assert len(brute_force(session, OverdueFilter(plan="BK-KTTT-2015-2020"))) == len(everything)
        listed = {i for _, periods in everything for i in periods}
        later = set(session.scalars(select(Occurrence.id).where(Occurrence.completed_on > TODAY)))
        assert later & listed, "periods done after the day asked are listed on it"
        assert session.scalars(select(Task.id).where(Task.retired == True)).all()  # noqa: E712
        assert session.scalars(select(Occurrence.id).where(Occurrence.kind == OccurrenceKind.WITHDRAWN.value)).all()


def test_the_first_page_reads_only_as_far_as_its_last_duty(generated, monkeypatch):
    """Oldest first, the first page of 5 stops reading rows soon after its fifth duty; by agency, the first
    batch of agencies suffices (one statement, their tasks each probed) and the whole list is never grouped."""
    monkeypatch.setattr(dashboard, "WALK_ROWS", 4)
    statements = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with Session(generated.engine) as session:
        everything = brute_force(session, OverdueFilter())
        event.listen(generated.engine, "before_cursor_execute", keep)
        try:
            first = overdue_duty_page(session, now=NOW, flt=OverdueFilter(), page=1, page_size=5)
            by_agency = overdue_duty_page(session, now=NOW, flt=OverdueFilter(sort="agency"), page=1, page_size=5)
        finally:
            event.remove(generated.engine, "before_cursor_execute", keep)
    assert [d.task_id for d in first.items] == [t for t, _ in everything[:5]]
    assert len(by_agency.items) == 5
    batches = [s for s in statements if "lead_agency_id IN (" in s]
    assert len(batches) == 1, batches
    assert not [s for s in statements if "GROUP BY" in s and "lead_agency_id" in s], statements


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's plans")
def test_on_postgresql_the_walks_read_the_overdue_indexes_in_order_and_never_sort_or_read_a_whole_table(generated):
    """The plans PostgreSQL chooses for the page's statements, with plain scans and sorts made expensive
    (as on a national database, where they are): the rows by due date from ix_occurrence_overdue_due in order (no
    sort); by agency, the first batch of agencies' tasks only, each task's rows from ix_occurrence_overdue_task
    (never every listed row read and hashed against the batch's tasks: 25-50 ms a batch at national scale);
    no table read whole."""
    statements = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    with generated.engine.begin() as connection:
        # In normal use nothing is recorded for a day after today: the page reads the partial indexes.
        connection.execute(text("UPDATE occurrence SET completed_on = due_date WHERE completed_on > :today"),
                           dict(today=TODAY))
        connection.execute(text("ANALYZE"))
    plans, walked = {}, {}
    for flt in (OverdueFilter(), OverdueFilter(sort="-due"), OverdueFilter(sort="agency")):
        statements.clear()
        event.listen(generated.engine, "before_cursor_execute", keep)
        try:
            with Session(generated.engine) as session:
                overdue_duty_page(session, now=NOW, flt=flt, page=1, page_size=5)
        finally:
            event.remove(generated.engine, "before_cursor_execute", keep)
        with generated.engine.connect() as connection:
            connection.execute(text("SET enable_seqscan = off"))
            connection.execute(text("SET enable_bitmapscan = off"))
            connection.execute(text("SET enable_sort = off"))
            walked[flt.sort] = [s.lstrip().startswith("SELECT occurrence.due_date, occurrence.task_id") for s, _ in statements]
            plans[flt.sort] = ["\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + s, p))
                               for s, p in statements]
    for sort in ("due", "-due"):
        walk = [p for s, p in zip(walked[sort], plans[sort]) if s]
        assert len(walk) == 1 and "ix_occurrence_overdue_due" in walk[0], plans[sort]
        assert "Sort" not in walk[0] and "Aggregate" not in walk[0], walk[0]
    batches = [p for p in plans["agency"] if "lead_agency_id = ANY" in p]
    assert len(batches) == 1, plans["agency"]  # the first batch only
    assert "ix_occurrence_overdue_task" in batches[0] and "ix_occurrence_overdue_due" not in batches[0], batches[0]
    assert "Hash Join" not in batches[0], batches[0]
    for plan in (p for found in plans.values() for p in found):
        assert "Seq Scan on occurrence" not in plan and "Seq Scan on task" not in plan, plan
