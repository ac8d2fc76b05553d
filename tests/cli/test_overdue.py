"""What Alliance staff see: the overdue list, and how recording completion changes it."""
import csv
import io
import json

from tests.plans.test_bundled_plan import DISTRICTS


def overdue_refs(cli, *args):
    return [row["ref"] for row in json.loads(cli.ok("overdue", *args, "--format", "json").stdout)]


def test_the_2015_deadlines_not_done_are_overdue_on_15_january_2016(loaded):
    rows = json.loads(loaded.ok("overdue", "--today", "2016-01-15", "--format", "json").stdout)
    by_ref = {r["ref"]: r for r in rows}
    for ref in ["3.1.1-b", "3.1.2-c", "3.1.14-a/TRUONG-CT", "3.1.14-a/TT-DAY-NGHE"] + [f"3.3-a/{d}" for d in DISTRICTS]:
        assert ref in by_ref, ref
    assert by_ref["3.1.1-b"]["lead"] == "SKHDT"
    assert by_ref["3.1.1-b"]["lead_name"] == "Sở Kế hoạch và Đầu tư"
    assert by_ref["3.1.1-b"]["due"] == "2015-12-31"
    assert by_ref["3.1.1-b"]["days_overdue"] == 15
    assert by_ref["3.1.1-b"]["status"] == "open_overdue"
    assert by_ref["3.3-a/BA-BE"]["days_overdue"] == 199


def test_the_worst_are_listed_first(loaded):
    rows = json.loads(loaded.ok("overdue", "--today", "2016-01-15", "--format", "json").stdout)
    days = [r["days_overdue"] for r in rows]
    assert days == sorted(days, reverse=True)


def test_marking_a_task_done_removes_it_from_the_overdue_list(loaded):
    assert "3.1.1-b" in overdue_refs(loaded, "--today", "2016-01-15")
    result = loaded.ok("task", "done", "3.1.1-b", "--on", "2016-01-10", "--note", "Đã ban hành Quyết định")
    assert "Hoàn thành quá hạn" in result.stdout
    assert "3.1.1-b" not in overdue_refs(loaded, "--today", "2016-01-15")


def test_nothing_is_overdue_before_the_first_deadline(loaded):
    # The plan was issued on 01/04/2015: its first quarterly report is Quý II's, due 30/06/2015.
    assert overdue_refs(loaded, "--today", "2015-04-01") == []
    assert overdue_refs(loaded, "--today", "2015-06-30") == []
    late = set(overdue_refs(loaded, "--today", "2015-07-01"))
    assert late >= {f"3.3-a/{d}" for d in DISTRICTS} | {f"3.3-d-2/{d}" for d in DISTRICTS}


def test_a_duty_without_a_deadline_is_never_overdue_not_even_after_the_horizon(loaded):
    for day in ("2015-12-01", "2018-06-01", "2021-01-15"):
        refs = set(overdue_refs(loaded, "--today", day))
        assert not refs & {"3.2.1", "3.1.6", "3.1.2-a"} and not any(r.startswith("3.3-b/") for r in refs), day
    rows = json.loads(loaded.ok("tasks", "--today", "2021-01-15", "--format", "json").stdout)
    assert {r["ref"]: r["duty_status"] for r in rows}["3.3-b/BA-BE"] == "no_deadline"


def test_a_completion_recorded_for_a_later_day_does_not_count_on_an_earlier_one(loaded):
    loaded.ok("task", "done", "3.1.1-b", "--on", "2016-01-10", "--today", "2016-01-12")
    assert "3.1.1-b" in overdue_refs(loaded, "--today", "2016-01-05")
    assert "3.1.1-b" not in overdue_refs(loaded, "--today", "2016-01-10")
    early = {r["ref"]: r for r in json.loads(loaded.ok("tasks", "--today", "2015-03-01", "--format", "json").stdout)}
    assert early["3.1.1-b"]["duty_status"] == "open_in_time" and early["3.1.1-b"]["next_due"] == "2015-12-31"


def test_a_completion_dated_after_today_is_refused_and_nothing_is_written(loaded):
    result = loaded("task", "done", "3.1.1-b", "--on", "2030-01-01", "--today", "2016-01-15")
    assert result.exit_code == 2
    assert "after today" in result.output and "15/01/2016" in result.output
    assert "3.1.1-b" in overdue_refs(loaded, "--today", "2016-01-15")


def test_the_overdue_list_filters_by_agency(loaded):
    refs = overdue_refs(loaded, "--today", "2016-01-15", "--agency", "STC")
    assert refs and all(r.startswith(("3.1.2", "4.2-")) for r in refs)


def test_an_unknown_agency_is_refused_by_name(loaded):
    result = loaded("overdue", "--agency", "NOPE", "--today", "2016-01-15")
    assert result.exit_code == 2
    assert "no agency with code NOPE" in result.output


def test_the_csv_export_has_vietnamese_headings_and_dates(loaded):
    text = loaded.ok("overdue", "--today", "2016-01-15", "--format", "csv").stdout
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Mã", "Nhiệm vụ", "Chủ trì", "Hạn", "Số ngày quá hạn", "Tình trạng"]
    assert ["3.1.1-b", "Tham mưu ban hành cơ chế, chính sách hỗ trợ phát triển kinh tế tập thể", "SKHDT",
            "31/12/2015", "15", "Chưa hoàn thành, quá hạn"] in rows


def test_the_table_shows_dates_as_dd_mm_yyyy(loaded):
    assert "31/12/2015" in loaded.ok("overdue", "--today", "2016-01-15", "--agency", "SKHDT").stdout


def test_a_quarter_counts_the_duties_due_in_it_in_duties_entries_and_periods_apart(loaded):
    rows = json.loads(loaded.ok("summary", "--period", "2015-Q2", "--by", "section", "--today", "2015-07-01",
                                "--format", "json").stdout)
    totals = {r["name"]: r for r in rows if not r["key"]}
    duties, entries, periods = (totals[f"Tổng số ({unit})"] for unit in ("nhiệm vụ", "mục của Kế hoạch", "kỳ"))
    # Due in Quý II/2015: 3.3-a and 3.3-d-2 of the 8 districts, 4.2-a of the 14 departments and 8 districts.
    assert (duties["open_overdue"], duties["done_on_time"], duties["open_in_time"]) == (8 + 8 + 22, 0, 0)
    assert (entries["open_overdue"], periods["open_overdue"]) == (3, 38)
    assert duties["no_deadline"] > 0 and periods["no_deadline"] == 0
    by_section = {r["key"]: r for r in rows if r["key"]}
    assert by_section["3.3"]["open_overdue"] == 16 and by_section["4.2"]["open_overdue"] == 22


def test_a_period_that_is_not_a_period_is_refused_by_name(loaded):
    result = loaded("summary", "--period", "2016-Q5")
    assert result.exit_code == 2 and "2016-Q2" in result.output
