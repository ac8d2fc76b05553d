"""Who is asking, and what they may see.

The session is a cookie signed with the settings' secret: "<kind>|<email>|<issued, unix seconds>",
HTTP-only, SameSite=Lax, Secure in production. Each request reloads the person from the database,
so a removed focal point or a deactivated staff account is out at once.

Routes declare their rule with a dependency: `staff` (Alliance staff only), `signed_in` (anyone
signed in; the route then checks the agency with `require_agency`).
"""
from dataclasses import dataclass, field
from datetime import timedelta

from fastapi import Depends, Request
from sqlmodel import Session, select

from dondoc.web import Forbidden, NeedsSignIn, app_now, context_of
from dondoc.web.security import sign, unsign
from models.accounts import StaffUser, focal_person, normal_email

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
    settings = context_of(request).settings
    issued = int(app_now(request).timestamp())
    value = sign(f"{kind}|{normal_email(email)}|{issued}", settings.secret_key, "session")
    response.set_cookie(SESSION_COOKIE, value, max_age=int(SESSION_LIFETIME.total_seconds()), httponly=True,
                        samesite="lax", secure=settings.production, path="/")


def end_session(request: Request, response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=context_of(request).settings.production)


def _load(request: Request) -> User | None:
    raw = request.cookies.get(SESSION_COOKIE)
    context = context_of(request)
    value = unsign(raw, context.settings.secret_key, "session") if raw else None
    if not value:
        return None
    try:
        kind, email, issued = value.split("|")
        issued = int(issued)
    except ValueError:
        return None
    now = app_now(request).timestamp()
    if not issued - 60 <= now < issued + SESSION_LIFETIME.total_seconds():
        return None
    with Session(context.engine) as session:
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
