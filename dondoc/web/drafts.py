"""Nothing typed is lost when a session has ended: a form posted then is kept (models.web_state.WebDraft,
bound to the browser by its CSRF cookie, checked like any form), the sign-in page says so, and the
sign-in leads back to the form (`next` carries ?draft=KEY), filled in again for the person to send.

Only the forms that can be filled again keep drafts (RESTORABLE); the CSRF token is never kept.
"""
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse

from dondoc.web import app_now, context_of
from dondoc.web.security import CSRF_COOKIE, unsign
from models.db import retry_locked, transaction
from models.web_state import find_draft, keep_draft

RESTORABLE = ("/tasks/",)
NOT_KEPT = {"csrf", "csrf_token"}
MAX_FIELDS = 50


async def after_session_ended(request: Request) -> RedirectResponse:
    """Where a visitor goes when the page needs a sign-in: /signin?next=..., with the posted form kept."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    kept = None
    if request.method == "POST" and request.url.path.startswith(RESTORABLE):
        kept = await _keep(request)
    if kept:
        target = f"{request.url.path}?draft={kept}"
        return RedirectResponse(f"/signin?kept=1&next={quote(target, safe='')}", status_code=303)
    return RedirectResponse(f"/signin?next={quote(target, safe='')}", status_code=303)


async def _keep(request: Request) -> str | None:
    browser = request.cookies.get(CSRF_COOKIE)
    try:
        form = await request.form()
    except Exception:  # an unreadable body keeps nothing; the sign-in still follows
        return None
    token = form.get("csrf") or form.get("csrf_token")
    secret = context_of(request).settings.secret_key
    if not browser or not isinstance(token, str) or unsign(token, secret, "csrf") != browser:
        return None  # not a form this browser was given: nothing kept for it
    fields = {k: v for k, v in list(form.items())[:MAX_FIELDS] if k not in NOT_KEPT and isinstance(v, str)}
    if not any(v.strip() for v in fields.values()):
        return None
    context, now = context_of(request), app_now(request)

    def keep() -> str:
        with transaction(context.engine) as session:
            return keep_draft(session, path=request.url.path, fields=fields, browser=browser, now=now)

    return retry_locked(keep)


def draft_for(request: Request) -> dict[str, str] | None:
    """The fields kept for this page and this browser (?draft=KEY), or None."""
    key = request.query_params.get("draft")
    if not key:
        return None
    with transaction(context_of(request).engine) as session:
        return find_draft(session, key=key, path=request.url.path, browser=request.cookies.get(CSRF_COOKIE),
                          now=app_now(request))
