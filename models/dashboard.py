"""What the dashboard asks of the data: counts of duties per status category, on-time rates, the
four categories per year, and the filtered, sorted, paginated overdue list. Read-only; `now` comes from
the caller. Every status is computed by models/status.py; this module only reads and groups.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Boolean, and_, bindparam, func, literal_column, or_, select, text
from sqlalchemy.orm import aliased
from sqlmodel import Session

from models.agency import Agency, AgencyKind, FocalPoint, FocalPointRole
from models.clock import local_date, start_of_day
from models.occurrence import HAS_DEADLINE, Occurrence, open_as_of
from models.plan import Plan, Task
from models.status import (COUNTED, EVERYTHING, StatusCategory, StatusSummary, Tally, Window, iter_facts, iter_facts_packed,
                           period_label, summarize, summarize_windows)

PAGE_SIZE = 50


def status_summary(session: Session, *, now: datetime, window: Window = EVERYTHING,
                   agency_id: int | None = None, plan_id: int | None = None) -> StatusSummary:
    return summarize(iter_facts(session, plan_id=plan_id, agency_id=agency_id), local_date(now), window)


def category_counts(session: Session, *, now: datetime, agency_id: int | None = None) -> dict[StatusCategory, int]:
    """Duties (tasks) per category on the day of `now`: the four categories, then those without a deadline."""
    tally = status_summary(session, now=now, agency_id=agency_id).duties
    return {category: tally[category] for category in COUNTED}


@dataclass
class AgencyRate:
    code: str
    name_vi: str
    name_en: str
    on_time: int
    late: int
    overdue: int
    in_time: int = 0
    no_deadline: int = 0

    @property
    def due_so_far(self) -> int:
        return self.on_time + self.late + self.overdue

    @property
    def rate(self) -> float | None:
        """Duties done on time, of those whose deadline has come (done on time, done late, still overdue)."""
        return self.on_time / self.due_so_far if self.due_so_far else None


def _rate(code: str, names: tuple[str, str], tally: Tally) -> AgencyRate:
    return AgencyRate(code, names[0], names[1], tally[StatusCategory.DONE_ON_TIME], tally[StatusCategory.DONE_LATE],
                      tally[StatusCategory.OPEN_OVERDUE], tally[StatusCategory.OPEN_IN_TIME],
                      tally[StatusCategory.NO_DEADLINE])


def on_time_by_agency(session: Session, *, now: datetime, summary: StatusSummary | None = None) -> list[AgencyRate]:
    """Every lead agency with a duty whose deadline has come, worst on-time rate first (duties, not periods)."""
    summary = summary or status_summary(session, now=now)
    rates = [_rate(code, summary.agency_names[code], tally) for code, tally in summary.by_agency.items()]
    rates = [r for r in rates if r.due_so_far]
    return sorted(rates, key=lambda r: (r.rate, -r.due_so_far, r.code))


@dataclass
class YearBar:
    """The duties of one year of the plan (due in it, or carried into it) in the four categories."""
    year: int
    on_time: int
    late: int
    in_time: int
    overdue: int
    no_deadline: int = 0

    @property
    def total(self) -> int:
        return self.on_time + self.late + self.in_time + self.overdue


def completions_by_year(session: Session, *, now: datetime, plan_id: int | None = None) -> list[YearBar]:
    """Per year of the plan up to the day of `now`: its duties in the four categories, as of that day."""
    return overview_figures(session, now=now, plan_id=plan_id).years


def quarter_tallies(session: Session, *, now: datetime,
                    plan_id: int | None = None) -> list[tuple[str, str, dict[StatusCategory, int]]]:
    """Per quarter of the plan's years up to the day of `now`: (label "Q1/2016", period "2016-Q1", the
    duties in the four categories as of that day), from models/status.py like every other count."""
    return overview_figures(session, now=now, plan_id=plan_id).quarters


@dataclass
class OverviewFigures:
    """What the overview counts, all from one read of the facts: the whole plan's summary, each year's
    duties (YearBar) and each quarter's ((label, period, counts) as quarter_tallies gives them)."""
    summary: StatusSummary
    years: list[YearBar] = field(default_factory=list)
    quarters: list[tuple[str, str, dict[StatusCategory, int]]] = field(default_factory=list)


def overview_figures(session: Session, *, now: datetime, plan_id: int | None = None) -> OverviewFigures:
    """status_summary, completions_by_year and quarter_tallies in one pass: the tasks are streamed, each
    as one row carrying its periods (models/status.py iter_facts_packed), and each task is folded into
    every window's counts as it comes (summarize_windows: each distinct period judged once), so memory
    holds counts, not the occurrences, whatever the size of the database."""
    today = local_date(now)
    horizon = select(func.min(Plan.horizon_start), func.max(Plan.horizon_end))
    plans = session.execute(horizon.where(Plan.id == plan_id) if plan_id else horizon).one()
    years: list[int] = []
    quarters: list[tuple[int, int, Window]] = []
    if plans[0] is not None:
        years = list(range(plans[0].year, min(plans[1].year, today.year) + 1))
        for year in years:
            for quarter in range(1, 5):
                window = Window.quarter(year, quarter)
                if window.start > today:
                    break
                quarters.append((year, quarter, window))
    (summary,), tallies = summarize_windows(iter_facts_packed(session, plan_id=plan_id), today, [EVERYTHING],
                                            [Window.year(y) for y in years] + [w for _, _, w in quarters])
    figures = OverviewFigures(summary)
    for year, tally in zip(years, tallies):
        figures.years.append(YearBar(year, tally[StatusCategory.DONE_ON_TIME], tally[StatusCategory.DONE_LATE],
                                     tally[StatusCategory.OPEN_IN_TIME], tally[StatusCategory.OPEN_OVERDUE],
                                     tally[StatusCategory.NO_DEADLINE]))
    for (year, quarter, _), tally in zip(quarters, tallies[len(years):]):
        figures.quarters.append((f"Q{quarter}/{year}", f"{year}-Q{quarter}", {c: tally[c] for c in COUNTED}))
    return figures


# --- the overdue list -------------------------------------------------------------------------

SORTS = ("due", "-due", "agency")


@dataclass
class OverdueFilter:
    agency: str | None = None  # an agency code
    district: str | None = None  # a district-level unit's code, or "*" for all of them
    section: str | None = None  # "3.1" takes in 3.1.1, 3.1.2, ...
    min_days: int = 0
    sort: str = "due"
    q: str | None = None  # words each found in the ref, the title or the lead agency's code or name
    plan: str | None = None  # a plan's code: only its tasks

    def __post_init__(self):
        if self.sort not in SORTS:
            self.sort = "due"
        self.min_days = max(0, self.min_days or 0)


@dataclass
class OverdueItem:
    occurrence_id: int
    ref: str
    title: str
    section: str
    agency_code: str
    agency_vi: str
    agency_en: str
    due: date
    days_overdue: int
    progress: str
    percent: int | None
    note: str | None
    plan: str = ""  # the plan's code


@dataclass
class OverduePage:
    items: list[OverdueItem]
    total: int
    page: int
    page_size: int
    pages: int = field(init=False)

    def __post_init__(self):
        self.pages = max(1, -(-self.total // self.page_size))


def _open_overdue(session: Session, today: date, flt: OverdueFilter) -> list:
    """Conditions on the occurrence table alone, so the partial index ix_occurrence_overdue_due
    (due_date, id, task_id WHERE progress != 'done' AND kind = 'deadline') answers them without
    reading the table (unless completions dated after `today` exist: see open_as_of)."""
    return [*_listed_periods(session, today, flt), _listed_tasks(flt)]


def _listed_periods(session: Session, today: date, flt: OverdueFilter) -> list:
    """The conditions on a period itself: open on `today`, a deadline, due at least `min_days` (1) before."""
    latest_due = today - timedelta(days=max(1, flt.min_days))
    return [open_as_of(session, today), Occurrence.due_date <= latest_due, HAS_DEADLINE]


def _listed_tasks(flt: OverdueFilter):
    """The condition on a period's task: live, and chosen by the filter."""
    task_conditions = []
    if flt.section:
        task_conditions.append(or_(Task.section == flt.section, Task.section.startswith(f"{flt.section}.")))
    if flt.agency:
        task_conditions.append(Agency.code == flt.agency)
    for word in (flt.q or "").split()[:8]:
        pattern = f"%{word.replace(chr(92), '').replace('%', '').replace('_', '')}%"
        task_conditions.append(or_(Task.ref.ilike(pattern), Task.title.ilike(pattern), Agency.code.ilike(pattern),
                                   Agency.name_vi.ilike(pattern), Agency.name_en.ilike(pattern)))
    if flt.plan:
        task_conditions.append(Task.plan_id == select(Plan.id).where(Plan.code == flt.plan).scalar_subquery())
    if flt.district == "*":
        task_conditions.append(Agency.kind == AgencyKind.DISTRICT.value)
    elif flt.district:
        task_conditions.append(and_(Agency.code == flt.district, Agency.kind == AgencyKind.DISTRICT.value))
    if task_conditions:
        # "IS NOT true" (retired is never NULL) rather than "= false": an equality would invite the
        # planner to walk ix_task_retired_section over every live task instead of the agency's.
        chosen = (select(Task.id).join(Agency, Task.lead_agency_id == Agency.id)
                  .where(Task.retired.is_not(True), *task_conditions))
        # One agency's tasks: look their rows up by task. Many tasks (every district, a section): read the
        # open rows from ix_occurrence_overdue_due and test each task (task_id + 0 keeps SQLite from
        # probing the table task by task instead, which reads every due row, done or not).
        narrow = bool(flt.agency) or (flt.district not in (None, "*"))
        return (Occurrence.task_id if narrow else Occurrence.task_id + literal_column("0")).in_(chosen)
    return Occurrence.task_id.not_in(select(Task.id).where(Task.retired == True))  # noqa: E712


def _details():
    return (select(Occurrence.id, Task.ref, Task.title, Task.section, Agency.code, Agency.name_vi, Agency.name_en,
                   Occurrence.due_date, Occurrence.progress, Occurrence.progress_percent, Occurrence.note, Plan.code)
            .select_from(Occurrence).join(Task, Occurrence.task_id == Task.id)
            .join(Agency, Task.lead_agency_id == Agency.id).join(Plan, Task.plan_id == Plan.id))


def _items(today: date, rows) -> list[OverdueItem]:
    # A row completed after `today` was still open on it (what was recorded later is not shown).
    return [OverdueItem(occ_id, ref, title, section, code, vi, en, due, (today - due).days,
                        "open" if progress == "done" else progress, None if progress == "done" else percent,
                        None if progress == "done" else note, plan)
            for occ_id, ref, title, section, code, vi, en, due, progress, percent, note, plan in rows]


def _by_due(session: Session, conditions: list, sort: str, limit: int, offset: int) -> list:
    """A page in due order: the ids from the index (due_date, id), then the details of those rows only."""
    order = ((Occurrence.due_date, Occurrence.id) if sort == "due"
             else (Occurrence.due_date.desc(), Occurrence.id.desc()))
    ids = list(session.scalars(select(Occurrence.id).where(*conditions).order_by(*order).limit(limit).offset(offset)))
    if not ids:
        return []
    rows = {row[0]: row for row in session.execute(_details().where(Occurrence.id.in_(ids)))}
    return [rows[i] for i in ids]


# The sort by agency counts agencies in code order only as far as the page: the first pages need the
# first few agencies, counted task by task in two small batches; a page further on needs most of the
# list, counted at once by reading every listable row (cheaper than probing each of ~160,000 tasks).
AGENCY_BATCHES = (8, 32)


def _agency_counts(session: Session, conditions: list, agency_ids: list[int] | None) -> dict[int, int]:
    """Rows per lead agency. For a few agencies, task by task: their tasks from
    ix_task_lead_retired_section, each task's rows from ix_occurrence_overdue_task (written as a join,
    PostgreSQL would read every listable row and hash the agencies' tasks). For every agency (None),
    the listable rows joined to their tasks (ix_task_id_lead)."""
    if agency_ids is None:
        # task_id + 0: read the open rows from the index, then each one's task (ix_task_id_lead); otherwise
        # SQLite walks every task and reads all its due rows, done or not (4x slower at national scale).
        by_task = Occurrence.task_id + literal_column("0") == Task.id
        return dict(session.execute(
            select(Task.lead_agency_id, func.count()).select_from(Occurrence).join(Task, by_task)
            .where(*conditions).group_by(Task.lead_agency_id)).all())
    lead = aliased(Task)  # the conditions' own subqueries of task stay theirs, not correlated
    rows_of_task = (select(func.count()).select_from(Occurrence)
                    .where(Occurrence.task_id == lead.id, *conditions).scalar_subquery())
    return {agency_id: int(count) for agency_id, count in session.execute(
        select(lead.lead_agency_id, func.sum(rows_of_task)).where(lead.lead_agency_id.in_(agency_ids))
        .group_by(lead.lead_agency_id)).all()}


def _by_agency(session: Session, conditions: list, limit: int, offset: int) -> list:
    """A page by agency code, then due date: count agencies in code order until the page is reached
    (whole agencies before it are skipped by their counts), then read the agencies it spans, each in
    (due_date, id) order."""
    # The database orders the codes (its collation, as ORDER BY agency.code would).
    agency_ids = list(session.scalars(select(Agency.id).order_by(Agency.code)))
    rows: list = []
    start = 0
    for size in (*AGENCY_BATCHES, None):  # None: all the others
        if start >= len(agency_ids) or len(rows) >= limit:
            break
        batch = agency_ids[start:start + size] if size else agency_ids[start:]
        start += len(batch)
        counts = _agency_counts(session, conditions, batch if size else None)
        for agency_id in batch:
            count = counts.get(agency_id, 0)
            if offset >= count:
                offset -= count
                continue
            mine = Occurrence.task_id.in_(select(Task.id).where(Task.lead_agency_id == agency_id))
            rows += _by_due(session, [*conditions, mine], "due", limit - len(rows), offset)
            offset = 0
            if len(rows) >= limit:
                break
    return rows


def _without_parallel_workers(session: Session) -> None:
    """PostgreSQL, for the rest of this transaction: no parallel workers. The page's queries read tens
    of thousands of index entries; starting workers for them cost more than it saved and took the
    cores other requests wait for (a count: 16-19 ms alone, 28-38 ms with two workers, on the shared
    2 cores; the district/section count 52-56 ms against 97-111). Nor JIT compilation: the statement
    grouping every listed duty (a page far down the sort by agency) is costed above jit_above_cost, and
    compiling it took longer than running it."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        session.execute(text("SET LOCAL jit = off"))


def overdue_page(session: Session, *, now: datetime, flt: OverdueFilter, page: int = 1,
                 page_size: int = PAGE_SIZE) -> OverduePage:
    """One page of the filtered list and the total: the page's ids from the index, then their details.
    Only the page's rows are joined to their tasks and agencies."""
    _without_parallel_workers(session)
    today = local_date(now)
    conditions = _open_overdue(session, today, flt)
    # Every sort lists the same rows: one count from ix_occurrence_overdue_due.
    total = session.execute(select(func.count()).select_from(Occurrence).where(*conditions)).scalar_one()
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    offset = (page - 1) * page_size
    if total == 0:
        ordered = []
    elif flt.sort == "agency":
        ordered = _by_agency(session, conditions, page_size, offset)
    else:
        ordered = _by_due(session, conditions, flt.sort, page_size, offset)
    return OverduePage(items=_items(today, ordered), total=total, page=page, page_size=page_size)


def overdue_all(session: Session, *, now: datetime, flt: OverdueFilter, limit: int = 100_000) -> list[OverdueItem]:
    """Every row of the filtered list (for the exports), in the chosen order: one query."""
    today = local_date(now)
    conditions = _open_overdue(session, today, flt)
    if flt.sort == "agency":
        order = (Agency.code, Occurrence.due_date, Occurrence.id)
    elif flt.sort == "-due":
        order = (Occurrence.due_date.desc(), Occurrence.id.desc())
    else:
        order = (Occurrence.due_date, Occurrence.id)
    return _items(today, session.execute(_details().where(*conditions).order_by(*order).limit(limit)).all())


# --- the overdue list, one row per duty -------------------------------------------------------

@dataclass
class OverdueDuty:
    """A duty (task) with periods overdue: its missed periods folded into one row, oldest first (as the
    digest emails fold them); the row's due date and days late are its oldest's. What was done about it
    rides along: the last reminder sent about it, when its agency's head was last told (an escalation),
    the last update recorded on it (filled by duty_followups)."""
    task_id: int
    ref: str
    title: str
    section: str
    agency_code: str
    agency_vi: str
    agency_en: str
    plan: str
    rrule: str | None
    periods: list[OverdueItem]
    last_reminder: date | None = None
    head_told: date | None = None
    last_update: tuple[datetime, str] | None = None  # (when, the audit's actor)

    @property
    def due(self) -> date:
        return self.periods[0].due

    @property
    def days_overdue(self) -> int:
        return self.periods[0].days_overdue

    @property
    def progress(self) -> OverdueItem | None:
        """The newest period with progress or a note recorded, if any."""
        return next((p for p in reversed(self.periods) if p.percent is not None or p.note), None)

    def period_name(self, item: OverdueItem) -> str:
        """"Quý II/2015" for a recurring duty's period; a one-off deadline by its date."""
        return period_label(item.due, self.rrule) if self.rrule else f"{item.due:%d/%m/%Y}"


@dataclass
class OverdueDutyPage:
    items: list[OverdueDuty]
    total: int  # duties
    periods: int  # their missed periods
    page: int
    page_size: int
    pages: int = field(init=False)

    def __post_init__(self):
        self.pages = max(1, -(-self.total // self.page_size))


def _duty_totals(connection, conditions: list) -> tuple[int, int]:
    """(periods, duties) listed: one pass over ix_occurrence_overdue_due's range, the tasks counted
    distinct (task_id + 0: as in _walk_by_due, the rows are read by due date, not task by task)."""
    tasks = (Occurrence.task_id + literal_column("0")).distinct()
    periods, duties = connection.execute(select(func.count(), func.count(tasks))
                                         .select_from(Occurrence).where(*conditions)).one()
    return int(periods), int(duties)


# Rows read at a time from the index while walking it in the page's order; tasks probed in one statement.
WALK_ROWS = 2000
PROBED = 5000


def _walk_by_due(connection, conditions: list, descending: bool, wanted: int) -> list[int]:
    """The first `wanted` duties (task ids) in due order (all of them if fewer), each placed by its oldest
    listed due date, ties by task id: the listed rows read from ix_occurrence_overdue_due in (due_date, id)
    order, streamed, until the page's duties are known; nothing else is read.

    Oldest first, a duty's place is its first row met. Newest first, a duty met on a day belongs there only
    if it has no listed row before that day: the tasks met are probed once each (their oldest listed due
    date, from ix_occurrence_overdue_task)."""
    order = ((Occurrence.due_date.desc(), Occurrence.id.desc()) if descending
             else (Occurrence.due_date, Occurrence.id))
    rows = connection.execute(select(Occurrence.due_date, Occurrence.task_id).where(*conditions).order_by(*order)
                              .execution_options(stream_results=True, max_row_buffer=WALK_ROWS))
    placed: list[int] = []
    seen: set[int] = set()
    oldest: dict[int, date] = {}  # newest first: each task's oldest listed due date, once probed

    def close_day(day: date, met: set[int]) -> None:
        fresh = met - seen
        if descending:
            unknown = [t for t in fresh if t not in oldest]
            for start in range(0, len(unknown), PROBED):
                chunk = unknown[start:start + PROBED]
                oldest.update(connection.execute(
                    select(Occurrence.task_id, func.min(Occurrence.due_date))
                    .where(*conditions, Occurrence.task_id.in_(chunk)).group_by(Occurrence.task_id)).all())
            fresh = {t for t in fresh if oldest[t] == day}
        seen.update(fresh)
        placed.extend(sorted(fresh, reverse=descending))

    try:
        day, met = None, set()
        for batch in rows.partitions(WALK_ROWS):
            for due, task_id in batch:
                if due != day:
                    if met:
                        close_day(day, met)
                        if len(placed) >= wanted:
                            return placed
                    day, met = due, set()
                met.add(task_id)
        if met:
            close_day(day, met)
        return placed
    finally:
        rows.close()


# The sort by agency reads agencies in code order only as far as the page: the first pages need the first
# few agencies, read task by task in small batches (each task one probe of ix_occurrence_overdue_task); a
# page further on needs most of the list, read at once from every listed row (cheaper than probing each of
# ~180,000 tasks: at national scale one probe per task costs about as much as reading every listed row
# once the batch holds ~100 agencies).
DUTY_AGENCY_BATCHES = (8, 32, 64)


def _agency_ids(connection, flt: OverdueFilter) -> list[int]:
    """The agencies that can lead a listed duty, in code order (the database's collation, as ORDER BY
    agency.code would): the filter's agency or district-level units only, when it names them."""
    statement = select(Agency.id).order_by(Agency.code)
    if flt.agency:
        statement = statement.where(Agency.code == flt.agency)
    if flt.district == "*":
        statement = statement.where(Agency.kind == AgencyKind.DISTRICT.value)
    elif flt.district:
        statement = statement.where(Agency.code == flt.district, Agency.kind == AgencyKind.DISTRICT.value)
    return list(connection.scalars(statement))


def _walk_by_agency(connection, conditions: list, flt: OverdueFilter, wanted: int) -> list[int]:
    """The first `wanted` duties (task ids) by the lead agency's code, then the oldest listed due date,
    then task id: agencies taken in code order, batch after batch, until the page's duties are known.
    A batch of a few agencies: their tasks from ix_task_lead_retired_section, each task's oldest listed
    due date one probe of ix_occurrence_overdue_task (a correlated subquery: written as a join, PostgreSQL
    hashed the batch's tasks and read every listed row of the country for them, 25-50 ms a batch at
    national scale against 1-4 ms). The rest at once: every listed row from ix_occurrence_overdue_due
    grouped by task, then each duty's lead agency from ix_task_id_lead."""
    agency_ids = _agency_ids(connection, flt)
    lead = aliased(Task)  # the conditions' own subqueries of task stay theirs, not correlated
    placed: list[int] = []
    start = 0
    for size in (*DUTY_AGENCY_BATCHES, None):  # None: all the others
        if start >= len(agency_ids) or len(placed) >= wanted:
            break
        batch = agency_ids[start:start + size] if size else agency_ids[start:]
        start += len(batch)
        if size:
            oldest = (select(func.min(Occurrence.due_date)).where(Occurrence.task_id == lead.id, *conditions)
                      .scalar_subquery().label("oldest"))
            # Only the tasks with a listed period come back (most of a batch's tasks have none). OFFSET 0
            # keeps PostgreSQL from merging the subquery into the outer one, which probed each task twice.
            tasks = (select(lead.lead_agency_id, lead.id, oldest)
                     .where(lead.lead_agency_id.in_(batch), lead.retired.is_not(True)).offset(0).subquery())
            statement = select(tasks.c.lead_agency_id, tasks.c.id, tasks.c.oldest).where(tasks.c.oldest.is_not(None))
        else:  # grouped by task first, then joined to the tasks (not every listed row joined, then grouped)
            task = (Occurrence.task_id + literal_column("0")).label("task")
            duties = select(task, func.min(Occurrence.due_date).label("oldest")).where(*conditions).group_by(task)
            duties = duties.subquery()
            statement = select(lead.lead_agency_id, duties.c.task, duties.c.oldest).join(lead, lead.id == duties.c.task)
        rank = {agency_id: n for n, agency_id in enumerate(batch)}
        found = [(rank[agency_id], oldest, task_id) for agency_id, task_id, oldest
                 in connection.execute(statement) if agency_id in rank]
        placed += [task_id for _, _, task_id in sorted(found)]
    return placed


def _fold(today: date, periods: list, session: Session, task_ids: list[int]) -> list[OverdueDuty]:
    """The listed periods of these tasks (listed tasks: only the conditions on periods are needed, not the
    filter's on tasks, which would be evaluated again for the whole list), folded into one duty each, in
    the order of `task_ids`."""
    if not task_ids:
        return []
    rows = session.connection().execute(_details().add_columns(Task.id, Task.rrule)
                           .where(*periods, Occurrence.task_id.in_(task_ids))
                           .order_by(Occurrence.due_date, Occurrence.id)).all()
    duties: dict[int, OverdueDuty] = {}
    for row in rows:
        item = _items(today, [row[:12]])[0]
        task_id, rrule = row[12], row[13]
        if task_id not in duties:
            duties[task_id] = OverdueDuty(task_id, item.ref, item.title, item.section, item.agency_code,
                                          item.agency_vi, item.agency_en, item.plan, rrule, [])
        duties[task_id].periods.append(item)
    return [duties[t] for t in task_ids if t in duties]


def duty_followups(session: Session, *, now: datetime, duties: list[OverdueDuty]) -> None:
    """Fill in what was done about these duties, as of the day of `now`: the day of the newest message
    sent that listed the task (a digest line, an escalation: the outbox's items name one of its
    occurrences), the day the lead agency's head was last among its recipients, and the newest
    progress, note or completion recorded on any of its periods (when and by whom, from the audit)."""
    from models.audit import AuditEntry
    from models.outbox import Message, MessageStatus, OutboxItem

    if not duties:
        return
    by_task = {d.task_id: d for d in duties}
    today = local_date(now)
    about = (select(Occurrence.task_id, OutboxItem.recipient_email, func.max(Message.send_date))
             .select_from(OutboxItem).join(Occurrence, OutboxItem.occurrence_id == Occurrence.id)
             .join(Message, OutboxItem.message_id == Message.id)
             .where(Occurrence.task_id.in_(by_task), Message.status == MessageStatus.SENT.value,
                    Message.send_date <= today)
             .group_by(Occurrence.task_id, OutboxItem.recipient_email))
    heads = {}
    for task_id, email in session.execute(
            select(Task.id, FocalPoint.email).join(FocalPoint, FocalPoint.agency_id == Task.lead_agency_id)
            .where(Task.id.in_(by_task), FocalPoint.role == FocalPointRole.HEAD.value)):
        heads.setdefault(task_id, set()).add(email.lower())
    for task_id, email, day in session.execute(about):
        duty = by_task[task_id]
        duty.last_reminder = max(filter(None, (duty.last_reminder, day)))
        if email.lower() in heads.get(task_id, ()):
            duty.head_told = max(filter(None, (duty.head_told, day)))
    occurrence_task = dict(session.execute(select(Occurrence.id, Occurrence.task_id)
                                           .where(Occurrence.task_id.in_(by_task))).all())
    if occurrence_task:
        updates = session.execute(
            select(AuditEntry.entity_id, AuditEntry.at, AuditEntry.actor)
            .where(AuditEntry.entity == "occurrence", AuditEntry.entity_id.in_(occurrence_task),
                   AuditEntry.field.in_(UPDATE_FIELDS), AuditEntry.at < start_of_day(today + timedelta(days=1)))
            .order_by(AuditEntry.id))
        for occurrence_id, at, actor in updates:
            duty = by_task[occurrence_task[occurrence_id]]
            if duty.last_update is None or at >= duty.last_update[0]:
                duty.last_update = (at, actor)


# What counts as an update of a duty: progress, its percentage, a note, a completion.
UPDATE_FIELDS = ("progress", "progress_percent", "note", "completed_on")


def overdue_duty_page(session: Session, *, now: datetime, flt: OverdueFilter, page: int = 1,
                      page_size: int = PAGE_SIZE) -> OverdueDutyPage:
    """One page of the filtered list, one row per duty, and the totals (duties and their periods): the
    totals counted from the index, the duties up to the page's last found by walking an index in the
    page's order (never every listed row grouped, unless the page is near the end of the list), then
    only the page's tasks read in full."""
    _without_parallel_workers(session)
    today = local_date(now)
    periods_listed = _listed_periods(session, today, flt)
    conditions = [*periods_listed, _listed_tasks(flt)]
    # Core rows, not the ORM's (its row handling cost more than the queries here).
    connection = session.connection()
    periods, total = _duty_totals(connection, conditions)
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    if not total:
        task_ids = []
    elif flt.sort == "agency":
        task_ids = _walk_by_agency(connection, conditions, flt, page * page_size)
    else:
        task_ids = _walk_by_due(connection, conditions, flt.sort == "-due", page * page_size)
    task_ids = task_ids[(page - 1) * page_size:page * page_size]
    duties = _fold(today, periods_listed, session, task_ids)
    duty_followups(session, now=now, duties=duties)
    return OverdueDutyPage(items=duties, total=total, periods=periods, page=page, page_size=page_size)


# The sections of the live tasks, one index seek each (a loose scan of ix_task_retired_section)
# rather than reading every task: SELECT DISTINCT would read all 160,000 of a national database.
_SECTIONS = text("""
WITH RECURSIVE found(section) AS (
    SELECT min(section) FROM task WHERE retired = :retired
    UNION ALL
    SELECT (SELECT min(t.section) FROM task t WHERE t.retired = :retired AND t.section > found.section)
    FROM found WHERE found.section IS NOT NULL
)
SELECT section FROM found WHERE section IS NOT NULL""").bindparams(bindparam("retired", type_=Boolean))


def sections(session: Session) -> list[str]:
    """The plan's sections and their parents (3.1 for 3.1.1), in reading order."""
    found = set()
    for (section,) in session.execute(_SECTIONS, dict(retired=False)):
        parts = section.split(".")
        for n in range(2, len(parts) + 1):
            found.add(".".join(parts[:n]))
    return sorted(found, key=lambda s: [int(p) if p.isdigit() else p for p in s.split(".")])


def plan_codes(session: Session) -> list[str]:
    """The loaded plans' codes: a filter is offered, and each row names its plan, when there are several."""
    return list(session.scalars(select(Plan.code).order_by(Plan.code)))


def agencies_with_tasks(session: Session, *, kind: str | None = None) -> list:
    """The agencies leading a live task, by Vietnamese name: rows with the id, code, name_vi, name_en
    and kind of Agency (plain rows: the overdue page's filter lists ~1,200 of them on every request,
    and as ORM objects they were its largest share of garbage, collected in 100-200 ms pauses)."""
    # EXISTS, one probe of ix_task_lead_agency_id per agency, rather than reading every task
    # ("IS NOT true", not "= false", so that ix_task_retired_section is not walked instead).
    statement = (select(Agency.id, Agency.code, Agency.name_vi, Agency.name_en, Agency.kind)
                 .where(select(Task.id).where(Task.lead_agency_id == Agency.id, Task.retired.is_not(True)).exists()))
    if kind:
        statement = statement.where(Agency.kind == kind)
    return list(session.execute(statement.order_by(Agency.name_vi)).all())
