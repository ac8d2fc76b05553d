"""The guided import for Alliance staff: upload a plan (.docx, .pdf, .txt), see each duty beside its
source with its warnings, map or add the agencies the directory lacks, correct fields in place, see
what loading changes, load. The steps are models/plan_import.py's, as `dondoc plan import` runs them.
"""
from fastapi import APIRouter, Depends, File, Form, HTTPException, Path, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlmodel import Session, select

from config.errors import InputError
from config.policy import read_policy
from dondoc.web import _shown_field as _shown, app_now, context_of, page
from dondoc.web.access import User, staff
from dondoc.web.security import check_csrf
from models import plan_import as guided
from models.db import transaction

router = APIRouter()
RECORD_ID = Path(ge=1, le=2 ** 31 - 1)
KINDS = ("department", "district", "alliance", "steering_committee", "other")


def _message(request: Request, error: InputError) -> str:
    text = error.message if request.cookies.get("lang") == "en" or not getattr(error, "vi", None) else error.vi
    return f"{error.field}: {text}" if error.field else text


def _policy(request: Request):
    return read_policy(context_of(request).settings.policy_file)


def _directory(request: Request, session: Session, province: str):
    """The directory the plan of `province` is matched against (the database's, of that province), and the
    directory file to import with it (the default one, only while the database has no directory)."""
    file = guided.directory_file_for(session, None, context_of(request).settings.agencies_file)
    return guided.matching_directory(session, province, file), file


def _province(draft: dict) -> str:
    return draft["plan"].get("province") or ""


@router.get("/plans/import", dependencies=[Depends(staff)])
def upload_form(request: Request):
    with Session(context_of(request).engine) as session:
        recent = session.exec(select(guided.PlanImport).order_by(guided.PlanImport.id.desc()).limit(20)).all()
    return page(request, "plan_import_upload.html", recent=recent, error=None)


@router.post("/plans/import")
async def upload(request: Request, user: User = Depends(staff), csrf: str = Form(""),
                 document: UploadFile | None = File(None)):
    check_csrf(request, csrf)
    raw = await document.read(guided.MAX_UPLOAD_BYTES + 1) if document is not None else b""
    name = (document.filename if document is not None else "") or "ke-hoach.txt"
    policy = _policy(request)
    try:
        if not raw:
            raise InputError("no plan file chosen", field="document", vi="chưa chọn tệp kế hoạch")
        with transaction(context_of(request).engine) as session:
            record = guided.start_import(session, raw, name, lambda province: _directory(request, session, province)[0],
                                         policy, at=app_now(request), actor=user.actor)
            record_id = record.id
    except InputError as error:
        shown = error.in_language("en" if request.cookies.get("lang") == "en" else "vi")
        return page(request, "plan_import_upload.html", status_code=400, recent=[], error=shown)
    return RedirectResponse(f"/plans/import/{record_id}", status_code=303)


def _record(session: Session, record_id: int) -> guided.PlanImport:
    record = session.get(guided.PlanImport, record_id)
    if record is None:
        raise HTTPException(404)
    return record


def _review(request: Request, record_id: int, *, error: str | None = None, status_code: int = 200, report=None):
    policy = _policy(request)
    with Session(context_of(request).engine) as session:
        record = _record(session, record_id)
        draft = record.content
        directory, _ = _directory(request, session, _province(draft))
        changes, problem = None, None
        if not record.loaded_at:
            try:
                full = guided.directory_with(draft, directory)
                plan, lines = guided.build_plan_file(draft, full)
                changes = guided.plan_changes(session, plan, lines, full, policy.due_dates)
            except InputError as refused:
                problem = _message(request, refused)
    codes = [(a.code, a.name_vi) for a in directory.agencies] + [(g.code, g.name_vi) for g in directory.groups]
    codes += [(a["code"], a["name_vi"]) for a in draft["new_agencies"]]
    return page(request, "plan_import_review.html", status_code=status_code, record=record, draft=draft,
                unknown=guided.unknown_agencies(draft, directory), codes=codes, kinds=KINDS, changes=changes,
                problem=problem, error=error, report=report, saved=request.query_params.get("saved"))


@router.get("/plans/import/{record_id}", dependencies=[Depends(staff)])
def review(request: Request, record_id: int = RECORD_ID):
    return _review(request, record_id)


def _change_draft(request: Request, record_id: int, change) -> str | None:
    """Apply `change(draft, directory)` to a draft not yet loaded; the error's message, if refused."""
    try:
        with transaction(context_of(request).engine) as session:
            record = _record(session, record_id)
            if record.loaded_at:
                raise InputError("this import is loaded already: upload the document again to change it",
                                 vi="bản nhập này đã được nạp: hãy tải văn bản lên lại để thay đổi")
            draft = record.content
            directory, _ = _directory(request, session, _province(draft))
            change(draft, directory)
            record.save(draft)
            session.add(record)
    except InputError as error:
        return _message(request, error)
    return None


@router.post("/plans/import/{record_id}/agencies")
def agencies(request: Request, record_id: int = RECORD_ID, user: User = Depends(staff), csrf: str = Form(""),
             name: str = Form(""), action: str = Form("map"), code: str = Form(""), name_en: str = Form(""),
             kind: str = Form("department")):
    check_csrf(request, csrf)

    def change(draft, directory):
        if name not in guided.unknown_agencies(draft, directory):
            raise InputError(f"'{name}' is not an agency waiting to be mapped", field="name",
                             vi=f"'{name}' không phải cơ quan đang chờ gán mã")
        if action == "add":
            guided.add_agency(draft, directory, name, code, name_en, kind if kind in KINDS else "other")
        else:
            guided.map_agency(draft, directory, name, code)

    error = _change_draft(request, record_id, change)
    if error:
        return _review(request, record_id, error=error, status_code=400)
    return RedirectResponse(f"/plans/import/{record_id}?saved=agency", status_code=303)


@router.post("/plans/import/{record_id}/tasks")
async def tasks(request: Request, record_id: int = RECORD_ID, user: User = Depends(staff)):
    """Every duty's fields as the form sends them: t-<index>-<field>; the plan's code as plan-code."""
    form = await request.form()
    check_csrf(request, form.get("csrf") if isinstance(form.get("csrf"), str) else None)

    def change(draft, _directory):
        code = form.get("plan-code")
        if isinstance(code, str) and code.strip():
            draft["plan"]["code"] = code.strip()
        for index, task in enumerate(draft["tasks"]):
            for field_name in guided.EDITABLE:
                value = form.get(f"t-{index}-{field_name}")
                if not isinstance(value, str):
                    continue
                current = task.get(field_name)
                shown = ", ".join(current) if isinstance(current, list) else _shown(field_name, current)
                if value.strip() != shown:
                    guided.edit_task(draft, task["ref"], field_name, value)

    error = _change_draft(request, record_id, change)
    if error:
        return _review(request, record_id, error=error, status_code=400)
    return RedirectResponse(f"/plans/import/{record_id}?saved=tasks", status_code=303)


@router.post("/plans/import/{record_id}/load")
def load(request: Request, record_id: int = RECORD_ID, user: User = Depends(staff), csrf: str = Form("")):
    check_csrf(request, csrf)
    policy = _policy(request)
    try:
        with transaction(context_of(request).engine) as session:
            record = _record(session, record_id)
            if record.loaded_at:
                raise InputError("this import is loaded already", vi="bản nhập này đã được nạp")
            directory, file = _directory(request, session, _province(record.content))
            guided.check_new_codes(session, record.content)
            report = guided.load_import(session, record, directory, policy.due_dates, at=app_now(request),
                                        actor=user.actor, import_file=file)
    except InputError as error:
        return _review(request, record_id, error=_message(request, error), status_code=400)
    return _review(request, record_id, report=report)


