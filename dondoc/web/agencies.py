"""A page per agency (its tasks, their status, its focal points, its calendar feed); the list of
agencies for Alliance staff; "my tasks" for a focal point."""
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session, select

from config.errors import InputError
from config.files import IDENTIFIER_PATTERN
from config.policy import read_policy
from dondoc.web import context_of, page, parse_day, plan_now
from dondoc.web.access import User, require_agency, signed_in, staff
from dondoc.web.calendar import calendar_url
from dondoc.web.labels import people_named
from dondoc.web.security import check_csrf
from models import directory as people_ops
from models.agency import Agency, FocalPoint
from models.audit import AuditEntry
from models.clock import local_date
from models.db import transaction
from models.dashboard import category_counts, on_time_by_agency, plan_codes
from models.inbound import dead_addresses
from models.queries import list_tasks

router = APIRouter()


@router.get("/agencies", dependencies=[Depends(staff)])
def agencies(request: Request):
    now = plan_now(request)
    with Session(context_of(request).engine) as session:
        rates = {r.code: r for r in on_time_by_agency(session, now=now)}
        rows = session.exec(select(Agency).order_by(Agency.kind, Agency.name_vi)).all()
    return page(request, "agencies.html", agencies=rows, rates=rates)


@router.get("/my")
def my_tasks(request: Request, user: User = Depends(signed_in)):
    if user.is_staff:
        return RedirectResponse("/overview", status_code=303)
    if len(user.agency_codes) == 1:
        return RedirectResponse(f"/agencies/{user.agency_codes[0]}", status_code=303)
    return page(request, "my.html", codes=user.agency_codes)


def _receives(fp: FocalPoint, day, readers: set[int], fallback: bool, lang_en: bool) -> str:
    """What this person receives on `day`, in words (the same rule as the daily job)."""
    def say(vi, en):
        return en if lang_en else vi
    if not fp.active or (fp.active_until and fp.active_until < day):
        return say("Không còn nhận (đã thôi)", "Nothing (no longer serves)")
    if fp.active_from and fp.active_from > day:
        return say(f"Nhận từ ngày {fp.active_from:%d/%m/%Y}", f"Receives from {fp.active_from:%d/%m/%Y}")
    if fp.id in readers:
        if fallback:
            return say("Nhắc việc hằng ngày (thủ trưởng, vì không còn đầu mối)", "Daily reminders (the head: nobody else serves)")
        return say("Nhắc việc hằng ngày", "Daily reminders") + (
            say(" (thay người đang vắng)", " (covering for the primary)") if fp.role == "deputy" else "")
    if fp.away_from and fp.away_from <= day <= fp.away_to:
        return say(f"Đang vắng đến {fp.away_to:%d/%m/%Y}: cấp phó nhận thay", f"Away until {fp.away_to:%d/%m/%Y}: the deputy receives")
    if fp.role == "head":
        return say("Nhiệm vụ quá hạn lâu (báo cáo thủ trưởng)", "Long-overdue tasks (escalation to the head)")
    return say("Chỉ khi đầu mối chính vắng", "Only while the primary is away")


def _show_agency(request: Request, code: str, user: User, *, status_code: int = 200, error: str | None = None,
                 form: dict | None = None, restored: bool = False):
    now = plan_now(request)
    context = context_of(request)
    lang_en = request.cookies.get("lang") == "en"
    with Session(context.engine) as session:
        found = session.exec(select(Agency).where(Agency.code == code)).first()
        if found is None:
            # Staff learn it does not exist; a focal point is refused like for any other agency.
            if user.is_staff:
                raise HTTPException(404)
            require_agency(user, -1)
        require_agency(user, found.id)
        counts = category_counts(session, now=now, agency_id=found.id)
        plan_code = request.query_params.get("plan") or None  # ?plan=CODE: one plan's tasks
        tasks = list_tasks(session, now=now, agency_code=code, plan_code=plan_code)
        several_plans = len(plan_codes(session)) > 1
        everyone = session.exec(select(FocalPoint).where(FocalPoint.agency_id == found.id)
                                .order_by(FocalPoint.active.desc(), FocalPoint.id)).all()
        day = local_date(now)
        deputies = read_policy(context.settings.policy_file).reminders.deputies
        readers, _, fallback = people_ops.who_serves(session, found.id, day, deputies=deputies)
        reader_ids = {r.id for r in readers}
        people = [(fp, _receives(fp, day, reader_ids, fallback, lang_en)) for fp in everyone]
        history = session.exec(select(AuditEntry).where(AuditEntry.entity.in_(["agency", "focal_point"]),
                                                        AuditEntry.ref == found.code)
                               .order_by(AuditEntry.id.desc()).limit(50)).all() if user.is_staff else []
        actor_names = people_named(session, {h.actor for h in history})
        nobody = not readers and bool(people_ops.live_tasks_led(session, found.id))
        # A focal point reaches the review form of an open cycle from here (a fresh link each time).
        from dondoc.web.reviews import open_request_for
        open_review = None if user.is_staff else open_request_for(session, found.id, context.clock().now())
        review_year = open_review[1].year if open_review else None
        bounced = {dead.email.lower(): dead for dead in dead_addresses(session, agency_id=found.id)}
        from dondoc.web.attachments import coordinated_tasks
        coordinated = coordinated_tasks(session, found.id)
    return page(request, "agency.html", status_code=status_code, agency=found, counts=counts, tasks=tasks,
                coordinated=coordinated,
                people=people, feed=calendar_url(context.settings, code), review_year=review_year, bounced=bounced,
                history=history, nobody=nobody, error=error, form=form or {}, restored=restored,
                saved=request.query_params.get("saved"),
                me=user.email.lower(), several_plans=several_plans, plan_code=plan_code,
                identifier_pattern=IDENTIFIER_PATTERN.strip("^$"), actor_names=actor_names)


@router.get("/agencies/{code}")
def agency(request: Request, code: str, user: User = Depends(signed_in)):
    from dondoc.web.drafts import draft_for, restored_form
    draft = draft_for(request)  # what was typed before a sign-in, back in its form
    return _show_agency(request, code, user, form=restored_form(draft) if draft else None, restored=draft is not None)


def _day(value: str, field: str):
    try:
        return parse_day(value)
    except ValueError:
        raise InputError(f"'{value}' is not a date dd/mm/yyyy", field=field,
                         vi=f"'{value}' không phải ngày dạng ngày/tháng/năm (dd/mm/yyyy)") from None


@router.post("/agencies/{code}/edit")
def edit_agency(request: Request, code: str, user: User = Depends(staff), csrf: str = Form(""),
                name_vi: str = Form(""), name_en: str = Form(""), identifier_code: str = Form(""),
                reason: str = Form("")):
    """Staff: correct the agency's names or its identifier code (mã định danh), with a reason."""
    check_csrf(request, csrf)
    now = plan_now(request)
    form = dict(action="agency", name_vi=name_vi, name_en=name_en, identifier_code=identifier_code, reason=reason)
    change = people_ops.Change(at=now, actor=user.actor, reason=reason.strip(), today=local_date(now))
    try:
        with transaction(context_of(request).engine) as session:
            found = session.exec(select(Agency).where(Agency.code == code)).first()
            if found is None:
                raise HTTPException(404)
            people_ops.edit_agency(session, change, found, name_vi=name_vi or found.name_vi,
                                   name_en=name_en or found.name_en, identifier_code=identifier_code)
    except InputError as error:
        message = error.message if request.cookies.get("lang") == "en" or not error.vi else error.vi
        return _show_agency(request, code, user, status_code=400, form=form,
                            error=f"{error.field}: {message}" if error.field else message)
    return RedirectResponse(f"/agencies/{code}?saved=agency", status_code=303)


@router.post("/agencies/{code}/people")
def change_people(request: Request, code: str, user: User = Depends(signed_in), csrf: str = Form(""),
                  action: str = Form(""), person: str = Form(""), name: str = Form(""), email: str = Form(""),
                  role: str = Form("primary"), phone: str = Form(""), address_as: str = Form(""),
                  title: str = Form(""), language: str = Form("vi"), reason: str = Form(""),
                  effective: str = Form(""), away_from: str = Form(""), away_to: str = Form("")):
    """Staff: action=add|edit|replace|deactivate|away with a reason (and an effective day). A focal point of
    the agency: action=self, their own phone and form of address."""
    check_csrf(request, csrf)
    context = context_of(request)
    now = plan_now(request)
    with Session(context.engine) as session:
        found = session.exec(select(Agency).where(Agency.code == code)).first()
        if found is None:
            raise HTTPException(404)
        require_agency(user, found.id)
    if action != "self" and not user.is_staff:
        raise HTTPException(403)
    form = dict(action=action, person=person, name=name, email=email, role=role, phone=phone,
                address_as=address_as, title=title, language=language, reason=reason, effective=effective,
                away_from=away_from, away_to=away_to)
    change = people_ops.Change(at=now, actor=user.actor, reason=reason.strip(), today=local_date(now))
    try:
        with transaction(context.engine) as session:
            fp = None
            if action != "add":
                fp = session.get(FocalPoint, int(person)) if person.isdigit() else None
                if fp is None or fp.agency_id != found.id:
                    raise InputError("choose a person of this agency", field="person", vi="Chọn một người của cơ quan này")
            if action == "add":
                people_ops.add_person(session, change, code, name=name, email=email, role=role, language=language,
                                      phone=phone, address_as=address_as, title=title,
                                      effective=_day(effective, "effective"))
            elif action == "edit":
                people_ops.edit_person(session, change, fp, name=name, email=email, role=role, phone=phone,
                                       address_as=address_as, title=title, language=language)
            elif action == "replace":
                people_ops.replace_person(session, change, fp, name=name, email=email, phone=phone,
                                          address_as=address_as, title=title, effective=_day(effective, "effective"))
            elif action == "deactivate":
                people_ops.deactivate_person(session, change, fp, effective=_day(effective, "effective"))
            elif action == "away":
                people_ops.set_away(session, change, fp, start=_day(away_from, "away_from"), end=_day(away_to, "away_to"))
            elif action == "self":
                if fp.email.lower() != user.email.lower():
                    raise HTTPException(403)
                change.reason = change.reason or "tự cập nhật (self-service)"
                people_ops.edit_person(session, change, fp, phone=phone, address_as=address_as)
            else:
                raise HTTPException(400, "unknown action")
    except InputError as error:
        lang_en = request.cookies.get("lang") == "en"
        message = error.message if lang_en or not error.vi else error.vi
        if error.field:
            message = f"{error.field}: {message}"
        return _show_agency(request, code, user, status_code=400, error=message, form=form)
    return RedirectResponse(f"/agencies/{code}?saved={action}", status_code=303)
