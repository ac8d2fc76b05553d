"""Putting messages into the durable outbox. Queuing is idempotent by the message's key."""
import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from email.generator import Generator
from email.policy import Compat32
from email.utils import format_datetime
from functools import lru_cache
from io import StringIO

from sqlalchemy import insert
from sqlmodel import Session, select

from models.outbox import Message, MessageContent, MessageStatus
from models.queries import queued_keys  # noqa: F401  (its home: models/queries.py, on the plain tables)
from notifications.render import Rendered
from notifications.reply_address import ReplyAddresses


def message_id_for(key: str, mail_from: str) -> str:
    """A stable Message-ID: a resend after a crash carries the same one, so clients can dedupe."""
    domain = mail_from.rsplit("@", 1)[-1].strip(" >") or "dondoc.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


def is_valid_address(address: str) -> bool:
    return bool(_ADDRESS.match(address))


def build_mime(*, subject: str, text: str, html: str, mail_from: str, to_name: str, to_email: str,
               message_id: str, kind: str, at: datetime, reply_to: str | None = None,
               headers: tuple[tuple[str, str], ...] = ()) -> bytes:
    """The email as it will be sent, built with the `emails` library (UTF-8 subject, names, parts).
    The subject and the name are made one line here too: nothing in them can start another header.
    `reply_to`: the tagged address a reply goes to; `headers`: a few more (threading, Auto-Submitted)."""
    subject, to_name = clean_header(subject), clean_header(to_name)
    extra = {"X-Dondoc-Kind": kind}
    extra.update((name, clean_header(value)) for name, value in headers)
    # Date from our clock, not the library's: a simulated day's mail is dated that day. (Given as a
    # header as well, the library's own Date stayed first: two Date headers, the wall clock's read.)
    import emails  # here: it pulls in dkim and dnspython, which a run with nothing to send never needs

    built = emails.Message(subject=subject, text=text, html=html, mail_from=mail_from, mail_to=(to_name, to_email),
                           charset="utf-8", message_id=message_id, date=format_datetime(at), headers=extra,
                           reply_to=reply_to)
    mime = built.as_message()
    _set_boundaries(mime, message_id)
    # What the library's as_bytes() does (no ">From " mangling, CRLF line ends as SMTP wants), with
    # its policy, compat32, given the CRLF once. Every character of the message is ASCII (encoded
    # words in the headers, base64 bodies), so it is written as text and encoded once, sparing the
    # byte generator an encoding per line; anything else would fail here, not go out.
    out = StringIO()
    Generator(out, mangle_from_=False, policy=SMTP_COMPAT32).flatten(mime)
    return out.getvalue().encode("ascii")


class FoldedOnce(Compat32):
    """compat32, the policy the `emails` library builds with (the standard library's classic folding
    and encoded words), for headers that recur: the sender, each person's name, the day's subjects.
    A value always folds to the same lines, so each distinct one is folded once, and a short
    one-line ASCII value, which needs no folding, is written as it is. (`fold` is the method a
    policy defines for the generator to call on every header: public, made to be redefined.)"""

    def fold(self, name, value):
        if not isinstance(value, str):
            return super().fold(name, value)
        if value.isascii() and len(name) + 2 + len(value) <= self.max_line_length and value == " ".join(value.split()):
            return f"{name}: {value}{self.linesep}"
        return _fold_once(self, name, value)


@lru_cache(maxsize=4096)
def _fold_once(policy: FoldedOnce, name: str, value: str) -> str:
    return super(FoldedOnce, policy).fold(name, value)


SMTP_COMPAT32 = FoldedOnce(linesep="\r\n")


def _set_boundaries(mime, message_id: str) -> None:
    """Fixed MIME boundaries derived from the Message-ID: the same message builds to the same bytes,
    and the generator need not search each body for a random boundary that does not occur in it
    (bodies are base64, which never contains the '-' and '_' a boundary line starts with)."""
    # 64 bits of it: short enough that "Content-Type: multipart/alternative; boundary=..." fits one
    # line and skips the header folding machinery.
    seed = hashlib.sha256(message_id.encode()).hexdigest()[:16]
    for n, part in enumerate(p for p in mime.walk() if p.is_multipart()):
        part.set_boundary(f"=_dondoc_{seed}_{n}")


def bodies_of(raw: bytes) -> tuple[str, str]:
    """The text and HTML bodies of a message as built by build_mime (for reading, not sending)."""
    from email import message_from_bytes, policy

    message = message_from_bytes(raw, policy=policy.default)
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    return (text.get_content() if text else ""), (html.get_content() if html else "")


def clean_header(value: str) -> str:
    """Names and subjects go into headers: no line breaks, so no injected headers."""
    return " ".join(value.replace("\r", " ").replace("\n", " ").split())


@dataclass(frozen=True)
class Draft:
    """A message to queue, before its MIME is built."""
    key: str
    kind: str
    recipient_email: str
    recipient_name: str
    language: str
    send_date: date
    rendered: Rendered
    headers: tuple[tuple[str, str], ...] = ()  # a few more headers (In-Reply-To, Auto-Submitted)


# The emails a person can act on by replying: they carry a Reply-To tagged with the message (its
# recipient, the occurrences it covers), when a reply mailbox is read (notifications/reply_address.py).
ACTIONABLE_KINDS = frozenset({"daily", "review_request", "review_chaser"})


def _message_row(draft: Draft, *, now: datetime, mail_from: str) -> dict:
    """The message's delivery row (without the id the database gives it)."""
    return dict(key=draft.key, kind=draft.kind, recipient_email=draft.recipient_email.strip(),
                recipient_name=clean_header(draft.recipient_name), language=draft.language,
                send_date=draft.send_date, subject=clean_header(draft.rendered.subject),
                message_id=message_id_for(draft.key, mail_from), status=MessageStatus.QUEUED, attempts=0,
                next_attempt_at=now, created_at=now)


def _content_row(draft: Draft, message: dict, message_id: int, *, now: datetime, mail_from: str,
                 replies: "ReplyAddresses | None") -> dict:
    """The message's MIME, built once its id is known (an actionable one's reply address names it)."""
    email = message["recipient_email"]
    reply_to = (replies.reply_to(message_id, email) if replies is not None and draft.kind in ACTIONABLE_KINDS
                else None)
    return dict(message_id=message_id, raw=build_mime(
        subject=message["subject"], text=draft.rendered.text, html=draft.rendered.html, mail_from=mail_from,
        to_name=message["recipient_name"], to_email=email, message_id=message["message_id"], kind=draft.kind, at=now,
        reply_to=reply_to, headers=draft.headers))


def enqueue(session: Session, *, key: str, kind: str, recipient_email: str, recipient_name: str,
            language: str, send_date: date, rendered: Rendered, now: datetime, mail_from: str,
            replies: "ReplyAddresses | None" = None, headers: tuple[tuple[str, str], ...] = ()) -> Message | None:
    """Queue one message; None when a message with this key exists already."""
    if session.exec(select(Message.id).where(Message.key == key)).first() is not None:
        return None
    draft = Draft(key, kind, recipient_email, recipient_name, language, send_date, rendered, headers)
    row = _message_row(draft, now=now, mail_from=mail_from)
    message = Message(**row)
    session.add(message)
    session.flush()
    session.add(MessageContent(**_content_row(draft, row, message.id, now=now, mail_from=mail_from, replies=replies)))
    session.flush()
    return message


# Built once: queueing runs every day, thousands of days in a simulation.
_INSERT_MESSAGES = insert(Message).returning(Message.id, Message.key, sort_by_parameter_order=True)
_INSERT_CONTENTS = insert(MessageContent)


def enqueue_many(session: Session, drafts: list[Draft], *, now: datetime, mail_from: str,
                 replies: "ReplyAddresses | None" = None) -> dict[str, int]:
    """Queue many messages in one statement; returns the new messages' ids by key (a draft whose key
    is queued already, or comes again in `drafts`, is skipped, as `enqueue` does)."""
    skipped = queued_keys(session, [d.key for d in drafts])
    new = [d for d in drafts if not (d.key in skipped or skipped.add(d.key))]
    if not new:
        return {}
    rows = [_message_row(d, now=now, mail_from=mail_from) for d in new]
    session.flush()
    inserted = list(session.execute(_INSERT_MESSAGES, rows))
    session.execute(_INSERT_CONTENTS, [_content_row(d, row, message_id, now=now, mail_from=mail_from, replies=replies)
                                        for (message_id, _), d, row in zip(inserted, new, rows)])
    return {key: message_id for message_id, key in inserted}
