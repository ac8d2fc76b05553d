"""Putting messages into the durable outbox. Queuing is idempotent by the message's key."""
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from email._policybase import Compat32
from email.charset import Charset
from email.generator import BytesGenerator
from email.utils import format_datetime
from functools import lru_cache
from io import BytesIO

from sqlalchemy import bindparam, insert, select as sa_select
from sqlmodel import Session, select

from models.outbox import Message, MessageContent, MessageStatus
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
    built = _email_class()(subject=subject, text=text, html=html, mail_from=mail_from, mail_to=(to_name, to_email),
                           charset="utf-8", message_id=message_id, date=format_datetime(at),
                           headers=extra, reply_to=reply_to)
    built.after_build = _boundaries_from(message_id)
    built.policy = _HEADERS
    out = BytesIO()  # what the library's as_bytes() does, with a generator that writes bodies whole
    _BodiesWhole(out, mangle_from_=False).flatten(built.build_message(), linesep="\r\n")  # CRLF, as SMTP wants
    return out.getvalue()


class _Utf8(Charset):
    """UTF-8 with base64 bodies, as the library's parts use it, encoded in one call rather than one
    per 57 bytes (the same 76-character lines)."""

    def body_encode(self, string):
        if not string:
            return string
        data = string.encode("utf-8") if isinstance(string, str) else string
        encoded = binascii.b2a_base64(data, newline=False).decode("ascii")
        return "".join(encoded[i:i + 76] + "\n" for i in range(0, len(encoded), 76))


_UTF8 = _Utf8("utf-8")


@lru_cache(maxsize=1)
def _email_class():
    """The library's message class, as we build with it; `emails` (which pulls in dkim and dnspython)
    is imported with the first message built, not by a run that only reads the outbox."""
    import emails
    from emails.utils import SafeMIMEText

    defaults = emails.Message(charset="utf-8")  # the settings our messages are built with

    @lru_cache(maxsize=4096)
    def library_address_header(key: str, value: str, encode: bool) -> str:
        header: dict[str, str] = {}
        emails.Message.set_header(defaults, header, key, value, encode)
        return header[key]

    class _Email(emails.Message):
        """The library's message, each text part given its charset once (it sets it a second time, which
        parses and rewrites the part's Content-Type again for the same bytes)."""

        def _build_text_part(self):
            return SafeMIMEText(self.text_body, "plain", _UTF8) if self.text_body else None

        def _build_html_part(self):
            return SafeMIMEText(self.html_body, "html", _UTF8) if self.html_body else None

        def set_header(self, msg, key, value, encode=True):
            """The library's address headers, worked out once per address: the sender and each person
            recur all year, and parsing them again was a tenth of the time to build a message."""
            if isinstance(value, str) and key.lower() in self.ADDRESS_HEADERS:
                msg[key] = library_address_header(key, value, encode)
            else:
                super().set_header(msg, key, value, encode)

    return _Email


class _BodiesWhole(BytesGenerator):
    """The standard generator writes a body line by line, two writes a line: most of the time it took
    for a digest's 150 lines of base64. This one writes it in one piece, with the same line ends."""

    def _write_lines(self, lines):
        if lines:
            self.write(lines.replace("\r\n", "\n").replace("\r", "\n").replace("\n", self._NL))


class _PlainHeadersAsTheyAre(Compat32):
    """The library's policy (compat32), minus the folding machinery for headers that need none:
    a short one-line ASCII value is written as it is, which is what the folding would produce."""

    def _fold(self, name, value, sanitize):
        if (isinstance(value, str) and value.isascii() and len(name) + 2 + len(value) <= 78
                and value == " ".join(value.split())):
            return f"{name}: {value}{self.linesep}"
        if isinstance(value, str):
            return _folded(self, name, value, sanitize)  # names and subjects recur: each is folded once
        return super()._fold(name, value, sanitize)


@lru_cache(maxsize=4096)
def _folded(policy: Compat32, name: str, value: str, sanitize: bool) -> str:
    return Compat32._fold(policy, name, value, sanitize)


_HEADERS = _PlainHeadersAsTheyAre()


def _boundaries_from(message_id: str):
    """Fixed MIME boundaries derived from the Message-ID: the same message builds to the same bytes,
    and the generator need not search each body for a random boundary that does not occur in it
    (bodies are base64, which never contains the '-' and '_' a boundary line starts with)."""
    # 64 bits of it: short enough that "Content-Type: multipart/alternative; boundary=..." fits one
    # line and skips the header folding machinery.
    seed = hashlib.sha256(message_id.encode()).hexdigest()[:16]

    def set_boundaries(_message, mime) -> None:
        for n, part in enumerate(p for p in mime.walk() if p.is_multipart()):
            part.set_boundary(f"=_dondoc_{seed}_{n}")
    return set_boundaries


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
_QUEUED_KEYS = sa_select(Message.key).where(Message.key.in_(bindparam("keys", expanding=True)))
_INSERT_MESSAGES = insert(Message).returning(Message.id, Message.key, sort_by_parameter_order=True)
_INSERT_CONTENTS = insert(MessageContent)


def queued_keys(session: Session, keys: list[str]) -> set[str]:
    """Which of these message keys are in the outbox already."""
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        found.update(session.connection().execute(_QUEUED_KEYS, dict(keys=keys[start:start + 500])).scalars())
    return found


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
