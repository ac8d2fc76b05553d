"""What Alliance staff see: the overdue list, and how recording completion changes it."""
import csv
import io
import json

from tests.test_bundled_plan import DISTRICTS


def overdue_refs(cli, *args):
    return [row["ref"] for row in json.loads(cli.ok("overdue", *args, "--format", "json").stdout)]


def test_the_2015_deadlines_not_done_are_overdue_on_15_january_2016(loaded):
    rows = json.loads(loaded.ok("overdue", "--today", "2016-01-15", "--format", "json").stdout)
    by_ref = {r["ref"]: r for r in rows}
    for ref in ["3.1.1-b", "3.1.2-c", "3.1.14-a"] + [f"3.3-a/{d}" for d in DISTRICTS]:
        assert ref in by_ref, ref
    assert by_ref["3.1.1-b"]["lead"] == "SKHDT"
    assert by_ref["3.1.1-b"]["lead_name"] == "Sở Kế hoạch và Đầu tư"
    assert by_ref["3.1.1-b"]["due"] == "2015-12-31"
    assert by_ref["3.1.1-b"]["days_overdue"] == 15
    assert by_ref["3.1.1-b"]["status"] == "overdue"
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
    assert overdue_refs(loaded, "--today", "2015-03-31") == []
    assert sorted(overdue_refs(loaded, "--today", "2015-04-01")) == sorted(f"3.3-d-2/{d}" for d in DISTRICTS)
    assert set(overdue_refs(loaded, "--today", "2015-07-01")) >= {f"3.3-a/{d}" for d in DISTRICTS}


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
            "31/12/2015", "15", "Quá hạn, chưa hoàn thành"] in rows


def test_the_table_shows_dates_as_dd_mm_yyyy(loaded):
    assert "31/12/2015" in loaded.ok("overdue", "--today", "2016-01-15", "--agency", "SKHDT").stdout
