"""The agency's calendar as iCalendar (RFC 5545) text, written by the `icalendar` library: all-day
events, one per due date. The library escapes text values, folds long lines at 75 octets without
splitting a character, and ends lines with CRLF."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import icalendar


@dataclass
class Event:
    uid: str
    day: date
    summary: str
    description: str = ""
    url: str = ""
    categories: str = ""


def calendar(events: list[Event], *, name: str, stamp: datetime, product: str = "-//dondoc//dondoc//VI") -> str:
    """The whole VCALENDAR text; `stamp` is DTSTAMP (when this copy was made), written in UTC."""
    feed = icalendar.Calendar()
    feed.add("version", "2.0")
    feed.add("prodid", product)
    feed.add("calscale", "GREGORIAN")
    feed.add("method", "PUBLISH")
    feed.add("x-wr-calname", name)
    feed.add("x-wr-timezone", "Asia/Ho_Chi_Minh")
    stamp_utc = stamp.astimezone(timezone.utc)
    for event in events:
        entry = icalendar.Event()
        entry.add("uid", event.uid)
        entry.add("dtstamp", stamp_utc)
        entry.add("dtstart", event.day)
        entry.add("dtend", event.day + timedelta(days=1))
        entry.add("summary", event.summary)
        entry.add("transp", "TRANSPARENT")
        if event.description:
            entry.add("description", event.description)
        if event.url:
            entry.add("url", event.url)
        if event.categories:
            entry.add("categories", [event.categories])
        feed.add_component(entry)
    return feed.to_ical().decode("utf-8")
