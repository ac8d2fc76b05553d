"""The daily sweep: which reminders go out today, grouped into one digest per person.

Rules about *when* live in models/reminders.py; this module reads the open occurrences, asks
those rules, and writes the outbox rows (one per reason) and one message per recipient.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select as sa_select
from sqlmodel import Session, select

from config.policy import ReminderPolicy
from models.agency import Agency, AgencyKind, FocalPoint, FocalPointRole
from models.occurrence import Occurrence, OccurrenceKind, Progress
from models.outbox import OutboxItem
from models.plan import Task, TaskCoordinator
from models.reminders import Firing, is_escalated, latest_firing, latest_summary_firing, lookahead_days, overdue_nag
from models.workdays import WorkCalendar
from notifications.outbox import Draft, enqueue_many, queued_keys
from notifications.render import render

SECTIONS = ("overdue", "due_today", "due_soon", "fyi", "summary")
OVERDUE_RULES = ("overdue", "fyi:overdue")


@dataclass
class Item:
    key: str
    occurrence_id: int | None
    rule: str
    fire_date: date
    section: str
    ref: str
    title: str
    due: date
    days: int
    link: str
    lead_name: str | None = None
    escalated: bool = False
    periods: int = 1  # a late task's line counts its late periods


@dataclass
class PlannedDigest:
    email: str
    name: str
    language: str
    agency_names: list[str] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    summary: list[dict] = field(default_factory=list)
    summary_total: int = 0

    def sections(self) -> dict[str, list]:
        """Items by urgency; a task late for several periods is one line (oldest date, how many)."""
        grouped = {name: [] for name in SECTIONS[:4]}
        for item in sorted(self.items, key=lambda i: (i.due, i.ref)):
            if item.section in grouped:
                grouped[item.section].append(item)
        grouped["overdue"] = by_task(grouped["overdue"])
        return grouped


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


def by_task(items: list[Item]) -> list[TaskLine]:
    lines: dict[str, TaskLine] = {}
    for item in sorted(items, key=lambda i: (i.due, i.ref)):
        line = lines.get(item.ref)
        if line is None:
            lines[item.ref] = TaskLine(item.ref, item.title, item.due, item.days, item.link, periods=item.periods,
                                       escalated=item.escalated, lead_name=item.lead_name)
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


def _open_filters():
    return (Occurrence.progress != Progress.DONE, Occurrence.kind != OccurrenceKind.WITHDRAWN,
            Task.retired == False)  # noqa: E712


def _upcoming(session: Session, today: date, policy: ReminderPolicy):
    """Open occurrences due from today up to the horizon: each may have a "before" or due-day reminder."""
    horizon = today + timedelta(days=lookahead_days(policy))
    statement = (
        sa_select(Occurrence.id, Occurrence.due_date, Task.id, Task.ref, Task.title, Task.lead_agency_id)
        .join(Task, Occurrence.task_id == Task.id)
        .where(*_open_filters(), Occurrence.due_date >= today, Occurrence.due_date <= horizon)
    )
    return session.execute(statement).all()


@dataclass(frozen=True)
class OverdueLine:
    """A task's late occurrences, as one digest line: the oldest due date and how many periods."""
    task_id: int
    ref: str
    title: str
    lead_id: int
    oldest: date
    newest: date
    periods: int
    anchor: int  # an occurrence of the line: the outbox row's reference to the task


def _overdue_lines(session: Session, today: date) -> list[OverdueLine]:
    """Every task with late open occurrences, aggregated by the database (this is the hot path: at
    national scale most open occurrences can be late, and they are summed per task, not listed)."""
    statement = (
        sa_select(Task.id, Task.ref, Task.title, Task.lead_agency_id, func.min(Occurrence.due_date),
                  func.max(Occurrence.due_date), func.count(), func.min(Occurrence.id))
        .join(Task, Occurrence.task_id == Task.id)
        .where(*_open_filters(), Occurrence.due_date < today)
        .group_by(Task.id, Task.ref, Task.title, Task.lead_agency_id)
    )
    return [OverdueLine(*row) for row in session.execute(statement)]


@dataclass(frozen=True)
class Person:
    """A focal point as the sweep needs it (plain values: this runs for every line of the day)."""
    email: str
    name: str
    language: str
    is_head: bool

    @property
    def key(self) -> str:
        return self.email.lower()


def _recipients(session: Session) -> dict[int, list[Person]]:
    """Active focal points by agency."""
    by_agency: dict[int, list[Person]] = defaultdict(list)
    statement = (sa_select(FocalPoint.agency_id, FocalPoint.email, FocalPoint.name, FocalPoint.language,
                           FocalPoint.role)
                 .where(FocalPoint.active == True).order_by(FocalPoint.id))  # noqa: E712
    for agency_id, email, name, language, role in session.execute(statement):
        by_agency[agency_id].append(Person(email, name, language, role == FocalPointRole.HEAD))
    return by_agency


def _last_overdue_reminders(session: Session, today: date, policy: ReminderPolicy) -> dict[tuple[str, int, str], date]:
    """When each person was last reminded of each late task, by rule. Only the last
    `overdue_every_days` matter: a reminder older than that makes the next nag due today anyway."""
    rows = session.execute(
        sa_select(OutboxItem.recipient_email, Occurrence.task_id, OutboxItem.rule, func.max(OutboxItem.fire_date))
        .join(Occurrence, Occurrence.id == OutboxItem.occurrence_id)
        .where(OutboxItem.fire_date >= today - timedelta(days=policy.overdue_every_days),
               OutboxItem.fire_date <= today, OutboxItem.rule.in_(OVERDUE_RULES))
        .group_by(OutboxItem.recipient_email, Occurrence.task_id, OutboxItem.rule)
    ).all()
    return {(email, task_id, rule): day for email, task_id, rule, day in rows}


def plan_daily_digests(session: Session, *, today: date, policy: ReminderPolicy, calendar: WorkCalendar,
                       base_url: str) -> SweepResult:
    """What goes out today and to whom, without writing anything (a dry run shows exactly this).

    A person gets a digest when at least one of their reminders is due today; the digest then
    holds all of their late tasks too (each counts as reminded today), so the overdue rhythm of
    one person's tasks falls into step and they hear about them once a week, not daily. A task
    late for several periods is one line (and one outbox row): its oldest due date and how many.
    """
    result = SweepResult(day=today, working_day=calendar.is_working_day(today))
    if not result.working_day:
        return result
    agencies = {a.id: a for a in session.exec(select(Agency))}
    people = _recipients(session)
    # Overdue items are keyed by the day they go out, so only today's can repeat; the others
    # ("before", due day, summary) are keyed by their nominal day, which is at most the lookahead
    # before today, and went out on that day or a few days before it.
    sent_keys = set(session.exec(select(OutboxItem.key).where(
        OutboxItem.fire_date >= today - timedelta(days=lookahead_days(policy) + 14), OutboxItem.fire_date <= today,
        or_(OutboxItem.fire_date == today, OutboxItem.rule.not_in(OVERDUE_RULES)))))
    last = _last_overdue_reminders(session, today, policy)
    digests: dict[str, PlannedDigest] = {}
    triggered: set[str] = set()

    def digest_for(person: Person) -> PlannedDigest:
        digest = digests.get(person.key)
        if digest is None:
            digest = digests[person.key] = PlannedDigest(email=person.email, name=person.name,
                                                         language=person.language)
        return digest

    def add(person: Person, agency_id: int, item: Item, triggers: bool) -> PlannedDigest:
        digest = digest_for(person)
        agency = agencies[agency_id]
        name = agency.name_en if person.language == "en" else agency.name_vi
        if name not in digest.agency_names:
            digest.agency_names.append(name)
        digest.items.append(item)
        if triggers:
            triggered.add(person.key)
        return digest

    upcoming = _upcoming(session, today, policy)
    late = _overdue_lines(session, today)
    coordinators = _coordinators(session, {row[2] for row in upcoming} | {line.task_id for line in late}, policy)

    for occ_id, due, task_id, ref, title, lead_id in upcoming:
        firing = latest_firing(due, today, policy, calendar)
        if firing is None:
            continue
        section, days = _section(due, today)
        fields = dict(occurrence_id=occ_id, rule=firing.rule, section=section, ref=ref, title=title, due=due,
                      days=days, link=task_link(base_url, ref))
        for person in people.get(lead_id, ()):
            key = f"{person.key}|{occ_id}|{firing.rule}|{firing.nominal.isoformat()}"
            if not person.is_head and key not in sent_keys:
                add(person, lead_id, Item(key=key, fire_date=today, **fields), triggers=True)
        if firing.rule in policy.coordinators_informed_on:
            rule = f"fyi:{firing.rule}"
            for agency_id in coordinators.get(task_id, ()):
                for person in people.get(agency_id, ()):
                    key = f"{person.key}|{occ_id}|{rule}|{firing.nominal.isoformat()}"
                    if not person.is_head and key not in sent_keys:
                        add(person, agency_id, Item(key=key, fire_date=today, **{
                            **fields, "rule": rule, "section": "fyi", "lead_name": _name(agencies[lead_id], person)}),
                            triggers=True)

    # Late tasks ride along in a digest that something triggers; most days most people's weekly nag
    # is not due, so their lines are only built for the people who get a digest.
    ride_along: list[tuple[Person, int, OverdueLine, str]] = []
    inform_on_overdue = "overdue" in policy.coordinators_informed_on
    today_iso = today.isoformat()
    for line in late:
        escalated = is_escalated(line.oldest, today, policy)
        offers = [(person, line.lead_id, "overdue") for person in people.get(line.lead_id, ())
                  if escalated or not person.is_head]
        if inform_on_overdue:
            offers += [(person, agency_id, "fyi:overdue") for agency_id in coordinators.get(line.task_id, ())
                       for person in people.get(agency_id, ()) if not person.is_head]
        for person, agency_id, rule in offers:
            if f"{person.key}|{line.anchor}|{rule}|{today_iso}" in sent_keys:
                continue
            ride_along.append((person, agency_id, line, rule))
            # The nag counts from the person's last reminder of the task, or from its newest late
            # due date: after days without a run the task is reminded once, then weekly again.
            if person.key not in triggered and overdue_nag(line.newest, last.get((person.key, line.task_id, rule)),
                                                           today, policy, calendar):
                triggered.add(person.key)

    _add_weekly_summary(today, policy, calendar, agencies, people, late, sent_keys, add, base_url)
    for person, agency_id, line, rule in ride_along:
        if person.key in triggered:
            add(person, agency_id, _late_item(person, line, rule, today, policy, agencies, base_url), triggers=False)
    result.digests = [d for email, d in digests.items() if email in triggered and d.items]
    return result


def _name(agency: Agency, person: Person) -> str:
    return agency.name_en if person.language == "en" else agency.name_vi


def _late_item(person: Person, line: OverdueLine, rule: str, today: date, policy: ReminderPolicy, agencies,
               base_url: str) -> Item:
    fyi = rule.startswith("fyi:")
    return Item(key=f"{person.key}|{line.anchor}|{rule}|{today.isoformat()}", occurrence_id=line.anchor, rule=rule,
                fire_date=today, section="fyi" if fyi else "overdue", ref=line.ref, title=line.title, due=line.oldest,
                days=(today - line.oldest).days, link=task_link(base_url, line.ref), periods=line.periods,
                escalated=not fyi and is_escalated(line.oldest, today, policy),
                lead_name=_name(agencies[line.lead_id], person) if fyi else None)


def _coordinators(session: Session, task_ids: set[int], policy: ReminderPolicy) -> dict[int, list[int]]:
    coordinators: dict[int, list[int]] = defaultdict(list)
    if not policy.coordinators_informed_on:
        return coordinators
    ordered = sorted(task_ids)
    for start in range(0, len(ordered), 500):
        for task_id, agency_id in session.exec(select(TaskCoordinator.task_id, TaskCoordinator.agency_id)
                                               .where(TaskCoordinator.task_id.in_(ordered[start:start + 500]))):
            coordinators[task_id].append(agency_id)
    return coordinators


def _add_weekly_summary(today, policy, calendar, agencies, people, late: list[OverdueLine], already, add, base_url):
    """Alliance staff get, on the summary day, every late task grouped by agency."""
    firing: Firing = latest_summary_firing(today, policy, calendar)
    staff = [(agency.id, person) for agency in agencies.values() if agency.kind == AgencyKind.ALLIANCE
             for person in people.get(agency.id, ()) if not person.is_head]
    pending = [(agency_id, person) for agency_id, person in staff
               if f"{person.key}|summary|{firing.nominal.isoformat()}" not in already]
    if not pending or not late:
        return
    by_agency: dict[int, list[TaskLine]] = defaultdict(list)
    for line in sorted(late, key=lambda l: (l.oldest, l.ref)):
        by_agency[line.lead_id].append(TaskLine(line.ref, line.title, line.oldest, (today - line.oldest).days,
                                                task_link(base_url, line.ref), periods=line.periods))
    counts = {agency_id: sum(l.periods for l in lines) for agency_id, lines in by_agency.items()}
    grouped = sorted(by_agency.items(), key=lambda kv: -counts[kv[0]])
    total = sum(counts.values())
    for agency_id, person in pending:
        summary = [{"name": _name(agencies[a], person), "count": counts[a], "occurrences": lines}
                   for a, lines in grouped]
        item = Item(f"{person.key}|summary|{firing.nominal.isoformat()}", None, "summary", today, "summary",
                    "", "", today, 0, "")
        digest = add(person, agency_id, item, triggers=True)
        digest.summary, digest.summary_total = summary, total


def queue_daily_reminders(session: Session, *, today: date, now: datetime, policy: ReminderPolicy,
                          calendar: WorkCalendar, base_url: str, mail_from: str) -> SweepResult:
    """Write today's digests into the outbox: one message per person per day, one row per reason.

    A person who already has today's digest gets nothing more today; what would have been added
    stays unsent and goes out in the next working day's digest.
    """
    result = plan_daily_digests(session, today=today, policy=policy, calendar=calendar, base_url=base_url)
    digests = {f"daily|{d.email.lower()}|{today.isoformat()}": d for d in result.digests}
    already = queued_keys(session, list(digests))
    drafts = []
    for key, digest in digests.items():
        if key in already:
            continue
        context = dict(recipient_name=digest.name, agency_names=digest.agency_names, send_date=today,
                       summary=digest.summary, summary_total=digest.summary_total, **digest.sections())
        drafts.append(Draft(key, "daily", digest.email, digest.name, digest.language, today,
                            render("daily", digest.language, context)))
    message_ids = enqueue_many(session, drafts, now=now, mail_from=mail_from)
    result.queued = len(message_ids)
    rows = [dict(key=i.key, message_id=message_ids[key], recipient_email=digest.email.lower(),
                 occurrence_id=i.occurrence_id, rule=i.rule, section=i.section, fire_date=i.fire_date)
            for key, digest in digests.items() if key in message_ids for i in digest.items]
    if rows:
        session.execute(OutboxItem.__table__.insert(), rows)
    return result
