"""The web app: server-rendered pages (FastAPI + Jinja2), Vietnamese by default, usable without
JavaScript. Each area of the site is a router module listed in ROUTERS."""
import importlib
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.templating import Jinja2Templates

from config.errors import InputError
from config.settings import DEFAULT_SECRET
from dondoc.context import AppContext
from notifications.render import vn_date

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters["vn_date"] = vn_date

# Router modules under dondoc.web, each exposing `router` (an APIRouter).
ROUTERS: list[str] = ["home", "review"]


def create_app(context: AppContext) -> FastAPI:
    settings = context.settings
    if settings.production and settings.secret_key == DEFAULT_SECRET:
        raise InputError("refusing to start in production mode with the default secret key: set DONDOC_SECRET_KEY",
                         field="DONDOC_SECRET_KEY")
    app = FastAPI(title="dondoc", docs_url=None, redoc_url=None)
    app.state.context = context
    for name in ROUTERS:
        app.include_router(importlib.import_module(f"dondoc.web.{name}").router)
    return app


def context_of(request: Request) -> AppContext:
    return request.app.state.context


def page(request: Request, template: str, **values):
    """Render a page with what every page needs (the language, the CSRF token)."""
    from dondoc.web.security import csrf_token
    language = request.query_params.get("lang") or request.cookies.get("lang") or "vi"
    response = TEMPLATES.TemplateResponse(request, template, dict(lang=language if language in ("vi", "en") else "vi",
                                                                  csrf_token=csrf_token(request), **values))
    return response
