"""Putting messages into the durable outbox. Queuing is idempotent by the message's key."""
import hashlib
from datetime import date, datetime

from sqlmodel import Session, select

from models.outbox import Message, MessageStatus
from notifications.render import Rendered


def message_id_for(key: str, mail_from: str) -> str:
    """A stable Message-ID: a resend after a crash carries the same one, so clients can dedupe."""
    domain = mail_from.rsplit("@", 1)[-1].strip(" >") or "dondoc.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def clean_header(value: str) -> str:
    """Names and subjects go into headers: no line breaks, so no injected headers."""
    return " ".join(value.replace("\r", " ").replace("\n", " ").split())


def enqueue(session: Session, *, key: str, kind: str, recipient_email: str, recipient_name: str,
            language: str, send_date: date, rendered: Rendered, now: datetime, mail_from: str) -> Message | None:
    """Queue one message; None when a message with this key exists already."""
    if session.exec(select(Message.id).where(Message.key == key)).first() is not None:
        return None
    message = Message(
        key=key, kind=kind, recipient_email=recipient_email.strip(), recipient_name=clean_header(recipient_name),
        language=language, send_date=send_date, subject=clean_header(rendered.subject), text_body=rendered.text,
        html_body=rendered.html, message_id=message_id_for(key, mail_from), status=MessageStatus.QUEUED,
        next_attempt_at=now, created_at=now,
    )
    session.add(message)
    session.flush()
    return message
