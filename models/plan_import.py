"""The guided import: a plan document read into a draft that staff review, correct and load.

One use case, called by the web pages (dondoc/web/plan_import.py) and `dondoc plan import`:

1. `start_import`: the document (.txt, .docx, .pdf) parsed into a draft, kept in `plan_import`
   (JSON): each duty with its fields, its source (row or paragraph) and the warnings about it;
2. `unknown_agencies` / `map_agency` / `add_agency`: names the directory of the plan's province does
   not know (`matching_directory`), mapped to a code it has or added to it (into the database
   directory of that province, when the plan is loaded);
3. `edit_task`: a field corrected in place (the field is listed in the entry's `overrides`);
4. `plan_changes`: for a plan already loaded (a revised plan, "điều chỉnh kế hoạch"), what loading
   would change: duties added, retired, due dates moved;
5. `load_import`: the plan file built and checked like any plan file, then loaded (models.loading
   audits every change, so the history of a revised plan is kept).
"""
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import Column, Text
from sqlmodel import Field, Session, SQLModel, select
import models.schema  # noqa: F401,E402  (every table loaded before the ORM's first query)

from config.errors import InputError, validation_refusal
from config.files import AgencyEntry, AgencyFile, EntryLines, PlanFile, TaskEntry
from models.loading import LoadReport, _wanted_tasks, load_agencies, load_plan
from models.occurrence import Occurrence, OccurrenceKind
from models.plan import Plan, Task
from models.types import UtcDateTime

EDITABLE = ("title", "lead", "coordinating", "timing", "due", "rrule", "anchor", "deadline_phrase", "product")
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class PlanImport(SQLModel, table=True):
    __tablename__ = "plan_import"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    created_by: str = Field(max_length=320)
    file_name: str = Field(max_length=255)
    draft: str = Field(sa_column=Column(Text, nullable=False))  # JSON, see start_import
    loaded_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    plan_code: str | None = Field(default=None, max_length=80)

    @property
    def content(self) -> dict:
        return json.loads(self.draft)

    def save(self, content: dict) -> None:
        self.draft = json.dumps(content, ensure_ascii=False, default=str)


# --- 1. reading the document ---------------------------------------------------------------

def read_draft(raw: bytes, file_name: str, directory: AgencyFile, policy) -> dict:
    """The draft of a plan document: the plan file's content, each duty's source and warnings."""
    # The parser is imported here, not with the tables: every command imports the tables.
    from models.plan_parser import parse_plan, read_document
    from models.plan_parser.output import plan_file
    if len(raw) > MAX_UPLOAD_BYTES:
        raise InputError(f"is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB", path=file_name,
                         vi=f"lớn hơn {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    try:
        document = read_document(raw, path=file_name)
        parsed = parse_plan(document, directory, policy)
    except InputError as error:
        error.path = error.path or file_name
        raise
    content = plan_file(parsed, source=file_name)
    from config.errors import in_language
    # Each warning in English ("warnings") and in Vietnamese ("warnings_vi"): the draft is JSON, a `Said` loses its vi there.
    by_line: dict[int, list[str]] = {}
    by_line_vi: dict[int, list[str]] = {}
    for warning in parsed.warnings:
        by_line.setdefault(warning.line, []).append(str.__str__(warning.message))
        by_line_vi.setdefault(warning.line, []).append(in_language(warning.message, "vi"))
    tasks = []
    for entry, task in zip(content["tasks"], parsed.tasks):
        entry = {key: (value.isoformat() if isinstance(value, date) else value) for key, value in entry.items()}
        entry["source"] = {"kind": task.source_kind, "where": task.where, "text": task.source_text}
        entry["warnings"] = by_line.get(task.line, [])
        entry["warnings_vi"] = by_line_vi.get(task.line, [])
        entry["overrides"] = []
        tasks.append(entry)
    lines = {t.line for t in parsed.tasks}
    header = {key: (value.isoformat() if isinstance(value, date) else value) for key, value in content["plan"].items()}
    return {"plan": header, "tasks": tasks, "mapping": {}, "new_agencies": [],
            "warnings": [str.__str__(w.message) for w in parsed.warnings if w.line not in lines]
            + [str.__str__(w) for w in document.warnings],
            "warnings_vi": [in_language(w.message, "vi") for w in parsed.warnings if w.line not in lines]
            + [in_language(w, "vi") for w in document.warnings]}


def start_import(session: Session, raw: bytes, file_name: str, directory: AgencyFile, policy, *, at: datetime,
                 actor: str) -> PlanImport:
    draft = read_draft(raw, file_name, directory, policy)
    record = PlanImport(created_at=at, created_by=actor[:320], file_name=Path(file_name).name[:255], draft="")
    record.save(draft)
    session.add(record)
    session.flush()
    return record


# --- 2. agencies the directory does not know ------------------------------------------------

def _codes(directory: AgencyFile, draft: dict) -> set[str]:
    return ({a.code for a in directory.agencies} | {g.code for g in directory.groups}
            | {a["code"] for a in draft["new_agencies"]})


def unknown_agencies(draft: dict, directory: AgencyFile) -> list[str]:
    """Names as written in the document that are neither a directory code nor mapped or added."""
    codes = _codes(directory, draft)
    names = []
    for task in draft["tasks"]:
        for name in [task["lead"]] + list(task["coordinating"]):
            if name and name not in codes and name not in draft["mapping"] and name not in names:
                names.append(name)
    return names


def map_agency(draft: dict, directory: AgencyFile, name: str, code: str) -> None:
    if code not in _codes(directory, draft):
        raise InputError(f"unknown agency code {code}", field="code", vi=f"không có cơ quan nào mã {code}")
    draft["mapping"][name] = code


def add_agency(draft: dict, directory: AgencyFile, name: str, code: str, name_en: str = "", kind: str = "department") -> None:
    """A new agency for the directory, named as the document writes it."""
    code = code.strip().upper()
    if code in _codes(directory, draft):
        raise InputError(f"the code {code} is already in the directory", field="code", vi=f"mã {code} đã có trong danh bạ")
    try:
        entry = AgencyEntry(code=code, name_vi=name, name_en=name_en.strip() or name, kind=kind)
    except ValidationError as error:
        first = error.errors()[0]
        raise validation_refusal(first, field=".".join(map(str, first["loc"]))) from None
    draft["new_agencies"].append(entry.model_dump(include={"code", "name_vi", "name_en", "kind"}))
    draft["mapping"][name] = code


# --- 3. editing a duty -------------------------------------------------------------------

def _task(draft: dict, ref: str) -> dict:
    for task in draft["tasks"]:
        if task["ref"] == ref:
            return task
    raise InputError(f"no duty {ref} in this import", field="ref", vi=f"không có nhiệm vụ {ref} trong bản nhập này")


def _day(value: str, field_name: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    try:
        if "/" in value:
            day, month, year = (int(part) for part in value.split("/"))
            return date(year, month, day).isoformat()
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise InputError(f"'{value}' is not a date (dd/mm/yyyy)", field=field_name,
                         vi=f"'{value}' không phải ngày (dd/mm/yyyy)") from None


def edit_task(draft: dict, ref: str, name: str, value: str) -> bool:
    """Set one field of a duty as a person decided it; True when it changed. A due date given for a
    duty makes it one-off on that day; the field goes into the entry's overrides."""
    task = _task(draft, ref)
    if name not in EDITABLE:
        raise InputError(f"'{name}' cannot be edited here (one of {', '.join(EDITABLE)})", field=name,
                         vi=f"không sửa được '{name}' ở đây (chỉ sửa được: {', '.join(EDITABLE)})")
    value = value.strip()
    if name == "coordinating":
        new = [part.strip() for part in re.split(r"[,;]", value) if part.strip()]
    elif name in ("due", "anchor"):
        new = _day(value, f"task {ref}: {name}")
    else:
        new = value or None
    if task.get(name) == new:
        return False
    task[name] = new if new is not None or name not in ("title", "lead") else task[name]
    if name == "due" and new:
        task.update(timing="one-off", rrule=None, anchor=None)
    if name in ("due", "rrule", "anchor", "timing"):
        task["date_source"] = "manual"
    if name not in task["overrides"]:
        task["overrides"].append(name)
    return True


# --- 4. the plan file, and what loading it changes -----------------------------------------

def directory_with(draft: dict, directory: AgencyFile) -> AgencyFile:
    if not draft["new_agencies"]:
        return directory
    agencies = list(directory.agencies) + [AgencyEntry(**a) for a in draft["new_agencies"]]
    return AgencyFile(agencies=agencies, groups=directory.groups)


def build_plan_file(draft: dict, directory: AgencyFile) -> tuple[PlanFile, list[EntryLines]]:
    """The plan file the draft stands for, checked as `plan load` checks one; mapped names replaced
    by their codes. Unmapped names are refused, each named."""
    unknown = unknown_agencies(draft, directory)
    if unknown:
        raise InputError("agencies not in the directory: " + "; ".join(unknown) + " (map each to a code, or add it)",
                         field="agencies",
                         vi="các cơ quan chưa có trong danh bạ: " + "; ".join(unknown)
                            + " (gán mỗi cơ quan một mã có sẵn, hoặc thêm mới)")
    mapping = draft["mapping"]
    tasks = []
    for task in draft["tasks"]:
        entry = {key: task.get(key) for key in ("ref", "section", "title", "timing", "due", "rrule", "anchor",
                                                  "deadline_phrase", "date_source", "product", "text")}
        entry["lead"] = mapping.get(task["lead"], task["lead"])
        entry["coordinating"] = list(dict.fromkeys(mapping.get(c, c) for c in task["coordinating"]))
        if task["overrides"]:
            entry["overrides"] = list(task["overrides"])
            entry["note"] = "Sửa khi nhập kế hoạch (nhập có hướng dẫn)."
        tasks.append({k: v for k, v in entry.items() if v is not None})
    data = {"plan": {k: v for k, v in draft["plan"].items() if v not in (None, "")}, "tasks": tasks}
    data["plan"].setdefault("source", "")
    try:
        plan = PlanFile.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        loc = first["loc"]
        where = f"task {tasks[loc[1]]['ref']}: {'.'.join(map(str, loc[2:]))}" if loc[0] == "tasks" and len(loc) > 1 \
            and isinstance(loc[1], int) and loc[1] < len(tasks) else ".".join(map(str, loc))
        raise validation_refusal(first, field=where) from None
    return plan, [EntryLines(0, {}) for _ in plan.tasks]


@dataclass
class Changes:
    exists: bool
    added: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    moved: list[tuple[str, list[date], list[date]]] = field(default_factory=list)  # ref, old dates, new dates
    updated: list[tuple[str, str]] = field(default_factory=list)  # ref, field

    @property
    def any(self) -> bool:
        return bool(self.added or self.retired or self.moved or self.updated)


def plan_changes(session: Session, plan: PlanFile, lines, directory: AgencyFile, policy) -> Changes:
    """What loading `plan` would change in the database: the tasks (fanned out) added, retired,
    whose due dates move, and other fields that change."""
    wanted = _wanted_tasks(plan, lines, directory, Path("import"), policy)
    existing_plan = session.exec(select(Plan).where(Plan.code == plan.plan.code)).first()
    if existing_plan is None:
        return Changes(False, added=[w.ref for w in wanted])
    tasks = {t.ref: t for t in session.exec(select(Task).where(Task.plan_id == existing_plan.id))}
    dates: dict[int, list[date]] = {}
    for occurrence in session.exec(select(Occurrence).join(Task).where(Task.plan_id == existing_plan.id)
                                   .order_by(Occurrence.due_date)):
        if occurrence.kind != OccurrenceKind.WITHDRAWN:
            dates.setdefault(occurrence.task_id, []).append(occurrence.due_date)
    changes = Changes(True)
    from models.agency import Agency
    code_of = dict(session.exec(select(Agency.id, Agency.code)).all())
    for item in wanted:
        task = tasks.get(item.ref)
        if task is None or task.retired:
            changes.added.append(item.ref)
            continue
        new_dates = sorted(p.due_date for p in item.planned)
        if new_dates != dates.get(task.id, []):
            changes.moved.append((item.ref, dates.get(task.id, []), new_dates))
        for name, new in (("title", item.entry.title), ("product", item.entry.product),
                          ("source_text", item.entry.text)):
            if getattr(task, name) != new:
                changes.updated.append((item.ref, name))
        if code_of.get(task.lead_agency_id) != item.lead_code:
            changes.updated.append((item.ref, "lead"))
    refs = {w.ref for w in wanted}
    changes.retired = sorted(ref for ref, task in tasks.items() if ref not in refs and not task.retired)
    return changes


# --- 5. loading ----------------------------------------------------------------------------

def matching_directory(session: Session, province: str, file: AgencyFile | None = None) -> AgencyFile:
    """The agencies a plan of `province` is matched against: the database directory of that province,
    or, when a directory file is given (--agencies; the default file while the database has none),
    that file's agencies of the province and those naming none."""
    from models.directory import in_province, province_directory
    return in_province(file, province) if file is not None else province_directory(session, province)


def directory_file_for(session: Session, given: AgencyFile | None, default_path: Path) -> AgencyFile | None:
    """The directory file to match against and import with the plan: the one given, else the default
    one while the database directory is empty (as `plan load` imports it); None: the database's."""
    from models.agency import Agency
    from config.files import read_agency_file
    if given is not None:
        return given
    if session.exec(select(Agency.id).limit(1)).first() is None:
        return read_agency_file(default_path)
    return None


def check_new_codes(session: Session, draft: dict) -> None:
    """Agency codes are unique across the directories of every province: a code added here must be new."""
    from models.agency import Agency
    from models.directory import code_taken
    for entry in draft["new_agencies"]:
        existing = session.exec(select(Agency).where(Agency.code == entry["code"])).first()
        if existing is not None:
            raise code_taken(entry["code"], existing, field="--add")


def unmatched_message(names: list[str], province: str, language: str = "en") -> str:
    """What to do about agency names the directory of the plan's province lacks, in `language`."""
    if language == "vi":
        where = f"danh bạ của {province}" if province else "danh bạ"
        return (f"{len(names)} tên cơ quan chưa có trong {where}: " + "; ".join(names)
                + ". Hãy thêm vào danh bạ của tỉnh (`dondoc agencies import TỆP --apply` với province: "
                + (province or "...") + "), hoặc gán/thêm từng cơ quan ở đây (--map \"TÊN=MÃ\", --add \"TÊN=MÃ\").")
    where = f"{province}'s directory" if province else "the directory"
    count = "1 agency name is" if len(names) == 1 else f"{len(names)} agency names are"
    return (f"{count} not in {where}: " + "; ".join(names)
            + ". Add them to the province's directory (`dondoc agencies import FILE --apply` with province: "
            + (province or "...") + "), or map/add each here (--map \"NAME=CODE\", --add \"NAME=CODE\").")


def load_import(session: Session, record: PlanImport, directory: AgencyFile, policy, *, at: datetime, actor: str,
                import_file: AgencyFile | None = None) -> LoadReport:
    """Load the draft in the caller's transaction: the directory file first when one is given (imported as
    `dondoc agencies import FILE --apply` does), the agencies added in the draft into the database
    directory of the plan's province, then the plan. A refusal anywhere leaves everything as it was."""
    from models.directory import add_agencies

    draft = record.content
    full = directory_with(draft, directory)
    plan, lines = build_plan_file(draft, full)
    province = plan.plan.province
    report = LoadReport()
    if import_file is not None:
        report = load_agencies(session, import_file, at=at, actor=actor, province=province)
    added = add_agencies(session, draft["new_agencies"], province=province, at=at, actor=actor,
                         note=f"nhập kế hoạch {plan.plan.code} (guided import)")
    report.agencies_changed += len(added)
    load_plan(session, plan, lines, full, path=Path(record.file_name), policy=policy, at=at, actor=actor,
              report=report)
    record.loaded_at, record.plan_code = at, plan.plan.code
    session.add(record)
    session.flush()
    return report
