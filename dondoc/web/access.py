"""Who is asking, and what they may see.

The session is a random token in a cookie signed with the settings' secret (itsdangerous, through
dondoc.web.security), HTTP-only, SameSite=Lax, Secure in production; the database keeps its hash,
whose it is and when it ends (models.web_state.WebSession). Each request looks the session up and
reloads the person, so signing out, a password change, a deactivated staff account or focal point
end it at once: a copied cookie is worth nothing afterwards. (A session kept only in a signed cookie,
as Starlette's SessionMiddleware does, could not be ended that way, and its expiry would read the
host's clock rather than the app's.)

Routes declare their rule with a dependency: `staff` (Alliance staff only), `signed_in` (anyone
signed in; the route then checks the agency with `require_agency`).
"""
from dataclasses import dataclass, field
from datetime import timedelta

from fastapi import Depends, Request
from sqlmodel import Session, select

from dondoc.web import Forbidden, NeedsSignIn, app_now, context_of
from dondoc.web.security import sign, unsign
from models.accounts import StaffUser, focal_person
from models.db import retry_locked, transaction
from models.web_state import end_session as forget_session, find_session, start_session as record_session

SESSION_COOKIE = "dondoc_session"
SESSION_LIFETIME = timedelta(hours=12)
STAFF, FOCAL = "staff", "focal"


@dataclass(frozen=True)
class User:
    kind: str
    email: str
    name: str
    language: str = "vi"
    agency_ids: frozenset[int] = field(default_factory=frozenset)
    agency_codes: tuple[str, ...] = ()

    @property
    def is_staff(self) -> bool:
        return self.kind == STAFF

    @property
    def actor(self) -> str:
        """How the audit names them."""
        return f"web:{self.kind}:{self.email}"

    def may_see_agency(self, agency_id: int) -> bool:
        return self.is_staff or agency_id in self.agency_ids


def start_session(request: Request, response, *, kind: str, email: str) -> None:
    context = context_of(request)

    def record() -> str:
        with transaction(context.engine) as session:
            return record_session(session, kind=kind, email=email, now=app_now(request), lifetime=SESSION_LIFETIME)

    value = sign(retry_locked(record), context.settings.secret_key, "session")
    response.set_cookie(SESSION_COOKIE, value, max_age=int(SESSION_LIFETIME.total_seconds()), httponly=True,
                        samesite="lax", secure=context.settings.production, path="/")


def _session_token(request: Request) -> str | None:
    raw = request.cookies.get(SESSION_COOKIE)
    return unsign(raw, context_of(request).settings.secret_key, "session") if raw else None


def end_session(request: Request, response) -> None:
    """Sign out: the session is ended in the database (the cookie, wherever copied, no longer works)."""
    token = _session_token(request)
    if token:
        def forget() -> None:
            with transaction(context_of(request).engine) as session:
                forget_session(session, token=token)

        retry_locked(forget)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=context_of(request).settings.production)


def _load(request: Request) -> User | None:
    token = _session_token(request)
    if not token:
        return None
    context = context_of(request)
    with Session(context.engine) as session:
        found = find_session(session, token=token, now=app_now(request))
        if found is None:
            return None
        kind, email = found.kind, found.email
        if kind == STAFF:
            staff = session.exec(select(StaffUser).where(StaffUser.email == email,
                                                         StaffUser.active == True)).first()  # noqa: E712
            return User(STAFF, staff.email, staff.name) if staff else None
        if kind == FOCAL:
            person = focal_person(session, email)
            if person is None:
                return None
            return User(FOCAL, person.email, person.name, person.language, person.agency_ids, person.agency_codes)
    return None


def current_user(request: Request) -> User | None:
    """The signed-in person or None; kept on request.state for the templates."""
    if not hasattr(request.state, "user"):
        request.state.user = _load(request)
    return request.state.user


def signed_in(request: Request) -> User:
    user = current_user(request)
    if user is None:
        raise NeedsSignIn()
    return user


def staff(user: User = Depends(signed_in)) -> User:
    if not user.is_staff:
        raise Forbidden()
    return user


def require_agency(user: User, agency_id: int) -> None:
    if not user.may_see_agency(agency_id):
        raise Forbidden()


def public(request: Request) -> User | None:
    """Open to anyone (sign-in pages, the secret calendar URL): still reads who is there."""
    return current_user(request)
