"""One click from a digest to a task's report form: `/act/<token>/<ref>` (models.action_links).

Opening the link shows the task and one button; pressing it (a POST with the CSRF token) spends
the link, signs the recipient in and lands on the task with its report form open. A mail scanner
that fetches the link spends nothing. A used, expired or altered link gets a page saying which,
with the way to ask for a sign-in link instead.
"""
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from config.errors import InputError
from dondoc.web import app_now, context_of, page
from dondoc.web.access import FOCAL, public, start_session
from dondoc.web.limits import too_many, token_guessing_blocked, wrong_token
from dondoc.web.security import check_csrf
from models.accounts import focal_person
from models.action_links import LinkRefused, is_spent, read_action_token, spend_action_token
from models.db import transaction
from models.updates import find_task

router = APIRouter()


def task_form_path(ref: str, plan_code: str | None = None) -> str:
    """Where a used link lands: the task's page (of the plan named, where refs repeat) with its report form open."""
    plan = f"plan={quote(plan_code, safe='')}&" if plan_code else ""
    return f"/tasks/{quote(ref, safe='/')}?{plan}act=1#record"


def _refused(request: Request, reason: str, ref: str):
    if reason == "wrong":
        wrong_token(request)  # a made-up link counts as guessing; a used or expired one does not
    return page(request, "act.html", status_code=400, valid=False, reason=reason, ref=ref,
                signin=f"/signin?next={quote(task_form_path(ref, _plan_of(request)), safe='')}")


def _plan_of(request: Request) -> str | None:
    return request.query_params.get("plan") or None


def _task_title(session: Session, ref: str, plan_code: str | None) -> str | None:
    try:
        return find_task(session, ref=ref, plan_code=plan_code).title
    except InputError:
        return None


@router.get("/act/{token}/{ref:path}", dependencies=[Depends(public)])
def act_open(request: Request, token: str, ref: str):
    """The confirmation page: nothing is spent by opening it."""
    if token_guessing_blocked(request):
        return too_many(request)
    context = context_of(request)
    try:
        link = read_action_token(context.settings.secret_key, token, ref=ref, now=app_now(request))
    except LinkRefused as refused:
        return _refused(request, refused.reason, ref)
    with Session(context.engine) as session:
        if is_spent(session, token, ref=ref):
            return _refused(request, "used", ref)
        title = _task_title(session, ref, _plan_of(request))
    if title is None:
        return _refused(request, "wrong", ref)
    plan = _plan_of(request)
    return page(request, "act.html", valid=True, token=token, ref=ref, title=title, email=link.email,
                last_day=link.last_day, plan_query=f"?plan={quote(plan, safe='')}" if plan else "")


@router.post("/act/{token}/{ref:path}", dependencies=[Depends(public)])
def act_use(request: Request, token: str, ref: str, csrf: str = Form("")):
    check_csrf(request, csrf)
    if token_guessing_blocked(request):
        return too_many(request)
    context = context_of(request)
    try:
        with transaction(context.engine) as session:
            link = spend_action_token(session, context.settings.secret_key, token, ref=ref, now=app_now(request))
            person = focal_person(session, link.email)
    except LinkRefused as refused:
        return _refused(request, refused.reason, ref)
    if person is None:  # no longer an active focal point
        return _refused(request, "gone", ref)
    response = RedirectResponse(task_form_path(ref, _plan_of(request)), status_code=303)
    start_session(request, response, kind=FOCAL, email=person.email)
    return response
