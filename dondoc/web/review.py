"""The review form behind each emailed link: /review/{token}. Server-rendered, no JavaScript needed.

The token is the only credential: it opens one agency's request in one cycle and nothing else,
and stops working when the cycle closes. Inputs go through the same validation as files."""
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from dondoc.web import TEMPLATES, app_now, context_of, page
from dondoc.web.limits import too_many, token_guessing_blocked, wrong_token
from dondoc.web.security import check_csrf, set_csrf_cookie
from models.db import transaction
from models.review import INDICATORS, Channel, ReportedStatus, vn_moment
from models.review_ops import TokenRefused, form_for, request_for_token, submit
from models.review_validation import FIELD_LABELS_VI, ReviewInvalid, validate_inputs

router = APIRouter()
TEMPLATES.env.filters["vn_datetime"] = lambda moment: vn_moment(moment).strftime("%H:%M %d/%m/%Y")
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


def _show(request: Request, form, now, *, values=None, errors=None, status_code=200, done=None):
    refusal = form.refusal(now)
    response = page(request, "review.html", form=form, values=values or _prefill(form), errors=errors or [],
                    statuses=list(ReportedStatus), indicators=INDICATORS, labels=FIELD_LABELS_VI, refusal=refusal,
                    done=done, now=now)
    response.status_code = status_code
    set_csrf_cookie(request, response)
    return response


def _prefill(form) -> dict:
    values = {}
    for index, line in enumerate(form.lines):
        said = line.reported or {}
        values[f"task-{index}-status"] = said.get("status") or line.reported_status
        values[f"task-{index}-completed_on"] = said.get("completed_on") or (line.completed_on.isoformat()
                                                                           if line.completed_on else "")
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
    if token_guessing_blocked(request):
        return too_many(request)
    now = _now(request)
    with transaction(context_of(request).engine) as session:
        try:
            review_request, _, _ = request_for_token(session, token, now)
        except TokenRefused as refused:
            return _refused(request, refused.reason)
        return _show(request, form_for(session, review_request, now), now)


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
    check_csrf(request, posted.get("csrf_token"))
    if token_guessing_blocked(request):
        return too_many(request)
    now = _now(request)
    with transaction(context_of(request).engine) as session:
        try:
            review_request, _, agency = request_for_token(session, token, now)
        except TokenRefused as refused:
            return _refused(request, refused.reason)
        form = form_for(session, review_request, now)
        if form.refusal(now):
            return _show(request, form, now, values=posted, status_code=409)
        raw = {"tasks": [], "notes": posted.get("notes", "")}
        # As many lines as the form has, at most: the count is the browser's word, not ours.
        said = str(posted.get("task_count", "0"))
        count = min(int(said), len(form.lines)) if said.isascii() and said.isdigit() else 0
        for index in range(count):
            entry = {"ref": posted.get(f"task-{index}-ref", ""), "due": posted.get(f"task-{index}-due", "")}
            entry.update({key: posted.get(f"task-{index}-{key}", "") for key in TASK_FIELDS})
            if not any(entry[key] for key in TASK_FIELDS):
                continue  # a line left blank is not reported on
            raw["tasks"].append(entry)
        if review_request.asks_indicators:
            raw["indicators"] = {i.code: posted.get(f"ind-{i.code}", "") for i in INDICATORS}
        try:
            inputs = validate_inputs(raw, form.asked, now.date())
        except ReviewInvalid as invalid:
            return _show(request, form, now, values=posted, errors=invalid.errors, status_code=422)
        submit(session, form, inputs, now=now, actor=f"web:{agency.code}", channel=Channel.WEB)
        session.flush()
        return _show(request, form_for(session, review_request, now), now, done=True)
