"""What the pages call the stored words (an outbox status, an email's kind, a focal role, a review
channel, who made a change), in Vietnamese and English. A value with no label shows as it is stored.

Templates call `label("status", m.status)` and `actor_label(h.actor)`; the page passes `actor_names`
(email -> name) when it shows actors, so a change reads "Bob Trần (đầu mối, SKHDT)", not
"web:focal:bob@skhdt.example.org".
"""
from jinja2 import pass_context

from dondoc.labels import LABELS, actor_of, label_of  # noqa: F401  (the words live there, for the CLI too)


def people_named(session, actors) -> dict[str, str]:
    """email -> name for the people behind these actors (focal points and staff, current or not)."""
    from sqlmodel import select

    from models.accounts import StaffUser
    from models.agency import FocalPoint
    emails = {a.rsplit(":", 1)[-1].lower() for a in actors if a and a.startswith(("web:focal:", "web:staff:", "email:"))}
    if not emails:
        return {}
    names = {e.lower(): n for e, n in session.exec(select(FocalPoint.email, FocalPoint.name)
                                                    .where(FocalPoint.email.in_(emails))).all()}
    names.update({e.lower(): n for e, n in session.exec(select(StaffUser.email, StaffUser.name)
                                                         .where(StaffUser.email.in_(emails))).all()})
    return names


@pass_context
def _label(ctx, group: str, value) -> str:
    return label_of(group, value, ctx.get("lang", "vi"))


@pass_context
def _actor(ctx, actor: str | None) -> str:
    return actor_of(actor, ctx.get("actor_names") or {}, ctx.get("lang", "vi"))


def install(env) -> None:
    env.globals["label"] = _label
    env.globals["actor_label"] = _actor
