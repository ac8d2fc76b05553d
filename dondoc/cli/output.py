"""Printing rows as a table (people), JSON (programs) or CSV (Excel).

The table is plain text written here rather than rich's (which cost a read command ~0.4 s to import and
lay out, issue 23): a title, a header underlined, columns aligned by their width on screen (a letter
with its diacritics is one column, a wide East Asian character two), cells of a column too wide for the
terminal (at least 140 columns, as before) wrapped at spaces."""
import csv
import json
import re
import shutil
import sys
import unicodedata
from datetime import date, datetime
from enum import StrEnum


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def language() -> str:
    """The CLI's language: DONDOC_LANGUAGE, vi (the default) or en."""
    import os
    return "en" if os.environ.get("DONDOC_LANGUAGE", "vi").strip().lower() == "en" else "vi"


def pick(text) -> str:
    """A heading or title given as (Vietnamese, English), in the CLI's language; a plain string as it is."""
    if isinstance(text, tuple):
        return text[1] if language() == "en" else text[0]
    return text


def labelled(group: str):
    """A cell formatter: the stored word's label in the CLI's language (dondoc/labels.py)."""
    from dondoc.labels import label_of
    return lambda value: label_of(group, value, language())


def show_date(value) -> str:
    """Dates as Vietnamese users read them: dd/mm/yyyy (a moment: with its time, `show_moment`)."""
    if isinstance(value, datetime):
        return show_moment(value)
    return value.strftime("%d/%m/%Y") if isinstance(value, date) else ("" if value is None else str(value))


def show_moment(value: datetime | None, seconds: bool = False) -> str:
    """A moment (aware, as every stored one is) as Vietnamese users read it: dd/mm/yyyy HH:MM in
    Vietnam's time (models.clock.vn_time)."""
    if value is None:
        return ""
    from models.clock import vn_time
    return vn_time(value).strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")


def _json_default(value):
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def emit(rows: list[dict], fmt: Format, columns: list[tuple], *, title=None, formatters: dict | None = None) -> None:
    """`columns` are (key, heading) pairs for the table and CSV; JSON has every key, with its stored
    values. A heading or the title may be a (Vietnamese, English) pair: shown in the CLI's language."""
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
        writer.writerow([pick(heading) for _, heading in columns])
        for row in rows:
            writer.writerow([cell(row, key) for key, _ in columns])
        return
    sys.stdout.write(render_table([pick(heading) for _, heading in columns],
                                  [[cell(row, key) for key, _ in columns] for row in rows], title=pick(title)))


MIN_WIDTH = 140  # the table's width at least (a narrower terminal scrolls rather than squeezing the columns)
GAP = "  "


# Characters one column wide each (no combining mark, nothing wide): ASCII, Latin-1 and Latin Extended
# A/B (U+0000-U+02FF), Vietnamese's precomposed letters (Latin Extended Additional, U+1E00-U+1EFF), and
# the dashes, quotes and bullets of General Punctuation (U+2010-U+2027). Text of these alone (nearly
# every cell) is measured by its length, without a Unicode lookup per character (a table of the plan's
# tasks measures some 15,000 strings); tests/cli/test_output.py holds each one to the full rule.
ONE_COLUMN = re.compile("[\x00-\u02ff\u1e00-\u1eff\u2010-\u2027]*")


def text_width(text: str) -> int:
    """Columns `text` takes on screen: a combining mark (a decomposed diacritic) none, a wide or
    full-width East Asian character two, every other character one."""
    if ONE_COLUMN.fullmatch(text):
        return len(text)
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
               for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - text_width(text))


def wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` screen columns, broken at spaces (a longer word is cut)."""
    if "\n" not in text and not text.startswith(" ") and text_width(text) <= width:
        return [text]  # what the loop below gives a line that fits (it drops only leading spaces)
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
    """The rows under their headings, columns aligned; the widest columns wrapped at spaces until the
    table fits `width` (default: the terminal's, at least MIN_WIDTH), none narrower than its longest word."""
    width = width or max(shutil.get_terminal_size((MIN_WIDTH, 24)).columns, MIN_WIDTH)
    widths = [max([text_width(h)] + [max(text_width(line) for line in cell.split("\n")) for cell in column])
              for h, column in zip(headings, zip(*rows) if rows else [[] for _ in headings])]
    # A column is never narrower than its heading or its longest word (a ref, a code, a date stays whole).
    floor = [max([text_width(h), 8] + [min(text_width(word), 30) for cell in column for word in cell.split()])
             for h, column in zip(headings, zip(*rows) if rows else [[] for _ in headings])]
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
