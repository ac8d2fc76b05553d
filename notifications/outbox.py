"""Putting messages into the durable outbox. Queuing is idempotent by the message's key."""
import hashlib
import re
from datetime import date, datetime
from email.utils import format_datetime

import emails

from sqlmodel import Session, select

from models.outbox import Message, MessageContent, MessageStatus
from notifications.render import Rendered


def message_id_for(key: str, mail_from: str) -> str:
    """A stable Message-ID: a resend after a crash carries the same one, so clients can dedupe."""
    domain = mail_from.rsplit("@", 1)[-1].strip(" >") or "dondoc.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


def is_valid_address(address: str) -> bool:
    return bool(_ADDRESS.match(address))


def build_mime(*, subject: str, text: str, html: str, mail_from: str, to_name: str, to_email: str,
               message_id: str, kind: str, at: datetime) -> bytes:
    """The email as it will be sent, built with the `emails` library (UTF-8 subject, names, parts)."""
    built = emails.Message(subject=subject, text=text, html=html, mail_from=mail_from, mail_to=(to_name, to_email),
                           charset="utf-8")
    # Date from our clock, not the library's: a simulated day's mail is dated that day.
    built.set_headers({"Message-ID": message_id, "Date": format_datetime(at), "X-Dondoc-Kind": kind})
    return built.as_bytes()  # CRLF line ends, as SMTP wants them


def clean_header(value: str) -> str:
    """Names and subjects go into headers: no line breaks, so no injected headers."""
    return " ".join(value.replace("\r", " ").replace("\n", " ").split())


def enqueue(session: Session, *, key: str, kind: str, recipient_email: str, recipient_name: str,
            language: str, send_date: date, rendered: Rendered, now: datetime, mail_from: str) -> Message | None:
    """Queue one message; None when a message with this key exists already."""
    if session.exec(select(Message.id).where(Message.key == key)).first() is not None:
        return None
    email, name, subject = recipient_email.strip(), clean_header(recipient_name), clean_header(rendered.subject)
    message_id = message_id_for(key, mail_from)
    message = Message(
        key=key, kind=kind, recipient_email=email, recipient_name=name, language=language, send_date=send_date,
        subject=subject, message_id=message_id, status=MessageStatus.QUEUED, next_attempt_at=now, created_at=now,
    )
    session.add(message)
    session.flush()
    session.add(MessageContent(
        message_id=message.id, text_body=rendered.text, html_body=rendered.html,
        raw=build_mime(subject=subject, text=rendered.text, html=rendered.html, mail_from=mail_from, to_name=name,
                       to_email=email, message_id=message_id, kind=kind, at=now)))
    session.flush()
    return message
