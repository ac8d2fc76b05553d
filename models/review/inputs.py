"""Checking an agency's review inputs, whatever channel they came through (web form, JSON or YAML
file, XLSX template): a pure function of the raw inputs, what was asked, and today.

The inputs are pydantic models (`ReviewInputs`, its `TaskLine`s and `Indicators`), validated with
what was asked and today as the validation context. Every problem is one FieldError naming its field
(`tasks[3.1.1-a].progress`, `indicators.weak`), in English and Vietnamese; the channel adds where it
was (file line, sheet row, form input). Values are read as people type them (`parse_date`,
`whole_number`, the status words), never by pydantic's own coercion.
"""
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, create_model, field_validator, \
    model_validator
from pydantic_core import PydanticCustomError

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
    """The inputs as they will be saved, or ReviewInvalid listing every problem."""
    by_ref: dict[str, list[AskedTask]] = {}
    for task in asked.tasks:
        by_ref.setdefault(task.ref, []).append(task)
    context = {"asked": asked, "by_ref": by_ref, "today": today, "seen": set()}
    try:
        inputs = ReviewInputs.model_validate(raw, context=context)
    except ValidationError as invalid:
        errors = _unknown_fields_first(invalid.errors(include_url=False))
        raise ReviewInvalid([_field_error(error, raw) for error in errors]) from None
    return ValidInputs(tasks=[line.as_payload() for line in inputs.tasks], indicators=inputs.counts(),
                       notes=inputs.notes)


def refused(en: str, vi: str, **where) -> PydanticCustomError:
    """A problem in both languages. `line` names a task line once it is known which one it is; `key` and
    `loc` say where it is when that is not the field being validated."""
    return PydanticCustomError("review_input", "{en}", {"en": en, "vi": vi, **where})


def _empty(value) -> bool:
    return value is None or (isinstance(value, str) and value == "")


@dataclass(frozen=True)
class Line:
    """Which asked occurrence a task line reports on, and how errors name the line."""

    task: AskedTask
    name: str


class TaskLine(BaseModel):
    """One line of the task table. Its `ref` (and `due`, where the task is due several times in the
    year) say which asked occurrence it is; a line whose occurrence is not found is not checked further."""

    model_config = ConfigDict(extra="forbid")

    ref: str = Field("", validate_default=True)
    due: Line | None = Field(None, validate_default=True)
    title: Any = None
    current_status: Any = None
    status: ReportedStatus | None = Field(None, validate_default=True)
    completed_on: date | None = Field(None, validate_default=True)
    progress: int | None = Field(None, validate_default=True)
    result: str = Field("", validate_default=True)
    difficulties: str = Field("", validate_default=True)
    proposals: str = Field("", validate_default=True)

    @field_validator("ref", mode="before")
    @classmethod
    def _asked_ref(cls, value, info: ValidationInfo) -> str:
        ref = str(value or "").strip()
        asked: Asked = info.context["asked"]
        if not ref:
            raise refused("missing: which task this is", "thiếu mã nhiệm vụ")
        if ref not in info.context["by_ref"]:
            raise refused(f"{ref} is not one of {asked.agency_code}'s tasks in the {asked.year} review",
                          f"{ref} không phải nhiệm vụ của đơn vị {asked.agency_code} trong kỳ sơ kết năm {asked.year}")
        return ref

    @field_validator("due", mode="before")
    @classmethod
    def _asked_occurrence(cls, value, info: ValidationInfo) -> Line | None:
        ref = info.data.get("ref")
        if ref is None:
            return None
        candidates: list[AskedTask] = info.context["by_ref"][ref]
        try:
            due = None if _empty(value) else parse_date(value)
        except (ValueError, TypeError, OverflowError):
            raise refused(f"'{value}' is not a date (dd/mm/yyyy)", f"'{value}' không phải ngày (dd/mm/yyyy)") from None
        dates = ", ".join(f"{c.due:%d/%m/%Y}" for c in candidates)
        if due is None and len(candidates) > 1:
            raise refused(f"{ref} has several due dates in this review ({dates}): name one",
                          f"{ref} có nhiều kỳ hạn ({dates}): ghi rõ hạn")
        match = [c for c in candidates if due is None or c.due == due]
        if not match:
            raise refused(f"{ref} is not due on {due:%d/%m/%Y} (its due dates here: {dates})",
                          f"{ref} không có hạn {due:%d/%m/%Y} (các hạn: {dates})")
        task = match[0]
        name = f"tasks[{ref}]" if len(candidates) == 1 else f"tasks[{ref} {task.due:%d/%m/%Y}]"
        seen: set[int] = info.context["seen"]
        if task.occurrence_id in seen:
            raise refused("appears twice", "bị lặp lại", line=name, key="ref")
        seen.add(task.occurrence_id)
        return Line(task, name)

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value, info: ValidationInfo) -> ReportedStatus | None:
        line = info.data.get("due")
        if line is None:
            return None
        if _empty(value):
            raise refused("missing (done, in_progress or not_started)",
                          "chưa chọn (Hoàn thành, Đang thực hiện, Chưa thực hiện)", line=line.name)
        status = _STATUS_WORDS.get(str(value).strip().lower())
        if status is None:
            raise refused(f"'{value}' is not done, in_progress or not_started",
                          f"'{value}' không hợp lệ (Hoàn thành, Đang thực hiện, Chưa thực hiện)", line=line.name)
        return status

    @field_validator("completed_on", mode="before")
    @classmethod
    def _completed_on(cls, value, info: ValidationInfo) -> date | None:
        """Required once done (a value of spaces is taken as not given); never in the future, nor for a
        task not done."""
        line, status = info.data.get("due"), info.data.get("status")
        if line is None:
            return None
        if _empty(value):
            if status == ReportedStatus.DONE:
                raise refused("missing: the day it was completed", "thiếu ngày hoàn thành", line=line.name)
            return None
        try:
            day = parse_date(value)
        except (ValueError, TypeError, OverflowError):
            raise refused(f"'{value}' is not a date (dd/mm/yyyy)", f"'{value}' không phải ngày (dd/mm/yyyy)",
                          line=line.name) from None
        if day is not None and day > info.context["today"]:
            raise refused(f"{day:%d/%m/%Y} is in the future", f"{day:%d/%m/%Y} là ngày tương lai", line=line.name)
        if day is not None and status not in (None, ReportedStatus.DONE):
            raise refused("only a done task has a completion date", "chỉ ghi khi đã hoàn thành", line=line.name)
        return day

    @field_validator("progress", mode="before")
    @classmethod
    def _progress(cls, value, info: ValidationInfo) -> int | None:
        line = info.data.get("due")
        if line is None:
            return None
        try:
            progress = whole_number(value)
        except ValueError:
            raise refused(f"'{value}' is not a whole number of percent", f"'{value}' không phải số nguyên",
                          line=line.name) from None
        if progress is not None and not 0 <= progress <= 100:
            raise refused(f"{progress} is not between 0 and 100", f"{progress} phải từ 0 đến 100", line=line.name)
        if progress is not None and info.data.get("status") == ReportedStatus.DONE and progress != 100:
            raise refused(f"a done task is at 100 %, not {progress}",
                          f"nhiệm vụ đã hoàn thành là 100%, không phải {progress}", line=line.name)
        return progress

    @field_validator(*TEXT_FIELDS, mode="before")
    @classmethod
    def _text(cls, value, info: ValidationInfo) -> str:
        line = info.data.get("due")
        if line is None or _empty(value):
            return ""
        if not isinstance(value, (str, int, float)):
            raise refused("expected text", "cần văn bản", line=line.name)
        text = str(value)
        if len(text) > MAX_TEXT:
            raise refused(f"longer than {MAX_TEXT} characters", f"dài quá {MAX_TEXT} ký tự", line=line.name)
        if _CONTROL.search(text):
            raise refused("contains a control character", "có ký tự điều khiển không hợp lệ", line=line.name)
        return text.strip()

    def as_payload(self) -> dict:
        task, done = self.due.task, self.status == ReportedStatus.DONE
        return dict(occurrence_id=task.occurrence_id, ref=task.ref, due=task.due.isoformat(), status=self.status.value,
                    completed_on=self.completed_on.isoformat() if self.completed_on else None,
                    progress=100 if done else self.progress, result=self.result, difficulties=self.difficulties,
                    proposals=self.proposals)


def _count(value, info: ValidationInfo) -> int | None:
    """An indicator's count: a whole number from 0 to MAX_COUNT, entered (0 if none; a value of spaces is
    taken as not given), and no more than the indicator it is a part of."""
    try:
        count = whole_number(value)
    except ValueError:
        raise refused(f"'{value}' is not a whole number", f"'{value}' không phải số nguyên") from None
    if count is None:
        if _empty(value):
            raise refused("missing: enter 0 if none", "chưa nhập (ghi 0 nếu không có)")
        return None
    if count < 0:
        raise refused(f"{count} is negative", f"{count} là số âm")
    if count > MAX_COUNT:
        raise refused(f"{count} is more than {MAX_COUNT}", f"{count} lớn hơn {MAX_COUNT}")
    whole = INDICATOR_BY_CODE[info.field_name].whole
    if whole and info.data.get(whole) is not None and count > info.data[whole]:
        raise refused(f"{count} is more than {whole} ({info.data[whole]})",
                      f"{count} lớn hơn {INDICATOR_BY_CODE[whole].label_vi.lower()} ({info.data[whole]})")
    total, effective = info.data.get("cooperatives_total"), info.data.get("operating_effectively")
    if info.field_name == "weak" and None not in (total, effective) and effective + count > total:
        raise refused(f"effective ({effective}) and weak ({count}) together exceed cooperatives_total ({total})",
                      f"HTX hiệu quả ({effective}) cộng HTX yếu kém ({count}) lớn hơn tổng số HTX ({total})")
    return count


# The section-1.3 indicators, one required field each, in INDICATORS' order (a whole before its parts).
Indicators = create_model(
    "Indicators", __config__=ConfigDict(extra="forbid"), __doc__="The section-1.3 indicators' counts.",
    __validators__={"count": field_validator(*INDICATOR_BY_CODE, mode="before")(_count)},
    **{code: (int | None, ...) for code in INDICATOR_BY_CODE})


class ReviewInputs(BaseModel):
    """An agency's inputs: its task lines, the indicators (district-level units and the Alliance), notes."""

    model_config = ConfigDict(extra="forbid")

    agency: Any = None
    year: Any = None
    tasks: list[TaskLine] = Field(default_factory=list)
    indicators: Indicators | None = Field(None, validate_default=True)
    notes: str = ""

    @field_validator("agency", mode="before")
    @classmethod
    def _this_agency(cls, value, info: ValidationInfo):
        code = info.context["asked"].agency_code
        if not _empty(value) and str(value).strip() != code:
            raise refused(f"this file is for {value}, not {code}", f"tệp này của đơn vị {value}, không phải {code}")
        return value

    @field_validator("year", mode="before")
    @classmethod
    def _this_year(cls, value, info: ValidationInfo):
        year = info.context["asked"].year
        if _empty(value):
            return value
        try:
            same = whole_number(value) == year
        except ValueError:
            same = False
        if not same:
            raise refused(f"this file is for {value}, not the {year} review",
                          f"tệp này cho năm {value}, không phải kỳ sơ kết năm {year}")
        return value

    @field_validator("tasks", mode="before")
    @classmethod
    def _a_list(cls, value):
        value = value or []
        if not isinstance(value, list):
            raise refused("expected a list of tasks", "cần một danh sách nhiệm vụ")
        return value

    @field_validator("indicators", mode="before")
    @classmethod
    def _asked_indicators(cls, value, info: ValidationInfo):
        asked: Asked = info.context["asked"]
        if _empty(value) or value == {}:
            if asked.asks_indicators:
                raise refused(f"missing: {asked.agency_code} reports the section-1.3 indicators "
                              f"({', '.join(INDICATOR_BY_CODE)})", "thiếu các chỉ tiêu mục 1.3")
            return None
        if not asked.asks_indicators:
            raise refused("only district-level units and the Alliance report the section-1.3 indicators",
                          "chỉ UBND các huyện, thị xã và Liên minh HTX báo cáo các chỉ tiêu mục 1.3")
        if not isinstance(value, dict):
            raise refused("expected a mapping of indicator: count", "cần bảng chỉ tiêu: số lượng")
        return value

    @field_validator("notes", mode="before")
    @classmethod
    def _notes(cls, value) -> str:
        if _empty(value):
            return ""
        if not isinstance(value, str):
            raise refused("expected text", "cần văn bản")
        if len(value) > MAX_TEXT * 2:
            raise refused(f"longer than {MAX_TEXT * 2} characters", f"dài quá {MAX_TEXT * 2} ký tự")
        if _CONTROL.search(value):
            raise refused("contains a control character", "có ký tự điều khiển không hợp lệ")
        return value.strip()

    @model_validator(mode="after")
    def _says_something(self):
        if not self.tasks and not self.counts() and not self.notes:
            raise refused("nothing to submit: report on at least one task", "chưa có nội dung báo cáo", loc=("tasks",))
        return self

    def counts(self) -> dict[str, int]:
        given = self.indicators.model_dump() if self.indicators else {}
        return {code: count for code, count in given.items() if count is not None}


UNKNOWN = ("extra_forbidden", "invalid_key")


def _unknown_fields_first(errors: list[dict]) -> list[dict]:
    """pydantic lists a mapping's unknown fields after the problems of its known ones; a reader meets
    them first (a file for another form is told so before its values are picked over)."""
    ordered: list[dict] = []
    for error in errors:
        if error["type"] not in UNKNOWN:
            ordered.append(error)
            continue
        container = tuple(error["loc"][:-1])
        inside = (i for i, other in enumerate(ordered) if len(other["loc"]) > len(container)
                  and tuple(other["loc"][:len(container)]) == container
                  and not (other["type"] in UNKNOWN and len(other["loc"]) == len(container) + 1))
        ordered.insert(next(inside, len(ordered)), error)
    return ordered


def _field_error(error: dict, raw) -> FieldError:
    """pydantic's error as people read it: our own refusals carry both languages; pydantic's (an unknown
    or missing field, a mapping that is not one) are said here."""
    loc, kind, ctx = tuple(error["loc"]), error["type"], error.get("ctx") or {}
    if kind == "review_input":
        if "key" in ctx:
            loc = loc[:-1] + (ctx["key"],)
        loc = ctx.get("loc", loc)
        name = f"{ctx['line']}.{loc[-1]}" if "line" in ctx else _name(loc, raw)
        return FieldError(loc, name, ctx["en"], ctx["vi"])
    if kind in UNKNOWN:
        if loc[:1] == ("indicators",):
            return FieldError(loc, _name(loc, raw), f"unknown indicator (expected: {', '.join(INDICATOR_BY_CODE)})",
                              "chỉ tiêu không hợp lệ")
        if len(loc) == 1:
            expected = ", ".join(sorted(TOP_KEYS))
            return FieldError(loc, str(loc[0]), f"unknown field (expected: {expected})",
                              f"trường không hợp lệ (chỉ có: {expected})")
        return FieldError(loc, _name(loc, raw), f"unknown field (expected: {', '.join(sorted(TASK_KEYS))})",
                          "trường không hợp lệ")
    if kind == "missing" and loc[:1] == ("indicators",):  # not in the mapping at all: the mapping is the place
        return FieldError(("indicators",), _name(loc, raw), "missing: enter 0 if none",
                          "chưa nhập (ghi 0 nếu không có)")
    if kind == "model_type" and loc == ():
        return FieldError((), "(top level)", "expected a mapping with tasks, indicators and notes",
                          "cần một bảng gồm tasks, indicators, notes")
    if kind == "model_type" and loc[:1] == ("tasks",):
        return FieldError(loc, _name(loc, raw), "expected a mapping with ref, status, ...", "cần ref, status, ...")
    from config.errors import validation_texts
    return FieldError(loc, _name(loc, raw), *validation_texts(error))


def _name(loc: tuple, raw) -> str:
    """How people name a place in the raw inputs: notes, tasks[2], tasks[3.1.1-a].status, indicators.weak."""
    if not loc:
        return "(top level)"
    if loc[0] == "tasks" and len(loc) >= 2:
        if len(loc) == 2:
            return f"tasks[{loc[1] + 1}]"
        entry = raw["tasks"][loc[1]]
        ref = str(entry.get("ref") or "").strip()
        return f"tasks[{ref or loc[1] + 1}].{loc[2]}"
    if loc[0] == "indicators" and len(loc) == 2:
        return f"indicators.{loc[1]}"
    return ".".join(str(part) for part in loc)
