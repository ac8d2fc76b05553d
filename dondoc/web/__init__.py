"""The web app: server-rendered pages (FastAPI + Jinja2), Vietnamese by default, usable without
JavaScript. Each area of the site is a router module listed in ROUTERS.

Every route states who may see it (dondoc.web.access); a test walks all routes to hold that true.
"""
import gc
import importlib
import re
from contextlib import asynccontextmanager
from datetime import date, datetime
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from starlette.exceptions import HTTPException as StarletteHTTPException

from config.errors import InputError
from dondoc.app.context import AppContext
from models.clock import local_date, vn_time
from models.numbers import number, percent
from models.status import StatusCategory
from models.updates import NOTE_TOO_LONG
from notifications.render import vn_date

# What Starlette's multipart parser says of a field it will not read (over 1024 KB, too many parts).
MULTIPART_TOO_LARGE = ("Field exceeded maximum size", "Part exceeded maximum size", "Too many fields",
                       "Too many files")
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# A day as dd/mm/yyyy; a moment by its day in Vietnam.
TEMPLATES.env.filters["vn_date"] = lambda value: vn_date(local_date(value) if isinstance(value, datetime) else value) \
    if value else ""

LANGUAGES = ("vi", "en")
LANG_COOKIE = "lang"
TODAY_COOKIE = "dondoc_today"

# Router modules under dondoc.web, each exposing `router` (an APIRouter).
ROUTERS: list[str] = ["static", "home", "auth", "overview", "overdue", "agencies", "tasks", "outbox", "calendar", "review",
                      "reviews", "plan_import", "reports", "task_work", "act", "attachments"]


@pass_context
def _translate(ctx, vi: str, en: str) -> str:
    """{{ _("Quá hạn", "Overdue") }}: both languages side by side in the template."""
    return en if ctx.get("lang") == "en" else vi


@pass_context
def _number(ctx, value) -> str:
    """{{ 1234567|num }}: 1.234.567 on a Vietnamese page, 1,234,567 on an English one (models.numbers)."""
    return number(value, ctx.get("lang") or "vi")


@pass_context
def _percent(ctx, fraction) -> str:
    """{{ 0.667|pct }}: 67% (a share written as a percentage, models.numbers)."""
    return percent(fraction, ctx.get("lang") or "vi")


def _moment(value: datetime | None) -> str:
    """A moment in Vietnam time: dd/mm/yyyy HH:MM."""
    if not value:
        return ""
    return vn_time(value).strftime("%d/%m/%Y %H:%M")


# How the history names the fields and values the audit records.
_FIELDS = {
    "progress": ("Tình trạng thực hiện", "Progress"), "completed_on": ("Ngày hoàn thành", "Completed on"),
    "progress_percent": ("Tiến độ (%)", "Progress (%)"), "note": ("Ghi chú", "Note"), "created": ("Tạo mới", "Created"),
    "title": ("Tên nhiệm vụ", "Title"), "due_date": ("Hạn", "Due date"), "retired": ("Đã bỏ khỏi kế hoạch", "Retired"),
    "kind": ("Loại kỳ hạn", "Kind"), "lead_agency_id": ("Cơ quan chủ trì", "Lead agency"),
    "product": ("Sản phẩm", "Product"), "deadline_phrase": ("Thời hạn", "Timing"),
    "reassignment": ("Điều chuyển", "Reassignment"), "coordinating": ("Cơ quan phối hợp", "Coordinating"),
    "evidence": ("Tệp sản phẩm", "Evidence file"), "contribution": ("Ý kiến phối hợp", "Contribution"),
    "held_by_agency_id": ("Ghi nhận cho cơ quan", "Credited to"),
    "extension_requested": ("Đề nghị gia hạn đến", "Extension asked to"),
    "extension_refused": ("Không đồng ý gia hạn đến", "Extension refused to"),
    "returned": ("Trả lại báo cáo hoàn thành ngày", "Completion returned, of"),
    "explanation_requested": ("Yêu cầu giải trình trước", "Explanation asked by"),
    "explanation_answered": ("Đã giải trình", "Explanation given"),
}
_VALUES = {"open": ("chưa thực hiện", "open"), "in_progress": ("đang thực hiện", "in progress"),
           "done": ("hoàn thành", "done")}


@pass_context
def _field_label(ctx, name: str) -> str:
    pair = _FIELDS.get(name)
    return (pair[1] if ctx.get("lang") == "en" else pair[0]) if pair else name


@pass_context
def _value_label(ctx, field_name: str, value: str | None) -> str:
    if value is None:
        return ""
    if field_name == "progress" and value in _VALUES:
        return _VALUES[value][1] if ctx.get("lang") == "en" else _VALUES[value][0]
    if field_name in ("completed_on", "due_date", "extension_requested", "extension_refused", "returned",
                      "explanation_requested"):
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return value


def parse_day(value: str) -> date | None:
    """A date typed as dd/mm/yyyy (or sent as yyyy-mm-dd); None when empty; ValueError when wrong."""
    value = value.strip()
    if not value:
        return None
    if "/" in value:
        day, month, year = (int(part) for part in value.split("/"))
        return date(year, month, day)
    return date.fromisoformat(value)


@pass_context
def _status(ctx, value) -> str:
    return StatusCategory(value).label(ctx.get("lang", "vi")) if value else ""


@pass_context
def _delivery_error(ctx, error) -> str:
    """A stored transport failure, explained in the page's language (English: as recorded)."""
    from notifications.delivery_errors import explain
    return explain(error or "", ctx.get("lang", "vi"))


TEMPLATES.env.globals["_"] = _translate
TEMPLATES.env.filters["delivery_error"] = _delivery_error
TEMPLATES.env.globals["status_label"] = _status
TEMPLATES.env.globals["field_label"] = _field_label
TEMPLATES.env.globals["value_label"] = _value_label
TEMPLATES.env.filters["num"] = _number
TEMPLATES.env.filters["pct"] = _percent
TEMPLATES.env.filters["moment"] = _moment
TEMPLATES.env.filters["urlpath"] = lambda ref: quote(ref, safe="/")
_labels = importlib.import_module("dondoc.web.labels")
_labels.install(TEMPLATES.env)


def _shown_field(name: str, value) -> str:
    """A plan-import field as its form shows it: dates dd/mm/yyyy."""
    if not value:  # None, "" or absent from the draft
        return ""
    if name in ("due", "anchor") and re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)):
        year, month, day = str(value).split("-")
        return f"{day}/{month}/{year}"
    return str(value)


TEMPLATES.env.globals["shown"] = _shown_field


class NeedsSignIn(Exception):
    """Nobody is signed in: the visitor is sent to the sign-in page, and back afterwards."""


class Forbidden(Exception):
    """Signed in, but this is not theirs to see."""


@asynccontextmanager
async def _started(_app: FastAPI):
    """What imports and setup made (~160,000 objects) lives as long as the process: frozen out of the
    garbage collector's sight, a full collection scans only the requests' own objects (~3 ms) instead
    of pausing a request for ~100 ms every twenty or so (measured on /overdue at national scale)."""
    gc.collect()
    gc.freeze()
    yield
    _app.state.courier.close()


def create_app(context: AppContext) -> FastAPI:
    settings = context.settings
    for refusal, refusal_vi in zip(settings.refusals(), settings.refusals("vi")):  # the default secret key, a fixed date
        raise InputError(refusal, field="DONDOC_TODAY" if "DONDOC_TODAY" in refusal else "DONDOC_SECRET_KEY",
                         vi=refusal_vi)
    app = FastAPI(title="dondoc", docs_url=None, redoc_url=None, openapi_url=None, lifespan=_started)
    app.state.context = context
    from dondoc.web.courier import Courier
    from dondoc.web.hardening import BodyLimit, SecurityHeaders, trusted_networks
    trusted_networks(settings)  # a bad DONDOC_TRUSTED_PROXIES is refused now, not at the first request
    app.state.courier = Courier()
    for name in ROUTERS:
        app.include_router(importlib.import_module(f"dondoc.web.{name}").router)

    @app.middleware("http")
    async def _refuse_nul(request: Request, call_next):
        """A NUL character in the address is never meant, and PostgreSQL cannot take one in a query."""
        if "\x00" in request.url.path or "%00" in request.url.query or "\x00" in request.url.query:
            return page(request, "error.html", status_code=400, code=400, detail="NUL")
        return await call_next(request)

    uploads = {"/plans/import"}  # the forms that carry files: the plan upload, and evidence on the task pages
    upload_prefixes = ("/tasks/",)
    evidence_limit = max(settings.web_max_upload_bytes, settings.attachment_max_bytes + 2_000_000)
    bounds = dict(limit=settings.web_max_body_bytes, upload_limit=settings.web_max_upload_bytes, upload_paths=uploads,
                  upload_prefixes=upload_prefixes, prefix_limit=evidence_limit)
    limits = BodyLimit(None, refuse=None, **bounds)

    async def _too_large(scope, receive, send):
        request = Request(scope, receive)
        limit = limits.limit_for(scope)
        response = page(request, "error.html", status_code=413, code=413, upload=limit > settings.web_max_body_bytes,
                        limit=f"{limit / 1_000_000:g}".replace(".", ","), note_too_long=NOTE_TOO_LONG)
        response.headers["Connection"] = "close"  # the rest of the body is not read
        await response(scope, receive, send)

    # Outermost last: every answer (a 413 too) carries the security headers.
    app.add_middleware(BodyLimit, refuse=_too_large, **bounds)
    app.add_middleware(SecurityHeaders, production=settings.production)

    @app.exception_handler(NeedsSignIn)
    async def _to_signin(request: Request, _exc: NeedsSignIn):
        from dondoc.web.drafts import after_session_ended
        return await after_session_ended(request)

    @app.exception_handler(Forbidden)
    def _forbidden(request: Request, _exc: Forbidden):
        return page(request, "error.html", status_code=403, code=403)

    @app.exception_handler(StarletteHTTPException)
    def _http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 400 and str(exc.detail).startswith(MULTIPART_TOO_LARGE):
            # Starlette's form parser refusing one field over 1 MB: the same words as any note too long.
            return page(request, "error.html", status_code=413, code=413, upload=False, note_too_long=NOTE_TOO_LONG,
                        limit="1")
        return page(request, "error.html", status_code=exc.status_code, code=exc.status_code, detail=exc.detail)

    return app


def context_of(request: Request) -> AppContext:
    return request.app.state.context


def language(request: Request) -> str:
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    user = getattr(request.state, "user", None)
    return getattr(user, "language", None) if getattr(user, "language", None) in LANGUAGES else "vi"


def _chosen_today(request: Request) -> date | None:
    """?today=YYYY-MM-DD (sticky in a cookie), honoured only outside production mode."""
    if context_of(request).settings.production:
        return None
    value = request.query_params.get("today", request.cookies.get(TODAY_COOKIE))
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def plan_now(request: Request) -> datetime:
    """The moment the plan is looked at: ?today when allowed, else the app's clock (DONDOC_TODAY or real)."""
    return context_of(request).clock(_chosen_today(request)).now()


def app_now(request: Request) -> datetime:
    """The app's own clock, for sessions, links and limits (never moved by ?today): app.state.clock
    when one is set (tests travelling in time), else the context's (DONDOC_TODAY or real)."""
    clock = getattr(request.app.state, "clock", None)
    return (clock or context_of(request).clock()).now()


def page(request: Request, template: str, status_code: int = 200, **values):
    """Render a page with what every page needs (language, user, CSRF token, the day looked at)."""
    from dondoc.web.access import current_user
    from dondoc.web.security import csrf_token, set_csrf_cookie
    user = current_user(request)  # the header names who is signed in on every page (a review form too)
    lang = language(request)
    settings = context_of(request).settings
    chosen = _chosen_today(request)
    shared = dict(lang=lang, csrf_token=csrf_token(request), user=user,
                  simulated_today=chosen, now=plan_now(request))
    response = TEMPLATES.TemplateResponse(request, template, {**shared, **values}, status_code=status_code)
    set_csrf_cookie(request, response)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True,
                            secure=settings.production)
    if not settings.production and "today" in request.query_params:
        if chosen:
            response.set_cookie(TODAY_COOKIE, chosen.isoformat(), samesite="lax", httponly=True)
        else:
            response.delete_cookie(TODAY_COOKIE)
    return response


def int_param(request: Request, name: str, default: int, limit: int = 10 ** 6) -> int:
    """A whole number from the query string, within ±limit; anything else gives the default."""
    value = request.query_params.get(name, "")
    try:
        number = int(value) if value.strip() else default
    except ValueError:
        return default
    return max(-limit, min(limit, number))
