"""The overdue list as files people open in Excel: CSV (with a byte order mark, so Excel reads the
Vietnamese as UTF-8) and XLSX, the same rows with Vietnamese headers. A cell a spreadsheet would run as
a formula is kept as text."""
import csv
import io

HEADERS = ["Mã nhiệm vụ", "Nhiệm vụ", "Mục", "Cơ quan chủ trì", "Hạn", "Số ngày quá hạn", "Tình trạng",
           "Tiến độ (%)", "Ghi chú"]
PLAN_HEADER = "Kế hoạch"  # first, when the rows come from several plans


def headers(with_plan: bool) -> list[str]:
    return [PLAN_HEADER, *HEADERS] if with_plan else HEADERS


def defuse(value):
    """A cell that a spreadsheet would run as a formula (=, +, -, @) is kept as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def overdue_csv(rows: list[list], *, with_plan: bool = False) -> str:
    """`with_plan`: each row starts with its plan's code."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers(with_plan))
    writer.writerows([[defuse(v) for v in row] for row in rows])
    return "\ufeff" + buffer.getvalue()


def overdue_xlsx(rows: list[list], *, with_plan: bool = False) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Quá hạn"
    sheet.append(headers(with_plan))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        # Control characters a spreadsheet cannot hold (refused on input since; older rows may have them).
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
        for cell in sheet[sheet.max_row]:
            if cell.data_type == "f":  # text that starts with "=": keep it text
                cell.data_type = "s"
    widths = ((20,) if with_plan else ()) + (14, 70, 8, 36, 12, 10, 24, 10, 40)
    for column, width in zip("ABCDEFGHIJ", widths):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()
