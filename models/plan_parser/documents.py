"""From a plan as provinces publish it (.txt, .docx, a PDF with a text layer) to its paragraphs and
its tables, in reading order, each numbered.

    read_document(raw, path) -> Document

The numbers are what warnings and the guided import point at: a .txt file's line numbers; a .docx
file's blocks (each paragraph, each table row) counted from 1; a PDF's paragraphs and table rows
counted from 1, with the page each is on (`Document.where`).

- .txt: text.py decodes it. A run of two or more lines with tab-separated cells (how Word and
  LibreOffice save a table as text) is a table.
- .docx (python-docx): paragraphs and tables in body order. A merged cell's text is in every row and
  column it spans (python-docx gives the same cell for each grid position it covers).
- .pdf (pypdfium2, the PDFium engine): tables are found from their ruling lines, a merged cell by
  the lines missing inside it; a table continued on the next page is joined to its first part (a
  repeated header row dropped, a row broken by the page joined again). The rest of the text is
  joined into paragraphs again (a line ends a paragraph when it stops short of the right margin or
  the next one starts with a list marker or a heading number). Page numbers are dropped. A PDF
  without a text layer (a scan) is refused.
"""
import io
import re
import zipfile
from dataclasses import dataclass, field

from config.errors import InputError
from models.plan_parser.text import Line, decode_plan

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u3000]+")


@dataclass
class TableRow:
    line: int
    cells: list[str]  # a cell's lines joined by "\n"


@dataclass
class Table:
    rows: list[TableRow]
    number: int  # 1, 2, ... in the document

    @property
    def line(self) -> int:
        return self.rows[0].line if self.rows else 0


@dataclass
class Document:
    kind: str  # txt | docx | pdf
    lines: list[Line]  # every paragraph (or text line); table rows are in `tables`, their numbers skipped
    tables: list[Table] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    pages: dict[int, int] = field(default_factory=dict)  # number -> page (PDF)

    def where(self, number: int | None) -> str:
        """Where a numbered paragraph or row is, as a person looks for it."""
        if number is None:
            return ""
        label = {"txt": "dòng", "docx": "đoạn", "pdf": "đoạn"}[self.kind]
        for table in self.tables:
            for index, row in enumerate(table.rows, start=1):
                if row.line == number:
                    label, number_text = f"bảng {table.number}, hàng", str(index)
                    break
            else:
                continue
            break
        else:
            number_text = str(number)
        page = self.pages.get(number)
        return f"{label} {number_text}" + (f" (trang {page})" if page else "")


def clean(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


# --- which format ------------------------------------------------------------------------

def read_document(raw: bytes, path=None) -> Document:
    """The paragraphs and tables of a plan file, whatever its format. Raises InputError."""
    if raw.startswith(b"%PDF"):
        return read_pdf(raw, path)
    if raw.startswith(b"PK\x03\x04"):
        return read_docx(raw, path)
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError("is a Word 97-2003 (.doc) file: open it in Word or LibreOffice and save it as .docx "
                         "(or as a PDF)", path=path,
                         vi="là tệp Word 97-2003 (.doc): hãy mở bằng Word hoặc LibreOffice và lưu thành .docx (hoặc "
                            "PDF)")
    if raw.startswith(b"{\\rtf"):
        raise InputError("is an RTF file: save it as .docx (or as UTF-8 text)", path=path,
                         vi="là tệp RTF: hãy lưu thành .docx (hoặc văn bản UTF-8)")
    text, warnings = decode_plan(raw, path=path)
    document = text_document(text)
    document.warnings[:0] = warnings
    return document


# --- tables written as tab-separated lines -------------------------------------------------

def _tab_cells(raw_line: str) -> list[str] | None:
    """The cells of a line that is a table row ("1\\tNội dung\\tSở Tài chính"), else None."""
    if "\t" not in raw_line:
        return None
    cells = [clean(c) for c in raw_line.split("\t")]
    return cells if sum(1 for c in cells if c) >= 2 else None


_RULE_LINE = re.compile(r"^[-–—_=.*\s]{3,}$")


def gather_tables(raw_lines: list[tuple[int, str]], first_table: int = 1) -> tuple[list[Line], list[Table]]:
    """Lines and the tables among them: a run of tab-separated rows is a table (a rule "-----"
    inside the run does not end it). Tables that turn out to be none of a plan's go back to text."""
    lines, tables, run, rules = [], [], [], []

    def close_run():
        if run:
            tables.append(Table([TableRow(n, cells) for n, cells in run], first_table + len(tables)))
        lines.extend(rules)
        run.clear()
        rules.clear()

    for number, text in raw_lines:
        cells = _tab_cells(text)
        if cells is not None:
            run.append((number, cells))
            continue
        if run and _RULE_LINE.match(text):
            rules.append(Line(number, clean(text)))
            continue
        close_run()
        lines.append(Line(number, clean(text)))
    close_run()
    lines.sort(key=lambda line: line.number)
    return lines, tables


def text_document(text: str) -> Document:
    raw_lines = list(enumerate(re.split(r"\r\n|\r|\n", text), start=1))
    lines, tables = gather_tables(raw_lines)
    return Document("txt", lines, tables)


def untable(document: Document, table: Table) -> None:
    """Put a table that is none of a plan's (not a header, signature or list of duties) back as text."""
    document.tables.remove(table)
    document.lines.extend(Line(row.line, clean(" ".join(c for c in row.cells if c))) for row in table.rows)
    document.lines.sort(key=lambda line: line.number)


# --- .docx ---------------------------------------------------------------------------------

def read_docx(raw: bytes, path=None) -> Document:
    import docx
    from docx.oxml.ns import qn
    from docx.table import Table as DocxTable
    from docx.text.paragraph import Paragraph

    try:
        word = docx.Document(io.BytesIO(raw))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(f"is a ZIP file but not a Word document (.docx) ({exc})", path=path,
                         vi=f"là tệp ZIP nhưng không phải văn bản Word (.docx) ({exc})") from None
    except Exception as exc:  # python-docx raises its own errors for a damaged package
        raise InputError(f"cannot be read as a Word document (.docx): {exc}", path=path,
                         vi=f"không đọc được như văn bản Word (.docx): {exc}") from None
    numbering = _Numbering(word)
    raw_lines, tables, number = [], [], 0
    for child in word.element.body.iterchildren():
        if child.tag == qn("w:p"):
            number += 1
            paragraph = Paragraph(child, word)
            text = paragraph.text.replace("\n", " ")
            raw_lines.append((number, numbering.label(child) + text))
        elif child.tag == qn("w:tbl"):
            rows = []
            for row in DocxTable(child, word).rows:
                number += 1
                rows.append(TableRow(number, [_cell_text(cell) for cell in row.cells]))
            if rows:
                tables.append(rows)
    lines, tab_tables = gather_tables(raw_lines)
    all_tables = [Table(rows, 0) for rows in tables] + tab_tables
    all_tables.sort(key=lambda t: t.line)
    for index, table in enumerate(all_tables, start=1):
        table.number = index
    if not any(line.text for line in lines) and not all_tables:
        raise InputError("is a Word document with no text", path=path, vi="là văn bản Word không có chữ nào")
    return Document("docx", lines, all_tables)


def _cell_text(cell) -> str:
    return "\n".join(t for t in (clean(p.text) for p in cell.paragraphs) if t)


class _Numbering:
    """Word's automatic list numbers ("1.", "a)", "-"), which a paragraph's text does not hold."""

    def __init__(self, word):
        from docx.oxml.ns import qn
        self.qn = qn
        self.formats: dict[tuple[str, int], tuple[str, str, int]] = {}  # (numId, level) -> (format, text, start)
        self.counters: dict[str, list[int]] = {}
        try:
            part = word.part.numbering_part
        except (KeyError, NotImplementedError, AttributeError):
            return
        root = part.element
        abstract = {}
        for node in root.findall(qn("w:abstractNum")):
            levels = {}
            for level in node.findall(qn("w:lvl")):
                fmt, text, start = level.find(qn("w:numFmt")), level.find(qn("w:lvlText")), level.find(qn("w:start"))
                levels[int(level.get(qn("w:ilvl")))] = (
                    fmt.get(qn("w:val")) if fmt is not None else "decimal",
                    text.get(qn("w:val")) if text is not None else "",
                    int(start.get(qn("w:val"))) if start is not None else 1)
            abstract[node.get(qn("w:abstractNumId"))] = levels
        for node in root.findall(qn("w:num")):
            ref = node.find(qn("w:abstractNumId"))
            for level, value in abstract.get(ref.get(qn("w:val")) if ref is not None else None, {}).items():
                self.formats[(node.get(qn("w:numId")), level)] = value

    def label(self, paragraph) -> str:
        qn = self.qn
        properties = paragraph.find(qn("w:pPr"))
        number = properties.find(qn("w:numPr")) if properties is not None else None
        if number is None:
            return ""
        num_id = number.find(qn("w:numId"))
        level_node = number.find(qn("w:ilvl"))
        num = num_id.get(qn("w:val")) if num_id is not None else None
        level = int(level_node.get(qn("w:val"))) if level_node is not None else 0
        if (num, level) not in self.formats:
            return ""
        fmt, text, start = self.formats[(num, level)]
        counters = self.counters.setdefault(num, [0] * 9)
        counters[level] = counters[level] + 1 if counters[level] else start
        for deeper in range(level + 1, 9):
            counters[deeper] = 0
        if fmt == "bullet":
            return "- "
        for index in range(level + 1):
            value = counters[index] or self.formats.get((num, index), ("decimal", "", 1))[2]
            index_fmt = self.formats.get((num, index), ("decimal", "", 1))[0]
            text = text.replace(f"%{index + 1}", _format_number(value, index_fmt))
        return text + " " if text else ""


def _format_number(value: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        letter = "abcdefghijklmnopqrstuvwxyz"[(value - 1) % 26]
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("upperRoman", "lowerRoman"):
        numerals = [(10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
        out, rest = "", value
        for amount, numeral in numerals:
            while rest >= amount:
                out, rest = out + numeral, rest - amount
        return out if fmt == "upperRoman" else out.lower()
    return str(value)


# --- .pdf ----------------------------------------------------------------------------------

_RULE = 2.5  # a ruling line is at most this thick (points)
_TOLERANCE = 2.0
_PAGE_NUMBER = re.compile(r"^[-–\s]*(?:trang\s+)?\d{1,4}(?:\s*/\s*\d{1,4})?[-–\s]*$", re.IGNORECASE)
_STARTS_UNIT = re.compile(r"^(?:[IVXL]{1,6}\s*\.|\d{1,2}(?:\.\d{1,2})*\.?\s|[a-zđ]\)|[-–—•*+]\s|Nơi nhận|TM\.|KT\.|PHỤ LỤC)")


@dataclass
class _Fragment:
    left: float
    bottom: float
    right: float
    top: float
    text: str


@dataclass
class _Grid:
    left: float
    right: float
    top: float
    bottom: float
    xs: list[float]
    rows: list[tuple[float, float, list[str]]]  # (top, bottom, cells)


def read_pdf(raw: bytes, path=None) -> Document:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(raw)
    except pdfium.PdfiumError as exc:
        raise InputError(f"cannot be read as a PDF ({exc}); if it is password-protected, save a copy without "
                         f"the password", path=path,
                         vi=f"không đọc được như tệp PDF ({exc}); nếu tệp có mật khẩu, hãy lưu một bản không đặt mật "
                            "khẩu") from None
    try:
        pages = [_read_page(pdf[index]) for index in range(len(pdf))]
    finally:
        pdf.close()
    characters = sum(len(f.text.strip()) for fragments, _ in pages for f in fragments) + sum(
        len(c) for _, grids in pages for g in grids for row in g.rows for c in row[2])
    if characters < 10 * len(pages):  # a few stray characters (a stamp, a page number) are no text layer
        raise InputError(
            "is a scanned PDF: its pages are pictures with no text layer, so there is no text to read. Use the "
            ".docx from the document system, or add a text layer with OCR first (e.g. ocrmypdf -l vie)", path=path,
            vi="là PDF scan: các trang là ảnh, không có lớp chữ nên không có gì để đọc. Hãy dùng tệp .docx từ hệ "
               "thống quản lý văn bản, hoặc nhận dạng chữ (OCR) trước (ví dụ ocrmypdf -l vie)")
    return _assemble(pages)


def _read_page(page):
    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()
    horizontal, vertical = [], []
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_PATH,)):
        left, bottom, right, top = obj.get_bounds()
        if top - bottom <= _RULE and right - left > 3:
            horizontal.append(((bottom + top) / 2, left, right))
        elif right - left <= _RULE and top - bottom > 3:
            vertical.append(((left + right) / 2, bottom, top))
    grids = [_grid(textpage, h, v) for h, v in _clusters(horizontal, vertical)]
    grids = [g for g in grids if g is not None]
    fragments = []
    for index in range(textpage.count_rects()):
        left, bottom, right, top = textpage.get_rect(index)
        x, y = (left + right) / 2, (bottom + top) / 2
        if any(g.left - 1 <= x <= g.right + 1 and g.bottom - 1 <= y <= g.top + 1 for g in grids):
            continue
        text = textpage.get_text_bounded(left, bottom, right, top).replace("\r", "").replace("\n", " ")
        if not text.strip():
            continue
        if right - left > 0.9 * (top - bottom) * len(text) + 20:  # wider than its letters: a wide gap inside
            fragments.extend(_split_at_gaps(textpage, left, bottom, right, top))
        else:
            fragments.append(_Fragment(left, bottom, right, top, text))
    textpage.close()
    page.close()
    return fragments, grids


def _split_at_gaps(textpage, left, bottom, right, top) -> list[_Fragment]:
    """A text run PDFium gave as one rectangle although it holds cells side by side: cut it where
    the gap between two letters is wider than twice the line's height."""
    height = top - bottom
    first = textpage.get_index((left + 0.5), (bottom + top) / 2, 2, height)
    if first is None or first < 0:
        return [_Fragment(left, bottom, right, top, textpage.get_text_bounded(left, bottom, right, top))]
    pieces, start_box, previous_box, index = [], None, None, first
    count = textpage.count_chars()
    while index < count:
        box = textpage.get_charbox(index)
        if box[0] > right + 1 or box[1] > top or box[3] < bottom:
            if box[2] - box[0] > 0 or index > first + 1:
                break
        if previous_box is not None and box[0] - previous_box[2] > 2 * height and box[2] > box[0]:
            pieces.append((start_box[0], previous_box[2]))
            start_box = None
        if box[2] > box[0]:
            start_box = start_box or box
            previous_box = box
        index += 1
    if start_box is not None:
        pieces.append((start_box[0], previous_box[2]))
    out = []
    for piece_left, piece_right in pieces:
        text = textpage.get_text_bounded(piece_left - 0.5, bottom, piece_right + 0.5, top).replace("\r", "").replace("\n", " ")
        if text.strip():
            out.append(_Fragment(piece_left, bottom, piece_right, top, text))
    return out


def _clusters(horizontal, vertical):
    """Ruling lines that touch each other: one group per table."""
    segments = [("h", s) for s in horizontal] + [("v", s) for s in vertical]
    parent = list(range(len(segments)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (kind_a, a) in enumerate(segments):
        if kind_a != "h":
            continue
        y, left, right = a
        for j, (kind_b, b) in enumerate(segments):
            if kind_b == "v":
                x, bottom, top = b
                if left - _TOLERANCE <= x <= right + _TOLERANCE and bottom - _TOLERANCE <= y <= top + _TOLERANCE:
                    parent[find(i)] = find(j)
    groups: dict[int, tuple[list, list]] = {}
    for i, (kind, segment) in enumerate(segments):
        group = groups.setdefault(find(i), ([], []))
        (group[0] if kind == "h" else group[1]).append(segment)
    return [g for g in groups.values() if len(g[0]) >= 2 and len(g[1]) >= 2]


def _distinct(values: list[float]) -> list[float]:
    out: list[float] = []
    for value in sorted(values):
        if not out or value - out[-1] > _TOLERANCE:
            out.append(value)
    return out


def _grid(textpage, horizontal, vertical) -> _Grid | None:
    xs = _distinct([x for x, _, _ in vertical])
    ys = sorted(_distinct([y for y, _, _ in horizontal]), reverse=True)  # top first
    if len(xs) < 2 or len(ys) < 2:
        return None

    def has_vertical(x, bottom, top):
        middle = (bottom + top) / 2
        return any(abs(vx - x) <= _TOLERANCE and vb - _TOLERANCE <= middle <= vt + _TOLERANCE for vx, vb, vt in vertical)

    def has_horizontal(y, left, right):
        middle = (left + right) / 2
        return any(abs(hy - y) <= _TOLERANCE and hl - _TOLERANCE <= middle <= hr + _TOLERANCE for hy, hl, hr in horizontal)

    rows, columns = len(ys) - 1, len(xs) - 1
    owner = {(r, c): (r, c) for r in range(rows) for c in range(columns)}

    def root(cell):
        while owner[cell] != cell:
            cell = owner[cell]
        return cell

    for r in range(rows):
        for c in range(1, columns):
            if not has_vertical(xs[c], ys[r + 1], ys[r]):
                owner[root((r, c))] = root((r, c - 1))
    for r in range(1, rows):
        for c in range(columns):
            if not has_horizontal(ys[r], xs[c], xs[c + 1]):
                a, b = root((r, c)), root((r - 1, c))
                if a != b:
                    owner[a] = b
    regions: dict[tuple, list] = {}
    for cell in owner:
        regions.setdefault(root(cell), []).append(cell)
    texts = {}
    for key, cells in regions.items():
        top = ys[min(r for r, _ in cells)]
        bottom = ys[max(r for r, _ in cells) + 1]
        left = xs[min(c for _, c in cells)]
        right = xs[max(c for _, c in cells) + 1]
        text = textpage.get_text_bounded(left + 0.5, bottom + 0.5, right - 0.5, top - 0.5)
        texts[key] = "\n".join(t for t in (clean(line) for line in text.replace("\r", "").split("\n")) if t)
    grid_rows = [(ys[r], ys[r + 1], [texts[root((r, c))] for c in range(columns)]) for r in range(rows)]
    return _Grid(xs[0], xs[-1], ys[0], ys[-1], xs, grid_rows)


def _lines_of(fragments: list[_Fragment]) -> list[tuple[float, float, float, float, str]]:
    """Fragments side by side joined into lines (left, bottom, right, top, text); a wide gap is a tab."""
    rows: list[list[_Fragment]] = []
    for fragment in sorted(fragments, key=lambda f: (-f.top, f.left)):
        middle = (fragment.bottom + fragment.top) / 2
        for row in rows:
            if row[0].bottom - 1 <= middle <= row[0].top + 1:
                row.append(fragment)
                break
        else:
            rows.append([fragment])
    lines = []
    for row in rows:
        row.sort(key=lambda f: f.left)
        text, right = "", None
        for fragment in row:
            if right is not None:
                gap = fragment.left - right
                height = fragment.top - fragment.bottom
                text += "\t" if gap > 2.5 * height else ("" if text.endswith(" ") or gap < 0.5 else " ")
            text += fragment.text
            right = fragment.right
        lines.append((row[0].left, min(f.bottom for f in row), row[-1].right, max(f.top for f in row), text))
    return lines


def _assemble(pages) -> Document:
    raw_lines: list[tuple[int, str]] = []
    page_of: dict[int, int] = {}
    tables: list[tuple[_Grid, list[TableRow]]] = []
    number = 0
    paragraph: list[str] = []
    paragraph_page = 1
    last_was_table = False
    previous = None  # the line before, with its page: a paragraph may go on over a page break
    previous_page = 0

    def flush():
        nonlocal number
        if paragraph:
            number += 1
            raw_lines.append((number, " ".join(paragraph)))
            page_of[number] = paragraph_page
            paragraph.clear()

    for page_number, (fragments, grids) in enumerate(pages, start=1):
        lines = [line for line in _lines_of(fragments) if not _PAGE_NUMBER.match(line[4].strip())]
        if lines:
            margin_left = min(line[0] for line in lines)
            margin_right = max(line[2] for line in lines)
        items = [("line", line[3], line) for line in lines] + [("grid", grid.top, grid) for grid in grids]
        items.sort(key=lambda item: -item[1])
        for index, (kind, _top, item) in enumerate(items):
            if kind == "grid":
                flush()
                continued = (index == 0 and last_was_table and tables
                             and len(tables[-1][0].xs) == len(item.xs)
                             and all(abs(a - b) <= 3 for a, b in zip(tables[-1][0].xs, item.xs)))
                rows = list(item.rows)
                if continued and rows and rows[0][2] == tables[-1][1][0].cells:
                    rows = rows[1:]  # the header row repeated on the new page
                if continued and rows and not rows[0][2][0].strip() and tables[-1][1]:
                    broken = tables[-1][1][-1]  # a row the page break cut in two
                    broken.cells = [("\n".join(p for p in (a, b) if p)) if a != b else a
                                    for a, b in zip(broken.cells, rows[0][2])]
                    rows = rows[1:]
                table_rows = []
                for _row_top, _row_bottom, cells in rows:
                    number += 1
                    page_of[number] = page_number
                    table_rows.append(TableRow(number, cells))
                if continued:
                    tables[-1][1].extend(table_rows)
                else:
                    tables.append((item, table_rows))
                last_was_table, previous = True, None
                continue
            left, bottom, right, top, text = item
            text = text.strip()
            if "\t" in text:
                flush()
                number += 1
                raw_lines.append((number, text))
                page_of[number] = page_number
                previous = None
                last_was_table = False
                continue
            same_page = previous_page == page_number
            centred = previous is not None and previous[0] > margin_left + 12 and abs(
                (previous[0] - margin_left) - (margin_right - previous[2])) < 20
            starts = (not paragraph or previous is None or centred or _STARTS_UNIT.match(text) is not None
                      or previous[2] < margin_right - 60 or left > margin_left + 12
                      or (same_page and previous[1] - top > 1.2 * (previous[3] - previous[1])))
            if starts:
                flush()
                paragraph_page = page_number
            paragraph.append(text)
            previous, previous_page = item, page_number
            last_was_table = False
    flush()
    lines, tab_tables = gather_tables(raw_lines)
    all_tables = [Table(rows, 0) for _, rows in tables if rows] + tab_tables
    all_tables.sort(key=lambda t: t.line)
    for index, table in enumerate(all_tables, start=1):
        table.number = index
    return Document("pdf", lines, all_tables, pages=page_of)
