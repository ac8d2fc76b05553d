"""What the tables of a plan are, and what they say.

- The header table (issuing body | Quốc hiệu, tiêu ngữ; số/ký hiệu | place and date): read for the
  plan's number ("85/KH-UBND"), issuing body and issue date. Never duties.
- The signature block (Nơi nhận | TM. ỦY BAN NHÂN DÂN ... CHỦ TỊCH): nothing to read, never duties.
- A list of duties ("Phụ lục: Danh mục nhiệm vụ": STT | Nội dung nhiệm vụ | Cơ quan chủ trì | Cơ quan
  phối hợp | Thời gian hoàn thành | Sản phẩm): each row a duty. A row numbered with a roman numeral
  (or a capital letter), or one cell across the table, is a group: the rows under it are its
  section. Refs follow the table's numbers: row "3" of group "II" is "II.3" (a row numbered "II.3"
  or "3.1" keeps its own), a row without a number gets a letter after the numbered row above it.
- Any other table (indicators, figures) is put back into the text.

The same reading serves .docx, PDF and the tab-separated tables of .txt files.
"""
import re
import unicodedata
from dataclasses import dataclass

from config.errors import Said
from models.plan_parser.agencies import word_key
from models.plan_parser.documents import Table, TableRow
from models.plan_parser.structure import roman_value

_ROMAN = re.compile(r"^[IVXL]{1,6}$")
_QUOC_HIEU = re.compile(r"cộng\s+hòa\s+xã\s+hội\s+chủ\s+nghĩa|độc\s+lập\s*[-–]\s*tự\s+do", re.IGNORECASE)
_NUMBER = re.compile(r"^Số\s*[:.]?\s*(?P<n>[0-9]{1,6}\s*/\s*[\w\-–/.Đđ&]+)", re.IGNORECASE)
_SIGNATURE = re.compile(r"^(?:nơi\s+nhận\b|(?:TM|KT|TL|TUQ|Q)\.\s+\w)", re.IGNORECASE)
_SEPARATOR = re.compile(r"^[-–—_=.*\s]+$")

COLUMNS = {  # column -> words its header holds (compared as word keys)
    "stt": ("stt", "tt", "số thứ tự"),
    "content": ("nội dung", "nhiệm vụ", "công việc", "tên nhiệm vụ", "nội dung công việc", "nhiệm vụ giải pháp"),
    "lead": ("chủ trì",),
    "coordinating": ("phối hợp",),
    "deadline": ("thời gian", "thời hạn", "tiến độ"),
    "product": ("sản phẩm", "kết quả"),
}


def _key(text: str) -> str:
    return " ".join(word_key(w) for w in re.findall(r"\w+", unicodedata.normalize("NFC", text)))


def _has(text: str, *phrases: str) -> bool:
    key = f" {_key(text)} "
    return any(f" {_key(p)} " in key for p in phrases)


def cell_lines(table: Table) -> list[str]:
    return [line for row in table.rows for cell in row.cells for line in cell.split("\n") if line.strip()]


# --- what a table is -----------------------------------------------------------------------

def kind_of(table: Table) -> str:
    """'header', 'signature', 'duties' or 'other'."""
    if duty_columns(table) is not None:
        return "duties"
    lines = cell_lines(table)
    if any(_QUOC_HIEU.search(line) for line in lines) or (
            any(_NUMBER.match(line) for line in lines) and any(re.search(r",\s*ngày\s+\d", line) for line in lines)):
        return "header"
    if any(_SIGNATURE.match(line) for line in lines):
        return "signature"
    return "other"


def duty_columns(table: Table) -> tuple[dict[str, int], int] | None:
    """The columns of a list of duties and how many header rows it has, or None if it is not one."""
    columns: dict[str, int] = {}
    header_rows = 0
    for row in table.rows[:3]:
        found = {}
        for index, cell in enumerate(row.cells):
            for name, words in COLUMNS.items():
                if name not in found.values() and _has(cell, *words):
                    if name == "content" and _has(cell, "chủ trì", "phối hợp"):
                        continue  # "Cơ quan chủ trì thực hiện nhiệm vụ" is not the content column
                    found.setdefault(index, name)
        if not found:
            break
        header_rows += 1
        for index, name in sorted(found.items()):
            if name in ("lead", "coordinating") or name not in columns:
                columns[name] = index
    if "lead" not in columns or "content" not in columns:
        return None
    while header_rows < len(table.rows) and _is_column_numbers(table.rows[header_rows]):
        header_rows += 1  # "(1) (2) (3) ..." under the header
    return columns, header_rows


def _is_column_numbers(row: TableRow) -> bool:
    cells = [c.strip("() ") for c in row.cells if c.strip()]
    return bool(cells) and all(c.isdigit() for c in cells) and len(set(cells)) == len(cells) > 2


# --- the header table: number, issuer, date -----------------------------------------------

@dataclass
class HeaderFields:
    number: str | None = None
    issuer_lines: list[str] | None = None
    lines: list[str] | None = None  # every line of the header, for the dateline and the place


def read_header(tables: list[Table], header_lines: list[str]) -> HeaderFields:
    """Số/ký hiệu and the issuing body from the header table, else from the lines above the title.

    The issuing body is the block in capitals at the top left (above "Số:"), its separator rule
    left out: "ỦY BAN NHÂN DÂN" / "TỈNH LẠNG SƠN".
    """
    fields = HeaderFields(lines=[])
    columns: list[list[str]] = []
    for table in tables:
        for row in table.rows:
            for index, cell in enumerate(row.cells):
                while len(columns) <= index:
                    columns.append([])
                for line in cell.split("\n"):
                    if line.strip() and (not columns[index] or columns[index][-1] != line):
                        columns[index].append(line.strip())
    fields.lines = [line for column in columns for line in column] + header_lines
    left = columns[0] if columns else header_lines
    if not columns:  # header lines, no table: the issuer is what stands above the Quốc hiệu or "Số:"
        stop = next((i for i, line in enumerate(left) if _NUMBER.match(line) or _QUOC_HIEU.search(line)), None)
        left = left[:stop] if stop is not None else []
    for line in fields.lines:
        m = _NUMBER.match(line)
        if m and fields.number is None:
            fields.number = re.sub(r"\s+", "", m["n"]).rstrip(".")
    issuer = []
    for line in left:
        if (_NUMBER.match(line) or _QUOC_HIEU.search(line) or (issuer and not _is_upper(line))
                or _key(line).startswith("kế hoạch")):
            break
        if _SEPARATOR.match(line):
            continue
        if _is_upper(line):
            issuer.append(line)
        elif issuer:
            break
    fields.issuer_lines = issuer or None
    return fields


def _is_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


_PLACE_WORDS = ("tỉnh", "huyện", "thành phố", "thị xã", "quận", "xã", "phường", "thị trấn")


def issuer_name(lines: list[str]) -> str:
    """"ỦY BAN NHÂN DÂN" + "TỈNH LẠNG SƠN" -> "Ủy ban nhân dân tỉnh Lạng Sơn": sentence case, the
    place after its administrative word in title case."""
    words = " ".join(lines).split()
    lowered = [w.lower() for w in words]
    out, place_from = [], None
    for index, word in enumerate(lowered):
        for place in _PLACE_WORDS:
            parts = place.split()
            if lowered[index:index + len(parts)] == parts and index + len(parts) < len(words):
                place_from = index + len(parts)
                break
        if place_from is not None:
            break
    for index, word in enumerate(lowered):
        if index == 0 or (place_from is not None and index >= place_from):
            word = word[:1].upper() + word[1:]
        out.append(word)
    return unicodedata.normalize("NFC", " ".join(out).replace("uỷ", "ủy").replace("Uỷ", "Ủy"))


# --- a list of duties ----------------------------------------------------------------------

@dataclass
class Row:
    """One duty of a table, as the table gives it."""

    ref: str
    section: str
    line: int
    content: str
    lead: str
    coordinating: str
    deadline: str
    product: str
    cells: list[str]
    group_title: str = ""


def _number_of(text: str) -> str:
    return text.strip().rstrip(".").strip()


def _group_label(stt: str, cells: list[str], columns: dict[str, int]) -> tuple[str, str] | None:
    """(label, title) when the row is a group: numbered I, II or A, B, or one cell across the table."""
    content = cells[columns["content"]].strip()
    label = _number_of(stt)
    if label and (_ROMAN.match(label) or re.fullmatch(r"[A-Z]", label)):
        return label, content
    others = [c for i, c in enumerate(cells) if i != columns.get("stt") and c.strip()]
    if others and len(set(others)) == 1 and len(others) > 1 and not label:
        m = re.match(r"^([IVXL]{1,6}|[A-Z])\s*[.:)]\s*(.+)$", others[0])
        if m:
            return m[1], m[2]
    return None


def table_rows(table: Table, prefix: str = "") -> tuple[list[Row], list[tuple[int, str]]]:
    """The duties of a list-of-duties table, and problems met (line, message)."""
    found = duty_columns(table)
    if found is None:
        return [], []
    columns, header_rows = found
    rows, problems = [], []
    group, group_title, group_count, letter_groups = "", "", 0, 0
    last_numbered, lettered = None, 0
    width = max(len(r.cells) for r in table.rows)

    def cell(cells, name):
        index = columns.get(name)
        text = cells[index].strip() if index is not None and index < len(cells) else ""
        return text if name in ("lead", "coordinating") else flow(text)

    for row in table.rows[header_rows:]:
        cells = row.cells + [""] * (width - len(row.cells))
        stt = cell(cells, "stt")
        grouping = _group_label(stt, cells, columns)
        if grouping:
            label, group_title = grouping
            group_count += 1
            if not _ROMAN.match(label):
                letter_groups += 1
                label = str(group_count)  # refs hold digits and roman numerals only
            group, last_numbered, lettered = label, None, 0
            continue
        content = cell(cells, "content")
        if not content:
            if any(c.strip() for c in cells):
                problems.append((row.line, Said("a row with no duty text was left out",
                                                 vi="bỏ qua một dòng không có nội dung nhiệm vụ")))
            continue
        number = _number_of(stt)
        if re.fullmatch(r"\d{1,3}(?:\.\d{1,3})*", number):
            ref = number if (not group or number.startswith(group + ".")) else f"{group}.{number}"
            last_numbered, lettered = ref, 0
        elif re.fullmatch(r"[a-zđ]", number or "-") or not number:
            base = last_numbered or group or "1"
            ref = f"{base}-{'abcdefghijklmnopqrstuvwxyz'[lettered % 26]}"
            lettered += 1
            if not number:
                problems.append((row.line, Said(f"a row with no number: given the ref {prefix + ref}",
                                                 vi=f"dòng không có số thứ tự: gán mã {prefix + ref}")))
        else:
            problems.append((row.line, Said(f"the row number '{stt}' is not a number: ref given by its place",
                                             vi=f"số thứ tự '{stt}' không phải số: mã gán theo vị trí của dòng")))
            ref = f"{group + '.' if group else ''}{len(rows) + 1}"
        rows.append(Row(ref=prefix + ref, section=prefix + (group or "PL"), line=row.line, content=content,
                        lead=cell(cells, "lead"), coordinating=cell(cells, "coordinating"),
                        deadline=cell(cells, "deadline"), product=cell(cells, "product"), cells=list(cells),
                        group_title=group_title))
    return rows, problems


def list_text(cell: str, names_an_agency=None) -> str:
    """A cell listing agencies, one a line or separated by ';', as one list "A, B, C": a line that
    does not start an agency's name (in lower case, with "và", or not a name `names_an_agency`
    knows) goes on the name of the line above (a line wrapped in a narrow column)."""
    items: list[str] = []
    for piece in re.split(r";", cell):
        wrapped = False
        for line in piece.split("\n"):
            bullet = line.strip()[:1] in "-–•+"
            line = line.strip().lstrip("-–•+ ").strip()
            if not line:
                continue
            continues = wrapped and not bullet and (
                line[:1].islower() or line.startswith(("và ", ",")) or items[-1].endswith((",", " và", "-", "–"))
                or (names_an_agency is not None and not names_an_agency(line)))
            if continues:
                items[-1] = f"{items[-1]} {line}"
            else:
                items.append(line)
            wrapped = True
    return ", ".join(i.rstrip(" ,.") for i in items)


def flow(cell: str) -> str:
    """A cell's lines as one text; a line that starts a list item ("- ", "+ ") stays on its own line."""
    out = ""
    for line in cell.split("\n"):
        line = line.strip()
        if not line:
            continue
        out += ("\n" if out and line[:1] in "-–•+" else " " if out else "") + line
    return out


def roman_or_number(label: str) -> int:
    return roman_value(label) if _ROMAN.match(label) else int(label) if label.isdigit() else 0
