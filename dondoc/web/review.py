"""The review form behind each emailed link: /review/{token}. Server-rendered, no JavaScript needed.

The token is the only credential: it opens one agency's request in one cycle and nothing else,
and stops working when the cycle closes. Inputs go through the same validation as files."""
from datetime import date

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from dondoc.web import TEMPLATES, app_now, context_of, language, page
from dondoc.web.limits import too_many, token_guessing_blocked, wrong_token
from dondoc.web.security import check_csrf, set_csrf_cookie
from models.db import transaction
from models.clock import vn_time
from models.review.rules import INDICATORS, ReportedStatus
from models.review.tables import Channel
from models.review.inputs import FIELD_LABELS_EN, FIELD_LABELS_VI, MAX_TEXT, ReviewInvalid
from models.review.operations import SubmissionRefused, TokenRefused, accept_submission, form_for, request_for_token

router = APIRouter()
TEMPLATES.env.filters["vn_datetime"] = lambda moment: vn_time(moment).strftime("%H:%M %d/%m/%Y")
def vn_day(value) -> str:
    """A day as the form shows it, dd/mm/yyyy (from a date or yyyy-mm-dd); anything else as it is."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    return value.strftime("%d/%m/%Y")


TASK_FIELDS = ("status", "completed_on", "progress", "result", "difficulties", "proposals")


def _now(request: Request):
    return app_now(request)


def _refused(request: Request, reason: str):
    if reason == "unknown":
        wrong_token(request)
    status = 410 if reason == "expired" else 404
    response = page(request, "review_refused.html", reason=reason)
    response.status_code = status
    return response


def _input_of(loc: tuple, lines: list[int]) -> str | None:
    """The form input an error's place in the raw inputs stands for: ("tasks", 0, "status") is the
    status of the first line sent (`lines` maps lines sent to the form's numbering)."""
    if (loc[:1] == ("tasks",) and len(loc) == 3 and isinstance(loc[1], int) and loc[1] < len(lines)
            and loc[2] in TASK_FIELDS):
        return f"task-{lines[loc[1]]}-{loc[2]}"
    if loc[:1] == ("indicators",) and len(loc) == 2:
        return f"ind-{loc[1]}"
    if loc == ("notes",):
        return "notes"
    return None


# Said in words beside the field, when the line was filled but its status was not chosen.
STATUS_REQUIRED = ("chưa chọn: bắt buộc khi đã điền một ô khác của nhiệm vụ này",
                   "not chosen: required once another box of this task is filled")


def field_errors(errors, lines: list[int], values: dict) -> dict[str, tuple[str, str]]:
    """Each refused input's name -> (Vietnamese, English) message, to show beside it."""
    beside: dict[str, tuple[str, str]] = {}
    for error in errors:
        name = _input_of(tuple(error.loc), lines)
        if name is None:
            continue
        message = (error.message_vi, error.message)
        if name.endswith("-status") and not values.get(name):
            message = STATUS_REQUIRED
        beside.setdefault(name, message)
    return beside


def _place_in_words(name: str, form, language: str = "vi") -> str:
    """task-0-status -> "Nhiệm vụ 4.2-a — Tình trạng"; ind-weak -> the indicator's label."""
    labels = FIELD_LABELS_EN if language == "en" else FIELD_LABELS_VI
    if name.startswith("task-"):
        _, index, key = name.split("-", 2)
        line = form.lines[int(index)]
        task, due = ("Task", "due") if language == "en" else ("Nhiệm vụ", "hạn")
        return f"{task} {line.ref} ({due} {line.due:%d/%m/%Y}) — {labels.get(key, key)}"
    if name.startswith("ind-"):
        return next((i.label(language) for i in INDICATORS if f"ind-{i.code}" == name), name)
    return labels.get(name, name)


def _show(request: Request, form, now, *, values=None, errors=None, status_code=200, done=None, lines=None,
          kept=False):
    refusal = form.refusal(now)
    errors = errors or []
    values = values or _prefill(form)
    beside = field_errors(errors, lines or [], values)
    places = {}
    for number, error in enumerate(errors):
        name = _input_of(tuple(error.loc), lines or [])
        if name is not None:
            places[number] = (name, _place_in_words(name, form, language(request)))
    response = page(request, "review.html", form=form, values=values, errors=errors, beside=beside,
                    statuses=list(ReportedStatus), indicators=INDICATORS, labels=FIELD_LABELS_EN if language(request) == "en" else FIELD_LABELS_VI, refusal=refusal,
                    done=done, error_places=places, max_text=MAX_TEXT, now=now, kept=kept)
    response.status_code = status_code
    set_csrf_cookie(request, response)
    return response


def _prefill(form) -> dict:
    values = {}
    for index, line in enumerate(form.lines):
        said = line.reported or {}
        values[f"task-{index}-status"] = said.get("status") or line.reported_status
        values[f"task-{index}-completed_on"] = vn_day(said.get("completed_on") or line.completed_on)
        progress = said.get("progress", line.percent)
        values[f"task-{index}-progress"] = "" if progress is None else str(progress)
        for key in ("result", "difficulties", "proposals"):
            values[f"task-{index}-{key}"] = said.get(key, "")
    previous = form.latest.payload if form.latest else {}
    for indicator in INDICATORS:
        value = previous.get("indicators", {}).get(indicator.code)
        values[f"ind-{indicator.code}"] = "" if value is None else str(value)
    values["notes"] = previous.get("notes", "")
    return values


@router.get("/review/{token}", response_class=HTMLResponse)
def review_form(request: Request, token: str):
    return _form_page(request, token)


def _form_page(request: Request, token: str, **shown):
    """The form of the request the token names (or why it is refused), with `shown` passed to _show."""
    if token_guessing_blocked(request):
        return too_many(request)
    now = _now(request)
    with transaction(context_of(request).engine) as session:
        try:
            review_request, _, _ = request_for_token(session, token, now)
        except TokenRefused as refused:
            return _refused(request, refused.reason)
        return _show(request, form_for(session, review_request, now), now, **shown)


def _form_fields() -> dict:
    """The review form's inputs, for the OpenAPI description (the handler reads the form itself:
    task lines are numbered, task-0-..., task-1-..., as many as the form shows)."""
    fields = {"csrf_token": {"type": "string"}, "task_count": {"type": "string"}, "notes": {"type": "string"}}
    for index in range(2):
        for key in ("ref", "due", *TASK_FIELDS):
            fields[f"task-{index}-{key}"] = {"type": "string"}
    fields.update({f"ind-{indicator.code}": {"type": "string"} for indicator in INDICATORS})
    return {"requestBody": {"content": {"application/x-www-form-urlencoded": {
        "schema": {"type": "object", "properties": fields}}}}}


@router.post("/review/{token}", response_class=HTMLResponse, openapi_extra=_form_fields())
async def review_submit(request: Request, token: str):
    posted = dict(await request.form())
    try:
        check_csrf(request, posted.get("csrf_token"))
    except HTTPException as refused:
        if refused.status_code != 403:
            raise
        return _kept_after_refusal(request, token, posted)
    if token_guessing_blocked(request):
        return too_many(request)
    now = _now(request)
    with transaction(context_of(request).engine) as session:
        try:
            review_request, _, agency = request_for_token(session, token, now)
        except TokenRefused as refused:
            return _refused(request, refused.reason)
        form = form_for(session, review_request, now)
        raw = {"tasks": [], "notes": posted.get("notes", "")}
        # As many lines as the form has, at most: the count is the browser's word, not ours.
        said = str(posted.get("task_count", "0"))
        count = min(int(said), len(form.lines)) if said.isascii() and said.isdigit() else 0
        lines: list[int] = []  # the form's number of each line sent
        for index in range(count):
            entry = {"ref": posted.get(f"task-{index}-ref", ""), "due": posted.get(f"task-{index}-due", "")}
            entry.update({key: posted.get(f"task-{index}-{key}", "") for key in TASK_FIELDS})
            if not any(entry[key] for key in TASK_FIELDS):
                continue  # a line left blank is not reported on
            raw["tasks"].append(entry)
            lines.append(index)
        if review_request.asks_indicators:
            raw["indicators"] = {i.code: posted.get(f"ind-{i.code}", "") for i in INDICATORS}
        try:
            accept_submission(session, form, raw, now=now, actor=f"web:{agency.code}", channel=Channel.WEB)
        except SubmissionRefused:
            return _show(request, form, now, values=posted, status_code=409)
        except ReviewInvalid as invalid:
            return _show(request, form, now, values=posted, errors=invalid.errors, status_code=422,
                         lines=lines)
        session.flush()
        return _show(request, form_for(session, review_request, now), now, done=True)


def _kept_after_refusal(request: Request, token: str, posted: dict):
    """A form sent without this browser's cookie (cleared, blocked, or the form opened in an earlier
    browser session): nothing is recorded, and what was typed comes back in the form, with a new cookie,
    to be sent again. The link's token is the credential (a page elsewhere cannot send this form without
    knowing it), so showing the sender what they sent gives nothing away."""
    values = {k: v for k, v in posted.items() if k != "csrf_token" and isinstance(v, str)}
    return _form_page(request, token, values=values, status_code=403, kept=True)
