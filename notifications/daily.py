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
from notifications.outbox import enqueue
from notifications.render import render

SECTIONS = ("overdue", "due_today", "due_soon", "fyi", "summary")


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
            lines[item.ref] = TaskLine(item.ref, item.title, item.due, item.days, item.link,
                                       escalated=item.escalated, lead_name=item.lead_name)
        else:
            line.periods += 1
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


def _open_occurrences(session: Session, today: date, policy: ReminderPolicy):
    """Open occurrences whose reminders can be due by today (plain tuples: this is the hot path)."""
    horizon = today + timedelta(days=lookahead_days(policy))
    statement = (
        sa_select(Occurrence.id, Occurrence.due_date, Task.id, Task.ref, Task.title, Task.lead_agency_id)
        .join(Task, Occurrence.task_id == Task.id)
        .where(Occurrence.progress != Progress.DONE, Occurrence.due_date <= horizon,
               Occurrence.kind != OccurrenceKind.WITHDRAWN, Task.retired == False)  # noqa: E712
    )
    return session.execute(statement).all()


def _recipients(session: Session) -> dict[int, list[FocalPoint]]:
    by_agency: dict[int, list[FocalPoint]] = defaultdict(list)
    for fp in session.exec(select(FocalPoint).where(FocalPoint.active == True).order_by(FocalPoint.id)):  # noqa: E712
        by_agency[fp.agency_id].append(fp)
    return by_agency


def _last_reminded(session: Session, today: date) -> dict[tuple[str, int], date]:
    """When each person was last reminded of each occurrence (recent enough to matter)."""
    rows = session.execute(
        sa_select(OutboxItem.recipient_email, OutboxItem.occurrence_id, func.max(OutboxItem.fire_date))
        .where(OutboxItem.fire_date >= today - timedelta(days=60), OutboxItem.occurrence_id.is_not(None))
        .group_by(OutboxItem.recipient_email, OutboxItem.occurrence_id)
    ).all()
    return {(email, occ_id): day for email, occ_id, day in rows}


def plan_daily_digests(session: Session, *, today: date, policy: ReminderPolicy, calendar: WorkCalendar,
                       base_url: str) -> SweepResult:
    """What goes out today and to whom, without writing anything (a dry run shows exactly this).

    A person gets a digest when at least one of their reminders is due today; the digest then
    holds all of their overdue items too (each counts as reminded today), so the overdue rhythm
    of one person's items falls into step and they hear about them once a week, not daily.
    """
    result = SweepResult(day=today, working_day=calendar.is_working_day(today))
    if not result.working_day:
        return result
    agencies = {a.id: a for a in session.exec(select(Agency))}
    people = _recipients(session)
    # Overdue items are keyed by the day they go out, so only today's can repeat; the others
    # ("before", due day, summary) are keyed by their nominal day and need the recent past.
    sent_keys = set(session.exec(select(OutboxItem.key).where(
        OutboxItem.fire_date >= today - timedelta(days=60),
        or_(OutboxItem.fire_date == today, OutboxItem.rule.not_in(["overdue", "fyi:overdue"])))))
    last = _last_reminded(session, today)
    digests: dict[str, PlannedDigest] = {}
    triggered: set[str] = set()

    def digest_for(fp: FocalPoint) -> PlannedDigest:
        email = fp.email.lower()
        if email not in digests:
            digests[email] = PlannedDigest(email=fp.email, name=fp.name, language=fp.language)
        digest = digests[email]
        agency = agencies[fp.agency_id]
        name = agency.name_en if fp.language == "en" else agency.name_vi
        if name not in digest.agency_names:
            digest.agency_names.append(name)
        return digest

    def offer(fp: FocalPoint, item_args: dict, firing: Firing | None, overdue: bool) -> None:
        """Add an item for this person; it triggers a digest when its reminder is due today."""
        email = fp.email.lower()
        if overdue:
            nag = overdue_nag(item_args["due"], last.get((email, item_args["occurrence_id"])), today, policy, calendar)
            key = f"{email}|{item_args['occurrence_id']}|{item_args['rule']}|{today.isoformat()}"
            if key in sent_keys:
                return
            digest_for(fp).items.append(Item(key=key, fire_date=today, **item_args))
            if nag is not None:
                triggered.add(email)
        elif firing is not None:
            key = f"{email}|{item_args['occurrence_id']}|{item_args['rule']}|{firing.nominal.isoformat()}"
            if key in sent_keys:
                return
            digest_for(fp).items.append(Item(key=key, fire_date=today, **item_args))
            triggered.add(email)

    rows = _open_occurrences(session, today, policy)
    task_ids = sorted({row[2] for row in rows})
    coordinators: dict[int, list[int]] = defaultdict(list)
    if policy.coordinators_informed_on:
        for start in range(0, len(task_ids), 500):
            for task_id, agency_id in session.exec(select(TaskCoordinator.task_id, TaskCoordinator.agency_id)
                                                   .where(TaskCoordinator.task_id.in_(task_ids[start:start + 500]))):
                coordinators[task_id].append(agency_id)

    for occ_id, due, task_id, ref, title, lead_id in rows:
        overdue = due < today
        firing = None if overdue else latest_firing(due, today, policy, calendar)
        if not overdue and firing is None:
            continue
        section, days = _section(due, today)
        rule = "overdue" if overdue else firing.rule
        escalated = overdue and is_escalated(due, today, policy)
        base = dict(occurrence_id=occ_id, rule=rule, section=section, ref=ref, title=title, due=due, days=days,
                    link=task_link(base_url, ref), escalated=escalated)
        for fp in people.get(lead_id, []):
            if fp.role == FocalPointRole.HEAD and not escalated:
                continue
            offer(fp, base, firing, overdue)
        if rule in policy.coordinators_informed_on and coordinators.get(task_id):
            lead = agencies[lead_id]
            for agency_id in coordinators[task_id]:
                for fp in people.get(agency_id, []):
                    if fp.role == FocalPointRole.HEAD:
                        continue
                    lead_name = lead.name_en if fp.language == "en" else lead.name_vi
                    offer(fp, {**base, "rule": f"fyi:{rule}", "section": "fyi", "lead_name": lead_name,
                               "escalated": False}, firing, overdue)

    _add_weekly_summary(session, today, policy, calendar, agencies, people, sent_keys, digest_for, triggered, base_url)
    result.digests = [d for email, d in digests.items() if email in triggered and d.items]
    return result


def _add_weekly_summary(session, today, policy, calendar, agencies, people, already, digest_for, triggered,
                        base_url):
    """Alliance staff get, on the summary day, every overdue occurrence grouped by agency."""
    firing: Firing = latest_summary_firing(today, policy, calendar)
    staff = [fp for agency in agencies.values() if agency.kind == AgencyKind.ALLIANCE
             for fp in people.get(agency.id, []) if fp.role != FocalPointRole.HEAD]
    pending = [fp for fp in staff
               if f"{fp.email.lower()}|summary|{firing.nominal.isoformat()}" not in already]
    if not pending:
        return
    rows = session.execute(
        sa_select(Occurrence.due_date, Task.ref, Task.title, Task.lead_agency_id)
        .join(Task, Occurrence.task_id == Task.id)
        .where(Occurrence.progress != Progress.DONE, Occurrence.due_date < today,
               Occurrence.kind != OccurrenceKind.WITHDRAWN, Task.retired == False)  # noqa: E712
        .order_by(Occurrence.due_date, Task.ref)
    ).all()
    if not rows:
        return
    by_agency: dict[int, list[Item]] = defaultdict(list)
    for due, ref, title, lead_id in rows:
        by_agency[lead_id].append(Item("", None, "summary", today, "summary", ref, title, due,
                                       (today - due).days, task_link(base_url, ref)))
    grouped = [(a, len(items), by_task(items)) for a, items in sorted(by_agency.items(), key=lambda kv: -len(kv[1]))]
    for fp in pending:
        digest = digest_for(fp)
        digest.summary = [
            {"name": agencies[a].name_en if fp.language == "en" else agencies[a].name_vi, "count": count,
             "occurrences": lines}
            for a, count, lines in grouped
        ]
        digest.summary_total = len(rows)
        digest.items.append(Item(f"{fp.email.lower()}|summary|{firing.nominal.isoformat()}", None, "summary",
                                 today, "summary", "", "", today, 0, ""))
        triggered.add(fp.email.lower())


def queue_daily_reminders(session: Session, *, today: date, now: datetime, policy: ReminderPolicy,
                          calendar: WorkCalendar, base_url: str, mail_from: str) -> SweepResult:
    """Write today's digests into the outbox: one message per person per day, one row per reason.

    A person who already has today's digest gets nothing more today; what would have been added
    stays unsent and goes out in the next working day's digest.
    """
    result = plan_daily_digests(session, today=today, policy=policy, calendar=calendar, base_url=base_url)
    rows = []
    for digest in result.digests:
        context = dict(recipient_name=digest.name, agency_names=digest.agency_names, send_date=today,
                       summary=digest.summary, summary_total=digest.summary_total, **digest.sections())
        message = enqueue(
            session, key=f"daily|{digest.email.lower()}|{today.isoformat()}", kind="daily",
            recipient_email=digest.email, recipient_name=digest.name, language=digest.language, send_date=today,
            rendered=render("daily", digest.language, context), now=now, mail_from=mail_from,
        )
        if message is None:
            continue
        result.queued += 1
        rows.extend(dict(key=i.key, message_id=message.id, recipient_email=digest.email.lower(),
                         occurrence_id=i.occurrence_id, rule=i.rule, section=i.section, fire_date=i.fire_date)
                    for i in digest.items)
    if rows:
        session.execute(OutboxItem.__table__.insert(), rows)
    return result
