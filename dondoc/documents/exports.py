"""Lists as files people open in Excel: CSV (with a byte order mark, so Excel reads the Vietnamese as
UTF-8; the separator a choice: ";" is what Excel expects on a Windows set to Vietnamese, where the comma
is the decimal mark) and XLSX (real dates shown dd/mm/yyyy, an autofilter, the header row frozen,
columns as wide as they need). A cell a spreadsheet would run as a formula is kept as text.

One writer per format for any table (`Column`s and rows of values); the overdue list and the task list
name their columns here."""
import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

SEPARATORS = {",": ",", ";": ";", "comma": ",", "semicolon": ";", "tab": "\t", "\t": "\t"}


@dataclass(frozen=True)
class Column:
    heading: str
    width: int = 14  # characters, in the XLSX
    kind: str = "text"  # text, date or number


OVERDUE_COLUMNS = [
    Column("Mã nhiệm vụ", 14), Column("Nhiệm vụ", 70), Column("Mục", 8), Column("Cơ quan chủ trì", 36),
    Column("Hạn", 12, "date"), Column("Số ngày quá hạn", 10, "number"), Column("Tình trạng", 24),
    Column("Tiến độ (%)", 10, "number"), Column("Ghi chú", 40), Column("Đầu mối", 36),
]
HEADERS = [c.heading for c in OVERDUE_COLUMNS]
TASK_COLUMNS = [
    Column("Mã", 14), Column("Nhiệm vụ", 70), Column("Chủ trì", 14), Column("Thời hạn", 30),
    Column("Kỳ hạn tới", 12, "date"), Column("Tình trạng kỳ", 26), Column("Tình trạng nhiệm vụ", 26),
    Column("Kế hoạch", 20),
]
PLAN_HEADER = "Kế hoạch"  # first, when the rows come from several plans


def headers(with_plan: bool) -> list[str]:
    return [PLAN_HEADER, *HEADERS] if with_plan else HEADERS


def overdue_columns(with_plan: bool) -> list[Column]:
    return [Column(PLAN_HEADER, 20), *OVERDUE_COLUMNS] if with_plan else OVERDUE_COLUMNS


def defuse(value):
    """A cell that a spreadsheet would run as a formula (=, +, -, @) is kept as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def separator_of(said: str | None) -> str:
    """',' (the default), ';' or a tab, from what a person or a link says; ValueError otherwise."""
    if said in (None, ""):
        return ","
    if said not in SEPARATORS:
        raise ValueError(f"the separator is one of: {', '.join(sorted(set(SEPARATORS) - {chr(9)}))}")
    return SEPARATORS[said]


def _csv_cell(value) -> str:
    if isinstance(value, (date, datetime)):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else defuse(value)


def table_csv(columns: list[Column], rows: list[list], separator: str = ",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator)
    writer.writerow([c.heading for c in columns])
    writer.writerows([[_csv_cell(v) for v in row] for row in rows])
    return "\ufeff" + buffer.getvalue()


def table_xlsx(columns: list[Column], rows: list[list], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([c.heading for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        # Control characters a spreadsheet cannot hold (refused on input since; older rows may have them).
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
        for cell, column in zip(sheet[sheet.max_row], columns):
            if cell.data_type == "f":  # text that starts with "=": keep it text
                cell.data_type = "s"
            if column.kind == "date" and isinstance(cell.value, (date, datetime)):
                cell.number_format = "DD/MM/YYYY"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(1, sheet.max_row)}"
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def overdue_csv(rows: list[list], separator: str = ",", *, with_plan: bool = False) -> str:
    """`with_plan`: each row starts with its plan's code."""
    return table_csv(overdue_columns(with_plan), rows, separator)


def overdue_xlsx(rows: list[list], *, with_plan: bool = False) -> bytes:
    return table_xlsx(overdue_columns(with_plan), rows, "Quá hạn")
