"""Printing rows as a table (people), JSON (programs) or CSV (Excel).

The table is plain text written here rather than rich's (which cost a read command ~0.4 s to import and
lay out, issue 23): a title, a header underlined, columns aligned by their width on screen (a letter
with its diacritics is one column, a wide East Asian character two), cells of a column too wide for the
terminal (at least 140 columns, as before) wrapped at spaces."""
import csv
import json
import shutil
import sys
import unicodedata
from datetime import date
from enum import StrEnum


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def show_date(value) -> str:
    """Dates as Vietnamese users read them: dd/mm/yyyy."""
    return value.strftime("%d/%m/%Y") if isinstance(value, date) else ("" if value is None else str(value))


def _json_default(value):
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def emit(rows: list[dict], fmt: Format, columns: list[tuple[str, str]], *, title: str | None = None,
         formatters: dict | None = None) -> None:
    """`columns` are (key, heading) pairs for the table and CSV; JSON has every key."""
    formatters = formatters or {}
    if fmt == Format.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2, default=_json_default) + "\n")
        return

    def cell(row, key):
        value = row.get(key)
        if key in formatters:
            return formatters[key](value)
        if isinstance(value, list):
            return ", ".join(map(str, value))
        return show_date(value)

    if fmt == Format.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow([heading for _, heading in columns])
        for row in rows:
            writer.writerow([cell(row, key) for key, _ in columns])
        return
    sys.stdout.write(render_table([heading for _, heading in columns],
                                  [[cell(row, key) for key, _ in columns] for row in rows], title=title))


MIN_WIDTH = 140  # the table's width at least (a narrower terminal scrolls rather than squeezing the columns)
GAP = "  "


def text_width(text: str) -> int:
    """Columns `text` takes on screen: a combining mark (a decomposed diacritic) none, a wide or
    full-width East Asian character two, every other character one."""
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
               for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - text_width(text))


def wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` screen columns, broken at spaces (a longer word is cut)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if text_width(candidate) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while text_width(word) > width:  # a word longer than the column: cut it
                cut = 1
                while cut < len(word) and text_width(word[:cut + 1]) <= width:
                    cut += 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


def render_table(headings: list[str], rows: list[list[str]], *, title: str | None = None,
                 width: int | None = None) -> str:
    """The rows under their headings, columns aligned; the widest columns wrapped until the table fits
    `width` (default: the terminal's, at least MIN_WIDTH)."""
    width = width or max(shutil.get_terminal_size((MIN_WIDTH, 24)).columns, MIN_WIDTH)
    widths = [max([text_width(h)] + [max(text_width(line) for line in cell.split("\n")) for cell in column])
              for h, column in zip(headings, zip(*rows) if rows else [[] for _ in headings])]
    floor = [max(text_width(h), 8) for h in headings]
    while sum(widths) + len(GAP) * (len(widths) - 1) > width:
        widest = max(range(len(widths)), key=lambda i: widths[i] - floor[i])
        if widths[widest] <= floor[widest]:
            break
        widths[widest] -= 1
    out = [title, ""] if title else []
    out.append(GAP.join(_pad(h, w) for h, w in zip(headings, widths)).rstrip())
    out.append(GAP.join("─" * w for w in widths))
    for row in rows:
        cells = [wrap(cell, w) for cell, w in zip(row, widths)]
        for i in range(max((len(c) for c in cells), default=1)):
            out.append(GAP.join(_pad(c[i] if i < len(c) else "", w) for c, w in zip(cells, widths)).rstrip())
    return "\n".join(out) + "\n"
