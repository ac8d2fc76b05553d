"""Nothing typed is lost when a session has ended: a form posted then is kept (models.web_state.WebDraft,
bound to the browser by its CSRF cookie, checked like any form), the sign-in page says so, and the
sign-in leads back to the form (`next` carries ?draft=KEY), filled in again for the person to send.

Only the forms that can be filled again keep drafts (RESTORABLE: each form's address, the page that shows
it and the form's name there); the CSRF token is never kept. The draft belongs to the page, which fills
the named form with it (`restored_form`): the task page's record, request, reassignment and
contribution forms; the agency page's correction and new-person forms (the forms on each person's row
show that person as the directory has them, and keep no draft).
"""
import re
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse

from dondoc.web import app_now, context_of
from dondoc.web.security import CSRF_COOKIE, unsign
from models.db import retry_locked, transaction
from models.web_state import find_draft, keep_draft

# A form's address -> (the page showing it, the form's name). Its anchor on the page is the form's id.
RESTORABLE = (
    (re.compile(r"^/tasks/(?P<rest>.+)$"), "/tasks/{rest}", "record"),
    (re.compile(r"^/requests/(?P<rest>.+)$"), "/tasks/{rest}", "requests"),
    (re.compile(r"^/reassign/(?P<rest>.+)$"), "/tasks/{rest}", "reassign"),
    (re.compile(r"^/contribute/(?P<rest>.+)$"), "/tasks/{rest}", "contribute"),
    (re.compile(r"^/agencies/(?P<rest>[^/]+)/edit$"), "/agencies/{rest}", "agency"),
    (re.compile(r"^/agencies/(?P<rest>[^/]+)/people$"), "/agencies/{rest}", "people"),
)
NOT_KEPT = {"csrf", "csrf_token"}
FORM_KEY = "_form"  # the form's name, kept with its fields
MAX_FIELDS = 50


def restorable(path: str) -> tuple[str, str] | None:
    """(the page showing the form posted to `path`, the form's name), if its drafts are kept."""
    for pattern, page_path, name in RESTORABLE:
        found = pattern.match(path)
        if found:
            return page_path.format(rest=found["rest"]), name
    return None


async def after_session_ended(request: Request) -> RedirectResponse:
    """Where a visitor goes when the page needs a sign-in: /signin?next=..., with the posted form kept;
    then back to the page showing that form (its ?plan= too), at the form, filled in again."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    form = restorable(request.url.path) if request.method == "POST" else None
    kept = await _keep(request, *form) if form else None
    if kept:
        key, anchor = kept
        query = "&".join(part for part in (request.url.query, f"draft={key}") if part)
        target = f"{form[0]}?{query}#{anchor}"
        return RedirectResponse(f"/signin?kept=1&next={quote(target, safe='')}", status_code=303)
    return RedirectResponse(f"/signin?next={quote(target, safe='')}", status_code=303)


# Where each form is on its page (the request forms by their action; the people forms are the new
# person's, others being per person).
ANCHORS = {"record": "record", "reassign": "reassign", "contribute": "contribute", "agency": "edit-agency",
           "people": "add-person"}
REQUEST_ACTIONS = ("decide", "answer", "extend", "return", "explain")


async def _keep(request: Request, page_path: str, name: str) -> tuple[str, str] | None:
    """(the draft's key, the form's anchor on its page), or None when nothing is kept."""
    browser = request.cookies.get(CSRF_COOKIE)
    try:
        form = await request.form()
    except Exception:  # an unreadable body keeps nothing; the sign-in still follows
        return None
    token = form.get("csrf") or form.get("csrf_token")
    secret = context_of(request).settings.secret_key
    if not browser or not isinstance(token, str) or unsign(token, secret, "csrf") != browser:
        return None  # not a form this browser was given: nothing kept for it
    fields = {k: v for k, v in list(form.items())[:MAX_FIELDS]
              if k not in NOT_KEPT and k != FORM_KEY and isinstance(v, str)}
    if not any(v.strip() for k, v in fields.items() if k != "action"):
        return None
    if name == "people" and fields.get("action") != "add":
        return None  # a person's own row of forms is filled from the directory, not from a draft
    fields[FORM_KEY] = name
    context, now = context_of(request), app_now(request)

    def keep() -> str:
        with transaction(context.engine) as session:
            return keep_draft(session, path=page_path, fields=fields, browser=browser, now=now)

    action = fields.get("action", "")
    anchor = action if name == "requests" and action in REQUEST_ACTIONS else ANCHORS.get(name, "")
    return retry_locked(keep), anchor


def draft_for(request: Request) -> dict[str, str] | None:
    """The fields kept for this page and this browser (?draft=KEY), the form's name under FORM_KEY
    ("record" for a draft kept before forms were named), or None."""
    key = request.query_params.get("draft")
    if not key:
        return None
    with transaction(context_of(request).engine) as session:
        found = find_draft(session, key=key, path=request.url.path, browser=request.cookies.get(CSRF_COOKIE),
                           now=app_now(request))
    if found is not None:
        found.setdefault(FORM_KEY, "record")
    return found


def restored_form(draft: dict[str, str]) -> dict[str, str]:
    """A kept draft as the values its form on the page is filled with (the shape each route's own
    error answer gives it: a request form by its action, the reassignment with move, a contribution)."""
    fields = {k: v for k, v in draft.items() if k != FORM_KEY}
    name = draft.get(FORM_KEY, "record")
    if name == "reassign":
        return dict(fields, move="1")
    if name == "contribute":
        return dict(contribution=fields.get("note", ""))
    if name == "agency":
        return dict(fields, action="agency")
    return fields
