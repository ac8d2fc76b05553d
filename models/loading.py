"""Putting the agency directory and a plan file into the database, idempotently, with audit.

Loading the same files twice changes nothing; loading an edited file updates in place and
records each change. Everything happens in the caller's transaction.
"""
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, insert
from sqlmodel import Session, select

from config.errors import InputError, Said
from config.files import REF_MAX, AgencyFile, PlanFile, TaskEntry
from config.policy import DueDatePolicy
from models.agency import Agency, AgencyGroup, AgencyGroupMember, FocalPoint
from models.audit import record
from models.occurrence import Occurrence, OccurrenceKind, Progress
from models.plan import Plan, Task, TaskCoordinator
from models.review.rules import review_inputs_due_of
from models.schedule import plan_occurrences
from models.web_state import end_sessions_of


@dataclass
class LoadReport:
    tasks_created: int = 0
    tasks_updated: int = 0
    tasks_retired: int = 0
    occurrences_created: int = 0
    occurrences_removed: int = 0
    agencies_changed: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any([self.tasks_created, self.tasks_updated, self.tasks_retired,
                    self.occurrences_created, self.occurrences_removed, self.agencies_changed])


@dataclass
class _Audit:
    session: Session
    at: datetime
    actor: str

    def __call__(self, entity, entity_id, field, old=None, new=None, ref=None, note=None):
        record(self.session, at=self.at, actor=self.actor, entity=entity, entity_id=entity_id,
               field=field, old=old, new=new, ref=ref, note=note)


def _sync_fields(obj, values: dict, audit: _Audit, entity: str, ref: str | None) -> bool:
    changed = False
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            if obj.id is not None:
                audit(entity, obj.id, name, old, new, ref=ref)
            setattr(obj, name, new)
            changed = True
    return changed


# --- the agency directory ---------------------------------------------------------------

def load_agencies(session: Session, directory: AgencyFile, *, at: datetime, actor: str,
                  report: LoadReport | None = None, province: str = "") -> LoadReport:
    """Import a directory file (models/directory.py): what was changed in the app since is left alone
    (listed in report.warnings as a conflict)."""
    from models.directory import apply_import, for_province

    report = report or LoadReport()
    # The file is the plan's province's directory: its codes may not change another province's agencies.
    changes = apply_import(session, for_province(directory, province) if province else directory, at=at, actor=actor,
                           note="directory import", province=province)
    report.agencies_changed += len(changes.applicable)
    report.warnings.extend(Said(f"conflict, left as changed in the app: {d.describe()}",
                                vi=f"xung đột, giữ như đã sửa trong ứng dụng: {d.describe()}")
                           for d in changes.conflicts)
    return report


def expand_codes(codes: list[str], directory: AgencyFile) -> list[str]:
    """Agency codes behind a list of agency and group codes, groups expanded recursively."""
    groups = {g.code: g for g in directory.groups}
    result: list[str] = []

    def visit(code, path):
        if code in path:
            raise InputError(f"group {code} contains itself", field="groups", vi=f"nhóm {code} chứa chính nó")
        if code in groups:
            for member in groups[code].members:
                visit(member, path | {code})
        elif code not in result:
            result.append(code)

    for code in codes:
        visit(code, frozenset())
    return result


# --- a plan -------------------------------------------------------------------------------

@dataclass
class _WantedTask:
    ref: str
    entry: TaskEntry
    lead_code: str
    group_code: str | None
    coordinating: list[str]
    planned: list


def _wanted_tasks(plan_file: PlanFile, lines: list, directory: AgencyFile, path: Path,
                  policy: DueDatePolicy) -> list[_WantedTask]:
    agency_codes = {a.code for a in directory.agencies}
    group_codes = {g.code for g in directory.groups}
    known = agency_codes | group_codes
    seen: dict[str, int] = {}
    wanted = []
    header = plan_file.plan
    for entry, line in zip(plan_file.tasks, lines):
        if entry.ref in seen:
            raise InputError(f"duplicate ref {entry.ref} (first at line {seen[entry.ref]})", path=path,
                             line=line.of("ref"), field="ref",
                             vi=f"mã {entry.ref} bị trùng (lần đầu ở dòng {seen[entry.ref]})")
        seen[entry.ref] = line.of("ref")
        for key in ("due", "anchor"):
            day = getattr(entry, key)
            if day is not None and not header.horizon_start <= day <= header.horizon_end:
                raise InputError(f"{day:%d/%m/%Y} is outside the plan's horizon ({header.horizon_start:%d/%m/%Y}"
                                 f" - {header.horizon_end:%d/%m/%Y})", path=path, line=line.of(key),
                                 field=f"task {entry.ref}: {key}",
                                 vi=f"{day:%d/%m/%Y} nằm ngoài thời gian của kế hoạch ({header.horizon_start:%d/%m/%Y}"
                                    f" - {header.horizon_end:%d/%m/%Y})")
        try:
            planned = plan_occurrences(timing=entry.timing, due=entry.due, rrule=entry.rrule, anchor=entry.anchor,
                                       horizon_start=header.horizon_start, horizon_end=header.horizon_end,
                                       policy=policy, issued_on=header.issued_on)
        except InputError as error:
            raise InputError(error.message, path=path, line=line.of("rrule"), field=f"task {entry.ref}: rrule",
                             vi=error.vi) from None
        if entry.timing == "recurring" and not planned:
            raise InputError("the rule gives no due date within the plan's horizon (from its issue date)", path=path,
                             line=line.of("rrule"), field=f"task {entry.ref}: rrule",
                             vi="quy tắc không cho ngày hạn nào trong thời gian của kế hoạch (từ ngày ban hành)")
        for key, codes in (("lead", entry.leads), ("coordinating", entry.coordinating)):
            for code in codes:
                if code not in known:
                    raise InputError(f"unknown agency code {code} (not in the agency directory)", path=path,
                                     line=line.of(key), field=f"task {entry.ref}: {key}",
                                     vi=f"không có cơ quan nào mã {code} trong danh bạ cơ quan")
        coordinating = expand_codes(entry.coordinating, directory)
        leads = expand_codes(entry.leads, directory)
        if len(entry.leads) > 1 or entry.leads[0] in group_codes:
            # A group, or joint leads: each agency leads its own share.
            group = entry.leads[0] if len(entry.leads) == 1 else None
            for member in leads:
                if len(f"{entry.ref}/{member}") > REF_MAX:
                    raise InputError(f"the fanned-out ref {entry.ref}/{member} is longer than {REF_MAX} characters",
                                     path=path, line=line.of("ref"), field=f"task {entry.ref}: ref",
                                     vi=f"mã tách ra {entry.ref}/{member} dài quá {REF_MAX} ký tự")
                others = [c for c in coordinating if c != member]
                wanted.append(_WantedTask(f"{entry.ref}/{member}", entry, member, group, others, planned))
        else:
            wanted.append(_WantedTask(entry.ref, entry, leads[0], None, [c for c in coordinating if c != leads[0]],
                                      planned))
    return wanted


def leads_without_recipients(session: Session, plan: Plan) -> list[tuple[str, list[str]]]:
    """Agencies leading live tasks of the plan with no active focal point: (code, refs). Nobody would
    be reminded of those tasks."""
    rows = session.exec(
        select(Agency.code, Task.ref).join(Task, Task.lead_agency_id == Agency.id)
        .where(Task.plan_id == plan.id, Task.retired == False,  # noqa: E712
               ~select(FocalPoint.id).where(FocalPoint.agency_id == Agency.id,
                                            FocalPoint.active == True).exists())  # noqa: E712
        .order_by(Agency.code, Task.ref)).all()
    found: dict[str, list[str]] = {}
    for code, ref in rows:
        found.setdefault(code, []).append(ref)
    return list(found.items())


def _code_of(session: Session, agency_id: int) -> str:
    agency = session.get(Agency, agency_id)
    return agency.code if agency else str(agency_id)


def load_plan(session: Session, plan_file: PlanFile, lines: list, directory: AgencyFile, *, path: Path,
              policy: DueDatePolicy, at: datetime, actor: str, report: LoadReport | None = None) -> LoadReport:
    report = report or LoadReport()
    audit = _Audit(session, at, actor)
    wanted = _wanted_tasks(plan_file, lines, directory, path, policy)
    agency_ids = {a.code: a.id for a in session.exec(select(Agency))}
    header = plan_file.plan

    plan = session.exec(select(Plan).where(Plan.code == header.code)).first()
    plan_values = dict(title=header.title, province=header.province, horizon_start=header.horizon_start,
                       horizon_end=header.horizon_end, source=header.source, issued_on=header.issued_on,
                       number=header.number, issuer=header.issuer,
                       review_inputs_due=review_inputs_due_of(plan_file))
    if plan is None:
        plan = Plan(code=header.code, loaded_at=at, **plan_values)
        session.add(plan)
        session.flush()
        audit("plan", plan.id, "created", new=header.code, ref=header.code)
    elif _sync_fields(plan, plan_values, audit, "plan", header.code):
        plan.loaded_at = at

    tasks = {t.ref: t for t in session.exec(select(Task).where(Task.plan_id == plan.id))}
    coordinators: dict[int, set[int]] = {}
    for link in session.exec(select(TaskCoordinator).join(Task).where(Task.plan_id == plan.id)):
        coordinators.setdefault(link.task_id, set()).add(link.agency_id)
    occurrences: dict[int, dict] = {}
    for occ in session.exec(select(Occurrence).join(Task).where(Task.plan_id == plan.id)):
        # An extended occurrence is the plan's period of its original date (its due date in force moved).
        occurrences.setdefault(occ.task_id, {})[occ.original_due or occ.due_date] = occ

    new_occurrences = []
    from models.reassignment import kept_leads
    reassigned = kept_leads(session, plan.id)
    for item in wanted:
        entry = item.entry
        values = dict(
            section=entry.section, title=entry.title, source_text=entry.text,
            lead_agency_id=agency_ids[item.lead_code], lead_group_code=item.group_code, timing=entry.timing,
            due_date=entry.due, rrule=entry.rrule, anchor=entry.anchor, date_source=entry.date_source,
            deadline_phrase=entry.deadline_phrase, review_role=entry.review_role, product=entry.product, retired=False,
        )
        task = tasks.get(item.ref)
        moved = reassigned.get(task.id) if task is not None else None
        if moved is not None:
            # Staff moved this duty (models/reassignment.py): the file's lead and coordinators do not undo it.
            values.pop("lead_agency_id")
            if task.lead_agency_id != agency_ids[item.lead_code] or moved.applied_at is None:
                kept_lead = _code_of(session, moved.to_agency_id)
                report.warnings.append(Said(
                    f"{item.ref}: kept the reassignment of {moved.effective_on:%d/%m/%Y} "
                    f"(lead {kept_lead}; the plan file says {item.lead_code})",
                    vi=f"{item.ref}: giữ quyết định điều chuyển ngày {moved.effective_on:%d/%m/%Y} "
                       f"(chủ trì {kept_lead}; tệp kế hoạch ghi {item.lead_code})"))
        if task is None:
            task = Task(plan_id=plan.id, ref=item.ref, **values)
            session.add(task)
            session.flush()
            audit("task", task.id, "created", new=item.ref, ref=item.ref)
            report.tasks_created += 1
        elif _sync_fields(task, values, audit, "task", item.ref):
            report.tasks_updated += 1

        wanted_coordinators = {agency_ids[c] for c in item.coordinating}
        if moved is not None:
            wanted_coordinators = coordinators.get(task.id, set())
        if coordinators.get(task.id, set()) != wanted_coordinators:
            old = coordinators.get(task.id, set())
            session.exec(delete(TaskCoordinator).where(TaskCoordinator.task_id == task.id))
            session.add_all(TaskCoordinator(task_id=task.id, agency_id=a) for a in sorted(wanted_coordinators))
            if task.id in coordinators or old:
                audit("task", task.id, "coordinating", len(old), len(wanted_coordinators), ref=item.ref)
                report.tasks_updated += 1

        planned = item.planned
        existing = occurrences.get(task.id, {})
        for p in planned:
            occ = existing.get(p.due_date)
            if occ is None:
                new_occurrences.append(dict(task_id=task.id, due_date=p.due_date, starts_on=p.starts_on,
                                            kind=p.kind, progress=Progress.OPEN))
            else:
                occ.starts_on, occ.kind = p.starts_on, p.kind  # derived, not audited
        planned_dates = {p.due_date for p in planned}
        for due, occ in existing.items():
            if due not in planned_dates:
                _drop_occurrence(session, occ, audit, item.ref, report)
        added = sum(1 for p in planned if p.due_date not in existing)
        if added and existing:
            audit("task", task.id, "occurrences", len(existing), len(planned), ref=item.ref, note="schedule changed")
        report.occurrences_created += added

    wanted_refs = {w.ref for w in wanted}
    for ref, task in tasks.items():
        if ref not in wanted_refs and not task.retired:
            task.retired = True
            audit("task", task.id, "retired", False, True, ref=ref, note="no longer in the plan file")
            report.tasks_retired += 1
            for occ in occurrences.get(task.id, {}).values():
                if occ.progress == Progress.OPEN and not occ.note:
                    _drop_occurrence(session, occ, audit, ref, report)

    if new_occurrences:
        session.execute(insert(Occurrence), new_occurrences)
    session.flush()
    for code, refs in leads_without_recipients(session, plan):
        shown = ", ".join(refs[:5])
        more = (f" and {len(refs) - 5} more", f" và {len(refs) - 5} nhiệm vụ khác") if len(refs) > 5 else ("", "")
        report.warnings.append(Said(
            f"{code} leads {len(refs)} task(s) ({shown}{more[0]}) but has no active focal point: "
            f"nobody is reminded of them (add one in the agency directory)",
            vi=f"{code} chủ trì {len(refs)} nhiệm vụ ({shown}{more[1]}) nhưng không có đầu mối nào đang hoạt động: "
               f"không ai được nhắc (thêm đầu mối trong danh bạ cơ quan)"))
    return report


def _drop_occurrence(session, occ, audit, ref, report):
    """An occurrence the schedule no longer has: removed unless someone recorded something on it
    (progress, a note, or a request: an extension, a return, an explanation)."""
    from models.task_work import TaskRequest
    asked = session.exec(select(TaskRequest.id).where(TaskRequest.occurrence_id == occ.id)).first() is not None
    if occ.progress == Progress.OPEN and not occ.note and not asked and occ.original_due is None:
        audit("occurrence", occ.id, "removed", occ.due_date.isoformat(), None, ref=ref, note="schedule changed")
        session.delete(occ)
        report.occurrences_removed += 1
    elif occ.kind != OccurrenceKind.WITHDRAWN:
        audit("occurrence", occ.id, "kind", occ.kind, OccurrenceKind.WITHDRAWN, ref=ref,
              note="no longer in the schedule; kept because it has recorded progress")
        occ.kind = OccurrenceKind.WITHDRAWN
