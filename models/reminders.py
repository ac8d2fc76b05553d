"""When an occurrence's owners are reminded: pure functions of its due date and today.

A rule fires on a nominal day (30, 7 and 1 days before the due date, on the due day, then every
7 days while overdue); it goes out on that day or, when that is a day off, on the working day
before it. Each daily run sends, per occurrence, only the most recent firing that is due by
today: a firing missed while nothing ran is folded into the next digest, older ones are
superseded, so a gap of days never floods anyone.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from config.policy import ReminderPolicy
from models.workdays import WorkCalendar


@dataclass(frozen=True)
class Firing:
    rule: str  # before:30, before:7, before:1, due, overdue, summary
    nominal: date  # the day the rule names
    fire_date: date  # the working day it goes out



def _firing(rule: str, nominal: date, calendar: WorkCalendar) -> Firing:
    return Firing(rule, nominal, calendar.on_or_before(nominal))


def latest_firing(due: date, today: date, policy: ReminderPolicy, calendar: WorkCalendar) -> Firing | None:
    """The most recent "before" or due-day reminder going out on or before `today`, while not yet late."""
    if today > due:
        return None
    candidates = [_firing(f"before:{n}", due - timedelta(days=n), calendar) for n in policy.days_before]
    if policy.on_due_day:
        candidates.append(_firing("due", due, calendar))
    sent_by_today = [f for f in candidates if f.fire_date <= today]
    return max(sent_by_today, key=lambda f: (f.fire_date, f.nominal), default=None)


def overdue_nag(due: date, last_reminded: date | None, today: date, policy: ReminderPolicy,
                calendar: WorkCalendar) -> Firing | None:
    """While overdue, a reminder every `overdue_every_days` days after the last one (or the due date).

    Counting from the last reminder, not from the calendar, is what makes catch-up safe: after
    days without a run the occurrence is reminded once, then the rhythm resumes from there.
    """
    if today <= due:
        return None
    since = last_reminded if last_reminded is not None and last_reminded > due else due
    nominal = since + timedelta(days=policy.overdue_every_days)
    firing = _firing("overdue", nominal, calendar)
    return firing if firing.fire_date <= today else None


def latest_nagged_since(today: date, policy: ReminderPolicy, calendar: WorkCalendar) -> date:
    """The latest day a late task can have been last reminded of (or have fallen due) and be nagged
    today: `overdue_nag` fires today exactly for the days up to this one. Usually `overdue_every_days`
    before today; later when the days after today are days off (the nag then goes out today)."""
    since = today - timedelta(days=policy.overdue_every_days)
    while _firing("overdue", since + timedelta(days=1 + policy.overdue_every_days), calendar).fire_date <= today:
        since += timedelta(days=1)
    return since


def deadline_firing(due: date, today: date, policy: ReminderPolicy, calendar: WorkCalendar) -> Firing | None:
    """The latest firing on a fixed calendar around one deadline: N days before, the due day, then
    overdue:7, overdue:14, ... counted from the due date. For a deadline many people share (the
    annual review's), where the rhythm belongs to the deadline rather than to each person."""
    before = latest_firing(due, today, policy, calendar)
    if today <= due:
        return before
    every = policy.overdue_every_days
    periods = (today - due).days // every
    # The next nag may fall on a day off and so go out today, ahead of its nominal day.
    candidates = [_firing(f"overdue:{k * every}", due + timedelta(days=k * every), calendar)
                  for k in (periods, periods + 1) if k >= 1]
    if policy.on_due_day:
        candidates.append(_firing("due", due, calendar))
    sent_by_today = [f for f in candidates if f.fire_date <= today]
    return max(sent_by_today, key=lambda f: (f.fire_date, f.nominal), default=None)


def is_escalated(due: date, today: date, policy: ReminderPolicy) -> bool:
    """From `escalate_after_days_overdue` days overdue the agency's head is reminded too."""
    return (today - due).days >= policy.escalate_after_days_overdue


def latest_summary_firing(today: date, policy: ReminderPolicy, calendar: WorkCalendar) -> Firing:
    """The weekly overdue summary to Alliance staff: the latest summary day going out by today."""
    back = (today.weekday() - policy.summary_weekday_number) % 7
    this_week = today - timedelta(days=back)
    candidates = [_firing("summary", this_week, calendar), _firing("summary", this_week + timedelta(days=7), calendar)]
    return max((f for f in candidates if f.fire_date <= today), key=lambda f: f.fire_date)


def lookahead_days(policy: ReminderPolicy) -> int:
    """How far ahead of today a due date can be and still have a reminder going out today.

    The longest "before" rule, plus room for a stretch of days off (Tết) that moves it earlier.
    """
    return max(policy.days_before, default=0) + 14
