"""The pure rules: which due dates a task has, and where an occurrence and a duty stand on a day."""
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from config.policy import DueDatePolicy
from models.occurrence import Occurrence, OccurrenceKind, Progress
from models.schedule import plan_occurrences
from models.status import (
    GLOSSARY, Period, StatusCategory, TaskFacts, Window, duty_status, period_label, summarize,
)
from tests.conftest import at_vn

HORIZON = dict(horizon_start=date(2015, 1, 1), horizon_end=date(2020, 12, 31), policy=DueDatePolicy())
QUARTERLY = "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1"
YEARLY = "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31"


def dues(**kwargs):
    return [p.due_date for p in plan_occurrences(**{**HORIZON, **kwargs})]


def test_a_one_off_task_has_one_due_date():
    assert dues(timing="one-off", due=date(2015, 6, 30), rrule=None, anchor=None) == [date(2015, 6, 30)]


def test_a_yearly_task_is_due_every_year_up_to_the_horizon():
    got = dues(timing="recurring", due=None, rrule=YEARLY, anchor=date(2015, 12, 31))
    assert got == [date(y, 12, 31) for y in range(2015, 2021)]


def test_a_quarterly_task_is_due_at_every_quarter_end_even_in_short_months():
    got = dues(timing="recurring", due=None, rrule=QUARTERLY, anchor=date(2015, 3, 31))
    assert len(got) == 24
    assert got[:4] == [date(2015, 3, 31), date(2015, 6, 30), date(2015, 9, 30), date(2015, 12, 31)]
    assert got[-1] == date(2020, 12, 31)


def test_a_monthly_task_on_the_31st_falls_on_each_month_end():
    got = dues(timing="recurring", due=None, rrule="FREQ=MONTHLY;BYMONTHDAY=-1", anchor=date(2016, 1, 31))
    assert got[:3] == [date(2016, 1, 31), date(2016, 2, 29), date(2016, 3, 31)]
    assert date(2017, 2, 28) in got and date(2016, 4, 30) in got


def test_a_yearly_task_at_the_end_of_february_is_due_on_the_29th_in_leap_years():
    got = dues(timing="recurring", due=None, rrule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1", anchor=date(2015, 2, 28))
    assert got == [date(2015, 2, 28), date(2016, 2, 29), date(2017, 2, 28), date(2018, 2, 28), date(2019, 2, 28),
                   date(2020, 2, 29)]


def test_a_horizon_ending_mid_period_leaves_out_the_period_that_would_end_after_it():
    got = dues(timing="recurring", due=None, rrule=YEARLY, anchor=date(2015, 12, 31), horizon_end=date(2020, 6, 30))
    assert got[-1] == date(2019, 12, 31)
    quarters = dues(timing="recurring", due=None, rrule=QUARTERLY, anchor=date(2015, 3, 31),
                    horizon_end=date(2020, 8, 15))
    assert quarters[-1] == date(2020, 6, 30)


def test_a_task_every_two_years_skips_the_years_between():
    got = dues(timing="recurring", due=None, rrule="FREQ=YEARLY;INTERVAL=2;BYMONTH=4;BYMONTHDAY=11",
               anchor=date(2016, 4, 11))
    assert got == [date(2016, 4, 11), date(2018, 4, 11), date(2020, 4, 11)]


def test_no_period_that_ended_before_the_plan_was_issued_is_due():
    planned = plan_occurrences(timing="recurring", due=None, rrule=QUARTERLY, anchor=date(2015, 3, 31),
                               issued_on=date(2015, 4, 1), **HORIZON)
    assert planned[0].due_date == date(2015, 6, 30)
    assert planned[0].starts_on == date(2015, 4, 1), "the first period starts on the issue date"
    assert len(planned) == 23


def test_an_undated_task_has_no_deadline_only_a_yearly_report_and_nothing_at_the_horizon():
    planned = plan_occurrences(timing="undated", due=None, rrule=None, anchor=None, **HORIZON)
    assert [p.due_date for p in planned] == [date(y, 11, 30) for y in range(2015, 2021)]
    assert {p.kind for p in planned} == {OccurrenceKind.CHECKIN}
    assert planned[1].starts_on == date(2015, 12, 1), "each yearly report covers the time since the previous one"


def test_the_policy_refuses_to_invent_a_final_deadline_at_the_horizon():
    with pytest.raises(ValidationError, match="no longer supported"):
        DueDatePolicy(final_due_at_horizon_end=True)


def test_a_checkin_day_that_a_month_lacks_falls_on_its_last_day():
    policy = DueDatePolicy(checkin={"month": 2, "day": 30})
    planned = plan_occurrences(timing="ongoing", due=None, rrule=None, anchor=None,
                               horizon_start=date(2016, 1, 1), horizon_end=date(2017, 12, 31), policy=policy)
    assert [p.due_date for p in planned][:2] == [date(2016, 2, 29), date(2017, 2, 28)]


def occurrence(**kwargs):
    values = dict(task_id=1, due_date=date(2015, 12, 31), starts_on=date(2015, 1, 1), progress=Progress.OPEN,
                  kind=OccurrenceKind.DEADLINE)
    return Occurrence(**{**values, **kwargs})


def test_an_open_occurrence_is_within_the_deadline_until_2359_on_its_due_day():
    assert occurrence().status_category(at_vn(date(2015, 12, 31), 23, 59)) == StatusCategory.OPEN_IN_TIME


def test_an_open_occurrence_is_overdue_from_0000_the_next_day_in_vietnam():
    assert occurrence().status_category(at_vn(date(2016, 1, 1), 0, 0)) == StatusCategory.OPEN_OVERDUE
    # 00:00 in Hà Nội is still 31/12 in UTC: the day is Vietnam's.
    assert at_vn(date(2016, 1, 1), 0, 0).utctimetuple().tm_mday == 31


def test_a_period_that_has_not_begun_is_not_started():
    occ = occurrence(due_date=date(2016, 12, 31), starts_on=date(2016, 1, 1))
    assert occ.status_category(at_vn(date(2015, 12, 31), 23, 59)) == StatusCategory.NOT_STARTED
    assert occ.status_category(at_vn(date(2016, 1, 1), 0, 0)) == StatusCategory.OPEN_IN_TIME


def test_a_duty_without_a_deadline_is_never_late():
    checkin = occurrence(kind=OccurrenceKind.CHECKIN, due_date=date(2015, 11, 30))
    assert checkin.status_category(at_vn(date(2019, 1, 1))) == StatusCategory.NO_DEADLINE
    assert checkin.days_overdue(at_vn(date(2019, 1, 1))) == 0


def test_done_on_the_due_day_is_on_time_and_a_day_later_is_late():
    on_time = occurrence(progress=Progress.DONE, completed_on=date(2015, 12, 31))
    late = occurrence(progress=Progress.DONE, completed_on=date(2016, 1, 1))
    assert on_time.status_category(at_vn(date(2017, 1, 1))) == StatusCategory.DONE_ON_TIME
    assert late.status_category(at_vn(date(2017, 1, 1))) == StatusCategory.DONE_LATE


def test_a_completion_dated_after_the_day_asked_does_not_count_yet():
    done_later = occurrence(progress=Progress.DONE, completed_on=date(2016, 2, 1))
    assert done_later.status_category(at_vn(date(2015, 12, 1))) == StatusCategory.OPEN_IN_TIME
    assert done_later.status_category(at_vn(date(2016, 1, 15))) == StatusCategory.OPEN_OVERDUE
    assert done_later.days_overdue(at_vn(date(2016, 1, 15))) == 15
    assert done_later.status_category(at_vn(date(2016, 2, 1))) == StatusCategory.DONE_LATE


def test_days_overdue_counts_whole_vietnamese_days():
    occ = occurrence()
    assert occ.days_overdue(at_vn(date(2015, 12, 31), 23, 59)) == 0
    assert occ.days_overdue(at_vn(date(2016, 1, 1), 0, 0)) == 1
    assert occ.days_overdue(at_vn(date(2016, 1, 15))) == 15


def period(due, *, done_on=None, kind=OccurrenceKind.DEADLINE, starts=date(2015, 1, 1)):
    return Period(due, starts, kind, Progress.DONE if done_on else Progress.OPEN, done_on)


def test_a_duty_is_overdue_when_any_period_is_and_done_only_when_every_period_is():
    first, second = date(2015, 6, 30), date(2015, 12, 31)
    assert duty_status([period(first, done_on=first), period(second)], date(2015, 7, 1)) == StatusCategory.OPEN_IN_TIME
    assert duty_status([period(first), period(second)], date(2015, 7, 1)) == StatusCategory.OPEN_OVERDUE
    assert duty_status([period(first, done_on=date(2015, 7, 2)), period(second, done_on=second)],
                       date(2016, 1, 5)) == StatusCategory.DONE_LATE
    assert duty_status([period(first, done_on=first), period(second, done_on=second)],
                       date(2016, 1, 5)) == StatusCategory.DONE_ON_TIME
    assert duty_status([period(date(2015, 11, 30), kind=OccurrenceKind.CHECKIN)], date(2019, 1, 1)) == \
        StatusCategory.NO_DEADLINE


def test_a_year_holds_its_own_periods_and_those_carried_over_undone():
    year = Window.year(2016)
    assert year.holds(due=date(2016, 3, 31), progress=Progress.OPEN, completed_on=None)
    assert year.holds(due=date(2015, 12, 31), progress=Progress.OPEN, completed_on=None)
    assert year.holds(due=date(2015, 12, 31), progress=Progress.DONE, completed_on=date(2016, 1, 10))
    assert not year.holds(due=date(2015, 12, 31), progress=Progress.DONE, completed_on=date(2015, 12, 20))
    assert not year.holds(due=date(2017, 3, 31), progress=Progress.OPEN, completed_on=None)


def test_counts_are_in_duties_entries_and_periods_never_mixed():
    quarters = [period(date(2016, m, d)) for m, d in ((3, 31), (6, 30), (9, 30), (12, 31))]
    facts = [TaskFacts(1, "3.3-d-2/BA-BE", "3.3", "BA-BE", "Huyện Ba Bể", "P", quarters),
             TaskFacts(2, "3.3-d-2/PAC-NAM", "3.3", "PAC-NAM", "Huyện Pác Nặm", "P",
                       [period(d.due, done_on=d.due) for d in quarters]),
             TaskFacts(3, "3.3-b/BA-BE", "3.3", "BA-BE", "Huyện Ba Bể", "P",
                       [period(date(2016, 11, 30), kind=OccurrenceKind.CHECKIN)])]
    summary = summarize(facts, date(2016, 10, 1), Window.year(2016))
    assert summary.duties.as_dict() == dict(done_on_time=0, done_late=0, open_in_time=1, open_overdue=1, no_deadline=1)
    assert summary.entries.as_dict() == dict(done_on_time=0, done_late=0, open_in_time=0, open_overdue=1,
                                             no_deadline=1)
    # Periods: Ba Bể's Q1-Q3 are late and its Q4 within the deadline; Pác Nặm's first three are
    # counted done on time, its Q4 (done "on 31/12") not yet, being recorded for a later day.
    assert summary.periods.as_dict() == dict(done_on_time=3, done_late=0, open_in_time=2, open_overdue=3,
                                             no_deadline=0)
    assert summary.by_agency["BA-BE"].as_dict()["no_deadline"] == 1


def test_a_report_names_the_period_a_row_covers():
    assert period_label(date(2015, 3, 31), QUARTERLY) == "Quý I/2015"
    assert period_label(date(2016, 12, 31), YEARLY) == "Năm 2016"


def test_status_labels_are_the_government_offices_four_categories_and_no_deadline_apart():
    assert [c.label_vi for c in StatusCategory][:5] == [
        "Hoàn thành đúng hạn", "Hoàn thành quá hạn", "Chưa hoàn thành, trong hạn", "Chưa hoàn thành, quá hạn",
        "Thường xuyên / không thời hạn",
    ]
    assert all(c.value in GLOSSARY and GLOSSARY[c.value].en for c in StatusCategory)


def test_the_staff_guides_status_section_holds_the_glossary_word_for_word():
    readme = (Path(__file__).parents[2] / "docs" / "staff-guide.md").read_text(encoding="utf-8")
    section = readme.split("## Status", 1)[1].split("\n## ", 1)[0]
    for term in GLOSSARY.values():
        assert f"| {term.vi} | {term.en} | {term.meaning} |" in section, term.vi
