"""Deadline and recurrence phrases: what sets a duty's timing, and the dates that do not.

Pure functions. `read_deadlines(text)` finds every timing phrase of a duty; `timing_of` picks the
first one in the text (the others are reported) and turns it into the plan file's fields.

Conventions (they agree with config/plans/bac-kan-2015-2020.yaml):
- "trước ngày 30/6/2023" is due on 30/06/2023 itself (the last day the work is on time);
- a period named as a whole is due on its last day: "trong năm 2015" 31/12/2015, "quý II năm 2015"
  30/06/2015, "trong tháng 9 năm 2023" 30/09/2023;
- recurring duties are due at the end of each period: yearly on 31/12, quarterly at each quarter
  end, half-yearly on 30/06 and 31/12, monthly at each month end, every two years on 31/12; a day
  the text names wins ("trước ngày 15 tháng 7 hằng năm" -> 15/07 each year);
- the anchor (first due date) is the first date the rule gives on or after the plan's start;
- "thường xuyên" is ongoing, a bare "Định kỳ" takes the policy's default period (with a warning);
  both, and duties with no phrase, get their due dates from the policy (date_source "policy").

Dates that are not deadlines are masked out before any phrase is looked for: see NOT_DEADLINES.
"""
import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil.rrule import rrulestr

_I = re.IGNORECASE
_EVERY = r"(?:hằng|hàng|mỗi)"
_DAY_MONTH_YEAR = r"(?P<d>\d{1,2})\s*(?:/|-|\s+tháng\s+)\s*(?P<m>\d{1,2})\s*(?:/|-|,?\s+năm\s+)\s*(?P<y>\d{4})"
_ROMAN_QUARTER = {"I": 1, "II": 2, "III": 3, "IV": 4, "1": 1, "2": 2, "3": 3, "4": 4}

# --- dates that are not deadlines ---------------------------------------------------------
# Each is masked (its characters replaced) before deadline phrases are looked for.
_DEADLINE_CUE_BEFORE = re.compile(r"(?:trước|chậm nhất(?:\s+là|\s+vào)?|hạn chót|không quá|:)\s*$", _I)
NOT_DEADLINES = {
    # "Kết luận số 56-KL/TW ngày 21 tháng 02 năm 2013": the date of a cited document.
    "cited document date": re.compile(r"\bngày\s+\d{1,2}\s*(?:tháng\s+\d{1,2}\s*,?\s+năm\s+|/\s*\d{1,2}\s*/\s*)\d{4}", _I),
    # "02/2010/NĐ-CP", "19-CTr/TU", "12/KH-UBND": document numbers (capitals are part of the rule).
    "document number": re.compile(r"\b\d{1,4}(?:/\d{4})?[/-][A-ZĐ][\wĐđ&]*(?:[/-][A-ZĐ][\wĐđ&]*)*"),
    # "Luật Hợp tác xã năm 2012", "Luật Hợp tác xã 2012": the year a law was passed.
    "law year": re.compile(r"\b(?:Luật|Bộ luật|Pháp lệnh|Hiến pháp)\s+(?:(?!(?:trong|trước|đến|hoàn)\b)[^\s,;.()]+\s+){0,8}?(?:năm\s+)?\d{4}\b"),
    # "Nghị quyết Trung ương 5 (khóa IX)": a Party congress term.
    "party term": re.compile(r"\bkh(?:óa|oá)\s+(?:[IVXLC]+|\d+)\b", _I),
    # "Hội nghị lần thứ IV": the n-th meeting.
    "n-th meeting": re.compile(r"\blần\s+thứ\s+(?:[IVXLC]+|\d+)\b", _I),
    # "đại hội thường niên": a cooperative's annual general meeting, not a duty's period.
    "annual general meeting": re.compile(r"\bthường\s+niên\b", _I),
    # "đại hội nhiệm kỳ", "nhiệm kỳ 2020-2025": a term of office.
    "term of office": re.compile(r"\bnhiệm\s+kỳ(?:\s+\d{4}\s*[-–]\s*\d{4})?", _I),
    # "Chương trình ... giai đoạn 2011-2020" in a duty: the period of a cited programme.
    "cited programme period": re.compile(r"\b(?:giai\s+đoạn|thời\s+kỳ)\s+\d{4}\s*[-–—]\s*\d{4}", _I),
}
_MASK = "¤"


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + _MASK * (end - start) + text[end:]


def mask_not_deadlines(text: str, rules: dict = NOT_DEADLINES) -> str:
    """The text with every date that is not a deadline blanked out (same length)."""
    for name, pattern in rules.items():
        for m in list(pattern.finditer(text)):
            if name == "cited document date" and _DEADLINE_CUE_BEFORE.search(text[max(0, m.start() - 20):m.start()]):
                continue  # "trước ngày 30/6/2023" is a deadline
            text = _blank(text, m.start(), m.end())
    return text


# --- timing phrases ---------------------------------------------------------------------

@dataclass(frozen=True)
class Phrase:
    """A timing phrase found in a duty."""

    rule: str  # the name of the rule that read it
    timing: str  # one-off | recurring | ongoing | default-period
    text: str  # the exact words
    start: int
    due: date | None = None
    rrule: str | None = None
    period_months: int | None = None  # calendar periods (month ends), for the anchor
    problem: str | None = None  # why it cannot be used (an impossible date)

    @property
    def meaning(self):
        return (self.timing, self.due, self.rrule)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _valid_day(day: int, month: int, year: int = 2000) -> bool:
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


def _by_date(m):
    day, month, year = int(m["d"]), int(m["m"]), int(m["y"])
    if not _valid_day(day, month, year):
        return dict(problem=f"'{m[0]}' is not a real date")
    return dict(timing="one-off", due=date(year, month, day))


def _yearly_on_days(m):
    day, month = int(m[1]), int(m[2])
    days = [(day, month)] + ([(int(m[3]), int(m[4]))] if m[3] else [])
    bad = [f"{d}/{mo}" for d, mo in days if not _valid_day(d, mo)]
    if bad:
        return dict(problem=f"'{m[0]}': {', '.join(bad)} is not a real day")
    if len({d for d, _ in days}) > 1:
        # One RRULE cannot give 15/6 and 20/12 without also giving 20/6 and 15/12.
        return dict(timing="recurring", rrule=f"FREQ=YEARLY;BYMONTH={month};BYMONTHDAY={day}",
                    problem_soft=f"'{m[0]}' names different days; tracked on {day}/{month} each year only")
    months = ",".join(str(mo) for mo in sorted({mo for _, mo in days}))
    return dict(timing="recurring", rrule=f"FREQ=YEARLY;BYMONTH={months};BYMONTHDAY={day}")


def _monthly_on_day(m):
    day = int(m[1])
    if not 1 <= day <= 31:
        return dict(problem=f"'{m[0]}' is not a real day")
    return dict(timing="recurring", rrule=f"FREQ=MONTHLY;BYMONTHDAY={day}")


def _in_quarter(m):
    quarter = _ROMAN_QUARTER[m[1].upper()]
    return dict(timing="one-off", due=_month_end(int(m[2]), quarter * 3))


def _in_month(m):
    month = int(m[1])
    if not 1 <= month <= 12:
        return dict(problem=f"'{m[0]}': there is no month {month}")
    return dict(timing="one-off", due=_month_end(int(m[2]), month))


def _in_year(m):
    return dict(timing="one-off", due=date(int(m["year"]), 12, 31))


def _every(months: int, rrule: str):
    return lambda m: dict(timing="recurring", rrule=rrule, period_months=months)


# Looked for in this order; each match is blanked before the next rule looks, so "trước ngày 15
# tháng 7 hằng năm" is not read again as "hằng năm". The phrase group is "phrase" when the
# words that set the timing are only part of the match.
DEADLINE_RULES = [
    ("by a date each year", re.compile(
        r"\btrước\s+ngày\s+(\d{1,2})(?:\s*/\s*|\s+tháng\s+)(\d{1,2})"
        r"(?:\s+và\s+(?:ngày\s+)?(\d{1,2})(?:\s*/\s*|\s+tháng\s+)(\d{1,2}))?\s+" + _EVERY + r"\s+năm", _I),
     _yearly_on_days),
    ("by a day each month", re.compile(r"\btrước\s+ngày\s+(\d{1,2})\s+" + _EVERY + r"\s+tháng", _I), _monthly_on_day),
    ("by a date", re.compile(r"\b(?:trước|chậm\s+nhất(?:\s+là|\s+vào)?|hạn\s+chót|không\s+quá)\s+(?:ngày\s+)?"
                             + _DAY_MONTH_YEAR, _I), _by_date),
    ("labelled date", re.compile(r"\b(?:thời\s+gian|thời\s+hạn)(?:\s+hoàn\s+thành)?\s*:\s*(?P<phrase>"
                                 + _DAY_MONTH_YEAR + ")", _I), _by_date),
    ("in a quarter", re.compile(r"\b(?:trong\s+)?quý\s+(IV|I{1,3}|[1-4])\s*(?:,\s*|/\s*|\s+)(?:năm\s+)?(\d{4})\b", _I),
     _in_quarter),
    ("in a month", re.compile(r"\b(?:trong\s+)?tháng\s+(\d{1,2})\s*(?:/\s*|,?\s*năm\s+)(\d{4})\b", _I), _in_month),
    ("in a year", re.compile(r"\btrong\s+năm\s+(?P<year>\d{4})\b", _I), _in_year),
    ("labelled year", re.compile(r"\b(?:thời\s+gian|thời\s+hạn)(?:\s+hoàn\s+thành|\s+thực\s+hiện)?\s*:\s*"
                                 r"(?P<phrase>(?:trong\s+)?năm\s+(?P<year>\d{4}))\b", _I), _in_year),
    ("every quarter", re.compile(r"\b(?:định\s+kỳ\s+)?" + _EVERY + r"\s+quý(?:\s*,\s*(?:" + _EVERY + r"\s+)?năm\b)?", _I),
     _every(3, "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1")),
    ("every six months", re.compile(
        r"\b(?:định\s+kỳ\s+(?:" + _EVERY + r"\s+)?(?:6|06|sáu)\s+tháng(?:\s*(?:một|1|01)\s+lần|\s*/\s*lần)?"
        r"|(?:" + _EVERY + r"\s+)?(?:6|06|sáu)\s+tháng\s*(?:(?:một|1|01)\s+lần|/\s*lần)"
        r"|" + _EVERY + r"\s+(?:6|06|sáu)\s+tháng)", _I),
     _every(6, "FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=-1")),
    ("every month", re.compile(r"\b(?:định\s+kỳ\s+)?" + _EVERY + r"\s+tháng\b", _I),
     _every(1, "FREQ=MONTHLY;BYMONTHDAY=-1")),
    ("every two years", re.compile(r"\b(?:định\s+kỳ\s+)?(?:hai|2|02)\s+năm\s*(?:(?:một|1|01)\s+lần|/\s*lần)", _I),
     _every(24, "FREQ=YEARLY;INTERVAL=2;BYMONTH=12;BYMONTHDAY=31")),
    ("every year", re.compile(r"\b(?:định\s+kỳ\s+)?" + _EVERY + r"\s+năm\b", _I),
     _every(12, "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31")),
    ("ongoing", re.compile(r"\bthường\s+xuyên\b", _I), lambda m: dict(timing="ongoing")),
    ("periodically, no period named", re.compile(r"\bđịnh\s+kỳ\b", _I), lambda m: dict(timing="default-period")),
]


def read_deadlines(text: str) -> tuple[list[Phrase], list[str]]:
    """Every timing phrase in a duty's text, in text order, and the problems met reading them."""
    masked = mask_not_deadlines(text)
    found, problems = [], []
    for name, pattern, read in DEADLINE_RULES:
        for m in list(pattern.finditer(masked)):
            group = "phrase" if "phrase" in pattern.groupindex else 0
            start, end = m.span(group)
            values = read(m)
            masked = _blank(masked, m.start(), m.end())
            if "problem" in values:
                problems.append(values["problem"])
                continue
            soft = values.pop("problem_soft", None)
            if soft:
                problems.append(soft)
            found.append(Phrase(rule=name, text=text[start:end], start=start, **values))
    found.sort(key=lambda p: p.start)
    return found, problems


# --- from a phrase to the plan file's fields ----------------------------------------------

@dataclass(frozen=True)
class Timing:
    timing: str
    due: date | None
    rrule: str | None
    anchor: date | None
    deadline_phrase: str | None
    date_source: str


def first_due(rrule: str, start: date, period_months: int | None = None) -> date:
    """The first date a recurring duty is due on or after `start` (its anchor).

    Calendar periods end on month ends: quarters in March, June, September and December,
    half-years in June and December, years (and two-year periods) on 31 December.
    """
    if period_months in (1, 3, 6):
        year, month = start.year, start.month
        while month % period_months:
            month += 1
        return _month_end(year, month)
    if period_months in (12, 24):
        return date(start.year, 12, 31)
    rule = rrulestr(rrule, dtstart=datetime.combine(start, datetime.min.time()))
    after = rule.after(datetime.combine(start, datetime.min.time()) - timedelta(seconds=1))
    if after is None:
        raise ValueError(f"the rule {rrule} gives no date after {start}")
    return after.date()


def timing_of(text: str, start: date, default_period_rrule: str) -> tuple[Timing, list[str]]:
    """The timing of a duty from its text; `start` is the plan's first day. Also its warnings."""
    phrases, warnings = read_deadlines(text)
    if not phrases:
        return Timing("undated", None, None, None, None, "policy"), warnings
    first = phrases[0]
    others = [p for p in phrases[1:] if p.meaning != first.meaning]
    if others:
        named = "', '".join(dict.fromkeys(p.text for p in others))
        warnings.append(f"also says '{named}'; timing taken from the first phrase, '{first.text}'")
    if first.timing == "one-off":
        return Timing("one-off", first.due, None, None, first.text, "text"), warnings
    if first.timing == "recurring":
        anchor = first_due(first.rrule, start, first.period_months)
        return Timing("recurring", None, first.rrule, anchor, first.text, "text"), warnings
    if first.timing == "ongoing":
        return Timing("ongoing", None, None, None, first.text, "policy"), warnings
    warnings.append(f"'{first.text}' names no period: read as the policy's default ({default_period_rrule})")
    anchor = first_due(default_period_rrule, start)
    return Timing("recurring", None, default_period_rrule, anchor, first.text, "policy"), warnings


# --- the plan's own period ----------------------------------------------------------------

HORIZON_RULES = [
    # "giai đoạn 2023-2025", "thời kỳ 2021-2030"
    ("period", re.compile(r"\b(?:giai\s+đoạn|thời\s+kỳ)\s+(\d{4})\s*[-–—]\s*(\d{4})\b", _I)),
    # "từ nay đến năm 2020"
    ("until a year", re.compile(r"\bđến\s+năm\s+()(\d{4})\b", _I)),
]
TITLE_ONLY_RULES = [
    ("years in the title", re.compile(r"\b(\d{4})\s*[-–—]\s*(\d{4})\b")),  # "KẾ HOẠCH 5 NĂM 2021-2025"
    ("one year in the title", re.compile(r"\bnăm\s+((\d{4}))\b", _I)),  # "Kế hoạch ... năm 2023"
]
_HORIZON_MASKS = {k: v for k, v in NOT_DEADLINES.items() if k != "cited programme period"}


def read_horizons(text: str, *, title: bool) -> list[tuple[int | None, int, str]]:
    """Every period `text` names as (first year or None, last year, phrase), in text order."""
    masked = mask_not_deadlines(text, _HORIZON_MASKS)
    found = []
    for _name, pattern in HORIZON_RULES + (TITLE_ONLY_RULES if title else []):
        for m in pattern.finditer(masked):
            if any(m.start() < end and start < m.end() for start, end, _ in found):
                continue
            first, last = (int(m[1]) if m[1] else None), int(m[2])
            if 1900 < last < 2200 and (first is None or first <= last):
                found.append((m.start(), m.end(), (first, last, text[m.start():m.end()])))
        if found and title:
            break  # in a title the first rule that reads a period wins
    return [period for _, _, period in sorted(found)]


_DATELINE = re.compile(r"^[^\d,:;]{2,60},\s*ngày\s+(\d{1,2})\s*(?:tháng\s+|/\s*)(\d{1,2})\s*(?:năm\s+|/\s*)(\d{4})\s*\.?$", _I)


def read_issue_date(line: str) -> date | None:
    """The date of the plan itself, from its dateline ("Bắc Kạn, ngày 10 tháng 3 năm 2015")."""
    m = _DATELINE.match(line)
    if m and _valid_day(int(m[1]), int(m[2]), int(m[3])):
        return date(int(m[3]), int(m[2]), int(m[1]))
    return None
