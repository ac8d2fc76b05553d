"""The pure rules: which due dates a task has, and where an occurrence stands at a moment."""
from datetime import date

from config.policy import DueDatePolicy
from models.occurrence import Occurrence, OccurrenceKind, Progress, StatusCategory
from models.schedule import plan_occurrences
from tests.conftest import at_vn

HORIZON = dict(horizon_start=date(2015, 1, 1), horizon_end=date(2020, 12, 31), policy=DueDatePolicy())


def dues(**kwargs):
    return [p.due_date for p in plan_occurrences(**{**HORIZON, **kwargs})]


def test_a_one_off_task_has_one_due_date():
    assert dues(timing="one-off", due=date(2015, 6, 30), rrule=None, anchor=None) == [date(2015, 6, 30)]


def test_a_yearly_task_is_due_every_year_up_to_the_horizon():
    got = dues(timing="recurring", due=None, rrule="FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31", anchor=date(2015, 12, 31))
    assert got == [date(y, 12, 31) for y in range(2015, 2021)]


def test_a_quarterly_task_is_due_at_every_quarter_end_even_in_short_months():
    got = dues(timing="recurring", due=None, rrule="FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1", anchor=date(2015, 3, 31))
    assert len(got) == 24
    assert got[:4] == [date(2015, 3, 31), date(2015, 6, 30), date(2015, 9, 30), date(2015, 12, 31)]
    assert got[-1] == date(2020, 12, 31)


def test_a_task_every_two_years_skips_the_years_between():
    got = dues(timing="recurring", due=None, rrule="FREQ=YEARLY;INTERVAL=2", anchor=date(2016, 4, 11))
    assert got == [date(2016, 4, 11), date(2018, 4, 11), date(2020, 4, 11)]


def test_an_undated_task_is_checked_in_yearly_and_finally_due_at_the_horizon():
    planned = plan_occurrences(timing="undated", due=None, rrule=None, anchor=None, **HORIZON)
    assert [p.due_date for p in planned] == [date(y, 11, 30) for y in range(2015, 2021)] + [date(2020, 12, 31)]
    assert planned[-1].kind == OccurrenceKind.FINAL
    assert planned[1].starts_on == date(2015, 12, 1), "each check-in period starts after the previous one"


def test_a_checkin_day_that_a_month_lacks_falls_on_its_last_day():
    policy = DueDatePolicy(checkin={"month": 2, "day": 30})
    planned = plan_occurrences(timing="ongoing", due=None, rrule=None, anchor=None,
                               horizon_start=date(2016, 1, 1), horizon_end=date(2017, 12, 31), policy=policy)
    assert [p.due_date for p in planned][:2] == [date(2016, 2, 29), date(2017, 2, 28)]


def occurrence(**kwargs):
    values = dict(task_id=1, due_date=date(2015, 12, 31), starts_on=date(2015, 1, 1), progress=Progress.OPEN)
    return Occurrence(**{**values, **kwargs})


def test_an_open_occurrence_is_in_progress_until_2359_on_its_due_day():
    assert occurrence().status_category(at_vn(date(2015, 12, 31), 23, 59)) == StatusCategory.IN_PROGRESS


def test_an_open_occurrence_is_overdue_from_0000_the_next_day_in_vietnam():
    assert occurrence().status_category(at_vn(date(2016, 1, 1), 0, 0)) == StatusCategory.OVERDUE
    # 00:00 in Hà Nội is still 31/12 in UTC: the day is Vietnam's.
    assert at_vn(date(2016, 1, 1), 0, 0).utctimetuple().tm_mday == 31


def test_an_occurrence_whose_period_has_not_started_is_not_yet_due():
    occ = occurrence(due_date=date(2016, 12, 31), starts_on=date(2016, 1, 1))
    assert occ.status_category(at_vn(date(2015, 12, 31), 23, 59)) == StatusCategory.NOT_YET_DUE
    assert occ.status_category(at_vn(date(2016, 1, 1), 0, 0)) == StatusCategory.IN_PROGRESS


def test_recorded_progress_makes_a_future_occurrence_in_progress():
    occ = occurrence(due_date=date(2016, 12, 31), starts_on=date(2016, 1, 1), progress=Progress.IN_PROGRESS)
    assert occ.status_category(at_vn(date(2015, 6, 1))) == StatusCategory.IN_PROGRESS


def test_done_on_the_due_day_is_on_time_and_a_day_later_is_late():
    on_time = occurrence(progress=Progress.DONE, completed_on=date(2015, 12, 31))
    late = occurrence(progress=Progress.DONE, completed_on=date(2016, 1, 1))
    assert on_time.status_category(at_vn(date(2017, 1, 1))) == StatusCategory.DONE_ON_TIME
    assert late.status_category(at_vn(date(2017, 1, 1))) == StatusCategory.DONE_LATE


def test_days_overdue_counts_whole_vietnamese_days():
    occ = occurrence()
    assert occ.days_overdue(at_vn(date(2015, 12, 31), 23, 59)) == 0
    assert occ.days_overdue(at_vn(date(2016, 1, 1), 0, 0)) == 1
    assert occ.days_overdue(at_vn(date(2016, 1, 15))) == 15


def test_status_labels_are_the_vietnamese_report_categories():
    assert [c.label_vi for c in StatusCategory] == [
        "Chưa đến hạn", "Đang thực hiện, trong hạn", "Quá hạn, chưa hoàn thành",
        "Hoàn thành đúng hạn", "Hoàn thành quá hạn",
    ]
