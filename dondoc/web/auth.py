"""Signing in and out: Alliance staff with email and password, focal points with an emailed link.

Opening a link only shows a button: the POST spends the token, so a mail scanner that fetches
links cannot use it up, and every form carries the CSRF token.
"""
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from dondoc.app.jobs import load_policy
from dondoc.web import app_now, context_of, page
from dondoc.web.access import FOCAL, STAFF, end_session, public, signed_in, start_session
from dondoc.web.limits import signin_request_blocked, too_many, token_guessing_blocked, wrong_token
from dondoc.web.security import check_csrf
from models.accounts import authenticate_staff, focal_person, peek_signin_token, use_signin_token
from models.db import transaction
from notifications.signin import send_signin_link

router = APIRouter()


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site: never //elsewhere, /\\elsewhere or http://elsewhere, nor a control character
    or space a browser might strip before reading the rest as another site."""
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target)):
        return target
    return default


@router.get("/signin", dependencies=[Depends(public)])
def signin_form(request: Request, next: str | None = None):
    return page(request, "signin.html", next=safe_next(next, ""))


@router.post("/signin/password", dependencies=[Depends(public)])
def signin_password(request: Request, email: str = Form(""), password: str = Form(""), csrf: str = Form(""),
                    next: str = Form("")):
    check_csrf(request, csrf)
    if token_guessing_blocked(request):  # a wrong password counts as a wrong secret, like a wrong link
        return too_many(request)
    with Session(context_of(request).engine) as session:
        # No address holds a NUL (and PostgreSQL cannot look one up): a wrong password, like any other.
        user = authenticate_staff(session, email=email, password=password) if "\x00" not in email else None
    if user is None:
        wrong_token(request)
        return page(request, "signin.html", status_code=400, next=safe_next(next, ""), email=email,
                    password_error=True)
    response = RedirectResponse(safe_next(next, "/overview"), status_code=303)
    start_session(request, response, kind=STAFF, email=user.email)
    return response


@router.post("/signin/link", dependencies=[Depends(public)])
def signin_link_request(request: Request, email: str = Form(""), csrf: str = Form(""), next: str = Form("")):
    """Hand the address to the courier and answer at once: the same page, in the same time, for
    any address, known or not, with the mail server up or down (no address can be told apart)."""
    check_csrf(request, csrf)
    email = email.replace("\x00", "")  # never part of an address; PostgreSQL cannot look one up
    if signin_request_blocked(request, email):
        return too_many(request)
    if email.strip():
        context, now = context_of(request), app_now(request)
        target = safe_next(next, "")
        request.app.state.courier.submit(lambda: send_link_if_focal_point(context, email, now, target))
    return page(request, "signin_sent.html", email=email.strip())


def send_link_if_focal_point(context, email: str, now, next_path: str = "") -> None:
    """The courier's job: for an active focal point's address, a link through the outbox, sent at
    once; for any other address, nothing."""
    with Session(context.engine) as session:
        person = focal_person(session, email)
    if person is not None:
        send_signin_link(context.engine, context.settings, person=person, now=now,
                         policy=load_policy(context).reminders, next_path=next_path)


@router.get("/signin/link/{token}", dependencies=[Depends(public)])
def signin_link_open(request: Request, token: str, next: str | None = None):
    if token_guessing_blocked(request):
        return too_many(request)
    with Session(context_of(request).engine) as session:
        row = peek_signin_token(session, token=token, now=app_now(request))
    if row is None:
        wrong_token(request)
        return page(request, "signin_link.html", status_code=400, valid=False, token="")
    return page(request, "signin_link.html", valid=True, token=token, email=row.email, next=safe_next(next, ""))


@router.post("/signin/link/{token}", dependencies=[Depends(public)])
def signin_link_use(request: Request, token: str, csrf: str = Form(""), next: str = Form("")):
    check_csrf(request, csrf)
    if token_guessing_blocked(request):
        return too_many(request)
    context = context_of(request)
    with transaction(context.engine) as session:
        email = use_signin_token(session, token=token, now=app_now(request))
        person = focal_person(session, email) if email else None
    if email is None:
        wrong_token(request)
    if person is None:
        return page(request, "signin_link.html", status_code=400, valid=False, token="")
    response = RedirectResponse(safe_next(next, "/my"), status_code=303)  # where they were going
    start_session(request, response, kind=FOCAL, email=person.email)
    return response


@router.post("/signout", dependencies=[Depends(signed_in)])
def signout(request: Request, csrf: str = Form("")):
    check_csrf(request, csrf)
    response = RedirectResponse("/signin", status_code=303)
    end_session(request, response)
    return response
