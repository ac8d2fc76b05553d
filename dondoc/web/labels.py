"""What the pages call the stored words (an outbox status, an email's kind, a focal role, a review
channel, who made a change), in Vietnamese and English. A value with no label shows as it is stored.

Templates call `label("status", m.status)` and `actor_label(h.actor)`; the page passes `actor_names`
(email -> name) when it shows actors, so a change reads "Bob Trần (đầu mối, SKHDT)", not
"web:focal:bob@skhdt.example.org".
"""
from jinja2 import pass_context

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "status": {  # models.outbox.MessageStatus
        "queued": ("chờ gửi", "queued"), "sending": ("đang gửi", "sending"), "sent": ("đã gửi", "sent"),
        "failed": ("gửi lỗi", "failed"),
    },
    "kind": {  # the outbox's kinds of email (notifications/templates/)
        "daily": ("nhắc việc hằng ngày", "daily reminder"), "signin": ("liên kết đăng nhập", "sign-in link"),
        "review_request": ("đề nghị báo cáo sơ kết", "review request"),
        "review_chaser": ("nhắc nộp báo cáo sơ kết", "review chaser"),
        "review_missing": ("danh sách chưa nộp sơ kết", "review: who has not reported"),
        "reply_confirmation": ("xác nhận thư trả lời", "reply confirmation"),
        "address_dead": ("báo địa chỉ thư không nhận", "dead address notice"),
    },
    "outcome": {  # models.outbox.DeliveryAttempt.outcome
        "sent": ("đã gửi", "sent"), "temporary": ("lỗi tạm thời, sẽ gửi lại", "temporary failure, will retry"),
        "failed": ("lỗi, không gửi lại", "failed, not retried"), "permanent": ("lỗi, không gửi lại", "failed, not retried"),
        "lost": ("mất kết nối giữa chừng", "lost mid-way"), "bounced": ("bị trả lại", "bounced"),
    },
    "role": {  # models.agency.FocalPoint.role
        "primary": ("đầu mối chính", "primary contact"), "deputy": ("cấp phó", "deputy"),
        "head": ("thủ trưởng", "head"),
    },
    "channel": {  # models.review.rules.Channel
        "web": ("trang web", "web form"), "cli": ("dòng lệnh", "command line"), "xlsx": ("tệp Excel", "Excel file"),
        "simulated": ("mô phỏng", "simulated"),
    },
}


def label_of(group: str, value, lang: str = "vi") -> str:
    pair = LABELS.get(group, {}).get(str(value)) if value is not None else None
    if pair is None:
        return "" if value is None else str(value)
    return pair[1] if lang == "en" else pair[0]


def actor_of(actor: str | None, people: dict[str, str], lang: str = "vi") -> str:
    """How the history names who made a change, from the audit's actor:
    web:focal:EMAIL and web:staff:EMAIL -> the person's name and role; web:CODE -> the agency's review
    form; email:EMAIL -> a reply by email; cli:USER -> the command line; simulated:CODE, demo, ..."""
    en = lang == "en"
    if not actor:
        return ""
    kind, _, rest = actor.partition(":")
    if kind == "web" and rest.startswith(("focal:", "staff:")):
        role, _, email = rest.partition(":")
        name = people.get(email.lower(), email)
        if role == "focal":
            return f"{name} ({'focal point' if en else 'đầu mối của đơn vị'})"
        return f"{name} ({'Alliance staff' if en else 'cán bộ Liên minh HTX'})"
    if kind == "web" and rest:
        return f"{'Review form of' if en else 'Biểu mẫu sơ kết của'} {rest}"
    if kind == "email" and rest:
        name = people.get(rest.lower())
        said = f"{name} <{rest}>" if name else rest
        return f"{said} ({'by email' if en else 'trả lời qua email'})"
    if kind == "cli":
        return f"{'Command line' if en else 'Dòng lệnh'}{f' ({rest})' if rest else ''}"
    if kind == "simulated":
        return f"{'Simulation' if en else 'Mô phỏng'} ({rest})"
    if actor == "demo":
        return "Demo" if en else "Dữ liệu minh họa"
    return actor


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
