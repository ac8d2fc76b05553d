"""Files of the annual review: reading a submission (JSON, YAML or the XLSX template), writing the
XLSX template for an agency, and writing the compiled report as .docx, .xlsx or .md."""
import json
import os
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

from config.errors import InputError
from config.files import _line_of, read_text, read_yaml
from config.limits import (MAX_ERRORS_SHOWN, MAX_NESTING, MAX_XLSX_BYTES, MAX_XLSX_COLUMNS, MAX_XLSX_PART_BYTES,
                           MAX_XLSX_PARTS, MAX_XLSX_ROWS, MAX_XLSX_UNPACKED_BYTES)
from models.review import INDICATORS, ReportedStatus, vn_moment
from models.review_ops import Form
from models.review_report import Report
from models.review_validation import ReviewInvalid

SUBMISSION_SUFFIXES = (".json", ".yaml", ".yml", ".xlsx")
REPORT_SUFFIXES = (".docx", ".xlsx", ".md")
SIMULATED_NOTE = "SỐ LIỆU MÔ PHỎNG (dondoc simulate --demo-agencies), không phải báo cáo thật của các đơn vị."


def _d(value) -> str:
    if isinstance(value, datetime):
        value = vn_moment(value)
    return value.strftime("%d/%m/%Y") if isinstance(value, (date, datetime)) else ("" if value is None else str(value))


def check_writable(path: Path) -> None:
    """Refuse, before any work, a file that cannot be written there (a folder that cannot be made
    or written, a path through a file, a full disk): InputError naming it."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        probe = path.with_name(f".{path.name}.{os.getpid()}.probe")
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise InputError(f"cannot be written ({exc.strerror or exc})", path=path, field="--out") from None


def _atomic(path: Path, write) -> None:
    """Written whole under a temporary name, then renamed: never a half-written file under `path`.
    A failure to write is an InputError naming the file."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(temporary)
        temporary.replace(path)
    except OSError as exc:
        raise InputError(f"cannot be written ({exc.strerror or exc})", path=path, field="--out") from None
    finally:
        try:
            temporary.unlink(missing_ok=True)
        except OSError:
            pass


# --- reading a submission ----------------------------------------------------------------------

def read_submission(path: Path):
    """(raw inputs, where(loc) -> (path text, line)) for a .json, .yaml/.yml or .xlsx file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUBMISSION_SUFFIXES:
        raise InputError(f"expected a {', '.join(SUBMISSION_SUFFIXES)} file", path=path, field="--file")
    if suffix == ".xlsx":
        return read_template(path)
    if suffix == ".json":
        text = read_text(path, encoding="utf-8-sig")
        _check_json_nesting(text, path)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"malformed JSON: {exc.msg} (column {exc.colno})", path=path, line=exc.lineno) from None
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
                raise InputError(f"nested more than {MAX_NESTING} levels deep", path=path, line=line)
        elif character in "]}":
            depth -= 1
        else:
            line += character.count("\n")  # a string cannot hold a raw line break; a malformed one may


def as_input_error(invalid: ReviewInvalid, where) -> InputError:
    """The problems of a file, the first as the error's place, then up to MAX_ERRORS_SHOWN in all
    listed, and how many more there are."""
    first = invalid.errors[0]
    place, line = where(first.loc)
    message = first.message
    for other in invalid.errors[1:MAX_ERRORS_SHOWN]:
        other_place, other_line = where(other.loc)
        at = f"{other_place}:{other_line}" if other_line else other_place
        message += f"\n  {at}: {other.field}: {other.message}"
    if len(invalid.errors) > MAX_ERRORS_SHOWN:
        message += f"\n  ... and {len(invalid.errors) - MAX_ERRORS_SHOWN:,} more problems".replace(",", ".")
    return InputError(message, path=place, line=line, field=first.field)


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
        raise InputError(f"cannot read the file ({exc.strerror or exc})", path=path) from None
    if size > MAX_XLSX_BYTES:
        raise InputError(f"is larger than {MAX_XLSX_BYTES // 1_000_000} MB; a review workbook is far smaller",
                         path=path)
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"is not an XLSX workbook ({type(exc).__name__})", path=path) from None
    if len(parts) > MAX_XLSX_PARTS:
        raise InputError(f"has {len(parts):,} parts (at most {MAX_XLSX_PARTS:,}): not a review workbook", path=path)
    for part in parts:
        if part.file_size > MAX_XLSX_PART_BYTES:
            raise InputError(f"its part {part.filename[:80]} unpacks to {part.file_size / 1e6:,.0f} MB (at most "
                             f"{MAX_XLSX_PART_BYTES // 1_000_000} MB): not a review workbook", path=path)
    unpacked = sum(part.file_size for part in parts)
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise InputError(f"unpacks to {unpacked / 1e6:,.0f} MB (at most {MAX_XLSX_UNPACKED_BYTES // 1_000_000} MB): "
                         "not a review workbook", path=path)


def _rows(book, name: str, path: Path, *, min_row: int = 1, max_col: int = MAX_XLSX_COLUMNS):
    """(row number, values) of a sheet, at most MAX_XLSX_ROWS rows and MAX_XLSX_COLUMNS columns read:
    a sheet that says it is bigger, or has anything past them, is refused (one cell far down would
    otherwise have openpyxl hand over a million empty rows)."""
    sheet = book[name]
    if (sheet.max_row or 0) > MAX_XLSX_ROWS or (sheet.max_column or 0) > MAX_XLSX_COLUMNS:
        raise InputError(f"the sheet is {sheet.max_row:,} rows by {sheet.max_column:,} columns (at most "
                         f"{MAX_XLSX_ROWS:,} by {MAX_XLSX_COLUMNS}): not a review template".replace(",", "."),
                         path=f"{path} [{name}]")
    rows = sheet.iter_rows(min_row=min_row, max_row=MAX_XLSX_ROWS + 1, max_col=max_col, values_only=True)
    for number, row in enumerate(rows, start=min_row):
        if number > MAX_XLSX_ROWS:  # openpyxl hands over this row only when the sheet goes on past it
            raise InputError(f"has rows past row {MAX_XLSX_ROWS:,}: not a review template".replace(",", "."),
                             path=f"{path} [{name}]")
        yield number, row


def read_template(path: Path):
    """The filled template as raw inputs, and where each input came from (sheet and row)."""
    from openpyxl import load_workbook

    _check_workbook_archive(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise InputError("cannot read the file (no such file)", path=path) from None
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException ...
        raise InputError(f"is not an XLSX workbook ({type(exc).__name__})", path=path) from None
    try:
        return _read_book(book, path)
    finally:
        book.close()


def _read_book(book, path: Path):
    from openpyxl.utils import get_column_letter

    if TASK_SHEET not in book.sheetnames:
        raise InputError(f"is not a dondoc review template: it has no sheet '{TASK_SHEET}'", path=path)
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
                             "`dondoc review template`", path=f"{path} [{TASK_SHEET}]", line=1, field=key)
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


# --- the compiled report -----------------------------------------------------------------------

def write_report(report: Report, path: Path) -> None:
    suffix = Path(path).suffix.lower()
    if suffix == ".docx":
        _atomic(path, lambda p: _docx(report).save(p))
    elif suffix == ".xlsx":
        _atomic(path, lambda p: _xlsx(report).save(p))
    elif suffix == ".md":
        _atomic(path, lambda p: p.write_text(markdown(report), encoding="utf-8"))
    else:
        raise InputError(f"the report is written as {', '.join(REPORT_SUFFIXES)}, by the file's extension",
                         path=path, field="--out")


def _title(report: Report) -> str:
    return f"BÁO CÁO SƠ KẾT NĂM {report.year}"


def _summary(report: Report) -> list[str]:
    c = report.status_counts
    total = len(report.agencies)
    t = report.task_counts
    return [
        f"Kế hoạch: {report.plan_title}.",
        f"Hạn các đơn vị gửi báo cáo: {_d(report.inputs_due)}; hạn tổng hợp: {_d(report.report_due)}; "
        f"tổng hợp ngày {_d(report.compiled_on)}.",
        f"{total} đơn vị được đề nghị báo cáo: {c.get('submitted', 0)} nộp đúng hạn, {c.get('submitted_late', 0)} nộp muộn, "
        f"{c.get('missing', 0) + c.get('waiting', 0)} chưa nộp.",
        f"Nhiệm vụ trong năm: {t.get('done_on_time', 0)} hoàn thành đúng hạn, {t.get('done_late', 0)} hoàn thành quá hạn, "
        f"{t.get('in_progress', 0)} đang thực hiện, {t.get('overdue', 0)} quá hạn chưa hoàn thành, "
        f"{t.get('not_yet_due', 0)} chưa đến hạn.",
        f"Chỉ tiêu mục 1.3: {sum(1 for r in report.targets if r.met)} đạt, "
        f"{sum(1 for r in report.targets if r.met is False)} chưa đạt, "
        f"{sum(1 for r in report.targets if r.met is None)} chưa có số liệu.",
    ]


def _missing(report: Report) -> list[str]:
    return [f"{a.name} ({a.code})" for a in report.agencies if a.state in ("missing", "waiting")]


TASK_HEADINGS = ["Mã", "Nhiệm vụ", "Hạn", "Tình trạng", "Tiến độ", "Kết quả đạt được"]
TARGET_HEADINGS = ["Chỉ tiêu", "Mục tiêu", "Kết quả", "Đánh giá", "Ghi chú"]
OVERDUE_HEADINGS = ["Mã", "Nhiệm vụ", "Đơn vị chủ trì", "Hạn", "Số ngày quá hạn"]


def _task_row(t) -> list[str]:
    return [t.ref, t.title, _d(t.due), t.status, "" if t.progress is None else f"{t.progress}%", t.result]


def _target_row(r) -> list[str]:
    return [r.label, r.target, r.actual, r.verdict, r.detail]


def _overdue_row(o) -> list[str]:
    return [o["ref"], o["title"], o["lead_name"], _d(o["due"]), str(o["days_overdue"])]


def _agency_heading(a) -> str:
    when = f", {a.submitted_at.strftime('%d/%m/%Y')}" if a.submitted_at else ""
    return f"{a.name} ({a.code}) — {a.state_label}{when}"


def _docx(report: Report):
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(12)
    doc.add_heading(_title(report), level=0)
    doc.add_paragraph(f"Kết quả thực hiện Kế hoạch {report.plan_code}")
    if report.simulated:
        doc.add_paragraph().add_run(SIMULATED_NOTE).bold = True

    def table(headings, rows):
        grid = doc.add_table(rows=2, cols=len(headings))
        grid.style = "Table Grid"
        for cell, heading in zip(grid.rows[0].cells, headings):
            cell.text = heading
            for run in cell.paragraphs[0].runs:
                run.bold = True
        _fill_rows(grid, rows)

    doc.add_heading("I. Tình hình chung", level=1)
    for line in _summary(report):
        doc.add_paragraph(line, style="List Bullet")
    missing = _missing(report)
    if missing:
        doc.add_paragraph("Đơn vị chưa gửi báo cáo: " + "; ".join(missing) + ".")
    doc.add_heading("II. Kết quả thực hiện các chỉ tiêu (mục 1.3)", level=1)
    table(TARGET_HEADINGS, [_target_row(r) for r in report.targets])
    doc.add_paragraph("Số liệu theo báo cáo của UBND các huyện, thị xã và Liên minh Hợp tác xã tỉnh:")
    table(["Đơn vị"] + [i.label_vi for i in INDICATORS],
          [[a.code] + [str(a.indicators.get(i.code, "")) if a.indicators else "" for i in INDICATORS]
           for a in report.reporting] + [["Tổng"] + [str(report.indicator_totals[i.code]) for i in INDICATORS]])
    doc.add_heading("III. Kết quả của từng đơn vị", level=1)
    for a in report.agencies:
        doc.add_heading(_agency_heading(a), level=2)
        if a.tasks:
            table(TASK_HEADINGS, [_task_row(t) for t in a.tasks])
        else:
            doc.add_paragraph("Không chủ trì nhiệm vụ nào trong năm.")
        if a.notes:
            doc.add_paragraph(f"Ý kiến khác: {a.notes}")
    doc.add_heading("IV. Nhiệm vụ quá hạn, chưa hoàn thành", level=1)
    if report.overdue:
        table(OVERDUE_HEADINGS, [_overdue_row(o) for o in report.overdue])
    else:
        doc.add_paragraph("Không có nhiệm vụ quá hạn.")
    doc.add_heading("V. Khó khăn, vướng mắc; đề xuất, kiến nghị", level=1)
    for p in report.proposals:
        where = f"{p['agency']}{' — ' + p['ref'] if p['ref'] else ''}"
        text = "; ".join(x for x in (p["difficulties"] and f"Khó khăn: {p['difficulties']}",
                                     p["proposals"] and f"Đề xuất: {p['proposals']}") if x)
        doc.add_paragraph(f"{where}: {text}", style="List Bullet")
    if not report.proposals:
        doc.add_paragraph("Các đơn vị không nêu khó khăn, đề xuất.")
    return doc


def _fill_rows(grid, rows) -> None:
    """The table's body rows, as copies of its empty second row with a run of text in each cell: the
    XML `cell.text = value` writes, without python-docx's per-cell lookups (a year's report has
    thousands of cells, and they made compiling it take seconds)."""
    from copy import deepcopy

    from docx.oxml.ns import qn

    template = grid.rows[1]._tr
    tbl = template.getparent()
    tbl.remove(template)
    tc_tag, p_tag, r_tag, t_tag, space = qn("w:tc"), qn("w:p"), qn("w:r"), qn("w:t"), qn("xml:space")
    for row in rows:
        tr = deepcopy(template)
        for tc, value in zip(tr.iterchildren(tc_tag), row):
            paragraph = tc.find(p_tag)
            if not value or "\t" in value or "\n" in value or "\r" in value:
                paragraph.add_r().text = value  # tabs and line breaks as python-docx writes them
                continue
            # Plain text: the one <w:r><w:t> python-docx would write, made directly.
            run, text = paragraph.makeelement(r_tag), paragraph.makeelement(t_tag)
            text.text = value
            if value.strip() != value:
                text.set(space, "preserve")
            run.append(text)
            paragraph.append(run)
        tbl.append(tr)


def _xlsx(report: Report):
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()

    def sheet(title, headings, rows, first=False):
        ws = book.active if first else book.create_sheet(title)
        ws.title = title
        ws.append(headings)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append(row)
        for column, heading in zip(ws.columns, headings):
            ws.column_dimensions[column[0].column_letter].width = min(60, max(12, len(heading) + 2))
        return ws

    summary = [[line] for line in _summary(report)] + ([[SIMULATED_NOTE]] if report.simulated else [])
    sheet("Tổng hợp", [_title(report)], summary, first=True)
    sheet("Chỉ tiêu", TARGET_HEADINGS + ["Nội dung kế hoạch"], [_target_row(r) + [r.text] for r in report.targets])
    sheet("Số liệu", ["Mã đơn vị", "Đơn vị"] + [i.label_vi for i in INDICATORS],
          [[a.code, a.name] + [a.indicators.get(i.code) if a.indicators else None for i in INDICATORS]
           for a in report.reporting] + [["Tổng", ""] + [report.indicator_totals[i.code] for i in INDICATORS]])
    sheet("Đơn vị", ["Mã đơn vị", "Đơn vị", "Tình trạng báo cáo", "Ngày nộp", "Kênh", "Ý kiến khác"],
          [[a.code, a.name, a.state_label, _d(a.submitted_at), a.channel or "", a.notes] for a in report.agencies])
    sheet("Nhiệm vụ", ["Mã đơn vị"] + TASK_HEADINGS + ["Đơn vị báo cáo", "Khó khăn, vướng mắc", "Đề xuất, kiến nghị"],
          [[a.code] + _task_row(t) + [t.reported, t.difficulties, t.proposals] for a in report.agencies for t in a.tasks])
    sheet("Quá hạn", OVERDUE_HEADINGS, [_overdue_row(o) for o in report.overdue])
    sheet("Kiến nghị", ["Đơn vị", "Mã nhiệm vụ", "Khó khăn, vướng mắc", "Đề xuất, kiến nghị"],
          [[p["agency"], p["ref"], p["difficulties"], p["proposals"]] for p in report.proposals])
    return book


def _md_table(headings, rows) -> list[str]:
    clean = lambda v: str(v).replace("|", "\\|").replace("\n", " ")  # noqa: E731
    return (["| " + " | ".join(headings) + " |", "|" + "---|" * len(headings)]
            + ["| " + " | ".join(clean(v) for v in row) + " |" for row in rows] + [""])


def markdown(report: Report) -> str:
    out = [f"# {_title(report)}", "", f"Kết quả thực hiện Kế hoạch {report.plan_code}", ""]
    if report.simulated:
        out += [f"**{SIMULATED_NOTE}**", ""]
    out += ["## I. Tình hình chung", ""] + [f"- {line}" for line in _summary(report)] + [""]
    if _missing(report):
        out += ["Đơn vị chưa gửi báo cáo: " + "; ".join(_missing(report)) + ".", ""]
    out += ["## II. Kết quả thực hiện các chỉ tiêu (mục 1.3)", ""]
    out += _md_table(TARGET_HEADINGS, [_target_row(r) for r in report.targets])
    out += _md_table(["Đơn vị"] + [i.label_vi for i in INDICATORS],
                     [[a.code] + [a.indicators.get(i.code, "") if a.indicators else "" for i in INDICATORS]
                      for a in report.reporting] + [["Tổng"] + [report.indicator_totals[i.code] for i in INDICATORS]])
    out += ["## III. Kết quả của từng đơn vị", ""]
    for a in report.agencies:
        out += [f"### {_agency_heading(a)}", ""]
        out += _md_table(TASK_HEADINGS, [_task_row(t) for t in a.tasks]) if a.tasks else ["Không chủ trì nhiệm vụ nào trong năm.", ""]
        if a.notes:
            out += [f"Ý kiến khác: {a.notes}", ""]
    out += ["## IV. Nhiệm vụ quá hạn, chưa hoàn thành", ""]
    out += _md_table(OVERDUE_HEADINGS, [_overdue_row(o) for o in report.overdue]) if report.overdue else ["Không có.", ""]
    out += ["## V. Khó khăn, vướng mắc; đề xuất, kiến nghị", ""]
    for p in report.proposals:
        out.append(f"- {p['agency']}{' — ' + p['ref'] if p['ref'] else ''}: "
                   + "; ".join(x for x in (p["difficulties"] and f"Khó khăn: {p['difficulties']}",
                                           p["proposals"] and f"Đề xuất: {p['proposals']}") if x))
    return "\n".join(out) + "\n"

