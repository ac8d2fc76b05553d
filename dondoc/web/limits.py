"""Limits on guessing: secret links tried from one client, sign-in links asked for one address.

Three limits, each over a sliding window of DONDOC_RATE_LIMIT_WINDOW_SECONDS:
- wrong secrets (review links, sign-in links, staff passwords) from one client:
  DONDOC_TOKEN_FAILURES_PER_CLIENT; past it, that client's token pages and password sign-in answer 429
  until the window has moved on, even for a right one;
- sign-in link requests from one client: DONDOC_SIGNIN_REQUESTS_PER_CLIENT;
- sign-in link requests for one email address: DONDOC_SIGNIN_REQUESTS_PER_EMAIL, counted both here
  and in the database (the sign-in links issued to that address in the window), so the database's
  count holds across processes, and an unknown address is limited like a known one.

The counts of this module live in the process: with several web processes each keeps its own (a
guesser gets the limit once per process; the links issued per address are counted in the database).
The client is the connection's address: behind a reverse proxy, every visitor shares the proxy's.
Times come from the application's clock (dondoc.web.app_now), never from the wall clock here.
"""
import threading
from collections import defaultdict, deque
from datetime import datetime, timedelta

from fastapi import Request
from sqlalchemy import func
from sqlmodel import Session, select

from dondoc.web import app_now, context_of, page
from models.accounts import SignInToken, normal_email, utc


class SlidingWindow:
    """Moments of events per key; how many fell within the last `window`."""

    def __init__(self):
        self._events: dict[str, deque[datetime]] = defaultdict(deque)
        self._lock = threading.Lock()

    def count(self, key: str, *, now: datetime, window: timedelta) -> int:
        with self._lock:
            events = self._events.get(key)
            if not events:
                return 0
            while events and events[0] <= now - window:
                events.popleft()
            if not events:
                del self._events[key]
                return 0
            return len(events)

    def add(self, key: str, *, now: datetime) -> None:
        with self._lock:
            self._events[key].append(now)


class Limits:
    """The app's counters (one per app, kept on app.state.limits)."""

    def __init__(self):
        self.token_failures = SlidingWindow()
        self.signin_by_client = SlidingWindow()
        self.signin_by_email = SlidingWindow()


def _limits(request: Request) -> Limits:
    return request.app.state.limits


def _window(request: Request) -> timedelta:
    return timedelta(seconds=context_of(request).settings.rate_limit_window_seconds)


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def too_many(request: Request):
    """The 429 page, with how long to wait."""
    minutes = max(1, round(_window(request).total_seconds() / 60))
    response = page(request, "error.html", status_code=429, code=429, minutes=minutes)
    response.headers["Retry-After"] = str(int(_window(request).total_seconds()))
    return response


def token_guessing_blocked(request: Request) -> bool:
    """Has this client given too many wrong tokens lately?"""
    limit = context_of(request).settings.token_failures_per_client
    return _limits(request).token_failures.count(client_of(request), now=app_now(request),
                                                 window=_window(request)) >= limit


def wrong_token(request: Request) -> None:
    _limits(request).token_failures.add(client_of(request), now=app_now(request))


def signin_request_blocked(request: Request, email: str) -> bool:
    """Would one more sign-in link request, from this client or for this address, be one too many?

    Counts the request when it is allowed."""
    settings = context_of(request).settings
    limits, now, window = _limits(request), app_now(request), _window(request)
    client, address = client_of(request), normal_email(email)
    if limits.signin_by_client.count(client, now=now, window=window) >= settings.signin_requests_per_client:
        return True
    if address:
        with Session(context_of(request).engine) as session:
            issued = session.exec(select(func.count()).select_from(SignInToken).where(
                SignInToken.email == address, SignInToken.created_at > utc(now - window))).one()
        asked = limits.signin_by_email.count(address, now=now, window=window)
        if max(issued, asked) >= settings.signin_requests_per_email:
            return True
        limits.signin_by_email.add(address, now=now)
    limits.signin_by_client.add(client, now=now)
    return False
