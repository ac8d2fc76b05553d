"""iCalendar (RFC 5545) text, written by hand: a calendar of all-day events.

Text values are escaped (backslash, semicolon, comma, line breaks: section 3.3.11) and content
lines longer than 75 octets are folded with CRLF and one space, never inside a UTF-8 character
(section 3.1). Lines end with CRLF.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone


def escape_text(value: str) -> str:
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n"))


def fold(line: str, limit: int = 75) -> str:
    """Split a content line into pieces of at most `limit` octets (continuations start with a space)."""
    pieces, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        # The first piece may have `limit` octets; continuation pieces carry a leading space.
        room = limit if not pieces else limit - 1
        if size + width > room:
            pieces.append(current)
            current, size = "", 0
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


@dataclass
class Event:
    uid: str
    day: date
    summary: str
    description: str = ""
    url: str = ""
    categories: str = ""


def _utc_stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def calendar(events: list[Event], *, name: str, stamp: datetime, product: str = "-//dondoc//dondoc//VI") -> str:
    """The whole VCALENDAR text; `stamp` is DTSTAMP (when this copy was made)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{product}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{escape_text(name)}", "X-WR-TIMEZONE:Asia/Ho_Chi_Minh"]
    for event in events:
        lines += ["BEGIN:VEVENT", f"UID:{event.uid}", f"DTSTAMP:{_utc_stamp(stamp)}",
                  f"DTSTART;VALUE=DATE:{event.day:%Y%m%d}",
                  f"DTEND;VALUE=DATE:{event.day + timedelta(days=1):%Y%m%d}",
                  f"SUMMARY:{escape_text(event.summary)}", "TRANSP:TRANSPARENT"]
        if event.description:
            lines.append(f"DESCRIPTION:{escape_text(event.description)}")
        if event.url:
            lines.append(f"URL:{event.url}")
        if event.categories:
            lines.append(f"CATEGORIES:{escape_text(event.categories)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def unfold(text: str) -> list[str]:
    """The content lines of a calendar text (for reading one back)."""
    return text.replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")[:-1]
