"""A page per task: its text, its occurrences and their status, its full history; and the forms
that record progress or completion (through models.updates, so the audit names the person).

Refs may hold a slash (3.3-a/BA-BE): the route takes the rest of the path. Reminder emails link here.
"""
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy import func
from starlette.concurrency import run_in_threadpool
from sqlmodel import Session, select

from config.errors import InputError
from dondoc.web import context_of, page, parse_day, plan_now
from dondoc.web.access import User, require_agency, signed_in
from dondoc.web.attachments import read_uploads, require_reader, task_extras
from dondoc.web.drafts import draft_for, restored_form
from dondoc.web.labels import people_named
from dondoc.web.security import check_csrf
from models.agency import Agency
from models.audit import AuditEntry
from models.clock import local_date
from models.db import transaction
from models.evidence import attach
from models.reassignment import credited_agency
from models.occurrence import Occurrence, OccurrenceKind, Progress
from models.plan import Plan, Task, TaskCoordinator
from models.status import occurrence_days_late, occurrence_status
from models.updates import MAX_NOTE, find_task, mark_done, record_progress

router = APIRouter()


def _task_or_404(session: Session, ref: str, request: Request | None = None) -> Task:
    """The task of `ref`; ?plan=CODE chooses among plans that share the ref (several plans loaded)."""
    plan_code = request.query_params.get("plan") if request is not None else None
    try:
        return find_task(session, ref=ref, plan_code=plan_code or None)
    except InputError:
        raise HTTPException(404) from None


def _show(request: Request, ref: str, user: User, *, status_code: int = 200, error: str | None = None,
          form: dict | None = None, error_field: str | None = None, restored: bool = False):
    now = plan_now(request)
    with Session(context_of(request).engine) as session:
        task = _task_or_404(session, ref, request)
        require_reader(session, user, task)  # the lead, staff; coordinators and credited agencies read only
        extras = task_extras(session, task, user, max_bytes=context_of(request).settings.attachment_max_bytes)
        lead = session.get(Agency, task.lead_agency_id)
        plan = session.get(Plan, task.plan_id)
        several_plans = session.exec(select(func.count()).select_from(Plan)).one() > 1
        coordinators = session.exec(select(Agency).join(TaskCoordinator, TaskCoordinator.agency_id == Agency.id)
                                    .where(TaskCoordinator.task_id == task.id).order_by(Agency.name_vi)).all()
        occurrences = session.exec(select(Occurrence).where(Occurrence.task_id == task.id)
                                   .order_by(Occurrence.due_date)).all()
        ids = [o.id for o in occurrences]
        history = session.exec(select(AuditEntry).where(
            ((AuditEntry.entity == "task") & (AuditEntry.entity_id == task.id))
            | ((AuditEntry.entity == "occurrence") & (AuditEntry.entity_id.in_(ids)))
        ).order_by(AuditEntry.id)).all()
        actor_names = people_named(session, {h.actor for h in history})
        from dondoc.web.task_work import work_context
        work = work_context(session, task, occurrences, user, local_date(now))
    due_of = {o.id: o.due_date for o in occurrences}
    open_ones = [o for o in occurrences if o.progress != Progress.DONE and o.kind != OccurrenceKind.WITHDRAWN]
    if not extras["can_record"]:  # read-only (a coordinating or credited agency): no form of the lead's
        open_ones = []
        work = {**work, "extendable": [], "unanswered": []}
    return page(request, "task.html", status_code=status_code, task=task, lead=lead, coordinators=coordinators,
                plan=plan, plan_query=f"?plan={quote(plan.code)}" if several_plans else "",
                occurrences=[(o, occurrence_status(o, local_date(now)), occurrence_days_late(o, local_date(now)))
                             for o in occurrences], history=history, history_entries=history_entries(history),
                due_of=due_of, actor_names=actor_names,
                open_ones=open_ones, today=local_date(now), error=error, form=form or {},
                error_field=error_field, max_note=MAX_NOTE, restored=restored,
                saved=request.query_params.get("saved"), work=work, acting=request.query_params.get("act") == "1",
                **extras)


@dataclass
class HistoryEntry:
    """One change as a person made it: the audit's rows of one moment, person, occurrence and note."""
    at: datetime
    actor: str
    entity: str
    entity_id: int
    note: str | None
    changes: list = field(default_factory=list)


def history_entries(rows) -> list[HistoryEntry]:
    """The audit's rows (one per field) as one entry per change, in the order they happened (by the
    moment recorded; rows of one moment in the order written)."""
    entries: list[HistoryEntry] = []
    for row in rows:
        last = entries[-1] if entries else None
        if last and (last.at, last.actor, last.entity, last.entity_id, last.note) == \
                (row.at, row.actor, row.entity, row.entity_id, row.note):
            last.changes.append(row)
        else:
            entries.append(HistoryEntry(row.at, row.actor, row.entity, row.entity_id, row.note, [row]))

    return sorted(entries, key=lambda entry: entry.at)  # stable: rows of one moment keep their order


@router.get("/tasks/{ref:path}")
def task_page(request: Request, ref: str, user: User = Depends(signed_in)):
    draft = draft_for(request)  # what was typed before a sign-in, back in its form
    return _show(request, ref, user, form=restored_form(draft) if draft else None, restored=draft is not None)


def _day(value: str, field: str) -> date | None:
    try:
        return parse_day(value)
    except ValueError:
        raise InputError(f"'{value}' is not a date as day/month/year (dd/mm/yyyy)", field=field,
                         vi=f"'{value}' không phải ngày dạng ngày/tháng/năm (dd/mm/yyyy)") from None


@router.post("/tasks/{ref:path}")
async def task_record(request: Request, ref: str, user: User = Depends(signed_in), csrf: str = Form(""),
                      action: str = Form(""), due: str = Form(""), on: str = Form(""), percent: str = Form(""),
                      note: str = Form(""), files: list[UploadFile] | None = File(None)):
    """action=progress (percent, note) or action=done (on, note), on the occurrence due on `due`; the
    files chosen are filed with it as evidence (models/evidence.py), in the same transaction."""
    check_csrf(request, csrf)
    context = context_of(request)
    uploads = await read_uploads(files, context.settings.attachment_max_bytes)
    return await run_in_threadpool(_record, request, ref, user, action, due, on, percent, note, uploads)


def _record(request: Request, ref: str, user: User, action: str, due: str, on: str, percent: str, note: str,
            uploads: list[tuple[str, bytes]]):
    context = context_of(request)
    with Session(context.engine) as session:
        task = _task_or_404(session, ref, request)
        require_agency(user, task.lead_agency_id)
        plan_code = session.get(Plan, task.plan_id).code
    now = plan_now(request)
    lang_en = request.cookies.get("lang") == "en"
    form = dict(action=action, due=due, on=on, percent=percent, note=note)
    try:
        due_day = _day(due, "due")
        note_text = note.strip() or None
        with transaction(context.engine) as session:
            if action == "done":
                on_day = _day(on, "on") or local_date(now)
                if on_day > local_date(now):
                    raise InputError("The completion date cannot be after today", field="on",
                                     vi="Ngày hoàn thành không thể sau hôm nay")
                occ = mark_done(session, ref=task.ref, on=on_day, note=note_text, due=due_day, plan_code=plan_code,
                                at=now, actor=user.actor)
            elif action == "progress":
                try:
                    value = int(percent) if percent.strip() else None
                except ValueError:
                    raise InputError("Progress must be a number from 0 to 100", field="percent",
                                     vi="Tiến độ phải là số từ 0 đến 100") from None
                occ = record_progress(session, ref=task.ref, percent=value, note=note_text, due=due_day,
                                      plan_code=plan_code, at=now, actor=user.actor)
            else:
                raise HTTPException(400, "unknown action")
            if uploads:  # evidence with the completion or the progress note: all of it, or none of it
                attach(session, occurrence=occ, task=task, agency_id=credited_agency(occ.held_by_agency_id, task.lead_agency_id), files=uploads,
                       data_dir=context.settings.data_dir, max_bytes=context.settings.attachment_max_bytes,
                       at=now, actor=user.actor, note=note_text)
    except InputError as error:
        message = error.message if lang_en or not error.vi else error.vi
        return _show(request, ref, user, status_code=400, error=message, form=form, error_field=error.field)
    chosen = f"&plan={quote(plan_code)}" if request.query_params.get("plan") else ""
    return RedirectResponse(f"/tasks/{task.ref}?saved={action}{chosen}", status_code=303)
