"""What the web app keeps between requests, in the database so every web process sees the same:
sessions (revocable) and the events the rate limits count.

A session is a random token in a signed cookie; the database keeps its SHA-256, whose it is and when
it ends. Each request looks it up, so signing out, a password change or a focal point's
deactivation ends it at once, in every process, however long the cookie would have lived.
Functions take `now` from the caller (the application's clock).
"""
import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Column, Index, delete, func
from sqlmodel import Field, Session, SQLModel, select
import models.schema  # noqa: F401,E402  (every table loaded before the ORM's first query)

from models.accounts import normal_email
from models.types import UtcDateTime


class WebSession(SQLModel, table=True):
    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    kind: str = Field(max_length=10)  # staff or focal
    email: str = Field(max_length=254, index=True)
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))


class RateEvent(SQLModel, table=True):
    """One counted event (a wrong token, a sign-in link asked for) of one key in one bucket."""

    __tablename__ = "rate_event"
    __table_args__ = (Index("ix_rate_event_bucket_key_at", "bucket", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    bucket: str = Field(max_length=20)
    key: str = Field(max_length=64)  # SHA-256 of the client's address or the email: bounded, whatever was typed
    at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False, index=True))


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


# --- sessions ---------------------------------------------------------------------------------

def start_session(session: Session, *, kind: str, email: str, now: datetime, lifetime: timedelta) -> str:
    """A new session for (kind, email); the raw token for the cookie. Ended sessions are swept out."""
    session.exec(delete(WebSession).where(WebSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    session.add(WebSession(token_hash=_hash(token), kind=kind, email=normal_email(email), created_at=now,
                           expires_at=now + lifetime))
    return token


def find_session(session: Session, *, token: str, now: datetime) -> WebSession | None:
    """The live session of this token at `now`, or None (never issued, ended or expired)."""
    return session.exec(select(WebSession).where(WebSession.token_hash == _hash(token),
                                                 WebSession.expires_at > now)).first()


def end_session(session: Session, *, token: str) -> None:
    session.exec(delete(WebSession).where(WebSession.token_hash == _hash(token)))


def end_sessions_of(session: Session, *, email: str, kind: str | None = None) -> int:
    """End every session of this person (all kinds, or one): how many there were."""
    statement = delete(WebSession).where(WebSession.email == normal_email(email))
    if kind is not None:
        statement = statement.where(WebSession.kind == kind)
    return session.exec(statement).rowcount


# --- rate limits ------------------------------------------------------------------------------

def count_events(session: Session, *, bucket: str, key: str, now: datetime, window: timedelta) -> int:
    """How many events of `key` in `bucket` fell within the `window` before `now`."""
    return session.exec(select(func.count()).select_from(RateEvent).where(
        RateEvent.bucket == bucket, RateEvent.key == _hash(key), RateEvent.at > now - window,
        RateEvent.at <= now)).one()


def add_event(session: Session, *, bucket: str, key: str, now: datetime, keep: timedelta) -> None:
    """Count one event; events older than `keep` (longer than any window) are swept out."""
    session.exec(delete(RateEvent).where(RateEvent.at <= now - keep))
    session.add(RateEvent(bucket=bucket, key=_hash(key), at=now))


# --- drafts: what was typed when the session had ended --------------------------------------------

class WebDraft(SQLModel, table=True):
    """A form posted after its sender's session had ended, kept so that nothing typed is lost: the
    sign-in that follows leads back to the form, filled in again. It belongs to the browser that
    sent it (the hash of its CSRF cookie) and lives DRAFT_LIFETIME."""

    __tablename__ = "web_draft"

    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(unique=True, max_length=64)
    browser_hash: str = Field(max_length=64)
    path: str = Field(max_length=2000)
    fields: str  # JSON: the form's fields as typed (never its CSRF token)
    expires_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False, index=True))


DRAFT_LIFETIME = timedelta(hours=24)


def keep_draft(session: Session, *, path: str, fields: dict[str, str], browser: str, now: datetime) -> str:
    """Keep a form's fields for `path`; the short random key that brings them back."""
    import json
    session.exec(delete(WebDraft).where(WebDraft.expires_at <= now))
    key = secrets.token_urlsafe(12)
    session.add(WebDraft(key_hash=_hash(key), browser_hash=_hash(browser), path=path[:2000],
                         fields=json.dumps(fields, ensure_ascii=False), expires_at=now + DRAFT_LIFETIME))
    return key


def find_draft(session: Session, *, key: str, path: str, browser: str | None, now: datetime) -> dict[str, str] | None:
    """The fields kept under `key` for this path and this browser, while they live; else None."""
    import json
    if not key or not browser or len(key) > 64:
        return None
    row = session.exec(select(WebDraft).where(WebDraft.key_hash == _hash(key), WebDraft.expires_at > now)).first()
    if row is None or row.path != path or row.browser_hash != _hash(browser):
        return None
    return json.loads(row.fields)
