"""Working days in Vietnam: weekends and public holidays (lunar ones included) are days off."""
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import holidays


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(_vietnam()(years=year))


@lru_cache(maxsize=1)
def _vietnam():
    """The holidays package's calendar of Vietnam (what holidays.country_holidays("VN") makes), its
    module run on its own: imported as holidays.countries.vietnam it would first import
    holidays.countries, the calendars of some 250 countries (~0.1 s, a third of what `dondoc remind`
    with nothing to send adds to its start-up). tests/models/test_workdays.py holds the two equal; a
    package laid out otherwise is asked the usual way."""
    import importlib.util

    path = Path(holidays.__file__).parent / "countries" / "vietnam.py"
    spec = importlib.util.spec_from_file_location("dondoc_holidays_vietnam", path) if path.is_file() else None
    if spec is None or spec.loader is None:
        return lambda years: holidays.country_holidays("VN", years=years)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Vietnam


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
