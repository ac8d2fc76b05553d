"""Printing rows as a table (people), JSON (programs) or CSV (Excel)."""
import csv
import json
import sys
from datetime import date
from enum import StrEnum

from rich.console import Console
from rich.table import Table


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
    table = Table(title=title, show_lines=False)
    for _, heading in columns:
        table.add_column(heading, overflow="fold")
    for row in rows:
        table.add_row(*[cell(row, key) for key, _ in columns])
    Console(width=max(Console().width, 140), highlight=False).print(table)
