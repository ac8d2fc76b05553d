"""The one place that reads the wall clock. Everything else is handed a Clock.

All dates users see are in Asia/Ho_Chi_Minh; a "day" is a local calendar day there. Moments are
aware datetimes throughout (stored in UTC by models.types.UtcDateTime); this module is the edge where
they become Vietnam's wall time (`vn_time`, `local_date`) and where typed days become moments
(`start_of_day`).
"""
from datetime import date, datetime, time, timedelta, timezone
from typing import Protocol
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock(Protocol):
    def now(self) -> datetime: ...


def vn_time(moment: datetime) -> datetime:
    """`moment` (an aware datetime, in any zone) as Vietnam's wall time: what a person is shown."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a moment without a zone has no time in Vietnam ({moment.isoformat()})")
    return moment.astimezone(VN_TZ)


def local_date(moment: datetime) -> date:
    """The calendar day in Vietnam at `moment` (an aware datetime)."""
    return vn_time(moment).date()


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), VN_TZ)


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc).astimezone(VN_TZ)


class FixedClock:
    """Always the same moment: for `--today` and for tests that travel in time."""

    def __init__(self, moment: datetime):
        if moment.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.moment = moment

    @classmethod
    def on(cls, day: date, at: time = time(8, 0)) -> "FixedClock":
        return cls(datetime.combine(day, at, VN_TZ))

    def now(self) -> datetime:
        return self.moment

    def advance(self, delta: timedelta) -> None:
        self.moment += delta



def clock_for(today: date | None) -> Clock:
    """The clock for a command: fixed at 08:00 on `today` when given, else the real one."""
    return FixedClock.on(today) if today else SystemClock()
