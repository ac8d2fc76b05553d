"""The overview's counts folded from a stream in one pass are the counts of models/status.py's rule
applied to every window apart, on generated duties (issue 22: the national dashboard)."""
import random
from datetime import date, timedelta

from sqlalchemy import select as sa_select
from sqlmodel import Session

from models.clock import FixedClock
from models.dashboard import overview_figures, status_summary
from models.occurrence import OccurrenceKind, Progress
from models.status import (COUNTED, EVERYTHING, Period, StatusCategory, TaskFacts, Window, duty_status, entry_ref,
                           iter_facts, read_facts, summarize, summarize_windows)
from tests.web.test_pages import _record_some

WINDOWS = [Window.year(y) for y in range(2015, 2019)] + [Window.quarter(y, q) for y in range(2015, 2019)
                                                         for q in range(1, 5)]


def generated_facts(seed: int, tasks: int = 400) -> list[TaskFacts]:
    """Duties of every shape: one-off and recurring, done on time, late, later than the day asked, open,
    extended, without a deadline, some periods credited to another agency, several tasks per entry."""
    rng = random.Random(seed)
    facts = []
    for n in range(tasks):
        periods = []
        standing = rng.random() < 0.15
        due = date(2015, 1, 1) + timedelta(days=rng.randrange(0, 500))
        for _ in range(rng.choice((1, 1, 2, 4, 8))):
            done = rng.random()
            completed = (due + timedelta(days=rng.randrange(-40, 400))) if done < 0.7 else None
            original = due - timedelta(days=rng.randrange(1, 90)) if rng.random() < 0.1 else None
            periods.append(Period(due, due - timedelta(days=90),
                                  OccurrenceKind.CHECKIN.value if standing else OccurrenceKind.DEADLINE.value,
                                  Progress.DONE.value if completed else rng.choice((Progress.OPEN.value, "in_progress")),
                                  completed, original))
            due += timedelta(days=rng.choice((91, 182, 365)))
        task = TaskFacts(n, f"{n % 37}.{n % 5}-a/A{n % 11}", f"{n % 4}.{n % 3}.1", f"A{n % 11}", f"Cơ quan {n % 11}",
                         f"P{n % 2}", periods, f"Agency {n % 11}")
        if rng.random() < 0.05 and len(periods) > 1:
            task.credited["OTHER"] = ("Cơ quan khác", "Other agency", periods[:1])
        facts.append(task)
    return facts


def entries_as_before(facts: list[TaskFacts], today: date, window: Window) -> dict[str, int]:
    """Plan entries counted the way summarize() did before it kept sets: duty_status over the union
    of the held periods of the entry's tasks."""
    entries: dict[tuple[str, str], list[Period]] = {}
    for task in facts:
        held = [p for p in task.periods if window.holds(due=p.planned, progress=p.progress, completed_on=p.completed_on)]
        if not any(p.kind == OccurrenceKind.DEADLINE for p in held):
            if any(p.kind == OccurrenceKind.DEADLINE for p in task.periods):
                continue
            held = [p for p in task.periods if p.kind == OccurrenceKind.CHECKIN]
        entries.setdefault((task.plan_code, entry_ref(task.ref)), []).extend(held)
    counts = {c.value: 0 for c in COUNTED}
    for periods in entries.values():
        category = duty_status(periods, today)
        counts[(StatusCategory.OPEN_IN_TIME if category == StatusCategory.NOT_STARTED else category).value] += 1
    return counts


def test_one_pass_over_a_stream_counts_every_window_as_summarize_counts_each_apart():
    for seed, today in ((1, date(2016, 3, 31)), (2, date(2017, 1, 1)), (3, date(2018, 6, 13))):
        facts = generated_facts(seed)
        (whole,), tallies = summarize_windows(iter(facts), today, [EVERYTHING], WINDOWS)
        alone = summarize(facts, today)
        assert whole.duties.as_dict() == alone.duties.as_dict() and whole.entries.as_dict() == alone.entries.as_dict()
        assert whole.periods.as_dict() == alone.periods.as_dict()
        assert {c: t.as_dict() for c, t in whole.by_agency.items()} == {c: t.as_dict() for c, t in alone.by_agency.items()}
        assert "OTHER" in whole.by_agency
        assert {s: t.as_dict() for s, t in whole.by_section.items()} == {s: t.as_dict() for s, t in alone.by_section.items()}
        assert whole.duty_status == alone.duty_status
        assert (whole.extended.as_dict(), whole.no_deadline_reported) == (alone.extended.as_dict(), alone.no_deadline_reported)
        for window, tally in zip(WINDOWS, tallies):
            assert tally.as_dict() == summarize(facts, today, window).duties.as_dict(), window.label
        assert sum(t.with_deadline for t in tallies) > 0


def test_a_plan_entry_folds_its_tasks_periods_as_duty_status_over_them_all():
    for seed in (4, 5):
        facts = generated_facts(seed, tasks=300)
        for window in (EVERYTHING, Window.year(2016), Window.quarter(2016, 2)):
            today = date(2016, 9, 30)
            assert summarize(facts, today, window).entries.as_dict() == entries_as_before(facts, today, window)


def test_the_overview_figures_are_the_summary_years_and_quarters_of_the_facts_read_whole(loaded, web_context):
    _record_some(loaded)
    for day in (date(2015, 7, 1), date(2016, 1, 15), date(2018, 6, 30)):
        now = FixedClock.on(day).now()
        with Session(web_context.engine) as session:
            figures = overview_figures(session, now=now)
            facts = read_facts(session)
            assert [f.periods for f in iter_facts(session, chunk=7)] == [f.periods for f in facts]
            expected = status_summary(session, now=now)
        assert figures.summary.duties.as_dict() == expected.duties.as_dict() == summarize(facts, day).duties.as_dict()
        assert figures.summary.entries.as_dict() == expected.entries.as_dict()
        assert [y.year for y in figures.years] == list(range(2015, day.year + 1))
        for bar in figures.years:
            tally = summarize(facts, day, Window.year(bar.year)).duties
            assert (bar.on_time, bar.late, bar.in_time, bar.overdue, bar.no_deadline) == (
                tally[StatusCategory.DONE_ON_TIME], tally[StatusCategory.DONE_LATE], tally[StatusCategory.OPEN_IN_TIME],
                tally[StatusCategory.OPEN_OVERDUE], tally[StatusCategory.NO_DEADLINE])
        assert figures.quarters and figures.quarters[-1][1] == f"{day.year}-Q{(day.month - 1) // 3 + 1}"
        for label, period, counts in figures.quarters:
            year, quarter = period.split("-Q")
            tally = summarize(facts, day, Window.quarter(int(year), int(quarter))).duties
            assert counts == {c: tally[c] for c in COUNTED}, label


def test_the_tasks_read_one_row_each_are_the_tasks_read_row_by_row(loaded, web_context):
    """iter_facts_packed (the database packs each task's periods into one string) gives iter_facts's
    TaskFacts, on a database with every odd row: a withdrawn period, a retired task, a period credited
    to another agency, an extension, a completion without a date and one after the day asked."""
    from sqlalchemy import update

    from models.agency import Agency
    from models.occurrence import Occurrence
    from models.plan import Plan, Task
    from models.status import iter_facts_packed
    _record_some(loaded)
    with Session(web_context.engine) as session:
        rows = session.execute(select_occurrences()).all()
        ids = [r[0] for r in rows]
        lead = session.execute(sa_select(Task.lead_agency_id).where(Task.id == rows[7][1])).scalar_one()
        other = session.execute(sa_select(Agency.id).where(Agency.id != lead)).scalars().first()
        session.execute(update(Occurrence).where(Occurrence.id == ids[3]).values(kind=OccurrenceKind.WITHDRAWN.value))
        session.execute(update(Task).where(Task.id == rows[40][1]).values(retired=True))
        session.execute(update(Occurrence).where(Occurrence.id == ids[7]).values(
            progress=Progress.DONE.value, completed_on=date(2016, 2, 1), held_by_agency_id=other))
        session.execute(update(Occurrence).where(Occurrence.id == ids[11]).values(
            original_due=Occurrence.due_date, due_date=date(2019, 12, 31)))
        session.execute(update(Occurrence).where(Occurrence.id == ids[13]).values(progress=Progress.DONE.value,
                                                                                 completed_on=None))
        session.execute(update(Occurrence).where(Occurrence.id == ids[17]).values(progress=Progress.DONE.value,
                                                                                 completed_on=date(2030, 1, 1)))
        session.commit()
        packed = list(iter_facts_packed(session, chunk=7))
        assert packed == read_facts(session) and any(f.credited for f in packed)
        assert any(p.original for f in packed for p in f.periods)
        for plan_id in session.execute(sa_select(Plan.id)).scalars():
            assert list(iter_facts_packed(session, plan_id=plan_id)) == read_facts(session, plan_id=plan_id)
        day = date(2016, 9, 30)
        figures = overview_figures(session, now=FixedClock.on(day).now())
    expected = summarize(packed, day)
    assert figures.summary.duties.as_dict() == expected.duties.as_dict()
    assert figures.summary.periods.as_dict() == expected.periods.as_dict()
    assert {c: t.as_dict() for c, t in figures.summary.by_agency.items()} == {
        c: t.as_dict() for c, t in expected.by_agency.items()}
    for label, period, counts in figures.quarters:
        year, quarter = period.split("-Q")
        tally = summarize(packed, day, Window.quarter(int(year), int(quarter))).duties
        assert counts == {c: tally[c] for c in COUNTED}, label


def select_occurrences():
    from models.occurrence import Occurrence
    return sa_select(Occurrence.id, Occurrence.task_id).order_by(Occurrence.id)
