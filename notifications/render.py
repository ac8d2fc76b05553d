"""Rendering a message kind from its three templates: subject, plain text, HTML.

Templates live in notifications/templates/<kind>/<language>/{subject.txt, body.txt, body.html}.
"""
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from config.errors import InputError
from models.numbers import number

TEMPLATES = Path(__file__).resolve().parent / "templates"
# The message kinds: the folders under templates/ (but _letter, the parts every kind includes: the
# signature block). A kind is looked up here, never joined into a path.
KINDS = frozenset(child.name for child in TEMPLATES.iterdir() if child.is_dir() and not child.name.startswith("_"))
LANGUAGES = ("vi", "en")


@lru_cache(maxsize=4096)  # a digest shows the same few dates again and again
def vn_date(value: date) -> str:
    return value.strftime("%d/%m/%Y")


@lru_cache(maxsize=1)
def _environment():
    """The templates' Jinja environment, made on the first message rendered (a `dondoc remind` with
    nothing to send never renders one, and need not import Jinja)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        auto_reload=False,  # templates ship with the code: no stat of three files for every message
    )
    env.filters["vn_date"] = vn_date
    # {{ i.days|num }}: 1.234 in a Vietnamese message, 1,234 in an English one (models.numbers).
    env.filters["num"] = pass_context(lambda ctx, value: number(value, ctx.get("message_language", "vi")))
    return env


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(kind: str, language: str, context: dict) -> Rendered:
    """A message of `kind` (one of KINDS) in `language` (vi or en; anything else gives vi)."""
    if kind not in KINDS:
        raise InputError(f"no message templates for '{kind}' (known: {', '.join(sorted(KINDS))})", field="kind",
                         vi=f"không có mẫu thư cho '{kind}' (các loại có: {', '.join(sorted(KINDS))})")
    language = language if language in LANGUAGES else "vi"
    folder = f"{kind}/{language}"
    _env = _environment()
    # A subject is one line: nothing in the data can add a header.
    context = dict(context, message_language=language)
    subject = " ".join(_env.get_template(f"{folder}/subject.txt").render(**context).split())
    text = _env.get_template(f"{folder}/body.txt").render(subject=subject, **context)
    html = _env.get_template(f"{folder}/body.html").render(subject=subject, **context)
    return Rendered(subject, text, html)
