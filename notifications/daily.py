"""The daily sweep: which reminders go out today, grouped into one digest per person.

Rules about *when* live in models/reminders.py; this module reads the open occurrences, asks
those rules, and writes the outbox rows (one per reason) and one message per recipient.
"""
from __future__ import annotations

import gc
from collections import Counter, defaultdict
from itertools import chain
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from datetime import date, datetime, timedelta
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, NamedTuple, Sequence
from urllib.parse import quote

from sqlalchemy import Row, bindparam, func, literal_column, or_, select as sa_select
from sqlalchemy.engine import Connection

from config.policy import ReminderPolicy
from models.agency_values import AgencyKind, Duty, FocalPointRole, serving
# The sweep reads through the plain tables (the same SQL as through the table classes): finding what a
# day has to send loads neither SQLModel nor the table classes (`dondoc remind` with nothing to send).
from models.core import DONE_LATER_THAN, HAS_DEADLINE, NOT_DONE
from models.core import agency as Agency, focal_point as FocalPoint, message as Message, occurrence as Occurrence
from models.core import outbox_item as OutboxItem, task as Task, task_coordinator as TaskCoordinator
from models.reminders import (
    Firing, is_escalated, latest_firing, latest_nagged_since, latest_summary_firing, lookahead_days,
)
from models.status import period_label
from models.workdays import WorkCalendar
from notifications.reply_address import ReplyAddresses

if TYPE_CHECKING:
    from sqlmodel import Session

    from notifications.letter import PlanNames, Sender

SECTIONS = ("overdue", "due_today", "due_soon", "fyi", "summary")
OVERDUE_RULES = ("overdue", "fyi:overdue")


class Item(NamedTuple):
    """One reason to write to a person. The same item is shared by everyone it goes to (a tuple:
    one is made per late task, tens of thousands at national scale)."""
    occurrence_id: int | None
    rule: str
    nominal: date  # the day the rule names (for a late task: the day it is sent)
    section: str
    ref: str
    title: str
    due: date
    days: int
    link: str
    lead_name: str | None = None
    escalated: bool = False
    periods: int = 1  # a late task's line counts its late periods
    newest: date | None = None  # a late task's newest late due date: its nag counts from it
    plan_id: int | None = None  # the plan the email names
    rrule: str | None = None  # a periodic task's recurrence: its line names the period ("Quý II/2015")

    def key_for(self, email: str) -> str:
        """The outbox row's unique key: recipient|occurrence|rule|nominal day."""
        return f"{email}|{self.tail}"

    @property
    def tail(self) -> str:
        """The key without its recipient (the same for everyone the item goes to)."""
        if self.occurrence_id is None:
            return f"{self.rule}|{self.nominal.isoformat()}"
        return f"{self.occurrence_id}|{self.rule}|{self.nominal.isoformat()}"


@dataclass
class PlannedDigest:
    """One person's digest. Its `items` list may be the one its agency's other people read too:
    read it, never change it."""
    email: str
    name: str
    language: str
    agency_names: list[str] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    summary: list[dict] = field(default_factory=list)
    summary_total: int = 0  # late duties
    summary_periods: int = 0  # their late periods
    is_head: bool = False  # the agency's head: the digest is an escalation
    address_as: str | None = None  # the salutation's form of address and title (the directory's)
    title: str | None = None
    officers: list[dict] = field(default_factory=list)  # for a head: the officers responsible (name, email, phone)

    def sections(self) -> dict[str, list]:
        """Items by urgency; a task late for several periods is one line (oldest date, how many)."""
        grouped = {name: [] for name in SECTIONS[:4]}
        for item in sorted(self.items, key=lambda i: (i.due, i.ref)):
            if item.section in grouped:
                grouped[item.section].append(item)
        grouped["overdue"] = by_task(grouped["overdue"])
        return grouped

    def plan_ids(self) -> set[int]:
        """The plans its lines belong to (the email names them)."""
        ids = {item.plan_id for item in self.items if item.plan_id is not None}
        return ids | {i.plan_id for agency in self.summary for i in agency["occurrences"] if i.plan_id is not None}

    def template_context(self, send_date: date, *, sender: Sender | None = None, plans: list[str] | None = None,
                         act_link=None, escalate_after_days: int = 14, base_url: str = "http://127.0.0.1:8000",
                         link_days: int = 7) -> dict:
        """What the daily templates are given. `act_link(item)`: the one-click link of one of the
        recipient's own lines (else the task's page)."""
        from notifications.letter import default_sender, letter, salutation  # (the tables: only for a message made)
        return dict(recipient_name=self.name, agency_names=self.agency_names, send_date=send_date,
                    summary=self.summary, summary_total=self.summary_total, summary_periods=self.summary_periods,
                    is_head=self.is_head, officers=self.officers, escalate_after_days=escalate_after_days,
                    act_link=act_link or _task_page, period=_period_labeller(self.language), link_days=link_days,
                    overview_link=f"{base_url.rstrip('/')}/overdue", signin_link=f"{base_url.rstrip('/')}/signin",
                    **letter(self.language, sender=sender or default_sender(), plans=plans or [],
                             greeting=salutation(self.language, self.name, self.address_as, self.title)),
                    **self.sections())


def action_link(base_url: str, token: str, ref: str, plan_query: str = "") -> str:
    return f"{base_url.rstrip('/')}/act/{token}/{quote(ref, safe='/')}{plan_query}"


def _act_links(base_url: str, secret_key: str, email: str, last_day: date, plans: PlanNames | None = None):
    """A recipient's one-click links: each line's own token (email, ref, last day), made when rendered;
    with several plans loaded the link names the line's plan (?plan=CODE), as the task pages do."""
    from models.action_links import action_token
    def link(item) -> str:
        token = action_token(secret_key, email=email, ref=item.ref, last_day=last_day)
        return action_link(base_url, token, item.ref, plans.code_query(item.plan_id) if plans else "")
    return link


def _task_page(item) -> str:
    return item.link


def _period_labeller(language: str):
    """The period a periodic line covers ("Quý II/2015"); nothing for a one-off task."""
    since = "from " if language == "en" else "từ "

    def label(item) -> str:
        if not item.rrule:
            return ""
        name = period_label(item.due, item.rrule, language)
        return since + name if getattr(item, "periods", 1) > 1 else name
    return label


@dataclass
class TaskLine:
    """What a digest shows for one task: its oldest open due date and how many periods are late."""
    ref: str
    title: str
    due: date
    days: int
    link: str
    periods: int = 1
    escalated: bool = False
    lead_name: str | None = None
    plan_id: int | None = None
    rrule: str | None = None


def by_task(items: list[Item]) -> list[TaskLine]:
    lines: dict[str, TaskLine] = {}
    for item in sorted(items, key=lambda i: (i.due, i.ref)):
        line = lines.get(item.ref)
        if line is None:
            lines[item.ref] = TaskLine(item.ref, item.title, item.due, item.days, item.link, periods=item.periods,
                                       escalated=item.escalated, lead_name=item.lead_name, plan_id=item.plan_id,
                                       rrule=item.rrule)
        else:
            line.periods += item.periods
            line.escalated = line.escalated or item.escalated
    return list(lines.values())


@dataclass
class SweepResult:
    day: date
    working_day: bool
    digests: list[PlannedDigest] = field(default_factory=list)
    queued: int = 0


def task_link(base_url: str, ref: str) -> str:
    return f"{base_url.rstrip('/')}/tasks/{ref}"


def _section(due: date, today: date) -> tuple[str, int]:
    if due < today:
        return "overdue", (today - due).days
    if due == today:
        return "due_today", 0
    return "due_soon", (due - today).days


def _open_filters(as_of: bool = False):
    """Open occurrences with a deadline, of live tasks. `as_of`: also those recorded done on a day after
    `today` (still open on it); only needed when such rows exist (see models.occurrence.open_as_of)."""
    still_open = or_(NOT_DONE, DONE_LATER_THAN(bindparam("today"))) if as_of else NOT_DONE
    return still_open, HAS_DEADLINE, Task.c.retired == False  # noqa: E712


# The sweep's statements are built once, their days bound at each run: a simulation sweeps
# thousands of days, and building a statement cost as much as running it on a province's data.
# Each in two forms: the usual one, which SQLite answers from the partial indexes alone, and one for a
# day before completions already recorded (`as_of`).
def _upcoming_statement(as_of: bool):
    return (
        sa_select(Occurrence.c.id, Occurrence.c.due_date, Task.c.id, Task.c.ref, Task.c.title, Task.c.lead_agency_id,
                  Task.c.plan_id, Task.c.rrule)
        .join(Task, Occurrence.c.task_id == Task.c.id)
        .where(*_open_filters(as_of), Occurrence.c.due_date >= bindparam("today"),
               Occurrence.c.due_date <= bindparam("horizon"))
        .order_by(Occurrence.c.due_date, Occurrence.c.id)  # the index's order: the same items' order everywhere
    )


def _connection(session: Session | Connection) -> Connection:
    """What the sweep reads through: a Session's connection (in its transaction), or a Connection (a read
    that needs no ORM: whether `dondoc remind` has anything to do)."""
    return session if isinstance(session, Connection) else session.connection()


def _completed_after(session: Session, today: date) -> bool:
    return _connection(session).execute(_DONE_LATER, dict(today=today)).first() is not None


def _upcoming(session: Session, today: date, policy: ReminderPolicy):
    """Open occurrences due from today up to the horizon: each may have a "before" or due-day reminder."""
    horizon = today + timedelta(days=lookahead_days(policy))
    statement = _UPCOMING[_completed_after(session, today)]
    return _connection(session).execute(statement, dict(today=today, horizon=horizon)).all()


def _overdue_lines(session: Session, today: date) -> Sequence[Row]:
    """Every task with late open occurrences, aggregated by the database (this is the hot path: at
    national scale most open occurrences can be late, and they are summed per task, not listed).

    One row per task: task_id, ref, title, lead_id, oldest and newest late due date, how many late
    periods, an occurrence of it (the outbox row's reference to the task), plan_id, rrule."""
    # .all(): the rows fetched at once, not one by one (41,000 of them at national scale)
    statement = _OVERDUE_LINES[_completed_after(session, today)]
    return _connection(session).execute(statement, dict(today=today)).all()


# Each task's late open occurrences, summed by the database. Grouped on `task_id + 0`, not on the
# column: SQLite then reads only the late occurrences (a range of ix_occurrence_overdue_due) and
# sorts them, instead of walking every open occurrence of the country in task order through
# ix_occurrence_overdue_task (0.18 s against 0.24 s on the national benchmark; PostgreSQL the same).
_TASK_OF_LATE = Occurrence.c.task_id + literal_column("0")


def _overdue_lines_statement(as_of: bool):
    late_by_task = (
        sa_select(_TASK_OF_LATE.label("task_id"), func.min(Occurrence.c.due_date).label("oldest"),
                  func.max(Occurrence.c.due_date).label("newest"), func.count().label("periods"),
                  func.min(Occurrence.c.id).label("anchor"))
        .where(*_open_filters(as_of)[:2], Occurrence.c.due_date < bindparam("today"))
        .group_by(_TASK_OF_LATE)
        .subquery("late")
    )
    return (
        sa_select(Task.c.id, Task.c.ref, Task.c.title, Task.c.lead_agency_id, late_by_task.c.oldest,
                  late_by_task.c.newest, late_by_task.c.periods, late_by_task.c.anchor, Task.c.plan_id, Task.c.rrule)
        .join_from(late_by_task, Task, Task.c.id == late_by_task.c.task_id)
        .where(Task.c.retired == False)  # noqa: E712
        .order_by(Task.c.id)  # the digests' order of items, the same on every database
    )


_UPCOMING = {as_of: _upcoming_statement(as_of) for as_of in (False, True)}
_OVERDUE_LINES = {as_of: _overdue_lines_statement(as_of) for as_of in (False, True)}
_DONE_LATER = sa_select(Occurrence.c.id).where(DONE_LATER_THAN(bindparam("today"))).limit(1)


class Person(NamedTuple):
    """A focal point as the sweep needs it (plain values, a tuple: one per focal point in the country)."""
    email: str
    name: str
    language: str
    is_head: bool
    key: str  # the email in lower case: one digest per address
    address_as: str | None = None  # the directory's form of address (ông, bà, đồng chí), title, phone
    title: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class AgencyName:
    id: int
    kind: str
    name_vi: str
    name_en: str


_KEY = itemgetter(4)  # a Person's key
_NEWEST, _PERIODS = attrgetter("newest"), attrgetter("periods")
_NO_DATES = (None, None, None, None)
_AGENCY_NAMES = sa_select(Agency.c.id, Agency.c.kind, Agency.c.name_vi, Agency.c.name_en)
_HAS_DATES = or_(FocalPoint.c.active_from.is_not(None), FocalPoint.c.active_until.is_not(None),
                 FocalPoint.c.away_from.is_not(None), FocalPoint.c.away_to.is_not(None))
_FOCAL_POINTS = (sa_select(FocalPoint.c.agency_id, FocalPoint.c.email, FocalPoint.c.name, FocalPoint.c.language,
                           FocalPoint.c.role, FocalPoint.c.address_as, FocalPoint.c.title, FocalPoint.c.phone,
                           FocalPoint.c.id,
                           _HAS_DATES)
                 .where(FocalPoint.c.active == True).order_by(FocalPoint.c.id))  # noqa: E712
_FOCAL_POINT_DATES = (sa_select(FocalPoint.c.id, FocalPoint.c.active_from, FocalPoint.c.active_until,
                                FocalPoint.c.away_from, FocalPoint.c.away_to)
                      .where(FocalPoint.c.active == True, _HAS_DATES))  # noqa: E712


@dataclass
class Directory:
    """Who is who, as the sweep reads it: the agencies, their active focal points, each Alliance's
    plans and (read for the day's tasks, or once for all) each task's coordinating agencies.

    The daily job reads it fresh every run. A simulation reads it once for all of its days: nothing
    in it changes while simulated time passes, and re-reading it was a third of each day's sweep."""
    agencies: dict[int, AgencyName]
    people: dict[int, list[Person]]
    alliance_plans: dict[int, frozenset[int]]
    coordinators: dict[int, list[int]] | None = None  # every task's, when read once for all
    dated: frozenset[int] = frozenset()  # agencies where someone has dates (a replacement, an away period)
    head_only: frozenset[int] = frozenset()  # agencies whose only active person is the head
    with_deputy: frozenset[int] = frozenset()
    # The focal points' rows (agency, role, id), in the order of `people`, and the dates of those that
    # have any: the agencies above get their rosters (models.directory.Duty) from them when first asked.
    rows: Sequence = ()
    dates: dict[int, tuple] = field(default_factory=dict)
    rosters: dict[int, list[Duty]] = field(default_factory=dict)

    def people_on(self, day: date, deputies: str = "always") -> dict[int, list[Person]]:
        """Who reads each agency's reminders on `day` (models.directory.serving: effective dates, away
        periods, a deputy covering, the head when nobody else serves). Plain rows filtered in Python,
        only for the agencies where the answer may differ from `people` (most have no dates)."""
        key = (day, deputies)
        cache = self.__dict__.setdefault("_people_on", {})
        if key not in cache:
            cache.clear()  # one day at a time (a simulation walks the days in order)
            candidates = self.dated | self.head_only | (self.with_deputy if deputies != "always" else frozenset())
            changed, rosters = {}, self._rosters(candidates)
            for agency_id in candidates:
                readers, heads, fallback = serving(rosters[agency_id], day if agency_id in self.dated else None,
                                                   deputies=deputies)
                changed[agency_id] = ([r.person._replace(is_head=False) for r in readers] if fallback
                                      else [r.person for r in readers]) + [r.person for r in heads]
            cache[key] = {**self.people, **changed} if changed else self.people
        return cache[key]

    def _rosters(self, agency_ids: frozenset[int]) -> dict[int, list[Duty]]:
        """These agencies' active people with their roles and dates (what `serving` reads), made from
        the rows when first asked."""
        missing = agency_ids - self.rosters.keys()
        if missing:
            rows: dict[int, list] = defaultdict(list)
            for row in self.rows:
                if row[0] in missing:
                    rows[row[0]].append(row)
            for agency_id, own in rows.items():
                self.rosters[agency_id] = [Duty(person, role, *self.dates.get(row_id, _NO_DATES))
                                           for person, (_, role, row_id) in zip(self.people[agency_id], own)]
        return self.rosters

    @cached_property
    def shared_addresses(self) -> frozenset[str]:
        """The addresses (in lower case) of more than one focal point: one digest gathers their shares."""
        counted = Counter(map(_KEY, chain.from_iterable(self.people.values())))
        return frozenset(key for key, focal_points in counted.items() if focal_points > 1)

    @classmethod
    def read(cls, session: Session, *, every_task: bool = False) -> "Directory":
        connection = _connection(session)
        agencies = {row[0]: AgencyName(*row) for row in connection.execute(_AGENCY_NAMES)}
        people: dict[int, list[Person]] = defaultdict(list)
        head, new = FocalPointRole.HEAD.value, tuple.__new__  # (50,000 focal points at national scale)
        # Who serves depends on the day only where someone has dates (a replacement, an away period),
        # a deputy covers, or the head is alone: the people are made here, those agencies' rosters
        # from the rows kept, when `people_on` first needs them.
        fetched = connection.execute(_FOCAL_POINTS).all()
        for agency_id, email, name, language, role, address_as, title, phone, _, _ in fetched:
            people[agency_id].append(new(Person, (email, name, language, role == head, email.lower(), address_as,
                                                  title, phone)))
        deputy = FocalPointRole.DEPUTY.value
        alliances = {a.id for a in agencies.values() if a.kind == AgencyKind.ALLIANCE}
        directory = cls(agencies, people, _alliance_plans(session, alliances),
                        dated=frozenset({row[0] for row in fetched if row[9]}),
                        head_only=frozenset(people) - {row[0] for row in fetched if row[4] != head},
                        with_deputy=frozenset({row[0] for row in fetched if row[4] == deputy}),
                        rows=[(row[0], row[4], row[8]) for row in fetched])
        if directory.dated:
            directory.dates = {row_id: tuple(dates) for row_id, *dates in connection.execute(_FOCAL_POINT_DATES)}
        if every_task:
            directory.coordinators = defaultdict(list)
            every = (sa_select(TaskCoordinator.c.task_id, TaskCoordinator.c.agency_id)
                     .order_by(TaskCoordinator.c.task_id, TaskCoordinator.c.agency_id))
            for task_id, agency_id in connection.execute(every):
                directory.coordinators[task_id].append(agency_id)
        return directory

    def coordinators_of(self, session: Session, today: date, policy: ReminderPolicy) -> dict[int, list[int]]:
        """The coordinating agencies of every task with an open occurrence due by the horizon."""
        if not policy.coordinators_informed_on:
            return {}
        if self.coordinators is not None:
            return self.coordinators
        due = [Occurrence.c.due_date <= today + timedelta(days=lookahead_days(policy))]
        if "overdue" not in policy.coordinators_informed_on:
            # Coordinators then only hear of reminders before or on the due day: the late tasks'
            # coordinators (most of the country's, at national scale) are not needed.
            due.append(Occurrence.c.due_date >= today)
        still_open = or_(NOT_DONE, DONE_LATER_THAN(today)) if _completed_after(session, today) else NOT_DONE
        due_tasks = sa_select(Occurrence.c.task_id).where(still_open, HAS_DEADLINE, *due)
        coordinators: dict[int, list[int]] = defaultdict(list)
        statement = (sa_select(TaskCoordinator.c.task_id, TaskCoordinator.c.agency_id)
                     .where(TaskCoordinator.c.task_id.in_(due_tasks))
                     .order_by(TaskCoordinator.c.task_id, TaskCoordinator.c.agency_id))
        for task_id, agency_id in _connection(session).execute(statement).all():
            coordinators[task_id].append(agency_id)
        return coordinators


@dataclass
class Reading:
    """What the people of one agency (and role and language) read today: the reminders that trigger
    a digest, and the late lines that ride along."""
    triggers: list[Item]
    rides: list[Item]

    @cached_property
    def newest(self) -> date | None:
        """The newest late due date among the lines: a weekly nag is due once it is old enough."""
        return min(map(_NEWEST, self.rides), default=None)

    @cached_property
    def everything(self) -> list[Item]:
        return self.triggers + self.rides


_LAST_DIGESTS = (
    sa_select(Message.c.recipient_email, func.max(Message.c.send_date))
    .where(Message.c.kind == "daily", Message.c.send_date >= bindparam("since"),
           Message.c.send_date <= bindparam("today"))
    .group_by(Message.c.recipient_email))
_SENT_KEYS = sa_select(OutboxItem.c.key).where(
    OutboxItem.c.fire_date >= bindparam("since"), OutboxItem.c.fire_date <= bindparam("today"),
    OutboxItem.c.rule.not_in(OVERDUE_RULES))


def _last_digest_days(session: Session, today: date, policy: ReminderPolicy) -> dict[str, date]:
    """The day of each person's last digest, within the overdue rhythm (older ones no longer matter).

    A digest carries all of its person's late tasks, so it is when each of them was last reminded."""
    rows = _connection(session).execute(
        _LAST_DIGESTS, dict(since=today - timedelta(days=policy.overdue_every_days), today=today))
    last: dict[str, date] = {}
    for email, day in rows:
        key = email.lower()
        last[key] = max(day, last.get(key, day))
    return last


@contextmanager
def _cyclic_gc_paused():
    """The sweep makes hundreds of thousands of small objects and no reference cycles: Python's
    cycle collector would scan them all again and again as they pile up (a third of the national
    sweep), for nothing. Reference counting still frees them; the collector resumes afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if not gc.get_freeze_count():
                # What the sweep made and returns goes straight to the oldest generation (two list
                # merges): left young, all of it would be traversed at the next allocation. Not where
                # something is frozen (the web app's startup objects): unfreezing would undo that.
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def plan_daily_digests(session: Session, *, today: date, policy: ReminderPolicy, calendar: WorkCalendar,
                       base_url: str, directory: Directory | None = None) -> SweepResult:
    """What goes out today and to whom, without writing anything (a dry run shows exactly this).

    A person gets a digest when at least one of their reminders is due today; the digest then
    holds all of their late tasks too (each counts as reminded today), so the overdue rhythm of
    one person's tasks falls into step and they hear about them once a week, not daily. A task
    late for several periods is one line (and one outbox row): its oldest due date and how many.
    Each line is built once and shared by everyone who reads it (the lead agency's people, its head,
    the Alliance's summary): at national scale an agency has many focal points, and the sweep's work
    must not grow with people times lines.

    One read of the database (`read_day`), then pure steps, each a function of what the ones before
    it made: the upcoming reminders, the late lines, what each agency's people read, the Alliances'
    weekly summaries, each person's share, one digest per address.
    """
    result = SweepResult(day=today, working_day=calendar.is_working_day(today))
    if not result.working_day:
        return result
    with _cyclic_gc_paused():
        directory = directory or Directory.read(session)
        day = read_day(session, directory, today=today, policy=policy)
        tasks_url = task_link(base_url, "")  # a task's link is this and its ref
        reminders = upcoming_reminders(day.upcoming, day.coordinators, today=today, policy=policy, calendar=calendar,
                                       tasks_url=tasks_url)
        late = late_lines(day.late, day.coordinators, today=today, policy=policy, tasks_url=tasks_url)
        readings = Readings(directory.agencies, reminders, late)
        summaries = weekly_summaries(directory.alliance_plans, late.by_plan, directory.agencies, today=today,
                                     policy=policy, calendar=calendar)
        agency_ids = (set(reminders.reminded) | set(reminders.informed) | set(late.led) | set(late.coordinated)
                      | set(directory.alliance_plans))
        shares = todays_shares(agency_ids, day.people, readings, summaries, today=today,
                               last_digest=day.last_digest, sent_keys=day.sent_keys,
                               nagged_up_to=latest_nagged_since(today, policy, calendar))
        result.digests = digests_from_shares(shares, directory.agencies, day.people, directory.shared_addresses)
    return result


class Day(NamedTuple):
    """What the sweep reads from the database for one day (everything else is computed from it)."""
    people: dict[int, list[Person]]  # who reads each agency's reminders today
    last_digest: dict[str, date]  # each address's last digest, within the overdue rhythm
    sent_keys: set[str]  # the "before", due-day and summary rows already sent (recipient|occurrence|rule|day)
    upcoming: Sequence[Row]  # the open occurrences due from today to the horizon
    late: Sequence[Row]  # each late task, its late periods summed (_overdue_lines)
    coordinators: dict[int, list[int]]  # each of those tasks' coordinating agencies


def read_day(session: Session, directory: Directory, *, today: date, policy: ReminderPolicy) -> Day:
    # "Before", due-day and summary items are keyed by their nominal day, at most the lookahead
    # before today; they went out on that day or a few days before it (ahead of days off).
    since = today - timedelta(days=lookahead_days(policy) + 14)
    sent_keys = set(_connection(session).execute(_SENT_KEYS, dict(since=since, today=today)).scalars())
    return Day(directory.people_on(today, policy.deputies), _last_digest_days(session, today, policy), sent_keys,
               _upcoming(session, today, policy), _overdue_lines(session, today),
               directory.coordinators_of(session, today, policy))


class Reminders(NamedTuple):
    """Today's "before" and due-day reminders: each lead agency's own, and the copies its
    coordinating agencies are told of (each with the lead agency's id, which the copy names)."""
    reminded: dict[int, list[Item]]
    informed: dict[int, list[tuple[Item, int]]]


def upcoming_reminders(upcoming: Sequence[Row], coordinators: dict[int, list[int]], *, today: date,
                       policy: ReminderPolicy, calendar: WorkCalendar, tasks_url: str) -> Reminders:
    """The reminders due today among the upcoming occurrences (models.reminders.latest_firing)."""
    reminded: dict[int, list[Item]] = defaultdict(list)
    informed: dict[int, list[tuple[Item, int]]] = defaultdict(list)
    # Many occurrences share a due date (monthly, quarterly tasks): each date's firing is worked out once.
    firing_for = lru_cache(maxsize=None)(lambda due: latest_firing(due, today, policy, calendar))
    for occ_id, due, task_id, ref, title, lead_id, plan_id, rrule in upcoming:
        firing = firing_for(due)
        if firing is None:
            continue
        section, days = _section(due, today)
        item = Item(occ_id, firing.rule, firing.nominal, section, ref, title, due, days, tasks_url + ref,
                    plan_id=plan_id, rrule=rrule)
        reminded[lead_id].append(item)
        if firing.rule in policy.coordinators_informed_on:
            for agency_id in coordinators.get(task_id, ()):
                informed[agency_id].append((item._replace(rule=f"fyi:{firing.rule}", section="fyi"), lead_id))
    return Reminders(reminded, informed)


class LateLines(NamedTuple):
    """Each late task as one line, made once: read by its lead agency's people (`led`), by their head
    when escalated, in its Alliance's weekly summary (`by_plan`, with the lead's id), and, when the
    policy says so, by its coordinating agencies (`coordinated`, with the lead's id)."""
    led: dict[int, list[Item]]
    coordinated: dict[int, list[tuple[Item, int]]]
    by_plan: dict[int, list[tuple[int, Item]]]


def late_lines(late: Sequence[Row], coordinators: dict[int, list[int]], *, today: date, policy: ReminderPolicy,
               tasks_url: str) -> LateLines:
    led: dict[int, list[Item]] = defaultdict(list)
    coordinated: dict[int, list[tuple[Item, int]]] = defaultdict(list)
    by_plan: dict[int, list[tuple[int, Item]]] = defaultdict(list)
    coordinators_hear_of_late = "overdue" in policy.coordinators_informed_on
    # Many late tasks share their oldest due date: its days late and escalation are worked out once.
    lateness: dict[date, tuple[int, bool]] = {}
    new = tuple.__new__  # (an Item without the keyword handling: 41,000 of them at national scale)
    for task_id, ref, title, lead_id, oldest, newest, periods, anchor, plan_id, rrule in late:
        days, escalated = lateness.get(oldest) or lateness.setdefault(
            oldest, ((today - oldest).days, is_escalated(oldest, today, policy)))
        item = new(Item, (anchor, "overdue", today, "overdue", ref, title, oldest, days, tasks_url + ref, None,
                          escalated, periods, newest, plan_id, rrule))
        led[lead_id].append(item)
        by_plan[plan_id].append((lead_id, item))
        if coordinators_hear_of_late:
            for agency_id in coordinators.get(task_id, ()):
                coordinated[agency_id].append((item, lead_id))
    return LateLines(led, coordinated, by_plan)


class Readings:
    """What the people of each agency read today, made once for each agency, role and language (the
    lead agency's name in a coordinator's copy is in the reader's language) and shared by them all:
    its Reading's lists are read by every one of them, and never changed."""

    def __init__(self, agencies: dict[int, AgencyName], reminders: Reminders, late: LateLines):
        self._agencies, self._reminders, self._late = agencies, reminders, late
        self._made: dict[tuple[int, bool, str], Reading] = {}

    def of(self, agency_id: int, person: Person) -> Reading:
        key = (agency_id, person.is_head, person.language)
        read = self._made.get(key)
        if read is None:
            read = self._made[key] = self._read(agency_id, person)
        return read

    def _read(self, agency_id: int, person: Person) -> Reading:
        """The head reads only the late lines escalated to them; the others, the agency's reminders,
        the copies it is told of as coordinator, and its late lines."""
        late_lines = self._late.led.get(agency_id, [])
        if person.is_head:
            return Reading([], [i for i in late_lines if i.escalated])
        agencies = self._agencies
        fyi = [item._replace(lead_name=_name(agencies[lead_id], person))
               for item, lead_id in self._reminders.informed.get(agency_id, ())]
        late_lines = late_lines + [
            item._replace(rule="fyi:overdue", section="fyi", lead_name=_name(agencies[lead_id], person), escalated=False)
            for item, lead_id in self._late.coordinated.get(agency_id, ())]
        return Reading(self._reminders.reminded.get(agency_id, []) + fyi, late_lines)


def weekly_summaries(alliance_plans: dict[int, frozenset[int]], late_by_plan: dict[int, list[tuple[int, Item]]],
                     agencies: dict[int, AgencyName], *, today: date, policy: ReminderPolicy,
                     calendar: WorkCalendar) -> dict[int, "WeeklySummary"]:
    """Each Alliance's weekly summary (by its agency id): the late lines of the plans it takes part
    in; made once for Alliances taking part in the same plans."""
    made: dict[frozenset[int], WeeklySummary | None] = {}
    for plan_ids in set(alliance_plans.values()):
        made[plan_ids] = _weekly_summary(today, policy, calendar, agencies,
                                         [pair for plan_id in sorted(plan_ids) for pair in late_by_plan.get(plan_id, ())])
    return {agency_id: made[plan_ids] for agency_id, plan_ids in alliance_plans.items() if made[plan_ids] is not None}


class Share(NamedTuple):
    """What one focal point reads today from one of their agencies."""
    person: Person
    agency_id: int
    items: list[Item]  # may be their Reading's list, shared with their colleagues: read it, never change it
    summary: "WeeklySummary | None"  # an Alliance person's weekly summary, when it goes out to them today
    goes_today: bool  # something in it is due today (else it only rides along with another share)


def todays_shares(agency_ids: set[int], people: dict[int, list[Person]], readings: Readings,
                  summaries: dict[int, "WeeklySummary"], *, today: date, last_digest: dict[str, date],
                  sent_keys: set[str], nagged_up_to: date) -> list[Share]:
    """Each person's share of today's digests, from each agency they serve.

    A reminder already sent is not sent again. A person's weekly nag for late tasks is due when
    their last digest, and the newest late due date of a line, are old enough; after days without
    a run that is once, then weekly from it. One digest a day: a person who had today's gets nothing
    more (it waits for the next one)."""
    has_sent = {key.split("|", 1)[0] for key in sent_keys}
    shares: list[Share] = []
    for agency_id in agency_ids:
        summary = summaries.get(agency_id)
        for person in people.get(agency_id, ()):
            key = person.key
            last = last_digest.get(key)
            if last == today:
                continue
            read = readings.of(agency_id, person)
            summarised = summary is not None and not person.is_head
            if key in has_sent:
                prefix = key + "|"
                triggers = [item for item in read.triggers if prefix + item.tail not in sent_keys]
                if len(triggers) == len(read.triggers):
                    triggers = read.triggers  # (the same list: the digest can then share it)
                summarised = summarised and prefix + summary.item.tail not in sent_keys
            else:
                triggers = read.triggers
            if summarised:
                triggers = triggers + [summary.item]
            if not triggers and not read.rides:
                continue
            items = read.everything if triggers is read.triggers else triggers + read.rides
            goes_today = bool(triggers) or ((last is None or last <= nagged_up_to)
                                            and read.newest is not None and read.newest <= nagged_up_to)
            shares.append(Share(person, agency_id, items, summary if summarised else None, goes_today))
    return shares


def digests_from_shares(shares: list[Share], agencies: dict[int, AgencyName], people: dict[int, list[Person]],
                        shared_addresses: frozenset[str]) -> list[PlannedDigest]:
    """One digest per address that has a share going out today, in the order of the addresses: an
    address of one focal point gets theirs; one of several (a person serving several agencies)
    gets all of their shares in one message."""
    made: list[tuple[str, PlannedDigest]] = []
    several: dict[str, list[Share]] = defaultdict(list)
    triggered: set[str] = set()
    for share in shares:
        key = share.person.key
        if key in shared_addresses:
            several[key].append(share)
            if share.goes_today:
                triggered.add(key)
        elif share.goes_today:
            made.append((key, _one_agency_digest(share, agencies[share.agency_id], people.get(share.agency_id, ()))))
    made += [(key, _digest(several[key], agencies, people)) for key in triggered]
    made.sort(key=_FIRST)
    return [digest for _, digest in made]


_FIRST = itemgetter(0)


def _one_agency_digest(share: Share, agency: AgencyName, colleagues: Sequence[Person]) -> PlannedDigest:
    person, summary = share.person, share.summary
    return PlannedDigest(person.email, person.name, person.language, [_name(agency, person)], share.items,
                         summary.for_language(person.language) if summary else [], summary.total if summary else 0,
                         summary.periods if summary else 0, person.is_head, person.address_as, person.title,
                         _officers(colleagues) if person.is_head else [])


def _officers(colleagues: Sequence[Person]) -> list[dict]:
    """Whom a head's escalation names as responsible: the agency's other focal points serving today."""
    return [dict(name=p.name, email=p.email, phone=p.phone or "", title=p.title or "")
            for p in colleagues if not p.is_head]


def _digest(shares: list[Share], agencies: dict[int, AgencyName], people: dict[int, list[Person]]) -> PlannedDigest:
    """The digest of an address in several agencies: its shares from each, in one message."""
    agency_names, summary_lines, summary_total, summary_periods, officers = [], [], 0, 0, []
    for person, agency_id, _, summary, _ in shares:
        if person.is_head:
            officers += [o for o in _officers(people.get(agency_id, ())) if o not in officers]
        name = _name(agencies[agency_id], person)
        if name not in agency_names:
            agency_names.append(name)
        if summary is not None:
            summary_lines, summary_total = summary.for_language(person.language), summary.total
            summary_periods = summary.periods
    items = shares[0].items if len(shares) == 1 else [i for share in shares for i in share.items]
    first = shares[0].person
    only_head = all(share.person.is_head for share in shares)
    return PlannedDigest(first.email, first.name, first.language, agency_names, items, summary_lines, summary_total,
                         summary_periods, only_head, first.address_as, first.title, officers if only_head else [])


def _name(agency: AgencyName, person: Person) -> str:
    return agency.name_en if person.language == "en" else agency.name_vi


@dataclass
class WeeklySummary:
    item: Item
    total: int
    by_agency: list[tuple[AgencyName, int, list[Item]]]  # the lead agencies' late items
    _by_language: dict[str, list[dict]] = field(default_factory=dict)

    @cached_property
    def periods(self) -> int:
        return sum(sum(map(_PERIODS, items)) for _, _, items in self.by_agency)

    def for_language(self, language: str) -> list[dict]:
        if language not in self._by_language:
            self._by_language[language] = [
                {"name": agency.name_en if language == "en" else agency.name_vi, "count": count,
                 "periods": sum(map(_PERIODS, lines)), "occurrences": lines}
                for agency, count, lines in self.by_agency]
        return self._by_language[language]


def _alliance_plans(session: Session, alliance_ids: set[int]) -> dict[int, frozenset[int]]:
    """The plans each Alliance takes part in (leads or coordinates a live task): its summary covers
    those, never another province's plans in a shared database."""
    plans: dict[int, set[int]] = defaultdict(set)
    if not alliance_ids:
        return {}
    live = Task.c.retired == False  # noqa: E712
    connection = _connection(session)
    for agency_id, plan_id in connection.execute(sa_select(Task.c.lead_agency_id, Task.c.plan_id).distinct()
                                                 .where(live, Task.c.lead_agency_id.in_(alliance_ids))):
        plans[agency_id].add(plan_id)
    for agency_id, plan_id in connection.execute(
            sa_select(TaskCoordinator.c.agency_id, Task.c.plan_id).distinct()
            .join(Task, Task.c.id == TaskCoordinator.c.task_id)
            .where(live, TaskCoordinator.c.agency_id.in_(alliance_ids))):
        plans[agency_id].add(plan_id)
    return {agency_id: frozenset(ids) for agency_id, ids in plans.items()}


def _weekly_summary(today, policy, calendar, agencies, late: list[tuple[int, Item]]) -> WeeklySummary | None:
    """Alliance staff get, on the summary day, every late task of their plans grouped by agency:
    the lead agencies' own items (`late` pairs each with its lead)."""
    if not late:
        return None
    firing: Firing = latest_summary_firing(today, policy, calendar)
    by_agency: dict[int, list[Item]] = defaultdict(list)
    for lead_id, item in sorted(late, key=_oldest_first):
        by_agency[lead_id].append(item)
    # Counted in duties (one line each), as every other surface counts; the late periods are shown apart.
    counts = {agency_id: len(items) for agency_id, items in by_agency.items()}
    grouped = [(agencies[a], counts[a], items)
               for a, items in sorted(by_agency.items(), key=lambda kv: (-counts[kv[0]], agencies[kv[0]].name_vi))]
    item = Item(None, "summary", firing.nominal, "summary", "", "", today, 0, "")
    return WeeklySummary(item, sum(counts.values()), grouped)


def _oldest_first(pair: tuple[int, Item]) -> tuple[date, str]:
    return pair[1].due, pair[1].ref


def queue_daily_reminders(session: Session, *, today: date, now: datetime, policy: ReminderPolicy,
                          calendar: WorkCalendar, base_url: str, mail_from: str,
                          directory: Directory | None = None, replies: ReplyAddresses | None = None,
                          sender: Sender | None = None, secret_key: str | None = None,
                          action_link_days: int = 7) -> SweepResult:
    """Write today's digests into the outbox: one message per person per day, one row per reason.

    A person who already has today's digest gets nothing more today; what would have been added
    stays unsent and goes out in the next working day's digest. With `replies` each digest can be
    answered by email (it says how). With `secret_key` each of the recipient's own lines carries a
    one-click link (models.action_links) that works `action_link_days` days.
    """
    from models.action_links import last_day_of
    from models.outbox import OutboxItem as OutboxItemTable
    from notifications.letter import PlanNames, default_sender
    from notifications.outbox import Draft, enqueue_many, queued_keys
    from notifications.render import render

    result = plan_daily_digests(session, today=today, policy=policy, calendar=calendar, base_url=base_url,
                                directory=directory)
    digests = {f"daily|{d.email.lower()}|{today.isoformat()}": d for d in result.digests}
    already = queued_keys(session, list(digests))
    drafts = []
    plan_names = PlanNames.read(session) if digests else None
    sender = sender or default_sender()
    last_day = last_day_of(today, action_link_days)
    for key, digest in digests.items():
        if key in already:
            continue
        act = _act_links(base_url, secret_key, digest.email, last_day, plan_names) if secret_key else None
        context = digest.template_context(
            today, sender=sender, plans=plan_names.names(digest.plan_ids(), digest.language), act_link=act,
            escalate_after_days=policy.escalate_after_days_overdue, base_url=base_url, link_days=action_link_days)
        drafts.append(Draft(key, "daily", digest.email, digest.name, digest.language, today,
                            render("daily", digest.language, dict(context, replies=replies is not None))))
    message_ids = enqueue_many(session, drafts, now=now, mail_from=mail_from, replies=replies)
    result.queued = len(message_ids)
    rows = [dict(key=i.key_for(digest.email.lower()), message_id=message_ids[key], recipient_email=digest.email.lower(),
                 occurrence_id=i.occurrence_id, rule=i.rule, section=i.section, fire_date=today)
            for key, digest in digests.items() if key in message_ids for i in digest.items]
    if rows:
        session.execute(OutboxItemTable.__table__.insert(), rows)  # written through the table class
    return result
