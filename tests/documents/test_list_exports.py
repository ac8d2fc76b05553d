"""`dondoc overdue|tasks --format xlsx`: the lists as Excel files people filter and sort (real dates,
an autofilter, a frozen header, the focal point named); the CSV writer's separator."""
import csv
import io
from datetime import datetime

from openpyxl import load_workbook

from dondoc.documents.exports import OVERDUE_COLUMNS, separator_of, table_csv


def test_the_overdue_list_is_written_as_an_excel_file_with_dates_a_filter_and_the_focal_point(loaded, tmp_path):
    target = tmp_path / "qua-han.xlsx"
    result = loaded.ok("overdue", "--today", "2016-01-15", "--agency", "BA-BE", "--format", "xlsx", "-o", target)
    sheet = load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    assert f"{len(rows) - 1} dòng" in result.output and len(rows) > 1
    assert rows[0][:5] == ("Mã nhiệm vụ", "Nhiệm vụ", "Chủ trì", "Cơ quan chủ trì", "Hạn")
    first = rows[1]
    assert isinstance(first[4], datetime) and sheet["E2"].number_format == "DD/MM/YYYY"
    assert isinstance(first[5], int) and first[5] > 0
    assert first[7] == "Hoàng Văn Nam <nam.hv@babe.example.org>"  # who to call
    assert sheet.auto_filter.ref == f"A1:I{len(rows)}" and sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width == 70


def test_the_task_list_is_written_as_an_excel_file(loaded, tmp_path):
    target = tmp_path / "nhiem-vu.xlsx"
    loaded.ok("tasks", "--today", "2016-01-15", "--format", "xlsx", "--output", target)
    rows = list(load_workbook(target).active.iter_rows(values_only=True))
    assert rows[0][0] == "Mã" and len(rows) == 148
    assert any(isinstance(r[4], datetime) for r in rows[1:])


def test_an_excel_list_without_a_file_to_write_is_refused_and_nothing_is_written(loaded, tmp_path):
    result = loaded("overdue", "--today", "2016-01-15", "--format", "xlsx")
    assert result.exit_code != 0 and "--output" in result.output and "Traceback" not in result.output
    result = loaded("overdue", "--today", "2016-01-15", "--format", "xlsx", "-o", tmp_path / "no" / "x.xlsx")
    assert result.exit_code != 0 and "không ghi được" in result.output  # Vietnamese by default
    assert list(tmp_path.iterdir()) == [p for p in tmp_path.iterdir() if p.name != "no"]


def test_the_csv_starts_with_a_byte_order_mark_and_takes_the_separator_asked_for():
    rows = [["3.3-a/BA-BE", "Kiện toàn; Ban Chỉ đạo", "3.3", "UBND huyện Ba Bể", datetime(2015, 6, 30).date(), 199,
             "Quá hạn", "", "", "Hoàng Văn Nam"]]
    text = table_csv(OVERDUE_COLUMNS, rows, separator_of("semicolon"))
    assert text.startswith("\ufeffMã nhiệm vụ;Nhiệm vụ;")
    parsed = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert parsed[1][1] == "Kiện toàn; Ban Chỉ đạo" and parsed[1][4] == "30/06/2015"
    assert separator_of(None) == "," and separator_of(";") == ";"
    try:
        separator_of("|")
    except ValueError as refused:
        assert "separator" in str(refused)
    else:
        raise AssertionError("a separator nobody offers was taken")
