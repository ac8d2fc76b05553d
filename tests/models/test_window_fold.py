"""The overview's one-pass fold (summarize_windows: each distinct period judged once, a task's category in
every window from bits) counts what the rule counts window by window (summarize, Window.holds), on
generated periods and days (issue 22)."""
from datetime import date, timedelta
from itertools import product

from hypothesis import HealthCheck, given, settings, strategies as st

from models.occurrence_values import OccurrenceKind, Progress
from models.status import EVERYTHING, Period, TaskFacts, Window, summarize, summarize_windows

DEADLINE, CHECKIN = OccurrenceKind.DEADLINE.value, OccurrenceKind.CHECKIN.value
PROGRESS = [Progress.OPEN.value, Progress.IN_PROGRESS.value, Progress.DONE.value]
QUARTERS = [Window.quarter(y, q) for y in range(2015, 2019) for q in range(1, 5)]
YEARS = [Window.year(y) for y in range(2015, 2019)]


def overview_windows(today: date) -> list[Window]:
    """The overview's: each year of the plan up to today's, each quarter begun by today."""
    return [w for w in YEARS if w.start <= today] + [w for w in QUARTERS if w.start <= today]


def held_run(windows: list[Window], period: Period) -> list[int]:
    return [i for i, w in enumerate(windows)
            if w.holds(due=period.planned, progress=period.progress, completed_on=period.completed_on)]


days = st.dates(date(2014, 10, 1), date(2019, 3, 31))


@st.composite
def periods(draw, kind=None):
    due = draw(days)
    progress = draw(st.sampled_from(PROGRESS))
    completed = draw(st.one_of(st.none(), days)) if progress == Progress.DONE.value else None
    original = draw(st.one_of(st.none(), days))  # an extension: the plan's date kept, the due date moved
    return Period(due, due - timedelta(days=draw(st.integers(0, 120))), kind or draw(st.sampled_from([DEADLINE, CHECKIN])),
                  progress, completed, original)


@st.composite
def tasks(draw):
    facts = []
    for n in range(draw(st.integers(1, 12))):
        standing = draw(st.booleans())
        found = draw(st.lists(periods(CHECKIN if standing else None), min_size=1, max_size=6,
                              unique_by=lambda p: p.due))
        task = TaskFacts(n, f"{n % 4}.{n % 2}-a/A{n % 3}", f"3.{n % 3}.1", f"A{n % 3}", f"Cơ quan {n % 3}",
                         f"P{n % 2}", sorted(found, key=lambda p: p.due), f"Agency {n % 3}")
        if len(found) > 1 and draw(st.booleans()):
            task.credited["OTHER"] = ("Cơ quan khác", "Other agency", task.periods[:1])
        facts.append(task)
    return facts


def same_summary(fold, alone) -> None:
    assert fold.duties.as_dict() == alone.duties.as_dict()
    assert fold.entries.as_dict() == alone.entries.as_dict()
    assert fold.periods.as_dict() == alone.periods.as_dict()
    assert {c: t.as_dict() for c, t in fold.by_agency.items()} == {c: t.as_dict() for c, t in alone.by_agency.items()}
    assert fold.agency_names == alone.agency_names
    assert {s: t.as_dict() for s, t in fold.by_section.items()} == {s: t.as_dict() for s, t in alone.by_section.items()}
    assert fold.duty_status == alone.duty_status
    assert (fold.extended.as_dict(), fold.extended_periods, fold.no_deadline_reported) == (
        alone.extended.as_dict(), alone.extended_periods, alone.no_deadline_reported)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(period=periods())
def test_the_windows_holding_a_period_are_one_run_from_its_due_window_to_the_one_it_was_done_in(period):
    for windows in (QUARTERS, YEARS):
        held = held_run(windows, period)
        due_in = [i for i, w in enumerate(windows) if w.start <= period.planned <= w.end]
        if not held:  # due after the last window, or done before the first began
            assert not due_in and (period.planned > windows[-1].end or (
                period.progress == Progress.DONE.value and (period.completed_on or period.planned) < windows[0].start))
            continue
        assert held == list(range(held[0], held[-1] + 1)), "a contiguous run"
        assert held[0] == (due_in[0] if due_in else 0), "from the window it is due in (or the first)"
        if period.progress != Progress.DONE.value:
            assert held[-1] == len(windows) - 1, "never done: carried into every later window"
        else:
            done = max(period.planned, period.completed_on or period.planned)
            done_in = [i for i, w in enumerate(windows) if w.start <= done <= w.end]
            assert held[-1] == (done_in[0] if done_in else len(windows) - 1), "until the window it was done in"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts=tasks(), today=days, extra=st.lists(st.tuples(days, st.integers(0, 400)), max_size=3))
def test_the_one_pass_fold_counts_every_window_and_category_as_window_holds_does(facts, today, extra):
    # The overview's windows, and any others (some beginning after the day, some overlapping).
    others = [Window(start, start + timedelta(days=length)) for start, length in extra]
    windows = overview_windows(today) + others
    (whole, year), tallies = summarize_windows(iter(facts), today, [EVERYTHING, Window.year(today.year)], windows)
    same_summary(whole, summarize(facts, today))
    same_summary(year, summarize(facts, today, Window.year(today.year)))
    for window, tally in zip(windows, tallies):
        assert tally.as_dict() == summarize(facts, today, window).duties.as_dict(), window


def test_every_single_period_around_the_quarters_edges_counts_as_window_holds_does():
    """Exhaustive over one-period duties whose dates sit on and beside the quarters' first and last days:
    due, done (on time, late, after the day asked, without a date), extended, open, a check-in."""
    edges = [date(2016, 1, 1), date(2016, 3, 31), date(2016, 4, 1), date(2016, 6, 30), date(2016, 7, 1)]
    near = sorted({d + timedelta(days=k) for d in edges for k in (-1, 0, 1)})
    today_choices = (date(2016, 3, 31), date(2016, 4, 1), date(2016, 6, 30), date(2016, 7, 1))
    facts = []
    for n, (due, completed, original, progress, kind) in enumerate(product(
            near, [None, *near[::3]], [None, date(2016, 2, 15)], PROGRESS, [DEADLINE, CHECKIN])):
        if completed and progress != Progress.DONE.value:
            continue
        facts.append(TaskFacts(n, f"1.{n}", "3.1", "A", "A", "P", [Period(due, due - timedelta(days=45), kind, progress,
                                                                         completed, original)], "A"))
    for today in today_choices:
        windows = overview_windows(today)
        (whole,), tallies = summarize_windows(iter(facts), today, [EVERYTHING], windows)
        same_summary(whole, summarize(facts, today))
        for window, tally in zip(windows, tallies):
            assert tally.as_dict() == summarize(facts, today, window).duties.as_dict(), (today, window)


def test_the_folds_ranks_give_fold_status_for_every_set_of_period_statuses():
    """summarize_windows folds a duty's periods by the highest rank (models/status.py _RANK); for each set
    of statuses its periods can have, that is the category fold_status gives."""
    from itertools import combinations

    from models.status import _BY_RANK, _RANK, StatusCategory, fold_status
    statuses = list(_RANK)
    assert set(statuses) == set(StatusCategory)
    for size in range(1, len(statuses) + 1):
        for found in combinations(statuses, size):
            assert _BY_RANK[max(_RANK[s] for s in found)] == fold_status(set(found)), found
