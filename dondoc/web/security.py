"""Signing and CSRF for the web pages, with the settings' secret key.

Signed values are itsdangerous' `Signer` (HMAC-SHA256, a key derived per purpose from the secret key,
constant-time comparison): a value signed for one purpose ("session", "csrf") is refused for another.
No timestamp is signed: what expires (sessions, links) is checked against the app's clock, never the
host's.
"""
import hashlib
import secrets

from fastapi import HTTPException, Request
from itsdangerous import BadSignature, Signer

CSRF_COOKIE = "dondoc_csrf"
CSRF_NO_COOKIE = "CSRF cookie missing"
CSRF_WRONG = "CSRF token missing or wrong"


def signer(secret: str, purpose: str) -> Signer:
    """The signer of one purpose: its key is derived from the secret key with the purpose as salt."""
    return Signer(secret, salt=f"dondoc.{purpose}", digest_method=hashlib.sha256)


def sign(value: str, secret: str, purpose: str) -> str:
    return signer(secret, purpose).sign(value).decode()


def unsign(signed: str, secret: str, purpose: str) -> str | None:
    """The value if our key signed it for `purpose`, else None (tampered, made up, another purpose)."""
    try:
        value = signer(secret, purpose).unsign(signed).decode()
    except (BadSignature, UnicodeError):
        return None
    return value or None


def csrf_token(request: Request) -> str:
    """The token forms carry; it is bound to a random per-browser cookie (double submit, signed)."""
    browser = request.cookies.get(CSRF_COOKIE) or request.state.__dict__.setdefault("new_csrf", secrets.token_urlsafe(24))
    return sign(browser, request.app.state.context.settings.secret_key, "csrf")


def set_csrf_cookie(request: Request, response) -> None:
    new = getattr(request.state, "new_csrf", None)
    if new and not request.cookies.get(CSRF_COOKIE):
        response.set_cookie(CSRF_COOKIE, new, httponly=True, samesite="lax",
                            secure=request.app.state.context.settings.production)


def check_csrf(request: Request, token: str | None) -> None:
    browser = request.cookies.get(CSRF_COOKIE)
    secret = request.app.state.context.settings.secret_key
    if not browser:  # cookies blocked or cleared, or the form came from a page opened elsewhere
        raise HTTPException(status_code=403, detail=CSRF_NO_COOKIE)
    if not isinstance(token, str) or not token or unsign(token, secret, "csrf") != browser:
        raise HTTPException(status_code=403, detail=CSRF_WRONG)
