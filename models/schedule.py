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
            raise InputError(f"the rule gives more than {MAX_DUE_DATES} due dates", field="rrule",
                             vi=f"quy tắc cho ra hơn {MAX_DUE_DATES} kỳ hạn")
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
                     horizon_start: date, horizon_end: date, policy: DueDatePolicy,
                     issued_on: date | None = None) -> list[PlannedOccurrence]:
    """Every due date of a task, from the day the plan was issued (or its horizon's start) on.

    - one-off: its due date, its period being the plan up to then;
    - recurring: the rule's dates from the anchor to the horizon's end, one period each; a period
      due before the plan was issued is not due at all (the plan had not reached anyone);
    - undated and ongoing: no deadline. One check-in a year (the policy's day, the annual review's
      input deadline) on which the agency reports on it; a check-in is never late.
    """
    start = max(horizon_start, issued_on) if issued_on else horizon_start
    if timing == Timing.ONE_OFF:
        return [PlannedOccurrence(due, min(start, due), OccurrenceKind.DEADLINE)]
    if timing == Timing.RECURRING:
        dates = [d for d in recurrence_dates(rrule, anchor, horizon_end) if d >= start]
        return _chain(dates, start, OccurrenceKind.DEADLINE)
    return _chain(_checkin_dates(policy, start, horizon_end), start, OccurrenceKind.CHECKIN)
