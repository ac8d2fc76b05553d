"""Who may sign in to the web pages: Alliance staff with a password, focal points by an emailed link.

Passwords are kept only as scrypt hashes. A sign-in link carries a random token of 256 bits; the
database keeps its SHA-256, when it expires and when it was used (a link works once).
Functions take `now` from the caller (the application's clock): no hidden clock here.
"""
import base64
import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, update
from sqlmodel import Field, Session, SQLModel, select
import models.schema  # noqa: F401,E402  (every table loaded before the ORM's first query)

from config.errors import InputError
from config.files import EMAIL_MAX, EMAIL_PATTERN
from models.agency import Agency, FocalPoint
from models.audit import record
from models.types import UtcDateTime

SIGNIN_LINK_LIFETIME = timedelta(minutes=30)
MIN_PASSWORD_LENGTH = 10
# scrypt cost: about 50 ms and 16 MiB per check on this kind of machine.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2 ** 14, 8, 1


class StaffUser(SQLModel, table=True):
    """An Alliance (LMHTX) staff member: sees everything, signs in with email and password."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True, max_length=254)
    name: str
    password_hash: str = Field(max_length=300)
    active: bool = True
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))


class SignInToken(SQLModel, table=True):
    """One emailed sign-in link for a focal point's address: single use, expiring."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    email: str = Field(max_length=254, index=True)
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))


# --- passwords ------------------------------------------------------------------------------

def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    b64 = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt)}${b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                                dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def normal_email(email: str) -> str:
    return email.strip().lower()


def add_staff_user(session: Session, *, email: str, name: str, password: str, now: datetime, actor: str,
                   update_existing: bool = False) -> StaffUser:
    email = normal_email(email)
    if len(email) > EMAIL_MAX or not re.fullmatch(EMAIL_PATTERN, email):
        raise InputError(f"{email!r} is not an email address", field="email", vi=f"{email!r} không phải địa chỉ email")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters", field="password",
                         vi=f"mật khẩu cần ít nhất {MIN_PASSWORD_LENGTH} ký tự")
    if not name.strip():
        raise InputError("a name is needed", field="--name", vi="cần nhập họ tên")
    if any(ord(c) < 32 or 0x7f <= ord(c) <= 0x9f or c in "\u2028\u2029" for c in name):
        raise InputError("the name must be one line of text (no line breaks or control characters)", field="--name",
                         vi="họ tên phải là một dòng chữ (không xuống dòng, không có ký tự điều khiển)")
    user = session.exec(select(StaffUser).where(StaffUser.email == email)).first()
    if user is not None and not update_existing:
        raise InputError(f"{email} has an account already (use --update to change its name and password)",
                         field="email", vi=f"{email} đã có tài khoản (dùng --update để đổi họ tên và mật khẩu)")
    if user is None:
        user = StaffUser(email=email, name=name.strip(), password_hash=hash_password(password), created_at=now)
        session.add(user)
        session.flush()
        record(session, at=now, actor=actor, entity="staff_user", entity_id=user.id, field="created", new=email)
    else:
        if user.name != name.strip():
            record(session, at=now, actor=actor, entity="staff_user", entity_id=user.id, field="name",
                   old=user.name, new=name.strip())
        user.name, user.password_hash, user.active = name.strip(), hash_password(password), True
        record(session, at=now, actor=actor, entity="staff_user", entity_id=user.id, field="password",
               note="password changed")
        from models.web_state import end_sessions_of
        end_sessions_of(session, email=email, kind="staff")  # a new password signs every browser out
    return user


def authenticate_staff(session: Session, *, email: str, password: str) -> StaffUser | None:
    user = session.exec(select(StaffUser).where(StaffUser.email == normal_email(email),
                                                StaffUser.active == True)).first()  # noqa: E712
    if user is None:
        # Spend the same time as a real check, so timing does not tell which addresses exist.
        verify_password(password, _dummy_hash())
        return None
    return user if verify_password(password, user.password_hash) else None


@functools.cache
def _dummy_hash() -> str:
    """A hash of nothing anyone knows, made on first use (not at import: every command would pay ~0.1 s)."""
    return hash_password(secrets.token_urlsafe(16))


# --- focal points and their sign-in links ---------------------------------------------------

@dataclass(frozen=True)
class FocalPerson:
    """A focal point as the web sees them: one address, possibly serving several agencies."""

    email: str
    name: str
    language: str
    agency_ids: frozenset[int]
    agency_codes: tuple[str, ...]
    address_as: str | None = None  # the directory's form of address and title (the emails' salutation)
    title: str | None = None


def focal_person(session: Session, email: str) -> FocalPerson | None:
    rows = session.exec(
        select(FocalPoint, Agency).join(Agency, FocalPoint.agency_id == Agency.id)
        .where(FocalPoint.active == True).order_by(FocalPoint.id)  # noqa: E712
    ).all()
    wanted = normal_email(email)
    mine = [(fp, agency) for fp, agency in rows if normal_email(fp.email) == wanted]
    if not mine:
        return None
    first = mine[0][0]
    return FocalPerson(email=wanted, name=first.name, language=first.language,
                       agency_ids=frozenset(a.id for _, a in mine), agency_codes=tuple(a.code for _, a in mine),
                       address_as=first.address_as, title=first.title)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_signin_token(session: Session, *, email: str, now: datetime) -> str:
    """A new sign-in token for `email` (the raw token goes into the link, only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    session.add(SignInToken(token_hash=token_hash(token), email=normal_email(email), created_at=now,
                            expires_at=now + SIGNIN_LINK_LIFETIME))
    session.flush()
    return token


def peek_signin_token(session: Session, *, token: str, now: datetime) -> SignInToken | None:
    """The token's row if it can still be used at `now` (nothing is changed)."""
    return session.exec(select(SignInToken).where(
        SignInToken.token_hash == token_hash(token), SignInToken.used_at.is_(None), SignInToken.expires_at > now,
    )).first()


def use_signin_token(session: Session, *, token: str, now: datetime) -> str | None:
    """Spend a token: the address it was issued to, or None if it is unknown, used or expired.

    A conditional update, so two clicks racing on one link sign in at most once.
    """
    row = peek_signin_token(session, token=token, now=now)
    if row is None:
        return None
    spent = session.execute(
        update(SignInToken).where(SignInToken.id == row.id, SignInToken.used_at.is_(None)).values(used_at=now)
    ).rowcount
    return row.email if spent == 1 else None

