"""Checking an agency's review inputs, whatever channel they came through (web form, JSON or YAML
file, XLSX template): a pure function of the raw inputs, what was asked, and today.

Every problem is one FieldError naming its field (`tasks[3.1.1-a].progress`, `indicators.weak`),
in English and Vietnamese; the channel adds where it was (file line, sheet row, form input).
"""
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from models.review.rules import INDICATOR_BY_CODE, INDICATORS, ReportedStatus

MAX_TEXT = 4000
# More than any province counts; it also keeps a typo like 1e30 out of the database's integer column.
MAX_COUNT = 1_000_000
# Control characters (other than tab and line breaks) are refused: they are never typed on purpose,
# and spreadsheets and Word documents cannot hold them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
TEXT_FIELDS = ("result", "difficulties", "proposals")
TASK_KEYS = {"ref", "due", "title", "status", "completed_on", "progress", "result", "difficulties", "proposals",
             "current_status"}
TOP_KEYS = {"agency", "year", "tasks", "indicators", "notes"}
FIELD_LABELS_VI = {
    "status": "Tình trạng", "completed_on": "Ngày hoàn thành", "progress": "Tiến độ (%)", "result": "Kết quả đạt được",
    "difficulties": "Khó khăn, vướng mắc", "proposals": "Đề xuất, kiến nghị", "due": "Hạn", "ref": "Mã nhiệm vụ",
    "notes": "Ý kiến khác", "agency": "Đơn vị", "year": "Năm", "tasks": "Nhiệm vụ", "indicators": "Chỉ tiêu",
}
FIELD_LABELS_EN = {
    "status": "Status", "completed_on": "Completed on", "progress": "Progress (%)", "result": "Results achieved",
    "difficulties": "Difficulties, obstacles", "proposals": "Proposals, recommendations", "due": "Due",
    "ref": "Task code", "notes": "Other comments", "agency": "Agency", "year": "Year", "tasks": "Tasks",
    "indicators": "Indicators",
}
_STATUS_WORDS = {
    "done": ReportedStatus.DONE, "hoàn thành": ReportedStatus.DONE, "da hoan thanh": ReportedStatus.DONE,
    "đã hoàn thành": ReportedStatus.DONE,
    "in_progress": ReportedStatus.IN_PROGRESS, "in progress": ReportedStatus.IN_PROGRESS,
    "đang thực hiện": ReportedStatus.IN_PROGRESS,
    "not_started": ReportedStatus.NOT_STARTED, "not started": ReportedStatus.NOT_STARTED,
    "chưa thực hiện": ReportedStatus.NOT_STARTED,
}


@dataclass(frozen=True)
class FieldError:
    loc: tuple  # where in the raw inputs: ("tasks", 2, "progress")
    field: str  # how people name it: tasks[3.1.1-a].progress
    message: str
    message_vi: str

    def text(self, language: str = "en") -> str:
        return f"{self.field}: {self.message_vi if language == 'vi' else self.message}"


class ReviewInvalid(Exception):
    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(e.text() for e in errors))


@dataclass(frozen=True)
class AskedTask:
    """One occurrence an agency is asked about."""

    occurrence_id: int
    ref: str
    title: str
    due: date


@dataclass(frozen=True)
class Asked:
    agency_code: str
    year: int
    tasks: list[AskedTask]
    asks_indicators: bool


@dataclass
class ValidInputs:
    tasks: list[dict] = field(default_factory=list)
    indicators: dict[str, int] = field(default_factory=dict)
    notes: str = ""

    def as_payload(self) -> dict:
        return {"tasks": self.tasks, "indicators": self.indicators, "notes": self.notes}


def parse_date(value) -> date | None:
    """A date as people write it: 2015-11-20, 20/11/2015, or a spreadsheet date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValueError
    text = value.strip()
    if not text:
        return None
    if "/" in text:
        day, month, year = text.split("/")
        return date(int(year), int(month), int(day))
    return date.fromisoformat(text)


def whole_number(value) -> int | None:
    """A count as typed: 12, "12", 12.0 (spreadsheets); None when empty. ValueError otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        if text.lstrip("-").isdigit():
            return int(text)
    raise ValueError


def validate_inputs(raw, asked: Asked, today: date) -> ValidInputs:
    errors: list[FieldError] = []

    def error(loc, name, en, vi):
        errors.append(FieldError(tuple(loc), name, en, vi))

    if not isinstance(raw, dict):
        raise ReviewInvalid([FieldError((), "(top level)", "expected a mapping with tasks, indicators and notes",
                                        "cần một bảng gồm tasks, indicators, notes")])
    for key in raw:
        if key not in TOP_KEYS:
            error((key,), str(key), f"unknown field (expected: {', '.join(sorted(TOP_KEYS))})",
                  f"trường không hợp lệ (chỉ có: {', '.join(sorted(TOP_KEYS))})")
    agency = raw.get("agency")
    if agency not in (None, "") and str(agency).strip() != asked.agency_code:
        error(("agency",), "agency", f"this file is for {agency}, not {asked.agency_code}",
              f"tệp này của đơn vị {agency}, không phải {asked.agency_code}")
    year = raw.get("year")
    if year not in (None, ""):
        try:
            year_ok = whole_number(year) == asked.year
        except ValueError:
            year_ok = False
        if not year_ok:
            error(("year",), "year", f"this file is for {year}, not the {asked.year} review",
                  f"tệp này cho năm {year}, không phải kỳ sơ kết năm {asked.year}")

    result = ValidInputs()
    by_ref: dict[str, list[AskedTask]] = {}
    for task in asked.tasks:
        by_ref.setdefault(task.ref, []).append(task)
    tasks = raw.get("tasks") or []
    if not isinstance(tasks, list):
        error(("tasks",), "tasks", "expected a list of tasks", "cần một danh sách nhiệm vụ")
        tasks = []
    seen: set[int] = set()
    for index, entry in enumerate(tasks):
        loc = ("tasks", index)
        if not isinstance(entry, dict):
            error(loc, f"tasks[{index + 1}]", "expected a mapping with ref, status, ...", "cần ref, status, ...")
            continue
        ref = str(entry.get("ref") or "").strip()
        name = f"tasks[{ref or index + 1}]"
        for key in entry:
            if key not in TASK_KEYS:
                error(loc + (key,), f"{name}.{key}", f"unknown field (expected: {', '.join(sorted(TASK_KEYS))})",
                      "trường không hợp lệ")
        if not ref:
            error(loc + ("ref",), f"{name}.ref", "missing: which task this is", "thiếu mã nhiệm vụ")
            continue
        candidates = by_ref.get(ref)
        if not candidates:
            error(loc + ("ref",), f"{name}.ref",
                  f"{ref} is not one of {asked.agency_code}'s tasks in the {asked.year} review",
                  f"{ref} không phải nhiệm vụ của đơn vị {asked.agency_code} trong kỳ sơ kết năm {asked.year}")
            continue
        try:
            due = parse_date(entry.get("due")) if entry.get("due") not in (None, "") else None
        except (ValueError, TypeError):
            error(loc + ("due",), f"{name}.due", f"'{entry.get('due')}' is not a date (dd/mm/yyyy)",
                  f"'{entry.get('due')}' không phải ngày (dd/mm/yyyy)")
            continue
        if due is None and len(candidates) > 1:
            dates = ", ".join(f"{c.due:%d/%m/%Y}" for c in candidates)
            error(loc + ("due",), f"{name}.due", f"{ref} has several due dates in this review ({dates}): name one",
                  f"{ref} có nhiều kỳ hạn ({dates}): ghi rõ hạn")
            continue
        match = [c for c in candidates if due is None or c.due == due]
        if not match:
            dates = ", ".join(f"{c.due:%d/%m/%Y}" for c in candidates)
            error(loc + ("due",), f"{name}.due", f"{ref} is not due on {due:%d/%m/%Y} (its due dates here: {dates})",
                  f"{ref} không có hạn {due:%d/%m/%Y} (các hạn: {dates})")
            continue
        asked_task = match[0]
        name = f"tasks[{ref}]" if len(candidates) == 1 else f"tasks[{ref} {asked_task.due:%d/%m/%Y}]"
        if asked_task.occurrence_id in seen:
            error(loc + ("ref",), f"{name}.ref", "appears twice", "bị lặp lại")
            continue
        seen.add(asked_task.occurrence_id)
        line = _validate_task(entry, asked_task, name, loc, today, error)
        if line is not None:
            result.tasks.append(line)

    indicators = raw.get("indicators")
    if indicators not in (None, {}, ""):
        if not asked.asks_indicators:
            error(("indicators",), "indicators",
                  "only district-level units and the Alliance report the section-1.3 indicators",
                  "chỉ UBND các huyện, thị xã và Liên minh HTX báo cáo các chỉ tiêu mục 1.3")
        elif not isinstance(indicators, dict):
            error(("indicators",), "indicators", "expected a mapping of indicator: count",
                  "cần bảng chỉ tiêu: số lượng")
        else:
            result.indicators = _validate_indicators(indicators, error)
    elif asked.asks_indicators:
        error(("indicators",), "indicators",
              f"missing: {asked.agency_code} reports the section-1.3 indicators ({', '.join(INDICATOR_BY_CODE)})",
              "thiếu các chỉ tiêu mục 1.3")

    notes = raw.get("notes")
    if notes not in (None, ""):
        if not isinstance(notes, str):
            error(("notes",), "notes", "expected text", "cần văn bản")
        elif len(notes) > MAX_TEXT * 2:
            error(("notes",), "notes", f"longer than {MAX_TEXT * 2} characters", f"dài quá {MAX_TEXT * 2} ký tự")
        elif _CONTROL.search(notes):
            error(("notes",), "notes", "contains a control character", "có ký tự điều khiển không hợp lệ")
        else:
            result.notes = notes.strip()
    if not errors and not result.tasks and not result.indicators and not result.notes:
        error(("tasks",), "tasks", "nothing to submit: report on at least one task", "chưa có nội dung báo cáo")
    if errors:
        raise ReviewInvalid(errors)
    return result


def _validate_task(entry: dict, asked: AskedTask, name: str, loc: tuple, today: date, error) -> dict | None:
    ok = True

    def bad(key, en, vi):
        nonlocal ok
        ok = False
        error(loc + (key,), f"{name}.{key}", en, vi)

    raw_status = entry.get("status")
    status = _STATUS_WORDS.get(str(raw_status).strip().lower()) if raw_status not in (None, "") else None
    if status is None:
        if raw_status in (None, ""):
            bad("status", "missing (done, in_progress or not_started)",
                "chưa chọn (Hoàn thành, Đang thực hiện, Chưa thực hiện)")
        else:
            bad("status", f"'{raw_status}' is not done, in_progress or not_started",
                f"'{raw_status}' không hợp lệ (Hoàn thành, Đang thực hiện, Chưa thực hiện)")
    completed_on = None
    raw_completed = entry.get("completed_on")
    if raw_completed not in (None, ""):
        try:
            completed_on = parse_date(raw_completed)
        except (ValueError, TypeError):
            bad("completed_on", f"'{raw_completed}' is not a date (dd/mm/yyyy)",
                f"'{raw_completed}' không phải ngày (dd/mm/yyyy)")
    if completed_on is not None:
        if completed_on > today:
            bad("completed_on", f"{completed_on:%d/%m/%Y} is in the future", f"{completed_on:%d/%m/%Y} là ngày tương lai")
        elif status not in (None, ReportedStatus.DONE):
            bad("completed_on", "only a done task has a completion date", "chỉ ghi khi đã hoàn thành")
    if status == ReportedStatus.DONE and completed_on is None and raw_completed in (None, ""):
        bad("completed_on", "missing: the day it was completed", "thiếu ngày hoàn thành")
    progress = None
    raw_progress = entry.get("progress")
    try:
        progress = whole_number(raw_progress)
    except ValueError:
        bad("progress", f"'{raw_progress}' is not a whole number of percent", f"'{raw_progress}' không phải số nguyên")
    if progress is not None:
        if not 0 <= progress <= 100:
            bad("progress", f"{progress} is not between 0 and 100", f"{progress} phải từ 0 đến 100")
        elif status == ReportedStatus.DONE and progress != 100:
            bad("progress", f"a done task is at 100 %, not {progress}", f"nhiệm vụ đã hoàn thành là 100%, không phải {progress}")
    texts = {}
    for key in TEXT_FIELDS:
        value = entry.get(key)
        if value in (None, ""):
            texts[key] = ""
        elif not isinstance(value, (str, int, float)):
            bad(key, "expected text", "cần văn bản")
        elif len(str(value)) > MAX_TEXT:
            bad(key, f"longer than {MAX_TEXT} characters", f"dài quá {MAX_TEXT} ký tự")
        elif _CONTROL.search(str(value)):
            bad(key, "contains a control character", "có ký tự điều khiển không hợp lệ")
        else:
            texts[key] = str(value).strip()
    if not ok:
        return None
    return dict(occurrence_id=asked.occurrence_id, ref=asked.ref, due=asked.due.isoformat(), status=status.value,
                completed_on=completed_on.isoformat() if completed_on else None,
                progress=100 if status == ReportedStatus.DONE else progress, **texts)


def _validate_indicators(values: dict, error) -> dict[str, int]:
    counts: dict[str, int] = {}
    for key, raw in values.items():
        name = f"indicators.{key}"
        if key not in INDICATOR_BY_CODE:
            error(("indicators", key), name, f"unknown indicator (expected: {', '.join(INDICATOR_BY_CODE)})",
                  "chỉ tiêu không hợp lệ")
            continue
        try:
            value = whole_number(raw)
        except ValueError:
            error(("indicators", key), name, f"'{raw}' is not a whole number", f"'{raw}' không phải số nguyên")
            continue
        if value is None:
            continue
        if value < 0:
            error(("indicators", key), name, f"{value} is negative", f"{value} là số âm")
            continue
        if value > MAX_COUNT:
            error(("indicators", key), name, f"{value} is more than {MAX_COUNT}", f"{value} lớn hơn {MAX_COUNT}")
            continue
        counts[key] = value
    for indicator in INDICATORS:
        present = indicator.code in values and values[indicator.code] not in (None, "")
        if not present:
            loc = ("indicators", indicator.code) if indicator.code in values else ("indicators",)
            error(loc, f"indicators.{indicator.code}", "missing: enter 0 if none", "chưa nhập (ghi 0 nếu không có)")
    for indicator in INDICATORS:
        whole = indicator.whole
        if whole and indicator.code in counts and whole in counts and counts[indicator.code] > counts[whole]:
            error(("indicators", indicator.code), f"indicators.{indicator.code}",
                  f"{counts[indicator.code]} is more than {whole} ({counts[whole]})",
                  f"{counts[indicator.code]} lớn hơn {INDICATOR_BY_CODE[whole].label_vi.lower()} ({counts[whole]})")
    total = counts.get("cooperatives_total")
    effective, weak = counts.get("operating_effectively"), counts.get("weak")
    if None not in (total, effective, weak) and effective <= total and weak <= total and effective + weak > total:
        error(("indicators", "weak"), "indicators.weak",
              f"effective ({effective}) and weak ({weak}) together exceed cooperatives_total ({total})",
              f"HTX hiệu quả ({effective}) cộng HTX yếu kém ({weak}) lớn hơn tổng số HTX ({total})")
    return counts
