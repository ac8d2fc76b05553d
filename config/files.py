"""Reading the YAML files people edit, keeping line numbers so every error can point at one.

The shapes are pydantic models; `read_agency_file` and `read_plan_file` return them or raise
InputError naming the file, the line and the field.
"""
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from dateutil.rrule import rrulestr
from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator,
                      model_validator)

from config.errors import InputError, Refusal, unreadable, validation_refusal
from config.limits import (MAX_AGENCIES, MAX_INPUT_FILE_BYTES, MAX_LIST, MAX_NAME, MAX_NESTING, MAX_TASKS, MAX_TEXT,
                           MAX_TITLE)

AgencyKind = Literal["department", "district", "alliance", "steering_committee", "other"]
Timing = Literal["one-off", "recurring", "ongoing", "undated"]
DateSource = Literal["text", "policy", "manual"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# Control characters have no place in what people type; they break spreadsheets and documents, and
# a line break in a name or code would end an email header. Text of several lines keeps its breaks.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029\x85]")


def _printable(value: str) -> str:
    if _CONTROL.search(value):
        raise Refusal(f"contains a control character ({_CONTROL.search(value).group()!r})",
                      vi=f"có ký tự điều khiển ({_CONTROL.search(value).group()!r})")
    return value


def _one_line(value: str) -> str:
    if _LINE_BREAK.search(value):
        raise Refusal("must be one line (it contains a line break)",
                      vi="phải nằm trên một dòng (đang có dấu xuống dòng)")
    return _printable(value)


def _identifier(value: str) -> str:
    if not re.fullmatch(IDENTIFIER_PATTERN, value):
        raise Refusal(f"'{value}' is not an identifier code (mã định danh of Decision 20/2020/QĐ-TTg: four groups "
                      "separated by dots, levels 4 to 1: 3, 2 and 2 digits or capitals, then the level-1 code, "
                      "a capital and 2 more, e.g. 000.00.31.H06)",
                      vi=f"'{value}' không phải mã định danh (theo Quyết định 20/2020/QĐ-TTg: bốn nhóm nối bằng dấu "
                         "chấm, cấp 4 đến cấp 1: 3, 2 và 2 chữ số hoặc chữ in hoa, rồi mã cấp 1 gồm một chữ in hoa và "
                         "2 ký tự nữa, ví dụ 000.00.31.H06)")
    return value


OneLine = Annotated[str, AfterValidator(_one_line)]
Text = Annotated[str, AfterValidator(_printable)]
# The database's limits (models/agency.py, models/plan.py), checked here so that a file is refused
# with its line rather than failing inside the database.
CODE_MAX, PLAN_CODE_MAX, REF_MAX, SECTION_MAX, EMAIL_MAX = 40, 80, 80, 40, 254
MAX_HORIZON_YEARS = 30
EMAIL_PATTERN = r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$"
PHONE_PATTERN = r"^\+?[0-9][0-9 .()-]{5,38}$"
# Mã định danh (Decision 20/2020/QĐ-TTg): X1X2X3.Y1Y2.Z1Z2.A1A2A3, levels 4 to 1; level 1 is a letter
# and two more (H06: a province; G..: a ministry), "00"/"000" where a level is not used.
IDENTIFIER_PATTERN = r"^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9A-Z]{2}$"

_PATTERN_MEANS = {  # (English, Vietnamese)
    EMAIL_PATTERN: ("an email address (name@example.org)", "không phải địa chỉ email (ten@example.org)"),
    PHONE_PATTERN: ("a phone number (digits, spaces and + . ( ) -, e.g. 0209 3870 123)",
                    "không phải số điện thoại (chữ số, dấu cách và + . ( ) -, ví dụ 0209 3870 123)"),
    IDENTIFIER_PATTERN: ("an identifier code (groups of 1-4 capitals or digits joined by dots, e.g. 1.2.3)",
                         "không phải mã định danh (các nhóm 1-4 chữ in hoa hoặc chữ số nối bằng dấu chấm, ví dụ 1.2.3)"),
}

# Bounded: the length is checked before the characters (a 50 MB value is not scanned).
Name = Annotated[str, Field(max_length=MAX_NAME), AfterValidator(_one_line)]
Title = Annotated[str, Field(max_length=MAX_TITLE), AfterValidator(_printable)]
LongText = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_printable)]


class FocalPointEntry(_Strict):
    name: Name = Field(min_length=1)
    email: str = Field(pattern=EMAIL_PATTERN, max_length=EMAIL_MAX)
    role: Literal["primary", "deputy", "head"] = "primary"
    language: Literal["vi", "en"] = "vi"
    active: bool = True
    phone: OneLine | None = Field(default=None, max_length=40, pattern=PHONE_PATTERN)
    address_as: OneLine | None = Field(default=None, max_length=40)  # form of address: ông, bà, đồng chí
    title: OneLine | None = Field(default=None, max_length=120)  # chức vụ
    active_from: date | None = None  # serves from this day (a replacement)
    active_until: date | None = None  # serves until this day
    away_from: date | None = None  # away these days (both included): a deputy covers
    away_to: date | None = None

    @model_validator(mode="after")
    def _periods_in_order(self):
        if (self.away_from is None) != (self.away_to is None):
            raise Refusal("an away period needs both away_from and away_to",
                          vi="thời gian vắng mặt cần cả away_from và away_to")
        if self.away_from and self.away_to < self.away_from:
            raise Refusal("away_to is before away_from",
                          vi="away_to trước away_from")
        if self.active_from and self.active_until and self.active_until < self.active_from:
            raise Refusal("active_until is before active_from",
                          vi="active_until trước active_from")
        return self


class AgencyEntry(_Strict):
    code: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]*$", max_length=CODE_MAX)
    name_vi: Name = Field(min_length=1)
    name_en: Name = Field(min_length=1)
    kind: AgencyKind
    province: OneLine = Field(default="", max_length=120)
    # Mã định danh (Decision 20/2020/QĐ-TTg): groups of digits and letters separated by dots, e.g. 000.00.31.H06.
    identifier_code: Annotated[str, AfterValidator(_identifier)] | None = Field(default=None, max_length=40)
    aliases: list[Name] = Field(default=[], max_length=MAX_LIST)
    focal_points: list[FocalPointEntry] = Field(default=[], max_length=MAX_LIST)

    @field_validator("focal_points")
    @classmethod
    def _each_address_once(cls, entries):
        seen = set()
        for entry in entries:
            if entry.email.lower() in seen:
                raise Refusal(f"{entry.email} is listed twice",
                              vi=f"{entry.email} được ghi hai lần")
            seen.add(entry.email.lower())
        return entries


class GroupEntry(_Strict):
    code: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]*$", max_length=CODE_MAX)
    name_vi: Name = Field(min_length=1)
    name_en: Name = Field(min_length=1)
    aliases: list[Name] = Field(default=[], max_length=MAX_LIST)
    # Agency codes or other group codes (expanded recursively).
    members: list[Annotated[str, Field(max_length=CODE_MAX)]] = Field(min_length=1, max_length=MAX_LIST)


class AgencyFile(_Strict):
    agencies: list[AgencyEntry] = Field(max_length=MAX_AGENCIES)
    groups: list[GroupEntry] = Field(default=[], max_length=MAX_AGENCIES)

    @field_validator("agencies", "groups")
    @classmethod
    def _each_code_once(cls, entries):
        seen = set()
        for entry in entries:
            if entry.code in seen:
                raise Refusal(f"the code {entry.code} is used twice",
                              vi=f"mã {entry.code} được dùng hai lần")
            seen.add(entry.code)
        return entries

    @field_validator("groups")
    @classmethod
    def _groups_name_known_codes(cls, groups, info: ValidationInfo):
        if "agencies" not in info.data:  # the agencies were refused already
            return groups
        agencies = {a.code for a in info.data["agencies"]}
        by_code = {g.code: g for g in groups}
        both = sorted(agencies & set(by_code))
        if both:
            raise Refusal(f"{', '.join(both)} is both an agency and a group code",
                          vi=f"{', '.join(both)} vừa là mã cơ quan vừa là mã nhóm")
        for group in groups:
            unknown = [m for m in group.members if m not in agencies and m not in by_code]
            if unknown:
                raise Refusal(f"group {group.code} names unknown members: {', '.join(unknown)}",
                              vi=f"nhóm {group.code} có thành viên không rõ: {', '.join(unknown)}")

        def visit(code, path):
            if code in path:
                raise Refusal(f"group {code} contains itself",
                              vi=f"nhóm {code} chứa chính nó")
            for member in by_code[code].members if code in by_code else ():
                visit(member, path | {code})

        for group in groups:
            visit(group.code, frozenset())
        return groups


class MonthDayEntry(_Strict):
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)


class PlanHeader(_Strict):
    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=PLAN_CODE_MAX)
    title: Title = Field(min_length=1)
    province: Name = ""
    horizon_start: date
    horizon_end: date
    # The day the plan was issued (its dateline "..., ngày ... tháng ... năm ..."): no period that
    # ended before it is due. When the text has none, a person sets it (overrides, with a note).
    issued_on: date | None = None
    number: OneLine | None = Field(default=None, max_length=80)  # số/ký hiệu: 85/KH-UBND
    issuer: OneLine | None = Field(default=None, max_length=255)  # the issuing body
    source: LongText = ""
    overrides: list[Annotated[str, Field(max_length=MAX_NAME)]] = Field(default=[], max_length=MAX_LIST)
    note: LongText | None = None
    # The annual review's input deadline when the plan sets its own ("trước ngày 30 tháng 11 hằng
    # năm"): {month: 11, day: 30}. Absent: read from the task texts, else config/policy.yaml.
    review_inputs_due: MonthDayEntry | None = None

    @model_validator(mode="after")
    def _horizon_in_order(self):
        if self.horizon_end < self.horizon_start:
            raise Refusal("horizon_end is before horizon_start",
                          vi="horizon_end trước horizon_start")
        if self.horizon_end.year - self.horizon_start.year > MAX_HORIZON_YEARS:
            raise Refusal(f"the horizon is longer than {MAX_HORIZON_YEARS} years",
                          vi=f"thời gian của kế hoạch dài quá {MAX_HORIZON_YEARS} năm")
        if self.issued_on is not None and not (self.horizon_start.year - 1 <= self.issued_on.year
                                               and self.issued_on <= self.horizon_end):
            raise Refusal("issued_on must fall within the plan's horizon (or the year before it starts)",
                          vi="issued_on phải nằm trong thời gian của kế hoạch (hoặc năm trước năm bắt đầu)")
        return self


class TaskEntry(_Strict):
    # 3.1.1-a, 3.1.6, 3.3-d-1; a duty a person split off an item gets a letter (3.3-d-2b).
    ref: str = Field(pattern=r"^[0-9IVX]+(\.[0-9IVX]+)*\.?(-[a-z]{1,2})?(-[0-9]+[a-z]?)?$", max_length=REF_MAX)
    section: OneLine = Field(min_length=1, max_length=SECTION_MAX)
    title: Title = Field(min_length=1)
    text: LongText = Field(min_length=1)
    # An agency code, or a group code that fans out; a list names joint leads ("A, B, C": each leads
    # its own share, 3.1.14/A, 3.1.14/B, ...).
    lead: Name | Annotated[list[Name], Field(max_length=MAX_LIST)] = Field(min_length=1)
    coordinating: list[Name] = Field(default=[], max_length=MAX_LIST)
    timing: Timing
    due: date | None = None
    rrule: str | None = Field(default=None, max_length=MAX_NAME)
    anchor: date | None = None
    deadline_phrase: LongText | None = None
    date_source: DateSource = "text"
    # Its part in the annual review: inputs (an agency sending its review: a submission completes
    # it) or report (compiling the review).
    review_role: Literal["inputs", "report"] | None = None
    product: Text | None = None  # what the duty delivers ("Sản phẩm" of an annex table)
    # Fields a person decided rather than read off the text, and why.
    overrides: list[Annotated[str, Field(max_length=MAX_NAME)]] = Field(default=[], max_length=MAX_LIST)
    note: LongText | None = None

    @property
    def leads(self) -> list[str]:
        return [self.lead] if isinstance(self.lead, str) else list(self.lead)

    @field_validator("rrule")
    @classmethod
    def _rrule_parses(cls, value):
        if value is None:
            return value
        if "DTSTART" in value.upper():
            raise Refusal("leave DTSTART out of the rrule; the anchor gives the first date",
                          vi="bỏ DTSTART khỏi rrule; ngày anchor là ngày đầu tiên")
        try:
            rrulestr(value, dtstart=None)
        except (ValueError, TypeError) as exc:
            raise Refusal(f"not a valid RRULE ({exc})",
                          vi=f"không phải RRULE hợp lệ ({exc})") from None
        # A duty recurs at most daily; rules of hours, minutes or seconds, or a daily rule filtered
        # by BY... parts (which may never match), would take minutes to expand.
        freq = re.search(r"FREQ=([A-Z]+)", value.upper())
        if freq is None or freq.group(1) not in ("YEARLY", "MONTHLY", "WEEKLY", "DAILY"):
            raise Refusal("the rule must repeat yearly, monthly, weekly or daily (FREQ=YEARLY, ...)",
                          vi="quy tắc phải lặp theo năm, tháng, tuần hoặc ngày (FREQ=YEARLY, ...)")
        if freq.group(1) == "DAILY" and "BY" in value.upper():
            raise Refusal("a daily rule takes no BY... parts",
                          vi="quy tắc lặp hằng ngày không có phần BY...")
        return value

    @model_validator(mode="after")
    def _timing_has_its_dates(self):
        if self.timing == "one-off" and self.due is None:
            raise Refusal("a one-off task needs a due date",
                          vi="nhiệm vụ một lần cần ngày hạn (due)")
        if self.timing == "recurring" and (self.rrule is None or self.anchor is None):
            raise Refusal("a recurring task needs an rrule and an anchor date",
                          vi="nhiệm vụ định kỳ cần rrule và ngày anchor")
        if self.timing != "recurring" and self.rrule is not None:
            raise Refusal(f"an rrule only goes with timing 'recurring', not '{self.timing}'",
                          vi=f"rrule chỉ dùng với timing 'recurring', không dùng với '{self.timing}'")
        return self


class PlanFile(_Strict):
    plan: PlanHeader
    tasks: list[TaskEntry] = Field(min_length=1, max_length=MAX_TASKS)


# --- YAML with line numbers ---------------------------------------------------------------

class _LineMap(dict):
    """A mapping read from YAML that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict


class _LineLoader(yaml.SafeLoader):
    """Mappings that know their lines; nesting deeper than MAX_NESTING refused as it is read (PyYAML
    composes nodes recursively: a file nested 1,000 deep would end in a RecursionError)."""

    _depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_NESTING:
                raise InputError(f"nested more than {MAX_NESTING} levels deep",
                                 line=self.peek_event().start_mark.line + 1, vi=f"lồng nhau quá {MAX_NESTING} cấp")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# Dates stay text here so that pydantic checks them and the error can name the line.
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader, node):
    loader.flatten_mapping(node)
    mapping = _LineMap()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise InputError(f"key '{key}' appears twice", line=key_node.start_mark.line + 1,
                             vi=f"khóa '{key}' xuất hiện hai lần")
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_bytes(path: Path, limit: int = MAX_INPUT_FILE_BYTES) -> bytes:
    """A file's bytes, at most `limit` of them (a bigger file, or a device that never ends, is
    refused without reading it all)."""
    try:
        with open(path, "rb") as file:
            raw = file.read(limit + 1)
    except OSError as exc:
        raise unreadable(exc, path) from None
    if len(raw) > limit:
        from models.numbers import number  # here: models imports config at its start
        raise InputError(f"is larger than {number(limit, 'en')} bytes; no file of this kind is that big",
                         path=path, vi=f"lớn hơn {number(limit, 'vi')} byte; không tệp loại này nào lớn như vậy")
    return raw


def read_text(path: Path, encoding: str = "utf-8") -> str:
    """A file people edit, as text; unreadable, too big or not UTF-8 is an InputError naming the line."""
    raw = read_bytes(path)
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError("is not UTF-8 text (save it as UTF-8)", path=path, line=line,
                         vi="không phải văn bản UTF-8 (hãy lưu lại dưới dạng UTF-8)") from None


# PyYAML's words for what it could not read, in Vietnamese (by how they start); others stay as PyYAML says.
_YAML_PROBLEMS_VI = (
    ("mapping values are not allowed here", "không được có dấu ':' ở đây (thiếu dấu cách sau ':', hoặc thụt lề sai)"),
    ("could not find expected ':'", "thiếu dấu ':' sau tên khóa"),
    ("found character '\\t' that cannot start any token", "có ký tự tab: YAML thụt lề bằng dấu cách"),
    ("found character", "có ký tự không được đứng đầu một giá trị ({rest})"),
    ("did not find expected key", "thiếu tên khóa (thường do thụt lề sai)"),
    ("did not find expected '-' indicator", "thiếu dấu '-' của một mục danh sách (thường do thụt lề sai)"),
    ("did not find expected node content", "thiếu giá trị"),
    ("expected <block end>", "thụt lề không khớp với các dòng trên"),
    ("expected ',' or ']'", "thiếu dấu ',' hoặc ']'"),
    ("expected ',' or '}'", "thiếu dấu ',' hoặc '}'"),
    ("found unexpected end of stream", "tệp kết thúc giữa chừng (thiếu dấu nháy hay ngoặc đóng?)"),
    ("found unknown escape character", "có ký tự thoát (\\...) không hợp lệ trong chuỗi"),
    ("found undefined alias", "dùng bí danh (*...) chưa được định nghĩa"),
    ("found duplicate anchor", "một neo (&...) được định nghĩa hai lần"),
    ("while parsing a block mapping", "khi đọc một ánh xạ"),
    ("while parsing a block collection", "khi đọc một danh sách"),
    ("while parsing a flow", "khi đọc một danh sách hay ánh xạ trong ngoặc"),
    ("while scanning a simple key", "khi đọc một tên khóa"),
    ("while scanning a quoted scalar", "khi đọc một chuỗi trong dấu nháy"),
    ("while scanning", "khi đọc"),
    ("while parsing", "khi đọc"),
)


def _yaml_problem_vi(problem: str) -> str:
    for start, vietnamese in _YAML_PROBLEMS_VI:
        if problem.startswith(start):
            return vietnamese.format(rest=problem.removeprefix("found character ").split(" that")[0])
    return problem


def read_yaml(path: Path) -> Any:
    path = Path(path)
    text = read_text(path)
    try:
        return yaml.load(text, Loader=_LineLoader)
    except InputError as exc:
        exc.path = path
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        message = f"malformed YAML: {exc.problem or exc.context}"
        message_vi = f"YAML sai cú pháp: {_yaml_problem_vi(exc.problem or exc.context or '')}"
        if exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            message += f" ({exc.context} at line {exc.context_mark.line + 1})"
            message_vi += f" ({_yaml_problem_vi(exc.context or '')} ở dòng {exc.context_mark.line + 1})"
        raise InputError(message, path=path, line=line, vi=message_vi) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1 if isinstance(exc.position, int) else None
        character = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        raise InputError(f"holds a character YAML does not allow ({character})", path=path, line=line,
                         vi=f"có ký tự YAML không cho phép ({character})") from None
    except yaml.YAMLError as exc:
        raise InputError(f"malformed YAML: {' '.join(str(exc).split())}", path=path,
                         vi=f"YAML sai cú pháp: {' '.join(str(exc).split())}") from None


def _line_of(data: Any, loc: tuple) -> int | None:
    """The line of the deepest YAML node the pydantic error location reaches."""
    line = getattr(data, "line", None)
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            line = node.key_lines.get(part, line) if isinstance(node, _LineMap) else line
            node = node[part]
            line = getattr(node, "line", line)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            line = getattr(node, "line", line)
        else:
            break
    return line


def _describe(data: Any, loc: tuple) -> str | None:
    """`tasks.38.due` reads better as `task 3.3-a: due`."""
    if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(data.get(loc[0]), list):
        entry = data[loc[0]][loc[1]] if loc[1] < len(data[loc[0]]) else None
        name = entry.get("ref") or entry.get("code") if isinstance(entry, dict) else None
        singular = "agency" if loc[0] == "agencies" else loc[0].rstrip("s")
        label = f"{singular} {name}" if name else f"{loc[0]}[{loc[1]}]"
        rest = ".".join(map(str, loc[2:]))
        return f"{label}: {rest}" if rest else label
    return ".".join(str(p) for p in loc) or None


def validate(model: type[BaseModel], data: Any, path: Path) -> BaseModel:
    if not isinstance(data, dict):
        raise InputError("expected a YAML mapping at the top level", path=path, line=1,
                         vi="cần một ánh xạ YAML (các cặp khóa: giá trị) ở cấp ngoài cùng")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        field = _describe(data, loc)
        where = dict(path=path, line=_line_of(data, loc), field=field)
        if first["type"] == "string_pattern_mismatch":  # say what is expected, not the regular expression
            means, means_vi = _PATTERN_MEANS.get(first["ctx"]["pattern"],
                                                 ("in the expected form", "không đúng dạng yêu cầu"))
            raise InputError(f"'{first['input']}' is not {means}", **where,
                             vi=f"'{first['input']}' {means_vi}") from None
        raise validation_refusal(first, **where) from None


def read_agency_file(path: Path) -> AgencyFile:
    return validate(AgencyFile, read_yaml(path), path)


def read_plan_file(path: Path) -> tuple[PlanFile, list["EntryLines"]]:
    """The plan file and, for each task entry in order, where it and its keys are."""
    data = read_yaml(path)
    plan = validate(PlanFile, data, path)
    return plan, [EntryLines(entry.line, dict(entry.key_lines)) for entry in data["tasks"]]


class EntryLines:
    """The line an entry starts on and the line of each of its keys."""

    def __init__(self, start: int, keys: dict[str, int]):
        self.start, self.keys = start, keys

    def of(self, key: str) -> int:
        return self.keys.get(key, self.start)
