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

from config.errors import Said

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
    # How often a recurring phrase repeats ("year", "2year", "half", "quarter", "month"); for a day
    # phrase (timing "day": a day without a year, "trước ngày 30/11"), the cadence it can complete.
    cadence: str | None = None
    days: tuple = ()  # ((month or None, day), ...) a recurring or day phrase names

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
        return dict(problem=Said(f"'{m[0]}' is not a real date", vi=f"'{m[0]}' không phải ngày có thật"))
    return dict(timing="one-off", due=date(year, month, day))


def _yearly_on_days(m):
    day, month = int(m[1]), int(m[2])
    days = [(day, month)] + ([(int(m[3]), int(m[4]))] if m[3] else [])
    bad = [f"{d}/{mo}" for d, mo in days if not _valid_day(d, mo)]
    if bad:
        return dict(problem=Said(f"'{m[0]}': {', '.join(bad)} is not a real day",
                                 vi=f"'{m[0]}': {', '.join(bad)} không phải ngày có thật"))
    if len({d for d, _ in days}) > 1:
        # One RRULE cannot give 15/6 and 20/12 without also giving 20/6 and 15/12.
        return dict(timing="recurring", rrule=f"FREQ=YEARLY;BYMONTH={month};BYMONTHDAY={day}",
                    cadence="year", days=((month, day),),
                    problem_soft=Said(f"'{m[0]}' names different days; tracked on {day}/{month} each year only",
                                      vi=f"'{m[0]}' nêu nhiều ngày khác nhau; chỉ theo dõi ngày {day}/{month} hằng năm"))
    months = ",".join(str(mo) for mo in sorted({mo for _, mo in days}))
    return dict(timing="recurring", rrule=f"FREQ=YEARLY;BYMONTH={months};BYMONTHDAY={day}",
                cadence=_cadence_of_days(days), days=tuple((mo, d) for d, mo in days))


def _cadence_of_days(days) -> str:
    """Two days six months apart are a half-year's; one day (or others) a year's."""
    months = sorted({mo for _, mo in days})
    return "half" if len(months) == 2 and months[1] - months[0] == 6 else "year"


def _day_of_year(m):
    """"trước ngày 30/11", "trước ngày 15/6 và 15/12": days without a year, completing a cadence."""
    groups = m.groupdict()
    pairs = [(int(groups["d1"]), int(groups["m1"]))] + ([(int(groups["d2"]), int(groups["m2"]))] if groups.get("d2") else [])
    bad = [f"{d}/{mo}" for d, mo in pairs if not _valid_day(d, mo)]
    if bad:
        return dict(problem=Said(f"'{m[0]}': {', '.join(bad)} is not a real day",
                                 vi=f"'{m[0]}': {', '.join(bad)} không phải ngày có thật"))
    return dict(timing="day", cadence=_cadence_of_days(pairs), days=tuple((mo, d) for d, mo in pairs))


def _day_of_quarter(m):
    day = int(m[1])
    if not 1 <= day <= 30:
        return dict(problem=Said(f"'{m[0]}': the last month of a quarter has no day {day} every time",
                                 vi=f"'{m[0]}': tháng cuối quý không phải lúc nào cũng có ngày {day}"))
    return dict(timing="day", cadence="quarter", days=((None, day),))


def _monthly_on_day(m):
    day = int(m[1])
    if not 1 <= day <= 31:
        return dict(problem=Said(f"'{m[0]}' is not a real day", vi=f"'{m[0]}' không phải ngày có thật"))
    return dict(timing="recurring", rrule=f"FREQ=MONTHLY;BYMONTHDAY={day}", cadence="month", days=((None, day),))


def _in_quarter(m):
    quarter = _ROMAN_QUARTER[m[1].upper()]
    return dict(timing="one-off", due=_month_end(int(m[2]), quarter * 3))


def _in_month(m):
    month = int(m[1])
    if not 1 <= month <= 12:
        return dict(problem=Said(f"'{m[0]}': there is no month {month}", vi=f"'{m[0]}': không có tháng {month}"))
    return dict(timing="one-off", due=_month_end(int(m[2]), month))


def _in_year(m):
    return dict(timing="one-off", due=date(int(m["year"]), 12, 31))


_CADENCE_OF_MONTHS = {1: "month", 3: "quarter", 6: "half", 12: "year", 24: "2year"}


def _every(months: int, rrule: str):
    return lambda m: dict(timing="recurring", rrule=rrule, period_months=months, cadence=_CADENCE_OF_MONTHS[months])


def _year_range(m):
    first, last = int(m[1]), int(m[2])
    if not first <= last:
        return dict(problem=Said(f"'{m[0]}' is not a period", vi=f"'{m[0]}' không phải một kỳ"))
    return dict(timing="ongoing")


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
    ("in the last month of each quarter, by a day", re.compile(
        r"\btrước\s+ngày\s+(\d{1,2})\s+(?:của\s+)?tháng\s+cuối\s+(?:của\s+|mỗi\s+)?quý", _I), _day_of_quarter),
    ("by a day of the year", re.compile(
        r"\b(?:trước|chậm\s+nhất(?:\s+là|\s+vào)?)\s+ngày\s+(?P<d1>\d{1,2})(?:\s*/\s*|\s+tháng\s+)(?P<m1>\d{1,2})"
        r"(?:\s+và\s+(?:ngày\s+)?(?P<d2>\d{1,2})(?:\s*/\s*|\s+tháng\s+)(?P<m2>\d{1,2}))?(?![\d/])", _I), _day_of_year),
    # "nhân dịp ngày Hợp tác xã Việt Nam 11/4": an occasion, dated by its day.
    ("on an occasion", re.compile(
        r"\b(?:nhân|vào)\s+(?:dịp|ngày)\b[^\d.;:()]{0,60}?(?<![\d/])(?P<d1>\d{1,2})(?:\s*/\s*|\s+tháng\s+)(?P<m1>\d{1,2})"
        r"(?![\d/])", _I), _day_of_year),
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


# In a table's deadline column ("Thời gian hoàn thành") a year alone is a deadline, and a span of
# years is the work's period: done throughout it.
CELL_RULES = [
    ("a span of years", re.compile(r"\b(?:từ\s+(?:năm\s+)?)?(\d{4})\s*(?:[-–—]|đến(?:\s+năm)?)\s*(\d{4})\b", _I), _year_range),
    ("a year", re.compile(r"(?:^|(?<=[;,(]))\s*(?P<phrase>(?:trong\s+)?(?:năm\s+)?(?P<year>\d{4}))\s*(?=$|[;,.)])", _I),
     _in_year),
]


def read_deadlines(text: str, *, cell: bool = False) -> tuple[list[Phrase], list[str]]:
    """Every timing phrase in a duty's text (or a table's deadline cell), in text order, and the
    problems met reading them."""
    masked = mask_not_deadlines(text)
    found, problems = [], []
    rules = DEADLINE_RULES[:-2] + CELL_RULES + DEADLINE_RULES[-2:] if cell else DEADLINE_RULES
    for name, pattern, read in rules:
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
            found.append(Phrase(rule=name, text=text[start:end].strip(), start=start, **values))
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
    # The first date the rule's days give, whatever its interval: the anchor starts the count
    # ("hai năm một lần ... 11/4" in a plan starting in June 2015: 11/4/2016, then 2018, ...).
    rule = rrulestr(re.sub(r";?INTERVAL=\d+", "", rrule), dtstart=datetime.combine(start, datetime.min.time()))
    after = rule.after(datetime.combine(start, datetime.min.time()) - timedelta(seconds=1))
    if after is None:
        raise ValueError(f"the rule {rrule} gives no date after {start}")
    return after.date()


# A day phrase completes a cadence: the cadences each kind of day can give a date to.
_DAY_COMPLETES = {"year": {"year", "2year"}, "half": {"half"}, "quarter": {"quarter"}, "month": {"month"}}


def _on_days(cadence: str, days: tuple) -> str | None:
    """The RRULE of a cadence due on the days a phrase names (None when they do not fit it)."""
    day_numbers = {d for _, d in days}
    if len(day_numbers) != 1:
        return None
    day = day_numbers.pop()
    months = ",".join(str(m) for m in sorted({m for m, _ in days if m}))
    return {"year": f"FREQ=YEARLY;BYMONTH={months};BYMONTHDAY={day}",
            "2year": f"FREQ=YEARLY;INTERVAL=2;BYMONTH={months};BYMONTHDAY={day}",
            "half": f"FREQ=YEARLY;BYMONTH={months};BYMONTHDAY={day}",
            "quarter": f"FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY={day}",
            "month": f"FREQ=MONTHLY;BYMONTHDAY={day}"}.get(cadence) if (months or cadence in ("quarter", "month")) else None


def _day_for(cadence_phrase: Phrase, phrases: list[Phrase]) -> Phrase | None:
    """The phrase that names the day for this cadence: a recurring phrase of the same cadence that
    names its days ("trước ngày 30 tháng 11 hằng năm"), or a day phrase that fits it."""
    for phrase in phrases:
        if phrase is cadence_phrase or not phrase.days:
            continue
        if phrase.timing == "recurring" and phrase.cadence == cadence_phrase.cadence:
            return phrase
        if phrase.timing == "day" and cadence_phrase.cadence in _DAY_COMPLETES.get(phrase.cadence, ()):
            return phrase
    return None


def _weak(phrase: Phrase) -> bool:
    """"thường xuyên" and a bare "định kỳ" say less than any period or date."""
    return phrase.timing in ("ongoing", "default-period")


def timing_of(text: str, start: date, default_period_rrule: str, *, cell: str | None = None
              ) -> tuple[Timing, list[str]]:
    """The timing of a duty from its text; `start` is the plan's first day. Also its warnings.

    `cell` is a table's deadline column for the duty: read first, the text's phrases after it.
    The most specific timing wins: a cadence with a day for that cadence named anywhere in the
    duty is due on that day ("hằng năm ... trước ngày 30/11" -> 30/11 each year; "hai năm một lần
    ... nhân dịp ngày Hợp tác xã Việt Nam 11/4" -> 11/4 every two years); "thường xuyên" and a bare
    "định kỳ" give way to any period or date. Otherwise the first phrase sets the timing and a
    different later one is reported.
    """
    phrases, warnings = read_deadlines(cell, cell=True) if cell else ([], [])
    from_cell = len(phrases)
    text_phrases, text_warnings = read_deadlines(text)
    phrases, warnings = phrases + text_phrases, warnings + text_warnings
    standing = [p for p in phrases if p.timing != "day"]
    if not standing:
        for phrase in phrases:
            warnings.append(Said(f"'{phrase.text}' names a day but no year or period; left undated",
                                 vi=f"'{phrase.text}' nêu ngày nhưng không nêu năm hay kỳ; để chưa có hạn"))
        return Timing("undated", None, None, None, None, "policy"), warnings
    first = next((p for p in standing if not _weak(p)), standing[0])
    used = [first]
    rrule, anchor = first.rrule, None
    if first.timing == "recurring":
        day = _day_for(first, phrases)
        if day is not None and (day.rrule if day.timing == "recurring" and day.cadence == first.cadence
                                else _on_days(first.cadence, day.days)):
            rrule = day.rrule if day.timing == "recurring" else _on_days(first.cadence, day.days)
            used.append(day)
    same = {p.meaning for p in used} | {("recurring", None, rrule)}
    others = [p for p in standing if p not in used and p.meaning not in same and not _weak(p)
              and not (p.timing == "recurring" and p.cadence == first.cadence)]
    phrase_text = (cell.strip() if cell and any(phrases.index(p) < from_cell for p in used)
                   else "; ".join(p.text for p in sorted(used, key=lambda p: (phrases.index(p) >= from_cell, p.start))))
    if others:
        named = "', '".join(dict.fromkeys(p.text for p in others))
        first_phrase = len(used) == 1 and first is standing[0]
        taken = f"the first phrase, '{first.text}'" if first_phrase else f"'{phrase_text}'"
        taken_vi = f"cụm đầu tiên, '{first.text}'" if first_phrase else f"'{phrase_text}'"
        warnings.append(Said(f"also says '{named}'; timing taken from {taken}",
                             vi=f"còn ghi '{named}'; thời hạn lấy theo {taken_vi}"))
    if first.timing == "one-off":
        return Timing("one-off", first.due, None, None, phrase_text, "text"), warnings
    if first.timing == "recurring":
        anchor = first_due(rrule, start, first.period_months if rrule == first.rrule else None)
        return Timing("recurring", None, rrule, anchor, phrase_text, "text"), warnings
    if first.timing == "ongoing":
        return Timing("ongoing", None, None, None, phrase_text, "policy"), warnings
    warnings.append(Said(f"'{first.text}' names no period: read as the policy's default ({default_period_rrule})",
                         vi=f"'{first.text}' không nêu kỳ: hiểu theo mặc định của chính sách ({default_period_rrule})"))
    anchor = first_due(default_period_rrule, start)
    return Timing("recurring", None, default_period_rrule, anchor, phrase_text, "policy"), warnings


# --- one duty, several cadences ----------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.;])\s+|\n+")


def cadence_parts(text: str) -> list[tuple[str, str]]:
    """A duty's text cut where its sentences name different cadences: [(cadence, text), ...].

    "Hàng năm ... gặp mặt. Hai năm một lần, tổ chức Hội nghị ..." is two duties, one a year and
    one every two years. Sentences naming no cadence go with the sentence before them (the first
    ones with the first part). Two cadences in one sentence stay one duty (reported by timing_of).
    One part (the whole text) when there is nothing to cut.
    """
    # Each sentence keeps the spaces or line breaks after it, so a part reads as the text did.
    sentences, begin = [], 0
    for m in _SENTENCE_END.finditer(text):
        sentences.append(text[begin:m.end()])
        begin = m.end()
    sentences.append(text[begin:])
    sentences = [s for s in sentences if s.strip()]
    if len(sentences) < 2:
        return [("", text)]
    parts: list[list] = []  # [cadence, [sentences]]
    current = None
    for sentence in sentences:
        cadences = [p.cadence for p in read_deadlines(sentence)[0] if p.timing == "recurring"]
        cadence = cadences[0] if cadences else None
        if current is not None and (cadence is None or current[0] in (None, cadence)):
            current[0] = current[0] or cadence
            current[1].append(sentence)
            continue
        current = next((part for part in parts if part[0] == cadence), None) if cadence else None
        if current is None:
            current = [cadence, []]
            parts.append(current)
        current[1].append(sentence)
    if len(parts) < 2:
        return [("", text)]
    return [(cadence or "", "".join(chunk).strip()) for cadence, chunk in parts]


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
