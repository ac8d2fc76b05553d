"""Limits on guessing: secret links tried from one client, sign-in links asked for one address.

Three limits, each over a sliding window of DONDOC_RATE_LIMIT_WINDOW_SECONDS:
- wrong secrets (review links, sign-in links, staff passwords) from one client:
  DONDOC_TOKEN_FAILURES_PER_CLIENT; past it, that client's token pages and password sign-in answer 429
  until the window has moved on, even for a right one;
- sign-in link requests from one client: DONDOC_SIGNIN_REQUESTS_PER_CLIENT;
- sign-in link requests for one email address: DONDOC_SIGNIN_REQUESTS_PER_EMAIL (known or not, so
  the limit tells nothing), and the links issued to that address in the window.

The events are counted in the database (models.web_state.RateEvent), so the limits hold across every
web process on it. The client is the connection's address; X-Forwarded-For is believed only when
the connection comes from one of DONDOC_TRUSTED_PROXIES (dondoc.web.hardening.client_address).
Times come from the application's clock (dondoc.web.app_now), never from the wall clock here.
"""
from datetime import timedelta

from fastapi import Request
from sqlalchemy import func
from sqlmodel import select

from dondoc.web import app_now, context_of, page
from dondoc.web.hardening import client_address
from models.accounts import SignInToken, normal_email
from models.db import retry_locked, transaction
from models.web_state import add_event, count_events

TOKEN_FAILURES, SIGNIN_BY_CLIENT, SIGNIN_BY_EMAIL = "token", "signin-client", "signin-email"


def _window(request: Request) -> timedelta:
    return timedelta(seconds=context_of(request).settings.rate_limit_window_seconds)


def client_of(request: Request) -> str:
    return client_address(request.scope, context_of(request).settings)


def too_many(request: Request):
    """The 429 page, with how long to wait."""
    minutes = max(1, round(_window(request).total_seconds() / 60))
    response = page(request, "error.html", status_code=429, code=429, minutes=minutes)
    response.headers["Retry-After"] = str(int(_window(request).total_seconds()))
    return response


def _count(request: Request, bucket: str, key: str) -> int:
    with transaction(context_of(request).engine) as session:
        return count_events(session, bucket=bucket, key=key, now=app_now(request), window=_window(request))


def _add(request: Request, *pairs: tuple[str, str]) -> None:
    def add() -> None:
        with transaction(context_of(request).engine) as session:
            for bucket, key in pairs:
                add_event(session, bucket=bucket, key=key, now=app_now(request), keep=_window(request))

    retry_locked(add)


def token_guessing_blocked(request: Request) -> bool:
    """Has this client given too many wrong tokens lately?"""
    limit = context_of(request).settings.token_failures_per_client
    return _count(request, TOKEN_FAILURES, client_of(request)) >= limit


def wrong_token(request: Request) -> None:
    _add(request, (TOKEN_FAILURES, client_of(request)))


def signin_request_blocked(request: Request, email: str) -> bool:
    """Would one more sign-in link request, from this client or for this address, be one too many?

    Counts the request when it is allowed."""
    settings = context_of(request).settings
    now, window = app_now(request), _window(request)
    client, address = client_of(request), normal_email(email)
    if _count(request, SIGNIN_BY_CLIENT, client) >= settings.signin_requests_per_client:
        return True
    counted = [(SIGNIN_BY_CLIENT, client)]
    if address:
        with transaction(context_of(request).engine) as session:
            issued = session.exec(select(func.count()).select_from(SignInToken).where(
                SignInToken.email == address, SignInToken.created_at > now - window)).one()
        if max(issued, _count(request, SIGNIN_BY_EMAIL, address)) >= settings.signin_requests_per_email:
            return True
        counted.append((SIGNIN_BY_EMAIL, address))
    _add(request, *counted)
    return False
