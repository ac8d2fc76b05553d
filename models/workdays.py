"""Working days in Vietnam: weekends and public holidays (lunar ones included) are days off."""
from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("VN", years=year))


class WorkCalendar:
    def __init__(self, extra_days_off=(), make_up_working_days=()):
        self.extra_days_off = frozenset(extra_days_off)
        self.make_up_working_days = frozenset(make_up_working_days)

    @classmethod
    def from_policy(cls, policy) -> "WorkCalendar":
        return cls(policy.extra_days_off, policy.make_up_working_days)

    def is_working_day(self, day: date) -> bool:
        """A make-up day announced by the government is a working day even on a weekend."""
        if day in self.make_up_working_days:
            return True
        if day in self.extra_days_off or day.weekday() >= 5:
            return False
        return day not in _public_holidays(day.year)

    def on_or_before(self, day: date) -> date:
        """The working day itself, or the last working day before it."""
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day
