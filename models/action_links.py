"""One-click links in a digest: `/act/<token>/<ref>` signs the recipient in and opens that task's form.

The token is derived, not stored when the digest is written: the recipient's address and the last day
the link works, signed by itsdangerous' `Signer` (HMAC-SHA256) with a key derived from the secret key
and the task's ref, so a token works for its own task only. Nothing is kept until it is
used; then its hash goes into the sign-in tokens' table (SignInToken, used at once), whose unique hash
makes a second use fail even when two clicks race. Opening the link only shows a button: a mail
scanner that fetches it spends nothing (the POST does).
"""
import base64
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from itsdangerous import BadSignature, Signer
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models.accounts import SignInToken, normal_email
from models.clock import VN_TZ, local_date


class LinkRefused(Exception):
    """Why an action link does not work: `reason` is one of wrong, expired, used."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ActionLink:
    email: str
    ref: str
    last_day: date  # the link works up to the end of this day (Asia/Ho_Chi_Minh)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signer(secret: str, ref: str) -> Signer:
    return Signer(secret, salt=f"dondoc.act|{ref}", digest_method=hashlib.sha256)


def action_token(secret: str, *, email: str, ref: str, last_day: date) -> str:
    """The token of the link that signs `email` in to act on task `ref` until the end of `last_day`."""
    payload = _b64(f"{normal_email(email)}|{last_day.strftime('%Y%m%d')}".encode())
    return _signer(secret, ref).sign(payload).decode()


def last_day_of(sent_on: date, days: int) -> date:
    """A link in the digest of `sent_on` works `days` days (to the end of the last one)."""
    return sent_on + timedelta(days=days)


def read_action_token(secret: str, token: str, *, ref: str, now: datetime) -> ActionLink:
    """What a token says, if our key signed it for this ref and it has not expired (else LinkRefused).
    Whether it was used already is `is_spent`'s question."""
    try:
        payload = _signer(secret, ref).unsign(token).decode()
        email, day = _unb64(payload).decode().split("|")
        last_day = datetime.strptime(day, "%Y%m%d").date()
    except (BadSignature, ValueError, UnicodeError):
        raise LinkRefused("wrong") from None
    if local_date(now) > last_day:
        raise LinkRefused("expired")
    return ActionLink(email, ref, last_day)


def _hash(token: str, ref: str) -> str:
    return hashlib.sha256(f"act|{token}|{ref}".encode()).hexdigest()


def is_spent(session: Session, token: str, *, ref: str) -> bool:
    return session.exec(select(SignInToken.id).where(SignInToken.token_hash == _hash(token, ref))).first() is not None


def spend_action_token(session: Session, secret: str, token: str, *, ref: str, now: datetime) -> ActionLink:
    """Check the token and mark it used, once: a second use (even racing the first) is LinkRefused("used")."""
    link = read_action_token(secret, token, ref=ref, now=now)
    expires = datetime.combine(link.last_day + timedelta(days=1), time(0), tzinfo=VN_TZ)
    try:
        with session.begin_nested():
            session.add(SignInToken(token_hash=_hash(token, ref), email=link.email, created_at=now,
                                    expires_at=expires, used_at=now))
    except IntegrityError:
        raise LinkRefused("used") from None
    return link
