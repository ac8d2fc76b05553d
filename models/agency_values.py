"""The values an agency's kind and a focal point's role take, and who of an agency's people serves on a
day (a pure rule): importable without the tables (the daily sweep reads with models/core.py, and
`dondoc remind` with nothing to send never loads SQLModel). models/agency.py and models/directory.py
re-export them."""
from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from typing import Any, NamedTuple


class AgencyKind(StrEnum):
    DEPARTMENT = "department"
    DISTRICT = "district"  # district-level unit: huyện, thị xã
    ALLIANCE = "alliance"
    STEERING_COMMITTEE = "steering_committee"
    OTHER = "other"


class FocalPointRole(StrEnum):
    PRIMARY = "primary"
    DEPUTY = "deputy"
    HEAD = "head"  # the agency's head: added to reminders when escalating


# --- who serves on a day (pure) -------------------------------------------------------------

class Duty(NamedTuple):
    """One active focal point as the rule needs it; `person` is whatever the caller carries along."""
    person: Any
    role: str
    active_from: date | None
    active_until: date | None
    away_from: date | None
    away_to: date | None


def on_duty(row: Duty, day: date) -> bool:
    return (row.active_from is None or row.active_from <= day) and (row.active_until is None or day <= row.active_until)


def is_away(row: Duty, day: date) -> bool:
    return row.away_from is not None and row.away_from <= day <= (row.away_to or row.away_from)


def is_dated(row: Duty) -> bool:
    return any((row.active_from, row.active_until, row.away_from, row.away_to))


def serving(rows: Sequence[Duty], day: date | None, *, deputies: str = "always") -> tuple[list[Duty], list[Duty], bool]:
    """Who of one agency's active people reads its reminders on `day`: (readers, heads, head_fallback).

    A person outside their active_from..active_until, or away, reads nothing. A deputy covers while
    every primary is away (deputies="when_covering": only then; "always": as a co-recipient every day).
    When nobody but the head serves, the head reads everything (head_fallback) rather than nobody.
    `day` None: the rows carry no dates (the answer is the same every day)."""
    present = [r for r in rows if day is None or (on_duty(r, day) and not is_away(r, day))]
    covering = not any(r.role == FocalPointRole.PRIMARY for r in present)
    readers = [r for r in present if r.role == FocalPointRole.PRIMARY
               or (r.role == FocalPointRole.DEPUTY and (deputies == "always" or covering))]
    heads = [r for r in present if r.role == FocalPointRole.HEAD]
    if not readers and heads:
        return heads, [], True
    return readers, heads, False
