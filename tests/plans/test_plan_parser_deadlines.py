"""Deadline phrases -> timing, and the dates that are not deadlines. Pure functions, no database."""
from datetime import date

import pytest
from hypothesis import given, settings, strategies as st

from config.errors import InputError
from config.files import read_agency_file
from config.policy import DueDatePolicy
from models.plan_parser import parse_plan
from models.plan_parser.deadlines import first_due, read_horizons, read_issue_date, timing_of
from tests.conftest import AGENCIES

START = date(2015, 1, 1)
DIRECTORY = read_agency_file(AGENCIES)
DEFAULT = DueDatePolicy().default_period_rrule


def timing(text, start=START):
    return timing_of(text, start, DEFAULT)[0]


@pytest.mark.parametrize("text, due, phrase", [
    ("Ban hành cơ chế, thời gian hoàn thành trong năm 2015.", date(2015, 12, 31), "trong năm 2015"),
    ("Kiện toàn Ban Chỉ đạo, hoàn thành trong quý II năm 2015.", date(2015, 6, 30), "trong quý II năm 2015"),
    ("Xây dựng Kế hoạch, thời gian hoàn thành trong quý II, năm 2015.", date(2015, 6, 30), "trong quý II, năm 2015"),
    ("Hoàn thành quý I năm 2016.", date(2016, 3, 31), "quý I năm 2016"),
    ("Hoàn thành trong quý III/2021.", date(2021, 9, 30), "trong quý III/2021"),
    ("Số hóa hồ sơ, thời gian hoàn thành quý IV, năm 2022.", date(2022, 12, 31), "quý IV, năm 2022"),
    ("Trình Ủy ban nhân dân tỉnh trong tháng 9 năm 2023.", date(2023, 9, 30), "trong tháng 9 năm 2023"),
    ("Trình trong tháng 2/2024.", date(2024, 2, 29), "trong tháng 2/2024"),
    ("Bố trí kinh phí, hoàn thành trước ngày 30/6/2023.", date(2023, 6, 30), "trước ngày 30/6/2023"),
    ("Gửi báo cáo chậm nhất ngày 15 tháng 11 năm 2023.", date(2023, 11, 15), "chậm nhất ngày 15 tháng 11 năm 2023"),
    ("Thời gian hoàn thành: năm 2022.", date(2022, 12, 31), "năm 2022"),
])
def test_a_one_off_phrase_gives_the_last_day_it_allows(text, due, phrase):
    got = timing(text)
    assert (got.timing, got.due, got.rrule, got.deadline_phrase, got.date_source) == ("one-off", due, None, phrase, "text")


def test_before_a_date_means_that_date_itself():
    assert timing("Hoàn thành trước ngày 30/6/2023.").due == date(2023, 6, 30)


@pytest.mark.parametrize("text, rrule, anchor, phrase", [
    ("Xây dựng Kế hoạch hàng năm.", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31", date(2015, 12, 31), "hàng năm"),
    ("Hằng năm tổ chức gặp mặt.", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31", date(2015, 12, 31), "Hằng năm"),
    ("Tập huấn mỗi năm.", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31", date(2015, 12, 31), "mỗi năm"),
    ("Định kỳ hàng năm sơ kết.", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31", date(2015, 12, 31), "Định kỳ hàng năm"),
    ("Báo cáo hàng quý.", "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1", date(2015, 3, 31), "hàng quý"),
    ("Báo cáo hằng quý.", "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1", date(2015, 3, 31), "hằng quý"),
    ("Hàng quý, năm báo cáo tình hình.", "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1", date(2015, 3, 31), "Hàng quý, năm"),
    ("Tổng hợp hàng tháng.", "FREQ=MONTHLY;BYMONTHDAY=-1", date(2015, 1, 31), "hàng tháng"),
    ("Kiểm tra định kỳ 6 tháng.", "FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=-1", date(2015, 6, 30), "định kỳ 6 tháng"),
    ("Hai năm một lần, tổ chức Hội nghị.", "FREQ=YEARLY;INTERVAL=2;BYMONTH=12;BYMONTHDAY=31", date(2015, 12, 31),
     "Hai năm một lần"),
    ("Báo cáo trước ngày 15 tháng 7 hằng năm.", "FREQ=YEARLY;BYMONTH=7;BYMONTHDAY=15", date(2015, 7, 15),
     "trước ngày 15 tháng 7 hằng năm"),
    ("Báo cáo trước ngày 20/6 và ngày 20/12 hằng năm.", "FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=20", date(2015, 6, 20),
     "trước ngày 20/6 và ngày 20/12 hằng năm"),
    ("Gửi số liệu trước ngày 25 hằng tháng.", "FREQ=MONTHLY;BYMONTHDAY=25", date(2015, 1, 25), "trước ngày 25 hằng tháng"),
])
def test_a_recurring_phrase_gives_its_rule_and_the_first_date_on_or_after_the_start(text, rrule, anchor, phrase):
    got = timing(text)
    assert (got.timing, got.rrule, got.anchor, got.deadline_phrase, got.date_source) == \
        ("recurring", rrule, anchor, phrase, "text")


def test_the_anchor_follows_a_plan_that_starts_mid_year():
    assert timing("Báo cáo hằng quý.", start=date(2021, 4, 15)).anchor == date(2021, 6, 30)
    assert timing("Báo cáo trước ngày 15/7 hằng năm.", start=date(2023, 8, 1)).anchor == date(2024, 7, 15)
    assert first_due("FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=-1", date(2023, 7, 1), 6) == date(2023, 12, 31)


def test_thuong_xuyen_is_ongoing_with_dates_from_the_policy():
    got = timing("Duy trì thường xuyên các chuyên mục.")
    assert (got.timing, got.due, got.rrule, got.deadline_phrase, got.date_source) == \
        ("ongoing", None, None, "thường xuyên", "policy")


def test_a_duty_with_no_phrase_is_undated_with_dates_from_the_policy():
    got = timing("Hướng dẫn các hợp tác xã thực hiện tiêu chuẩn vệ sinh an toàn thực phẩm.")
    assert (got.timing, got.deadline_phrase, got.date_source) == ("undated", None, "policy")


def test_a_bare_dinh_ky_gets_the_default_period_with_a_warning():
    got, warnings = timing_of("Định kỳ Tham mưu cho Ủy ban nhân dân tỉnh sơ kết.", START, "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1")
    assert (got.timing, got.rrule, got.anchor, got.deadline_phrase, got.date_source) == \
        ("recurring", "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1", date(2015, 1, 31), "Định kỳ", "policy")
    assert any("names no period" in w for w in warnings)


def test_the_first_phrase_sets_the_timing_and_a_different_later_one_is_reported():
    got, warnings = timing_of("Hàng năm gặp mặt. Hai năm một lần, tổ chức Hội nghị.", START, DEFAULT)
    assert got.deadline_phrase == "Hàng năm"
    assert warnings == ["also says 'Hai năm một lần'; timing taken from the first phrase, 'Hàng năm'"]


def test_an_impossible_date_is_reported_not_used():
    got, warnings = timing_of("Hoàn thành trước ngày 31/2/2023.", START, DEFAULT)
    assert got.timing == "undated" and "not a real date" in warnings[0]


@pytest.mark.parametrize("text", [
    "Thực hiện Kết luận số 56-KL/TW ngày 21 tháng 02 năm 2013 của Bộ Chính trị.",
    "Theo Thông tư số 09/2022/TT-BKHĐT ngày 05 tháng 5 năm 2022 của Bộ Kế hoạch và Đầu tư.",
    "Theo Quyết định số 12/QĐ-UBND ngày 5/3/2021 của Ủy ban nhân dân tỉnh.",
    "Chuyển đổi hợp tác xã theo Luật Hợp tác xã năm 2012.",
    "Hướng dẫn thực hiện Luật Hợp tác xã 2012.",
    "Tuyên truyền Nghị quyết Trung ương 5 (khóa IX).",
    "Nghị quyết Hội nghị lần thứ IV Ban Chấp hành Đảng bộ tỉnh.",
    "Hướng dẫn tổ chức đại hội thường niên, đại hội nhiệm kỳ theo quy định.",
    "Quán triệt Nghị quyết Đại hội nhiệm kỳ 2020-2025.",
    "Xây dựng nông thôn mới trên địa bàn tỉnh giai đoạn 2011-2020.",
    "Triển khai Nghị định số 02/2010/NĐ-CP của Chính phủ.",
    "Tuyên dương nhân dịp ngày Hợp tác xã Việt Nam 11/4.",
])
def test_a_date_that_is_not_a_deadline_leaves_the_duty_undated(text):
    got = timing(text)
    assert (got.timing, got.due, got.rrule, got.deadline_phrase) == ("undated", None, None, None)


def test_a_deadline_next_to_a_cited_law_is_still_read():
    assert timing("Tuyên truyền Luật Hợp tác xã trong năm 2016.").due == date(2016, 12, 31)


def test_the_horizon_comes_from_the_period_the_title_names_not_a_cited_one():
    assert read_horizons("KẾ HOẠCH ... TỪ NAY ĐẾN NĂM 2020", title=True)[0][:2] == (None, 2020)
    assert read_horizons("Kế hoạch phát triển hợp tác xã giai đoạn 2023-2025", title=True)[0][:2] == (2023, 2025)
    assert read_horizons("THỰC HIỆN CHƯƠNG TRÌNH SỐ 19-CTR/TU NGÀY 24 THÁNG 12 NĂM 2014", title=True) == []


def test_the_dateline_gives_the_date_the_plan_was_issued():
    assert read_issue_date("Cao Bằng, ngày 10 tháng 3 năm 2021") == date(2021, 3, 10)
    assert read_issue_date("Căn cứ Nghị quyết số 25/NQ-HĐND ngày 10 tháng 12 năm 2020") is None


@settings(max_examples=120, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=8), st.sampled_from([
    "Sở Tài chính", "chủ trì", "phối hợp với", "hằng năm", "quý II", "trước ngày", "tháng", "năm 2015", "\n",
    "\n1. ", "\n3.1. ", "\nII. ", "\n- ", "\n+ ", "\na) ", "Định kỳ", "UBND các huyện, thị xã:", "giai đoạn 2021-2025",
    "ngày 30/6/2023", "Nơi nhận:", "(", ")", ":", "Công an tỉnh"])), max_size=60).map("".join))
def test_arbitrary_text_never_raises_anything_but_an_input_error(text):
    try:
        parse_plan(text, DIRECTORY, DueDatePolicy())
    except InputError:
        pass
