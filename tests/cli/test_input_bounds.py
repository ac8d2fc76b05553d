"""Files no plan, directory or review could be are refused quickly with one line (issue 26): too
big, values too long, nesting too deep, decompression bombs dressed as review workbooks, and a
file with very many problems lists the first ones and counts the rest."""
import json
import re
import zipfile

import pytest
import yaml
from openpyxl import Workbook

from config.limits import (MAX_ERRORS_SHOWN, MAX_INPUT_FILE_BYTES, MAX_NAME, MAX_NESTING, MAX_TITLE, MAX_XLSX_ROWS)
from dondoc.documents.review_template import TASK_COLUMNS, TASK_SHEET
from tests.abuse_support import DURING, open_review, snapshot
from tests.conftest import AGENCIES, BUNDLED_PLAN


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """These tests pin the English refusals (tests/cli/test_cli_language.py checks the Vietnamese ones)."""
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")


def one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def bundled_plan() -> dict:
    return yaml.safe_load(BUNDLED_PLAN.read_text(encoding="utf-8"))


def write_plan(path, plan: dict):
    path.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# --- plan and agency files -------------------------------------------------------------------------

def test_a_plan_file_larger_than_the_limit_is_refused_without_being_read(loaded, app_context, tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as file:
        file.write(BUNDLED_PLAN.read_bytes())
        file.write(b"# " + b"x" * (MAX_INPUT_FILE_BYTES) + b"\n")
    before = snapshot(app_context.engine)
    line = one_error_line(loaded("plan", "load", big))
    assert f"{big}: is larger than 5,000,000 bytes" in line
    assert snapshot(app_context.engine) == before


def test_a_plan_with_a_title_too_long_to_be_one_is_refused_naming_the_task_and_line(loaded, tmp_path):
    plan = bundled_plan()
    plan["tasks"][3]["title"] = "Tiêu đề rất dài " * (MAX_TITLE // 10)
    line = one_error_line(loaded("plan", "load", write_plan(tmp_path / "long.yaml", plan)))
    assert re.search(rf"long\.yaml:\d+: task {re.escape(plan['tasks'][3]['ref'])}: title: .*at most {MAX_TITLE} characters",
                     line), line


def test_a_plan_whose_text_is_megabytes_long_is_refused(loaded, tmp_path):
    plan = bundled_plan()
    plan["tasks"][0]["text"] = "Nội dung " * 200_000  # 2 MB: under the file limit, far over a value's
    line = one_error_line(loaded("plan", "load", write_plan(tmp_path / "text.yaml", plan)))
    assert "text: String should have at most 20000 characters" in line


def test_an_agency_name_longer_than_a_name_is_refused(loaded, tmp_path):
    directory = yaml.safe_load(AGENCIES.read_text(encoding="utf-8"))
    directory["agencies"][0]["name_vi"] = "Sở " * MAX_NAME
    path = tmp_path / "agencies.yaml"
    path.write_text(yaml.safe_dump(directory, allow_unicode=True, sort_keys=False), encoding="utf-8")
    line = one_error_line(loaded("plan", "load", BUNDLED_PLAN, "--agencies", path))
    assert f"name_vi: String should have at most {MAX_NAME} characters" in line


@pytest.mark.parametrize("shape", ["flow", "block"])
def test_a_yaml_file_nested_a_thousand_deep_is_one_error_line_not_a_recursion_error(loaded, tmp_path, shape):
    path = tmp_path / "deep.yaml"
    if shape == "flow":
        path.write_text("plan: " + "[" * 1000 + "]" * 1000 + "\n", encoding="utf-8")
    else:
        path.write_text("".join(f"{'  ' * depth}k{depth}:\n" for depth in range(1000)) + "  " * 1000 + "x\n",
                        encoding="utf-8")
    line = one_error_line(loaded("plan", "load", path))
    assert re.fullmatch(rf"error: {re.escape(str(path))}:\d+: nested more than {MAX_NESTING} levels deep", line), line


def test_nesting_within_the_limit_reads_as_before(loaded, tmp_path):
    path = tmp_path / "nested.yaml"
    path.write_text("plan: " + "[" * (MAX_NESTING - 1) + "]" * (MAX_NESTING - 1) + "\n", encoding="utf-8")
    line = one_error_line(loaded("plan", "load", path))
    assert "levels deep" not in line and "plan" in line  # refused for its shape, not its depth


def test_plan_parse_refuses_a_text_larger_than_the_limit(loaded, tmp_path):
    path = tmp_path / "plan.txt"
    path.write_bytes("KẾ HOẠCH\n".encode() * (MAX_INPUT_FILE_BYTES // 8))
    line = one_error_line(loaded("plan", "parse", path))
    assert "is larger than 5,000,000 bytes" in line


# --- review submissions ----------------------------------------------------------------------------

@pytest.fixture
def review_open(loaded, app_context):
    open_review(app_context)
    return loaded


def submit(cli, path):
    return cli("review", "submit", "2015", "--agency", "STC", "--file", path, "--today", DURING.isoformat())


def test_a_review_json_nested_a_thousand_deep_is_one_error_line(review_open, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"tasks":\n' + "[" * 1000 + "]" * 1000 + "}", encoding="utf-8")
    line = one_error_line(submit(review_open, path))
    assert line == f"error: {path}:2: nested more than {MAX_NESTING} levels deep"


def test_a_review_file_with_a_hundred_thousand_bad_lines_shows_twenty_and_counts_the_rest(review_open, app_context,
                                                                                          tmp_path):
    path = tmp_path / "many.json"
    path.write_text(json.dumps({"tasks": [{"ref": f"9.9-{n}", "status": "done"} for n in range(100_000)]}),
                    encoding="utf-8")
    before = snapshot(app_context.engine)
    result = submit(review_open, path)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == MAX_ERRORS_SHOWN + 1
    assert lines[-1] == f"  ... and {100_000 - MAX_ERRORS_SHOWN:,} more problems".replace(",", ".")
    assert snapshot(app_context.engine) == before


def template_workbook(path, rows=()):
    book = Workbook()
    sheet = book.active
    sheet.title = TASK_SHEET
    for column, (_, heading, _) in enumerate(TASK_COLUMNS, start=1):
        sheet.cell(1, column, heading)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_a_workbook_whose_shared_strings_unpack_to_a_huge_cell_is_refused_before_it_is_read(review_open, app_context,
                                                                                            tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(template_workbook(tmp_path / "plain.xlsx")) as plain, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in plain.infolist():
            bomb.writestr(item, plain.read(item))
        with bomb.open("xl/sharedStrings2.xml", "w") as part:  # 200 MB of one letter: about 200 KB packed
            block = b"A" * 1_000_000
            for _ in range(200):
                part.write(block)
    assert path.stat().st_size < 1_000_000
    before = snapshot(app_context.engine)
    line = one_error_line(submit(review_open, path))
    assert "xl/sharedStrings2.xml unpacks to 200 MB (at most 50 MB): not a review workbook" in line
    assert snapshot(app_context.engine) == before


def test_a_workbook_that_declares_a_million_rows_is_refused(review_open, tmp_path):
    path = template_workbook(tmp_path / "tall.xlsx")
    from openpyxl import load_workbook
    book = load_workbook(path)
    book[TASK_SHEET].cell(1_000_000, 1, "3.1.1-a")
    book.save(path)
    line = one_error_line(submit(review_open, path))
    assert f"the sheet is 1.000.000 rows by 10 columns (at most {MAX_XLSX_ROWS:,} by 100)".replace(",", ".") in line


def test_a_workbook_that_hides_rows_far_below_a_small_declared_size_is_refused_at_the_row_limit(review_open, tmp_path):
    tall = template_workbook(tmp_path / "tall.xlsx")
    from openpyxl import load_workbook
    book = load_workbook(tall)
    book[TASK_SHEET].cell(900_000, 1, "3.1.1-a")
    book.save(tall)
    path = tmp_path / "lying.xlsx"
    with zipfile.ZipFile(tall) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as lying:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'<dimension ref="[^"]+"\s*/>', b"", data)  # no declared size at all
            lying.writestr(item, data)
    line = one_error_line(submit(review_open, path))
    assert f"has rows past row {MAX_XLSX_ROWS:,}: not a review template".replace(",", ".") in line


def test_a_real_template_still_goes_through(review_open, tmp_path):
    out = tmp_path / "stc.xlsx"
    review_open.ok("review", "template", "2015", "--agency", "STC", "--out", out, "--today", DURING.isoformat())
    from openpyxl import load_workbook
    book = load_workbook(out)
    sheet = book[TASK_SHEET]
    sheet.cell(2, 5, "Đang thực hiện")
    sheet.cell(2, 7, 50)
    book.save(out)
    review_open.ok("review", "submit", "2015", "--agency", "STC", "--file", out, "--today", DURING.isoformat())
