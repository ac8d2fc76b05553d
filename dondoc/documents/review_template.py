"""The annual review's files an agency fills in: reading a submission (JSON, YAML or the XLSX
template) and writing the XLSX template for an agency."""
import json
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

from config.errors import InputError, unreadable
from config.files import _line_of, read_text, read_yaml
from config.limits import (MAX_ERRORS_SHOWN, MAX_NESTING, MAX_XLSX_BYTES, MAX_XLSX_COLUMNS, MAX_XLSX_PART_BYTES,
                           MAX_XLSX_PARTS, MAX_XLSX_ROWS, MAX_XLSX_UNPACKED_BYTES)
from models.numbers import number
from models.review.rules import INDICATORS, ReportedStatus
from models.review.operations import Form
from models.review.inputs import ReviewInvalid
from dondoc.documents.files import show_date as _d, write_atomically as _atomic

SUBMISSION_SUFFIXES = (".json", ".yaml", ".yml", ".xlsx")




# --- reading a submission ----------------------------------------------------------------------

def read_submission(path: Path):
    """(raw inputs, where(loc) -> (path text, line)) for a .json, .yaml/.yml or .xlsx file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUBMISSION_SUFFIXES:
        raise InputError(f"expected a {', '.join(SUBMISSION_SUFFIXES)} file", path=path, field="--file",
                         vi=f"cần tệp {', '.join(SUBMISSION_SUFFIXES)}")
    if suffix == ".xlsx":
        return read_template(path)
    if suffix == ".json":
        text = read_text(path, encoding="utf-8-sig")
        _check_json_nesting(text, path)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"malformed JSON: {exc.msg} (column {exc.colno})", path=path, line=exc.lineno,
                             vi=f"JSON sai cú pháp: {exc.msg} (cột {exc.colno})") from None
        return data, lambda loc: (str(path), None)
    data = read_yaml(path)
    return data, lambda loc: (str(path), _line_of(data, loc) if isinstance(data, dict) else None)


_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}\n]')


def _check_json_nesting(text: str, path: Path) -> None:
    """JSON nested deeper than MAX_NESTING is refused, naming its line, before the parser (which
    recurses: 1,000 levels end in a RecursionError) reads it."""
    depth, line = 0, 1
    for token in _JSON_TOKENS.finditer(text):
        character = token.group()
        if character == "\n":
            line += 1
        elif character in "[{":
            depth += 1
            if depth > MAX_NESTING:
                raise InputError(f"nested more than {MAX_NESTING} levels deep", path=path, line=line,
                                 vi=f"lồng nhau quá {MAX_NESTING} cấp")
        elif character in "]}":
            depth -= 1
        else:
            line += character.count("\n")  # a string cannot hold a raw line break; a malformed one may


def as_input_error(invalid: ReviewInvalid, where) -> InputError:
    """The problems of a file, the first as the error's place, then up to MAX_ERRORS_SHOWN in all
    listed, and how many more there are."""
    first = invalid.errors[0]
    place, line = where(first.loc)
    message, message_vi = first.message, first.message_vi
    for other in invalid.errors[1:MAX_ERRORS_SHOWN]:
        other_place, other_line = where(other.loc)
        at = f"{other_place}:{other_line}" if other_line else other_place
        message += f"\n  {at}: {other.field}: {other.message}"
        message_vi += f"\n  {at}: {other.field}: {other.message_vi}"
    if len(invalid.errors) > MAX_ERRORS_SHOWN:
        more = len(invalid.errors) - MAX_ERRORS_SHOWN
        message += f"\n  ... and {number(more)} more problems"
        message_vi += f"\n  ... và {number(more, 'vi')} lỗi khác"
    return InputError(message, path=place, line=line, field=first.field, vi=message_vi)


# --- the XLSX template -------------------------------------------------------------------------

TASK_SHEET, INDICATOR_SHEET, INFO_SHEET = "Nhiệm vụ", "Chỉ tiêu", "Thông tin"
TASK_COLUMNS = [
    ("ref", "Mã nhiệm vụ", 14), ("due", "Hạn", 12), ("title", "Nhiệm vụ", 50), ("current_status", "Tình trạng hiện tại", 24),
    ("status", "Tình trạng báo cáo", 20), ("completed_on", "Ngày hoàn thành (dd/mm/yyyy)", 16),
    ("progress", "Tiến độ (%)", 10), ("result", "Kết quả đạt được", 45), ("difficulties", "Khó khăn, vướng mắc", 40),
    ("proposals", "Đề xuất, kiến nghị", 40),
]
STATUS_LABELS = [s.label_vi for s in ReportedStatus]


def write_template(form: Form, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    info = book.active
    info.title = INFO_SHEET
    bold = Font(bold=True)
    info["A1"] = f"Báo cáo sơ kết năm {form.cycle.year} — {form.agency.name_vi}"
    info["A1"].font = Font(bold=True, size=14)
    rows = [("Mã đơn vị", form.agency.code), ("Năm", form.cycle.year), ("Hạn nộp", _d(form.cycle.inputs_due)),
            ("Kế hoạch", form.plan.title), ("Ý kiến khác", (form.latest.payload.get("notes") if form.latest else "") or "")]
    for index, (label, value) in enumerate(rows, start=3):
        info.cell(index, 1, label).font = bold
        info.cell(index, 2, value)
    guide = [
        "Hướng dẫn:",
        f"1. Trang '{TASK_SHEET}': với mỗi nhiệm vụ chọn Tình trạng báo cáo ({', '.join(STATUS_LABELS)}),"
        " ghi ngày hoàn thành (nếu đã hoàn thành), tiến độ %, kết quả, khó khăn, đề xuất.",
        f"2. Trang '{INDICATOR_SHEET}' (UBND huyện, thị xã và Liên minh HTX): ghi số nguyên không âm, ghi 0 nếu không có.",
        "3. Không sửa các cột Mã nhiệm vụ, Hạn, Mã chỉ tiêu và ô Mã đơn vị, Năm.",
        f"4. Gửi tệp cho Liên minh Hợp tác xã tỉnh (dondoc review submit {form.cycle.year} --agency {form.agency.code}"
        " --file TỆP.xlsx).",
    ]
    for index, text in enumerate(guide, start=10):
        info.cell(index, 1, text)
    info.column_dimensions["A"].width = 18
    info.column_dimensions["B"].width = 80
    info["B7"].alignment = Alignment(wrap_text=True, vertical="top")

    sheet = book.create_sheet(TASK_SHEET)
    fill = PatternFill("solid", fgColor="FFF2CC")
    for column, (_, heading, width) in enumerate(TASK_COLUMNS, start=1):
        cell = sheet.cell(1, column, heading)
        cell.font = bold
        sheet.column_dimensions[cell.column_letter].width = width
    for row, line in enumerate(form.lines, start=2):
        said = line.reported or {}
        status = said.get("status") or line.reported_status
        values = dict(ref=line.ref, due=_d(line.due), title=line.title, current_status=line.status.label_vi,
                      status=ReportedStatus(status).label_vi if status else "",
                      completed_on=_d(date.fromisoformat(said["completed_on"])) if said.get("completed_on")
                      else _d(line.completed_on),
                      progress=said.get("progress", line.percent), result=said.get("result", ""),
                      difficulties=said.get("difficulties", ""), proposals=said.get("proposals", ""))
        for column, (key, _, _) in enumerate(TASK_COLUMNS, start=1):
            cell = sheet.cell(row, column, values[key])
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if key in ("status", "completed_on", "progress", "result", "difficulties", "proposals"):
                cell.fill = fill
            if key in ("due", "completed_on"):
                cell.number_format = "@"
    if form.lines:
        choice = DataValidation(type="list", formula1='"' + ",".join(STATUS_LABELS) + '"', allow_blank=True)
        sheet.add_data_validation(choice)
        choice.add(f"E2:E{len(form.lines) + 1}")
        percent = DataValidation(type="whole", operator="between", formula1="0", formula2="100", allow_blank=True)
        sheet.add_data_validation(percent)
        percent.add(f"G2:G{len(form.lines) + 1}")
    sheet.freeze_panes = "B2"

    if form.request.asks_indicators:
        sheet = book.create_sheet(INDICATOR_SHEET)
        for column, (heading, width) in enumerate([("Mã chỉ tiêu", 24), ("Chỉ tiêu", 60), ("Số lượng", 12)], start=1):
            cell = sheet.cell(1, column, heading)
            cell.font = bold
            sheet.column_dimensions[cell.column_letter].width = width
        previous = form.latest.payload.get("indicators", {}) if form.latest else {}
        for row, indicator in enumerate(INDICATORS, start=2):
            sheet.cell(row, 1, indicator.code)
            sheet.cell(row, 2, indicator.label_vi)
            sheet.cell(row, 3, previous.get(indicator.code)).fill = fill
        counts = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
        sheet.add_data_validation(counts)
        counts.add(f"C2:C{len(INDICATORS) + 1}")
    _atomic(path, lambda p: book.save(p))


def _cell(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _check_workbook_archive(path: Path) -> None:
    """Refuse a workbook no agency's review could be before openpyxl unpacks any of it: too big a
    file, too many parts, or parts that say they unpack to more than MAX_XLSX_PART_BYTES (each) or
    MAX_XLSX_UNPACKED_BYTES (all): a decompression bomb. (Python's zipfile never unpacks a part past
    the size it declares, so the declared sizes bound what is read.)"""
    try:
        size = Path(path).stat().st_size
    except OSError as exc:
        raise unreadable(exc, path) from None
    if size > MAX_XLSX_BYTES:
        raise InputError(f"is larger than {MAX_XLSX_BYTES // 1_000_000} MB; a review workbook is far smaller",
                         path=path, vi=f"lớn hơn {MAX_XLSX_BYTES // 1000000} MB; một bảng sơ kết nhỏ hơn thế rất nhiều")
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"is not an XLSX workbook ({type(exc).__name__})", path=path,
                         vi=f"không phải bảng tính XLSX ({type(exc).__name__})") from None
    if len(parts) > MAX_XLSX_PARTS:
        raise InputError(f"has {number(len(parts))} parts (at most {number(MAX_XLSX_PARTS)}): not a review workbook",
                         path=path,
                         vi=f"có {number(len(parts), 'vi')} phần (tối đa {number(MAX_XLSX_PARTS, 'vi')}): không phải "
                            "bảng sơ kết")
    for part in parts:
        if part.file_size > MAX_XLSX_PART_BYTES:
            raise InputError(f"its part {part.filename[:80]} unpacks to {number(part.file_size / 1e6)} MB (at most "
                             f"{MAX_XLSX_PART_BYTES // 1_000_000} MB): not a review workbook", path=path,
                             vi=f"phần {part.filename[:80]} giải nén ra {number(part.file_size / 1000000.0, 'vi')} MB "
                                f"(tối đa {MAX_XLSX_PART_BYTES // 1000000} MB): không phải bảng sơ kết")
    unpacked = sum(part.file_size for part in parts)
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise InputError(f"unpacks to {number(unpacked / 1e6)} MB (at most {MAX_XLSX_UNPACKED_BYTES // 1_000_000} MB): "
                         "not a review workbook", path=path,
                         vi=f"giải nén ra {number(unpacked / 1000000.0, 'vi')} MB (tối đa "
                            f"{MAX_XLSX_UNPACKED_BYTES // 1000000} MB): không phải bảng sơ kết")


def _rows(book, name: str, path: Path, *, min_row: int = 1, max_col: int = MAX_XLSX_COLUMNS):
    """(row number, values) of a sheet, at most MAX_XLSX_ROWS rows and MAX_XLSX_COLUMNS columns read:
    a sheet that says it is bigger, or has anything past them, is refused (one cell far down would
    otherwise have openpyxl hand over a million empty rows)."""
    sheet = book[name]
    if (sheet.max_row or 0) > MAX_XLSX_ROWS or (sheet.max_column or 0) > MAX_XLSX_COLUMNS:
        raise InputError(f"the sheet is {number(sheet.max_row)} rows by {number(sheet.max_column)} columns (at most "
                         f"{number(MAX_XLSX_ROWS)} by {number(MAX_XLSX_COLUMNS)}): not a review template",
                         path=f"{path} [{name}]",
                         vi=f"trang tính có {number(sheet.max_row, 'vi')} dòng, {number(sheet.max_column, 'vi')} cột "
                            f"(tối đa {number(MAX_XLSX_ROWS, 'vi')} dòng, {number(MAX_XLSX_COLUMNS, 'vi')} cột): không "
                            "phải mẫu sơ kết")
    rows = sheet.iter_rows(min_row=min_row, max_row=MAX_XLSX_ROWS + 1, max_col=max_col, values_only=True)
    for row_number, row in enumerate(rows, start=min_row):
        if row_number > MAX_XLSX_ROWS:  # openpyxl hands over this row only when the sheet goes on past it
            raise InputError(f"has rows past row {number(MAX_XLSX_ROWS)}: not a review template",
                             path=f"{path} [{name}]",
                             vi=f"có dòng sau dòng {number(MAX_XLSX_ROWS, 'vi')}: không phải mẫu sơ kết")
        yield row_number, row


def read_template(path: Path):
    """The filled template as raw inputs, and where each input came from (sheet and row)."""
    from openpyxl import load_workbook

    _check_workbook_archive(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise InputError("cannot read the file (no such file)", path=path,
                         vi="không đọc được tệp (không có tệp này)") from None
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException ...
        raise InputError(f"is not an XLSX workbook ({type(exc).__name__})", path=path,
                         vi=f"không phải bảng tính XLSX ({type(exc).__name__})") from None
    try:
        return _read_book(book, path)
    finally:
        book.close()


def _read_book(book, path: Path):
    from openpyxl.utils import get_column_letter

    if TASK_SHEET not in book.sheetnames:
        raise InputError(f"is not a dondoc review template: it has no sheet '{TASK_SHEET}'", path=path,
                         vi=f"không phải mẫu sơ kết của dondoc: không có trang tính '{TASK_SHEET}'")
    places: dict[tuple, tuple[str, int]] = {}
    raw: dict = {"tasks": []}

    if INFO_SHEET in book.sheetnames:
        for row_number, row in _rows(book, INFO_SHEET, path, max_col=2):
            label, value = (row + (None, None))[:2]
            key = {"Mã đơn vị": "agency", "Năm": "year", "Ý kiến khác": "notes"}.get(str(label or "").strip())
            if key:
                raw[key] = _cell(value)
                places[(key,)] = (INFO_SHEET, row_number)

    rows = _rows(book, TASK_SHEET, path)
    header = [str(h or "").strip() for h in next(rows, (1, ()))[1]]
    columns = {}
    for key, heading, _ in TASK_COLUMNS:
        if heading not in header:
            raise InputError(f"the column '{heading}' is missing (row 1); use the template from "
                             "`dondoc review template`", path=f"{path} [{TASK_SHEET}]", line=1, field=key,
                             vi=f"thiếu cột '{heading}' (dòng 1); hãy dùng mẫu từ `dondoc review template`")
        columns[key] = header.index(heading)
    for row_number, row in rows:
        values = {key: _cell(row[index]) if index < len(row) else None for key, index in columns.items()}
        if not values["ref"]:
            continue
        if all(values[k] in (None, "") for k in ("status", "completed_on", "progress", "result", "difficulties",
                                                 "proposals")):
            continue  # not reported on: left as it is
        index = len(raw["tasks"])
        entry = {k: v for k, v in values.items() if k not in ("title", "current_status") and v is not None}
        entry["ref"] = str(values["ref"])
        raw["tasks"].append(entry)
        places[("tasks", index)] = (TASK_SHEET, row_number)
        for key, column in columns.items():
            places[("tasks", index, key)] = (f"{TASK_SHEET}!{get_column_letter(column + 1)}", row_number)

    if INDICATOR_SHEET in book.sheetnames:
        indicators = {}
        for row_number, row in _rows(book, INDICATOR_SHEET, path, min_row=2):
            code = str(row[0] or "").strip() if row else ""
            if not code:
                continue
            indicators[code] = _cell(row[2]) if len(row) > 2 else None
            places[("indicators", code)] = (f"{INDICATOR_SHEET}!C", row_number)
            places.setdefault(("indicators",), (INDICATOR_SHEET, row_number))
        if any(v is not None for v in indicators.values()):
            raw["indicators"] = indicators

    def where(loc):
        for length in range(len(loc), 0, -1):
            if tuple(loc[:length]) in places:
                sheet, row = places[tuple(loc[:length])]
                return f"{path} [{sheet}]", row
        return str(path), None

    return raw, where


