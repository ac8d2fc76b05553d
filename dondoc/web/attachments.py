"""The task page's part B: evidence files (download), reassignment (staff), coordinators' notes.

Who may open a duty's page: staff, its lead, its coordinating agencies (read-only, and they may add a
contribution note), and an agency credited with an occurrence of it (done before the duty moved).
Evidence files are listed to those readers and downloaded only as attachments (never inline, never
sniffed: Content-Disposition: attachment, X-Content-Type-Options: nosniff, the content's own type).
Each POST runs the same use case as the CLI (notifications/reassignment.py, models/contributions.py).
"""
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse
from sqlmodel import Session, select
from starlette.datastructures import UploadFile as StarletteUpload

from config.errors import InputError
from dondoc.web import Forbidden, context_of, parse_day, plan_now
from dondoc.web.access import User, signed_in, staff
from dondoc.web.security import check_csrf
from models.agency import Agency
from models.contributions import contribute, contributions_of
from models.db import transaction
from models.evidence import EvidenceFile, coordinator_ids, files_of, may_read, stored_path
from models.occurrence import Occurrence
from models.plan import Plan, Task
from models.reassignment import TaskReassignment, pending_for

router = APIRouter()
FILE_ID = Path(ge=1, le=2 ** 31 - 1)


def credited_ids(session: Session, task_id: int) -> set[int]:
    return {a for a in session.exec(select(Occurrence.held_by_agency_id).where(
        Occurrence.task_id == task_id, Occurrence.held_by_agency_id != None)).all()}  # noqa: E711


def may_open(session: Session, user: User, task: Task) -> bool:
    """Staff, the lead, a coordinating agency, or an agency credited with part of it."""
    if user.is_staff or task.lead_agency_id in user.agency_ids:
        return True
    return bool(set(user.agency_ids) & (coordinator_ids(session, task.id) | credited_ids(session, task.id)))


def require_reader(session: Session, user: User, task: Task) -> None:
    if not may_open(session, user, task):
        raise Forbidden()


def coordinated_tasks(session: Session, agency_id: int) -> list[Task]:
    """The live duties an agency coordinates (its page lists them: its focal points open them read-only)."""
    from models.plan import TaskCoordinator
    return list(session.exec(select(Task).join(TaskCoordinator, TaskCoordinator.task_id == Task.id)
                             .where(TaskCoordinator.agency_id == agency_id, Task.retired == False)  # noqa: E712
                             .order_by(Task.id)))


def may_record(user: User, task: Task) -> bool:
    """Recording progress, completion and evidence: the lead's focal points and staff."""
    return user.is_staff or task.lead_agency_id in user.agency_ids


def task_extras(session: Session, task: Task, user: User, *, max_bytes: int) -> dict:
    """What the task page shows of part B, for this reader."""
    coordinating = coordinator_ids(session, task.id)
    names = {a.id: a for a in session.exec(select(Agency))}
    visible = [f for f in files_of(session, task.id)
               if may_read(is_staff=user.is_staff, agency_ids=user.agency_ids, evidence=f, task=task,
                           coordinator_ids=coordinating)]
    reassignments = session.exec(select(TaskReassignment).where(TaskReassignment.task_id == task.id)
                                 .order_by(TaskReassignment.id)).all()
    mine_coordinating = sorted(names[a].code for a in set(user.agency_ids) & coordinating) if not user.is_staff else []
    return dict(evidence=visible, contributions=contributions_of(session, task.id), reassignments=reassignments,
                agency_by_id=names, pending_move=pending_for(session, task.id), can_record=may_record(user, task),
                coordinating_codes=mine_coordinating, max_mb=f"{max_bytes / 1_000_000:g}".replace(".", ","),
                all_agencies=sorted(names.values(), key=lambda a: a.code) if user.is_staff else [])


async def read_uploads(files: list[UploadFile] | None, max_bytes: int) -> list[tuple[str, bytes]]:
    """The files chosen (an empty file input sends one nameless empty part: not a file). Each is
    read up to one byte past the limit (Starlette has spooled it to disk), so a larger one is
    refused by models/evidence.py without holding more."""
    found = []
    for upload in files or []:
        if not isinstance(upload, StarletteUpload):  # what the form parser gives (FastAPI's class derives from it)
            continue
        raw = await upload.read(max_bytes + 1)
        if not upload.filename and not raw:
            continue
        found.append((upload.filename or "tep", raw))
    return found


def _message(request: Request, error: InputError) -> str:
    return error.message if request.cookies.get("lang") == "en" or not error.vi else error.vi


@router.get("/files/{file_id}")
def download(request: Request, file_id: int = FILE_ID, user: User = Depends(signed_in)):
    context = context_of(request)
    with Session(context.engine) as session:
        evidence = session.get(EvidenceFile, file_id)
        if evidence is None:
            raise HTTPException(404)
        task = session.get(Task, evidence.task_id)
        if not may_read(is_staff=user.is_staff, agency_ids=user.agency_ids, evidence=evidence, task=task,
                        coordinator_ids=coordinator_ids(session, task.id)):
            raise Forbidden()
    path = stored_path(context.settings.data_dir, evidence.sha256)
    if not path.is_file():
        raise HTTPException(404)
    return FileResponse(path, media_type=evidence.media_type, filename=evidence.filename,
                        content_disposition_type="attachment",
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
                                 "Content-Security-Policy": "default-src 'none'; sandbox"})


@router.post("/reassign/{ref:path}")
def reassign_form(request: Request, ref: str, user: User = Depends(staff), csrf: str = Form(""), to: str = Form(""),
                  coordinators: str = Form(""), effective: str = Form(""), reason: str = Form("")):
    """Staff move the duty (and/or set its coordinators), with a reason; the emails are queued."""
    from dondoc.web.tasks import _show
    from notifications.reassignment import reassign_duty
    check_csrf(request, csrf)
    context = context_of(request)
    form = dict(move="1", to=to, coordinators=coordinators, effective=effective, reason=reason)
    task_ref, plan_code = _task_and_plan(request, ref)
    try:
        try:
            day = parse_day(effective)
        except ValueError:
            raise InputError(f"'{effective}' is not a date (dd/mm/yyyy)", field="effective",
                             vi=f"'{effective}' không phải ngày dạng ngày/tháng/năm") from None
        wanted = [c.strip() for c in coordinators.replace(";", ",").split(",") if c.strip()]
        with transaction(context.engine) as session:
            reassign_duty(session, ref=task_ref, to_code=to or None, coordinators=wanted, reason=reason,
                          effective_on=day, at=plan_now(request), actor=user.actor, plan_code=plan_code,
                          mail_from=context.settings.mail_from, base_url=context.settings.public_base_url)
    except InputError as error:
        return _show(request, task_ref, user, status_code=400, error=_message(request, error), form=form)
    return RedirectResponse(f"/tasks/{task_ref}?saved=reassigned{_plan_param(request, plan_code)}", status_code=303)


@router.post("/contribute/{ref:path}")
def contribute_form(request: Request, ref: str, user: User = Depends(signed_in), csrf: str = Form(""),
                    note: str = Form("")):
    """A coordinating agency's focal point adds a contribution note (the lead sees it on the page)."""
    from dondoc.web.tasks import _show
    check_csrf(request, csrf)
    context = context_of(request)
    from dondoc.web.tasks import _task_or_404
    with Session(context.engine) as session:
        task = _task_or_404(session, ref, request)
        plan_code = session.get(Plan, task.plan_id).code
        mine = sorted(set(user.agency_ids) & coordinator_ids(session, task.id))
        if user.is_staff or not mine:
            raise Forbidden()
        code = session.get(Agency, mine[0]).code
        task_ref = task.ref
    try:
        with transaction(context.engine) as session:
            contribute(session, ref=task_ref, agency_code=code, note=note, at=plan_now(request), actor=user.actor,
                       plan_code=plan_code)
    except InputError as error:
        return _show(request, task_ref, user, status_code=400, error=_message(request, error), form=dict(contribution=note))
    return RedirectResponse(f"/tasks/{task_ref}?saved=contributed{_plan_param(request, plan_code)}", status_code=303)


def _task_and_plan(request: Request, ref: str) -> tuple[str, str]:
    """The task's ref and plan code (?plan= chooses among plans sharing the ref), or 404."""
    from dondoc.web.tasks import _task_or_404
    with Session(context_of(request).engine) as session:
        task = _task_or_404(session, ref, request)
        return task.ref, session.get(Plan, task.plan_id).code


def _plan_param(request: Request, plan_code: str) -> str:
    return f"&plan={quote(plan_code)}" if request.query_params.get("plan") else ""
