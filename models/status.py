"""Where a duty stands on a given day: the one module that computes status. Every surface (the CLI,
the web pages, the emails, the báo cáo and the exports) reads it; none decides a status itself.

The categories are those of the Government Office's task tracking (Decision 42/2014/QĐ-TTg and the
provincial rules under it): a duty with a deadline is *đã hoàn thành* (đúng hạn / quá hạn) or *chưa
hoàn thành* (trong hạn / quá hạn). A duty without a deadline (undated, or "thường xuyên") is none of
these: it is counted apart and is never late. Only a date the plan states, or one a person set with a
recorded reason, is a deadline.

Two units are counted, never mixed:
- a **duty** (nhiệm vụ): a task after fan-out (3.3-a/BA-BE), or a plan entry as the document numbers
  it (3.3-a);
- a **period** (kỳ) of a recurring duty: one occurrence (the report of Quý II/2016).

Everything is judged *as of a day*: a completion recorded for a later day does not count yet.
"""
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from operator import itemgetter
from typing import Iterable, Iterator, NamedTuple

from sqlalchemy import select

from config.errors import InputError

from models.occurrence_values import OccurrenceKind, Progress


class StatusCategory(StrEnum):
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    OPEN_IN_TIME = "open_in_time"
    OPEN_OVERDUE = "open_overdue"
    NO_DEADLINE = "no_deadline"  # a duty without a deadline: counted apart, never late
    NOT_STARTED = "not_started"  # a period that has not begun (periods only; a duty is then "trong hạn")

    @property
    def label_vi(self) -> str:
        return GLOSSARY[self.value].vi

    @property
    def label_en(self) -> str:
        return GLOSSARY[self.value].en

    def label(self, language: str = "vi") -> str:
        return self.label_en if language == "en" else self.label_vi

    @property
    def is_done(self) -> bool:
        return self in (StatusCategory.DONE_ON_TIME, StatusCategory.DONE_LATE)


# The four categories of every report, in their order; no-deadline duties are shown after them, apart.
FOUR = (StatusCategory.DONE_ON_TIME, StatusCategory.DONE_LATE, StatusCategory.OPEN_IN_TIME,
        StatusCategory.OPEN_OVERDUE)
COUNTED = (*FOUR, StatusCategory.NO_DEADLINE)


class Term(NamedTuple):
    vi: str
    en: str
    meaning: str


# One glossary for every surface (and the README's status section, which a test holds to it).
GLOSSARY: dict[str, Term] = {
    "done_on_time": Term("Hoàn thành đúng hạn", "Completed on time",
                         "done on or before its deadline (for a recurring duty: every period so far)"),
    "done_late": Term("Hoàn thành quá hạn", "Completed late",
                      "done, but after its deadline (for a recurring duty: some period done late)"),
    "open_in_time": Term("Chưa hoàn thành, trong hạn", "Not completed, within the deadline",
                         "not done and its deadline has not passed (includes periods not yet begun)"),
    "open_overdue": Term("Chưa hoàn thành, quá hạn", "Not completed, overdue",
                         "not done and its deadline has passed: late from 00:00 of the day after it"),
    "no_deadline": Term("Thường xuyên / không thời hạn", "Standing, without a deadline",
                        "a duty the plan gives no date (or calls thường xuyên): never late, "
                        "asked about in each year's review"),
    "not_started": Term("Chưa đến kỳ", "Period not yet begun",
                        "a period of a recurring duty that has not begun on the day asked"),
    "duty": Term("Nhiệm vụ", "Duty",
                 "one responsibility: a task (after fan-out to each agency) or a plan entry as the plan numbers it"),
    "period": Term("Kỳ", "Period",
                   "one due date of a recurring duty (Quý II/2016, năm 2017); counted apart from duties"),
    "reported": Term("Đã báo cáo kết quả năm", "Reported for the year",
                     "a duty without a deadline whose agency reported on it in that year's review"),
    "not_reported": Term("Chưa báo cáo kết quả năm", "Not reported for the year",
                         "a duty without a deadline not yet reported on in that year's review"),
    "as_of": Term("Tính đến ngày", "As of",
                  "every figure is computed as of one day: what was recorded for a later day does not count"),
}


# --- one period (an occurrence) ----------------------------------------------------------------

def done_by(progress: str, completed_on: date | None, due: date, today: date) -> bool:
    """Recorded done, on a day no later than `today` (a completion dated later does not count yet)."""
    return progress == Progress.DONE and (completed_on or due) <= today


def period_status(*, due: date, starts_on: date, kind: str, progress: str, completed_on: date | None,
                  today: date) -> StatusCategory:
    """The category of one occurrence on `today` (a calendar day in Vietnam).

    A check-in of a duty without a deadline is never late. Otherwise: done by `today` on or before
    the due date is on time, after it late; not done by `today`, overdue from the day after the due
    date, and before that within the deadline, or "not begun" before the period's first day.
    """
    if kind != OccurrenceKind.DEADLINE:
        return StatusCategory.NO_DEADLINE
    if done_by(progress, completed_on, due, today):
        return StatusCategory.DONE_ON_TIME if (completed_on or due) <= due else StatusCategory.DONE_LATE
    if today > due:
        return StatusCategory.OPEN_OVERDUE
    if today < starts_on:
        return StatusCategory.NOT_STARTED
    return StatusCategory.OPEN_IN_TIME


def days_late(*, due: date, kind: str, progress: str, completed_on: date | None, today: date) -> int:
    """Whole days past the due date while not done by `today`; 0 otherwise (and for no-deadline duties)."""
    if kind != OccurrenceKind.DEADLINE or done_by(progress, completed_on, due, today):
        return 0
    return max(0, (today - due).days)


def occurrence_status(occ, today: date) -> StatusCategory:
    return period_status(due=occ.due_date, starts_on=occ.starts_on, kind=occ.kind, progress=occ.progress,
                         completed_on=occ.completed_on, today=today)


def occurrence_days_late(occ, today: date) -> int:
    return days_late(due=occ.due_date, kind=occ.kind, progress=occ.progress, completed_on=occ.completed_on,
                     today=today)


# --- windows: what a year or a quarter covers ---------------------------------------------------

@dataclass(frozen=True)
class Window:
    """A stretch of the plan (a year, a quarter, or everything). A period belongs to it when it is
    due within it, or was due before it and still not done when it began (carried over)."""
    start: date | None = None
    end: date | None = None
    label: str = ""

    def holds(self, *, due: date, progress: str, completed_on: date | None) -> bool:
        if self.end is not None and due > self.end:
            return False
        if self.start is None or due >= self.start:
            return True
        return not done_by(progress, completed_on, due, self.start - timedelta(days=1))

    @classmethod
    def year(cls, year: int) -> "Window":
        return cls(date(year, 1, 1), date(year, 12, 31), f"Năm {year}")

    @classmethod
    def quarter(cls, year: int, quarter: int) -> "Window":
        first = date(year, 3 * quarter - 2, 1)
        last = (date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)) - timedelta(days=1)
        return cls(first, last, f"Quý {'I II III IV'.split()[quarter - 1]}/{year}")

    @classmethod
    def half(cls, year: int, half: int) -> "Window":
        return cls(date(year, 1, 1) if half == 1 else date(year, 7, 1),
                   date(year, 6, 30) if half == 1 else date(year, 12, 31), f"{'6 tháng đầu' if half == 1 else '6 tháng cuối'} năm {year}")


EVERYTHING = Window()


def period_window(period: str | None) -> Window:
    """2016 (a year), 2016-Q2 (a quarter), 2016-H1 (a half year); none: the whole plan."""
    if not period:
        return EVERYTHING
    found = re.fullmatch(r"(\d{4})(?:-(Q[1-4]|H[12]))?", period.strip().upper())
    if not found:
        raise InputError(f"'{period}' is not a period: write 2016, 2016-Q2 or 2016-H1", field="--period",
                         vi=f"'{period}' không phải kỳ báo cáo: viết 2016, 2016-Q2 hoặc 2016-H1")
    year, part = int(found.group(1)), found.group(2)
    if part is None:
        return Window.year(year)
    if part.startswith("Q"):
        return Window.quarter(year, int(part[1]))
    return Window.half(year, int(part[1]))


def period_label(due: date, rrule: str | None, language: str = "vi") -> str:
    """How a report names the period an occurrence covers: "Quý I/2015", "Tháng 3/2016", "Năm 2017"
    (in English: "Q1 2015", "March 2016", "2017")."""
    rule = (rrule or "").upper()
    if language == "en":
        return _period_label_en(due, rule)
    if "FREQ=MONTHLY" in rule and "INTERVAL=3" in rule:
        return f"Quý {'I II III IV'.split()[(due.month - 1) // 3]}/{due.year}"
    if "FREQ=MONTHLY" in rule and "INTERVAL=6" in rule:
        return f"{'6 tháng đầu' if due.month <= 6 else '6 tháng cuối'} năm {due.year}"
    if "FREQ=MONTHLY" in rule:
        return f"Tháng {due.month}/{due.year}"
    if "FREQ=YEARLY" in rule and "INTERVAL=2" in rule:
        return f"Năm {due.year} (hai năm một lần)"
    return f"Năm {due.year}"


def _period_label_en(due: date, rule: str) -> str:
    if "FREQ=MONTHLY" in rule and "INTERVAL=3" in rule:
        return f"Q{(due.month - 1) // 3 + 1} {due.year}"
    if "FREQ=MONTHLY" in rule and "INTERVAL=6" in rule:
        return f"H{1 if due.month <= 6 else 2} {due.year}"
    if "FREQ=MONTHLY" in rule:
        return due.strftime("%B %Y")
    if "FREQ=YEARLY" in rule and "INTERVAL=2" in rule:
        return f"{due.year} (every two years)"
    return str(due.year)


# --- a duty: its periods together ---------------------------------------------------------------

class Period(NamedTuple):
    """What the status of a duty needs of each of its occurrences. `due` is the date in force (an
    approved extension's), against which it is judged; `original` the plan's date when it was extended."""
    due: date
    starts_on: date
    kind: str
    progress: str
    completed_on: date | None
    original: date | None = None

    @property
    def planned(self) -> date:
        """The plan's date: which period it is, and which window holds it (an extension does not move it)."""
        return self.original or self.due

    @property
    def extended(self) -> bool:
        return self.original is not None


def duty_status(periods: Iterable[Period], today: date) -> StatusCategory:
    """The category of a duty on `today`, from its periods (those of the window asked about).

    No deadline among them: a duty without a deadline. Otherwise overdue if any period is; else not
    completed within the deadline if any is still to do (begun or not); else done late if any period
    was done late; else done on time.
    """
    return fold_status(period_categories(periods, today))


def period_categories(periods: Iterable[Period], today: date) -> set[StatusCategory]:
    """The categories its periods are in on `today` (what duty_status folds; a plan entry folds the
    union of its tasks' sets, so it keeps a set, not the periods)."""
    return {period_status(due=p.due, starts_on=p.starts_on, kind=p.kind, progress=p.progress,
                          completed_on=p.completed_on, today=today) for p in periods}


def period_states(periods: Iterable[Period], today: date) -> list[StatusCategory]:
    """period_status of each period on `today`, in their order."""
    return [period_status(due=p.due, starts_on=p.starts_on, kind=p.kind, progress=p.progress,
                          completed_on=p.completed_on, today=today) for p in periods]


def fold_status(found: set[StatusCategory]) -> StatusCategory:
    """duty_status's rule, on the categories of the periods."""
    found = found - {StatusCategory.NO_DEADLINE}
    if not found:
        return StatusCategory.NO_DEADLINE
    for category in (StatusCategory.OPEN_OVERDUE, StatusCategory.OPEN_IN_TIME, StatusCategory.NOT_STARTED,
                     StatusCategory.DONE_LATE):
        if category in found:
            return StatusCategory.OPEN_IN_TIME if category == StatusCategory.NOT_STARTED else category
    return StatusCategory.DONE_ON_TIME


def entry_ref(ref: str) -> str:
    """The plan entry a task comes from, as the document numbers it: 3.3-a for 3.3-a/BA-BE."""
    return ref.split("/", 1)[0]


# --- counting ----------------------------------------------------------------------------------

@dataclass
class Tally:
    """Counts per category of one unit (duties or periods)."""
    counts: dict[StatusCategory, int] = field(default_factory=lambda: {c: 0 for c in COUNTED})

    def add(self, category: StatusCategory, n: int = 1) -> None:
        if category == StatusCategory.NOT_STARTED:
            category = StatusCategory.OPEN_IN_TIME
        self.counts[category] = self.counts.get(category, 0) + n

    def __getitem__(self, category: StatusCategory) -> int:
        return self.counts.get(category, 0)

    @property
    def with_deadline(self) -> int:
        return sum(self.counts[c] for c in FOUR)

    @property
    def done(self) -> int:
        return self[StatusCategory.DONE_ON_TIME] + self[StatusCategory.DONE_LATE]

    @property
    def open(self) -> int:
        return self[StatusCategory.OPEN_IN_TIME] + self[StatusCategory.OPEN_OVERDUE]

    @property
    def due_so_far(self) -> int:
        """Duties whose deadline has arrived or been met: the base of the on-time rate."""
        return self.done + self[StatusCategory.OPEN_OVERDUE]

    @property
    def on_time_rate(self) -> float | None:
        return self[StatusCategory.DONE_ON_TIME] / self.due_so_far if self.due_so_far else None

    def as_dict(self) -> dict[str, int]:
        return {c.value: self.counts.get(c, 0) for c in COUNTED}


@dataclass
class TaskFacts:
    """One live task and its periods in the window, as read from the database."""
    task_id: int
    ref: str
    section: str
    agency_code: str
    agency_name: str
    plan_code: str
    periods: list[Period]
    agency_name_en: str = ""
    # Periods credited to another agency than the lead (done before the duty was reassigned,
    # models/reassignment.py): code -> (name_vi, name_en, periods). Empty for nearly every task.
    credited: dict[str, tuple[str, str, list[Period]]] = field(default_factory=dict)

    def shares(self) -> list[tuple[str, str, str, list[Period]]]:
        """(agency code, name, English name, periods) for each agency the task's periods count for."""
        if not self.credited:
            return [(self.agency_code, self.agency_name, self.agency_name_en, self.periods)]
        others = {id(p) for _, _, periods in self.credited.values() for p in periods}
        found = [(code, vi, en, periods) for code, (vi, en, periods) in self.credited.items()]
        own = [p for p in self.periods if id(p) not in others]
        return ([(self.agency_code, self.agency_name, self.agency_name_en, own)] if own else []) + found


@dataclass
class StatusSummary:
    """Every count a report or a page shows for one window on one day, all from the same facts."""
    today: date
    window: Window
    duties: Tally = field(default_factory=Tally)
    entries: Tally = field(default_factory=Tally)
    periods: Tally = field(default_factory=Tally)
    by_agency: dict[str, Tally] = field(default_factory=dict)  # duties per lead agency code
    agency_names: dict[str, tuple[str, str]] = field(default_factory=dict)  # code: (vi, en)
    by_section: dict[str, Tally] = field(default_factory=dict)  # duties per plan section (3.1, 3.2, ...)
    no_deadline_reported: int = 0  # no-deadline duties reported on for the window's year
    # Duties with a period whose deadline was extended (đã gia hạn), per category: counted apart as well.
    extended: Tally = field(default_factory=Tally)
    extended_periods: int = 0
    duty_status: dict[str, StatusCategory] = field(default_factory=dict)  # per task ref

    @property
    def no_deadline_not_reported(self) -> int:
        return self.duties[StatusCategory.NO_DEADLINE] - self.no_deadline_reported


def top_section(section: str) -> str:
    """3.1 for 3.1.12; 3.3 for 3.3; 4.2 for 4.2."""
    parts = section.split(".")
    return ".".join(parts[:2])


def summarize(facts: Iterable[TaskFacts], today: date, window: Window = EVERYTHING) -> StatusSummary:
    """Counts of duties (tasks and plan entries) and periods per category, as of `today`, over the
    periods `window` holds. A task with no period in the window is not counted in it; a no-deadline
    duty counts in every window of the plan (its check-ins say whether it was reported)."""
    counting = Summarizer(today, window)
    for task in facts:
        counting.add(task)
    return counting.result()


def summarize_windows(facts: Iterable[TaskFacts], today: date, windows: Iterable[Window],
                      duties_only: Iterable[Window] = ()) -> tuple[list[StatusSummary], list[Tally]]:
    """summarize() for several windows in one pass over `facts` (which may be a stream: each task is
    folded into every window's counts as it comes, then dropped): the whole summary of each of
    `windows`, and only the duties' tally of each of `duties_only` (the years and quarters of a chart).

    Each distinct period is judged once: its status on the day (period_status) and the windows holding
    it (Window.holds, one bit per window), remembered while the stream goes on, since thousands of
    duties share the same dates. A duty's category in a window is the worst status among the periods
    the window holds (fold_status), so the ORs of those bits per status give a task's category in every
    window at once; tasks with the same bits are counted together and each window's tally is read off
    at the end (issue 22: 19 windows x 1M periods at national scale took ~19M Window.holds calls)."""
    windows, duties_only = list(windows), list(duties_only)
    every = windows + duties_only
    full = [_FullWindow(today, w, 1 << j) for j, w in enumerate(windows)]
    light_bits = sum(1 << i for i in range(len(windows), len(every)))
    judged = _Judged(today, every)
    shapes: dict[tuple[int, int, int, int, int], int] = {}
    periods: Counter = Counter()  # judged periods: how many of each (a window's periods are counted from them)
    for task in facts:
        infos = judged.periods(task.periods)
        periods.update(infos)
        held = [0] * 12  # per slot (rank, + 6 if extended): the windows holding a period of that status
        for _, bits, slot, _ in infos:
            held[slot] |= bits
        if held[7] | held[8] | held[9] | held[10] | held[11]:
            extended = held[7] | held[8] | held[9] | held[10] | held[11]
            held = [held[r] | held[r + 6] for r in range(6)]
        else:
            extended = 0
        dated = held[1] | held[2] | held[3] | held[4] | held[5]  # 0: no deadline at all
        worse = held[5] | held[4] | held[3]
        shape = (held[5] & light_bits, (held[4] | held[3]) & ~held[5] & light_bits, held[2] & ~worse & light_bits,
                 held[1] & ~(worse | held[2]) & light_bits,
                 0 if dated else light_bits)  # a duty without any deadline counts apart in every window
        shapes[shape] = shapes.get(shape, 0) + 1
        for counting in full:
            counting.add(task, infos, held, dated, extended)
    tallies = []
    for i in range(len(windows), len(every)):
        tally = Tally()
        for masks, tasks in shapes.items():
            for category, mask in zip((StatusCategory.OPEN_OVERDUE, StatusCategory.OPEN_IN_TIME,
                                       StatusCategory.DONE_LATE, StatusCategory.DONE_ON_TIME,
                                       StatusCategory.NO_DEADLINE), masks):
                if mask >> i & 1:
                    tally.add(category, tasks)
        tallies.append(tally)
    return [c.result(periods) for c in full], tallies


# A period's status as a rank, worst highest: fold_status is the highest rank among a duty's periods
# (a period not yet begun and one within its deadline both make the duty "trong hạn"). 0: no deadline.
_RANK = {StatusCategory.NO_DEADLINE: 0, StatusCategory.DONE_ON_TIME: 1, StatusCategory.DONE_LATE: 2,
         StatusCategory.NOT_STARTED: 3, StatusCategory.OPEN_IN_TIME: 4, StatusCategory.OPEN_OVERDUE: 5}
_BY_RANK = (StatusCategory.NO_DEADLINE, StatusCategory.DONE_ON_TIME, StatusCategory.DONE_LATE,
            StatusCategory.OPEN_IN_TIME, StatusCategory.OPEN_IN_TIME, StatusCategory.OPEN_OVERDUE)


class _Judged:
    """Each distinct period's (status on `today`; windows holding it as bits: bit i for windows[i].holds,
    and the bit `exists` in every period's; slot: the rank of the status, + 6 for an extended deadline;
    the year a done check-in reports for, or 0), computed once and remembered (up to `keep` periods,
    then forgotten)."""

    def __init__(self, today: date, windows: list[Window], keep: int = 200_000):
        self.today, self.windows, self.keep = today, windows, keep
        self.known: dict[Period, tuple[StatusCategory, int, int, int]] = {}
        self.exists = 1 << len(windows)  # a bit no window has, set for every period

    def periods(self, periods: list[Period]) -> list[tuple[StatusCategory, int, int, int]]:
        known = self.known
        found = list(map(known.get, periods))
        if None in found:
            found = [info or self._judge(p) for p, info in zip(periods, found)]
        return found

    def _judge(self, p: Period) -> tuple[StatusCategory, int, int, int]:
        if len(self.known) >= self.keep:
            self.known.clear()
        state = period_status(due=p.due, starts_on=p.starts_on, kind=p.kind, progress=p.progress,
                              completed_on=p.completed_on, today=self.today)
        bits = self.exists
        for i, window in enumerate(self.windows):
            if window.holds(due=p.planned, progress=p.progress, completed_on=p.completed_on):
                bits |= 1 << i
        rank = _RANK[state]
        # the year of the review a done check-in reports for (0: none)
        reported = p.due.year if p.kind == OccurrenceKind.CHECKIN and done_by(p.progress, p.completed_on, p.due,
                                                                               self.today) else 0
        info = self.known[p] = (state, bits, rank + 6 if rank and p.extended else rank, reported)
        return info


_REPORTED = itemgetter(3)  # of a judged period: the year a done check-in reports for


class _FullWindow:
    """Summarizer's counts for one window (bit `bit` of the periods' bits), from the judged periods of
    each task: summarize_windows's whole summaries. Counts are kept in plain dicts, made Tallies at the end."""

    def __init__(self, today: date, window: Window, bit: int):
        self.summary = StatusSummary(today, window)
        self.today, self.bit = today, bit
        self.report_year = min(window.end or today, today).year  # as Summarizer: the review a check-in counts for
        self.entries: dict[tuple[str, str], int] = {}  # plan entry: the highest rank among its tasks'
        self.duties: dict[int, int] = {}  # rank: duties
        self.agencies: dict[tuple[str, int], int] = {}  # (agency code, rank): duties
        self.by_section: dict[tuple[str, int], int] = {}  # (section, rank): duties
        self.sections: dict[str, str] = {}

    def add(self, task: TaskFacts, infos: list[tuple[StatusCategory, int, int, int]], held: list[int], dated: int,
            extended: int) -> None:
        summary, bit = self.summary, self.bit
        if dated:
            if not dated & bit:
                return  # a duty with deadlines, none of them in this window
            rank = 5 if held[5] & bit else 4 if (held[4] | held[3]) & bit else 2 if held[2] & bit else 1
        else:
            rank = 0
        category = _BY_RANK[rank]
        self.duties[rank] = self.duties.get(rank, 0) + 1
        summary.duty_status[task.ref] = category
        if extended & bit:
            summary.extended.add(category)
            summary.extended_periods += sum(1 for _, bits, slot, _ in infos if slot > 6 and bits & bit)
        periods = task.periods
        if task.credited:  # a reassigned duty counts for each agency's part (rare: the rule as Summarizer)
            held_periods = ([p for p, info in zip(periods, infos) if info[1] & bit] if dated
                            else [p for p in periods if p.kind == OccurrenceKind.CHECKIN])
            for code, name, name_en, share in task.shares():
                part = _share_status(share, held_periods, self.today)
                if part is not None:
                    summary.by_agency.setdefault(code, Tally()).add(part)
                    summary.agency_names[code] = (name, name_en)
        else:
            key = (task.agency_code, rank)
            if key not in self.agencies:
                self.agencies[key] = 0
                summary.agency_names[task.agency_code] = (task.agency_name, task.agency_name_en)
            self.agencies[key] += 1
        section = self.sections.get(task.section)
        if section is None:
            section = self.sections[task.section] = top_section(task.section)
        key = (section, rank)
        self.by_section[key] = self.by_section.get(key, 0) + 1
        entry = (task.plan_code, entry_ref(task.ref))
        if self.entries.get(entry, -1) < rank:
            self.entries[entry] = rank
        if not dated and self.report_year in map(_REPORTED, infos):
            summary.no_deadline_reported += 1

    def result(self, periods: Counter) -> StatusSummary:
        """The summary, its periods counted from `periods` (how many periods had each judged info): every
        deadline the window holds, except those not yet begun."""
        summary = self.summary
        for rank, n in self.duties.items():
            summary.duties.add(_BY_RANK[rank], n)
        for (code, rank), n in self.agencies.items():
            summary.by_agency.setdefault(code, Tally()).add(_BY_RANK[rank], n)
        for (section, rank), n in self.by_section.items():
            summary.by_section.setdefault(section, Tally()).add(_BY_RANK[rank], n)
        summary.entries = Tally()
        for rank in self.entries.values():
            summary.entries.add(_BY_RANK[rank])
        summary.periods = Tally()
        for (state, bits, slot, _), n in periods.items():
            if slot and slot != 3 and slot != 9 and bits & self.bit:
                summary.periods.add(state, n)
        return summary


class Summarizer:
    """summarize(), one task at a time: what it keeps between tasks is counts (and, per plan entry,
    the set of its periods' categories), never the periods. `duties_only`: the duties' tally alone."""

    def __init__(self, today: date, window: Window = EVERYTHING, *, duties_only: bool = False):
        self.summary = StatusSummary(today, window)
        self.today, self.window, self.duties_only = today, window, duties_only
        # The year whose review a no-deadline duty is reported in: the window's, or this one's.
        self.report_year = min(window.end or today, today).year
        self.entries: dict[tuple[str, str], set[StatusCategory]] = {}

    def add(self, task: TaskFacts, states: list[StatusCategory] | None = None,
            held: list[int] | None = None) -> None:
        """Count `task`; `states`: period_status of each of its periods on the day, `held`: the indexes
        of those the window holds (computed here if not given: summarize_windows works them out once
        for every window)."""
        summary, today, window, periods = self.summary, self.today, self.window, task.periods
        if states is None:
            states = period_states(periods, today)
        if held is None:
            held = [i for i, p in enumerate(periods)
                    if window.holds(due=p.planned, progress=p.progress, completed_on=p.completed_on)]
        deadlines = [i for i in held if periods[i].kind == OccurrenceKind.DEADLINE]
        if not deadlines:
            if any(p.kind == OccurrenceKind.DEADLINE for p in periods):
                return  # a duty with deadlines, none of them in this window
            held = [i for i, p in enumerate(periods) if p.kind == OccurrenceKind.CHECKIN]
        found = {states[i] for i in held}
        category = fold_status(found)
        summary.duties.add(category)
        if self.duties_only:
            return
        summary.duty_status[task.ref] = category
        if any(periods[i].extended for i in deadlines):
            summary.extended.add(category)
            summary.extended_periods += sum(1 for i in deadlines if periods[i].extended)
        held_periods = [periods[i] for i in held]
        for code, name, name_en, share in task.shares():  # a reassigned duty counts for each agency's part
            part = category if not task.credited else _share_status(share, held_periods, today)
            if part is None:
                continue
            summary.by_agency.setdefault(code, Tally()).add(part)
            summary.agency_names[code] = (name, name_en)
        summary.by_section.setdefault(top_section(task.section), Tally()).add(category)
        self.entries.setdefault((task.plan_code, entry_ref(task.ref)), set()).update(found)
        if category == StatusCategory.NO_DEADLINE and any(
                p.due.year == self.report_year and done_by(p.progress, p.completed_on, p.due, today)
                for p in held_periods):
            summary.no_deadline_reported += 1
        for i in deadlines:
            if states[i] != StatusCategory.NOT_STARTED:
                summary.periods.add(states[i])

    def result(self) -> StatusSummary:
        """The summary of the tasks added so far (the plan entries folded now)."""
        self.summary.entries = Tally()
        for found in self.entries.values():
            self.summary.entries.add(fold_status(found))
        return self.summary


def _share_status(share: list[Period], held: list[Period], today: date) -> StatusCategory | None:
    """One agency's part of a reassigned duty in the window: the status of its periods there."""
    mine = [p for p in held if any(p is q for q in share)]
    return duty_status(mine, today) if mine else None


# --- reading the facts ---------------------------------------------------------------------------

def read_facts(session, *, plan_id: int | None = None, agency_id: int | None = None) -> list[TaskFacts]:
    """Every live task (of a plan, of a lead agency) with its deadlines and check-ins, in one query."""
    return list(iter_facts(session, plan_id=plan_id, agency_id=agency_id))


def iter_facts(session, *, plan_id: int | None = None, agency_id: int | None = None,
               chunk: int = 5000) -> Iterator[TaskFacts]:
    """read_facts() as a stream: one task at a time, the rows fetched `chunk` at a time (a server-side
    cursor on PostgreSQL), so a caller that folds each task into counts holds one task, not them all.
    Read it to the end before the session runs another query."""
    from sqlalchemy import func
    from sqlalchemy.orm import aliased

    from models.agency import Agency
    from models.occurrence import Occurrence
    from models.plan import Plan, Task
    held = aliased(Agency)
    statement = (
        select(Task.id, Task.ref, Task.section, Agency.code, Agency.name_vi, Agency.name_en, Plan.code,
               Occurrence.due_date, Occurrence.starts_on, Occurrence.kind, Occurrence.progress,
               Occurrence.completed_on, Occurrence.original_due, held.code, held.name_vi, held.name_en)
        .select_from(Occurrence).join(Task, Occurrence.task_id == Task.id)
        .join(Agency, Task.lead_agency_id == Agency.id).join(Plan, Task.plan_id == Plan.id)
        .outerjoin(held, Occurrence.held_by_agency_id == held.id)
        .where(Task.retired == False,  # noqa: E712
               Occurrence.kind.in_([OccurrenceKind.DEADLINE.value, OccurrenceKind.CHECKIN.value]))
        .order_by(Task.id, Occurrence.due_date)
        .execution_options(yield_per=chunk))
    if plan_id is not None:
        statement = statement.where(Task.plan_id == plan_id)
    if agency_id is not None:  # the agency's duties: those it leads, and the periods credited to it
        statement = statement.where(func.coalesce(Occurrence.held_by_agency_id, Task.lead_agency_id) == agency_id)
    current: TaskFacts | None = None
    for (task_id, ref, section, code, name_vi, name_en, plan_code, due, starts_on, kind, progress,
         completed_on, original, held_code, held_vi, held_en) in session.execute(statement):
        if agency_id is not None and held_code is not None:  # one agency asked about: its part, under its name
            code, name_vi, name_en, held_code = held_code, held_vi, held_en, None
        if current is None or current.task_id != task_id:
            if current is not None:
                yield current
            current = TaskFacts(task_id, ref, section, code, name_vi, plan_code, [], name_en)
        period = Period(due, starts_on, kind, progress, completed_on, original)
        current.periods.append(period)
        if held_code is not None and held_code != code:
            current.credited.setdefault(held_code, (held_vi, held_en, []))[2].append(period)
    if current is not None:
        yield current


def iter_facts_packed(session, *, plan_id: int | None = None, chunk: int = 2000) -> Iterator[TaskFacts]:
    """iter_facts() (every live task of the database, or of a plan) read as one row per task: the
    database groups each task's deadlines and check-ins into one string (group_concat / string_agg),
    so a national database's million occurrences come back as its tasks' rows, and a period seen in
    one task (the same dates and progress) is one Period object for every task that has it. The same
    TaskFacts as iter_facts, each task's periods in due-date order."""
    from sqlalchemy import String, cast, func, literal, text

    from models.agency import Agency
    from models.occurrence import Occurrence
    from models.plan import Plan, Task
    postgres = session.get_bind().dialect.name == "postgresql"
    # PostgreSQL writes a date as 2016-03-31 under its default DateStyle (ISO), 2.5x faster than to_char
    iso = not postgres or str(session.execute(text("SHOW DateStyle")).scalar()).upper().startswith("ISO")

    def as_text(column):
        return func.coalesce(cast(column, String) if iso else func.to_char(column, "YYYY-MM-DD"), literal(""))

    # due;starts_on;completed_on;original_due;kind;progress;held_by_agency_id (empty when none): the
    # due date first, so the strings sort as the periods do (iter_facts's order)
    token = as_text(Occurrence.due_date)
    for column in (Occurrence.starts_on, Occurrence.completed_on, Occurrence.original_due):
        token = token.op("||")(literal(";")).op("||")(as_text(column))
    token = token.op("||")(literal(";")).op("||")(Occurrence.kind).op("||")(literal(";")).op("||")(Occurrence.progress)
    token = token.op("||")(literal(";")).op("||")(func.coalesce(cast(Occurrence.held_by_agency_id, String), literal("")))
    packed = func.string_agg(token, literal(",")) if postgres else func.group_concat(token, literal(","))
    grouped = (select(Occurrence.task_id, packed.label("periods"), func.max(Occurrence.held_by_agency_id).label("held"))
               .where(Occurrence.kind.in_([OccurrenceKind.DEADLINE.value, OccurrenceKind.CHECKIN.value]))
               .group_by(Occurrence.task_id))
    if plan_id is not None:
        grouped = grouped.where(Occurrence.task_id.in_(select(Task.id).where(Task.plan_id == plan_id)))
    grouped = grouped.subquery()
    statement = (select(Task.id, Task.ref, Task.section, Task.lead_agency_id, Task.plan_id, grouped.c.periods,
                        grouped.c.held)
                 .join(grouped, grouped.c.task_id == Task.id)
                 .where(Task.retired == False)  # noqa: E712
                 .order_by(Task.id).execution_options(yield_per=chunk))
    agencies = {row[0]: row[1:] for row in session.execute(select(Agency.id, Agency.code, Agency.name_vi,
                                                                    Agency.name_en))}
    plans = dict(session.execute(select(Plan.id, Plan.code)).all())
    seen: dict[str, Period] = {}

    def read(piece: str) -> Period:
        if len(seen) >= 200_000:
            seen.clear()
        due, starts_on, completed_on, original, kind, progress, _ = piece.split(";")
        period = seen[piece] = Period(date.fromisoformat(due), date.fromisoformat(starts_on), kind, progress,
                                      date.fromisoformat(completed_on) if completed_on else None,
                                      date.fromisoformat(original) if original else None)
        return period

    # Core rows straight from the connection (the session's own transaction): no ORM row processing.
    for task_id, ref, section, lead_id, plan_id_, packed_periods, credited in session.connection().execute(statement):
        code, name_vi, name_en = agencies[lead_id]
        pieces = packed_periods.split(",")
        pieces.sort()
        periods = list(map(seen.get, pieces))
        if None in periods:
            periods = [period or read(piece) for piece, period in zip(pieces, periods)]
        facts = TaskFacts(task_id, ref, section, code, name_vi, plans[plan_id_], periods, name_en)
        for piece, period in zip(pieces, periods) if credited is not None else ():
            if piece[-1] != ";":  # done before the duty was reassigned: credited to the agency that did it
                held_code, held_vi, held_en = agencies[int(piece.rsplit(";", 1)[1])]
                if held_code != code:
                    facts.credited.setdefault(held_code, (held_vi, held_en, []))[2].append(period)
        yield facts
