"""Which due dates a task has: pure functions of its timing and the plan horizon."""
import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil.rrule import rrulestr

from config.errors import InputError
from config.policy import DueDatePolicy
from models.occurrence import OccurrenceKind
from models.plan import Timing


@dataclass(frozen=True)
class PlannedOccurrence:
    due_date: date
    starts_on: date
    kind: str


MAX_DUE_DATES = 2500  # of one task: a daily duty over a plan of several years stays below


def recurrence_dates(rrule: str, anchor: date, until: date) -> list[date]:
    """The dates an RFC 5545 rule gives from `anchor` (its DTSTART) up to `until`, inclusive.
    More than MAX_DUE_DATES of them is an InputError (a rule that would fill the database)."""
    rule = rrulestr(rrule, dtstart=datetime.combine(anchor, datetime.min.time()))
    end = datetime.combine(until, datetime.min.time())
    dates = []
    for moment in rule:
        if moment > end:
            break
        if len(dates) == MAX_DUE_DATES:
            raise InputError(f"the rule gives more than {MAX_DUE_DATES} due dates", field="rrule")
        dates.append(moment.date())
    return dates


def _checkin_dates(policy: DueDatePolicy, start: date, end: date) -> list[date]:
    dates = []
    for year in range(start.year, end.year + 1):
        # 31 November and the like fall on the month's last day.
        last_day = calendar.monthrange(year, policy.checkin.month)[1]
        day = date(year, policy.checkin.month, min(policy.checkin.day, last_day))
        if start <= day <= end:
            dates.append(day)
    return dates


def _chain(dates: list[date], first_start: date, kind: str) -> list[PlannedOccurrence]:
    """Each occurrence's period starts the day after the previous one's due date."""
    planned, start = [], first_start
    for due in sorted(set(dates)):
        planned.append(PlannedOccurrence(due, min(start, due), kind))
        start = due + timedelta(days=1)
    return planned


def plan_occurrences(*, timing: str, due: date | None, rrule: str | None, anchor: date | None,
                     horizon_start: date, horizon_end: date, policy: DueDatePolicy) -> list[PlannedOccurrence]:
    """Every due date of a task.

    - one-off: its due date, its period being the whole plan up to then;
    - recurring: the rule's dates from the anchor to the horizon's end, one period each;
    - undated and ongoing: the policy's yearly check-ins within the horizon, then a final
      due date at the horizon's end (when the policy says so).
    """
    if timing == Timing.ONE_OFF:
        return [PlannedOccurrence(due, min(horizon_start, due), OccurrenceKind.DEADLINE)]
    if timing == Timing.RECURRING:
        return _chain(recurrence_dates(rrule, anchor, horizon_end), horizon_start, OccurrenceKind.DEADLINE)
    checkins = _checkin_dates(policy, horizon_start, horizon_end)
    planned = _chain(checkins, horizon_start, OccurrenceKind.CHECKIN)
    if policy.final_due_at_horizon_end and horizon_end not in checkins:
        planned.append(PlannedOccurrence(horizon_end, horizon_start, OccurrenceKind.FINAL))
    return planned
