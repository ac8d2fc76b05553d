"""Signing and CSRF for the web pages, with the settings' secret key."""
import hashlib
import hmac
import secrets

from fastapi import HTTPException, Request

CSRF_COOKIE = "dondoc_csrf"
CSRF_NO_COOKIE = "CSRF cookie missing"
CSRF_WRONG = "CSRF token missing or wrong"


def sign(value: str, secret: str, purpose: str) -> str:
    mac = hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"{value}.{mac}"


def unsign(signed: str, secret: str, purpose: str) -> str | None:
    value, _, mac = signed.rpartition(".")
    expected = hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
    return value if value and hmac.compare_digest(mac, expected) else None


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
