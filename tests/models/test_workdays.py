"""Vietnam's public holidays are the holidays package's (models/workdays.py runs its Vietnam module on
its own, without the package's 250 other countries): the same days, year after year."""
import subprocess
import sys
from datetime import date
from pathlib import Path

import holidays

from models.workdays import WorkCalendar, _public_holidays

ROOT = Path(__file__).resolve().parents[2]


def test_the_public_holidays_are_the_holidays_packages_for_vietnam_every_year():
    for year in range(2000, 2051):
        assert _public_holidays(year) == frozenset(holidays.country_holidays("VN", years=year)), year


def test_tet_and_national_day_are_days_off_and_a_make_up_saturday_is_a_working_day():
    calendar = WorkCalendar(make_up_working_days=[date(2016, 2, 13)])
    assert not calendar.is_working_day(date(2016, 2, 8))  # Tết Bính Thân
    assert not calendar.is_working_day(date(2016, 9, 2))
    assert calendar.is_working_day(date(2016, 2, 13)) and calendar.is_working_day(date(2016, 1, 15))


def test_asking_for_a_working_day_does_not_load_every_countrys_calendar():
    code = ("import sys\nfrom datetime import date\nfrom models.workdays import WorkCalendar\n"
            "print(WorkCalendar().is_working_day(date(2016, 2, 8)), 'holidays.countries' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.stdout.split() == ["False", "False"], done.stderr[-2000:]
