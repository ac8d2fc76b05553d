"""Transports: how a message leaves. One small class per channel, each with send().

A failure is a TransportError: temporary ones (connection refused, timeout, 4xx) are retried
later, permanent ones (5xx, malformed address) are not.
"""
import re
import smtplib
from email.utils import parseaddr
from pathlib import Path

from emails.backend.smtp import SMTPBackend

from config.settings import Settings
from models.outbox import Message
from notifications.outbox import is_valid_address


class TransportError(Exception):
    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class _PreBuilt:
    """What the `emails` SMTP backend sends: the bytes built when the message was queued."""

    def __init__(self, raw: bytes):
        self.raw = raw

    def as_bytes(self) -> bytes:
        return self.raw


def _check_address(message: Message) -> None:
    if not is_valid_address(message.recipient_email):
        raise TransportError(f"malformed address: {message.recipient_email!r}", permanent=True)


class FileTransport:
    """The embedded default: each message becomes an .eml file in the outbox folder."""

    def __init__(self, folder: Path, mail_from: str):
        self.folder = Path(folder)
        self.mail_from = mail_from

    def __enter__(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc):
        return False

    def send(self, message: Message) -> str:
        day = self.folder / message.send_date.isoformat()
        day.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9@._-]", "_", message.recipient_email)
        path = day / f"{message.id:08d}-{message.kind}-{safe}.eml"
        # Same name on a resend: a crash never leaves two files for one message.
        temporary = path.with_suffix(".tmp")
        _check_address(message)
        temporary.write_bytes(message.raw)
        temporary.replace(path)
        return f"written {path}"


class SmtpTransport:
    """SMTP from settings; one connection for a whole batch."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.envelope_from = parseaddr(settings.mail_from)[1]
        self.backend: SMTPBackend | None = None

    def __enter__(self):
        s = self.settings
        options = dict(host=s.smtp_host, port=s.smtp_port, timeout=s.smtp_timeout_seconds,
                       ssl=s.smtp_tls == "ssl", tls=s.smtp_tls == "starttls", fail_silently=True)
        if s.smtp_user:
            options.update(user=s.smtp_user, password=s.smtp_password)
        self.backend = SMTPBackend(**options)
        return self

    def __exit__(self, *exc):
        if self.backend is not None:
            try:
                self.backend.close()
            except (OSError, smtplib.SMTPException):
                pass
        return False

    def send(self, message: Message) -> str:
        _check_address(message)
        response = self.backend.sendmail(from_addr=self.envelope_from, to_addrs=[message.recipient_email],
                                         msg=_PreBuilt(message.raw))
        if response is not None and response.success:
            return f"{response.status_code} {(response.status_text or b'').decode(errors='replace')}".strip()
        # The connection may be unusable now: drop it so the next message opens a fresh one.
        self._reset()
        raise _classify(response)

    def _reset(self):
        try:
            self.backend.close()
        except (OSError, smtplib.SMTPException):
            pass


def _classify(response) -> TransportError:
    error = getattr(response, "error", None)
    refused = getattr(response, "refused_recipients", None) or {}
    if refused:
        code, text = next(iter(refused.values()))
        return TransportError(f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}",
                              permanent=500 <= code < 600)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()))
        return TransportError(f"{code} {text!r}", permanent=500 <= code < 600)
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return TransportError(f"{error.smtp_code} {text}", permanent=500 <= error.smtp_code < 600)
    if error is not None:
        return TransportError(f"{type(error).__name__}: {error}", permanent=False)
    code = getattr(response, "status_code", None)
    if code:
        text = (response.status_text or b"").decode(errors="replace")
        return TransportError(f"{code} {text}", permanent=500 <= code < 600)
    return TransportError("no answer from the SMTP server", permanent=False)


def transport_for(settings: Settings):
    """SMTP when a host is set, else the local .eml outbox folder."""
    if settings.smtp_host:
        return SmtpTransport(settings)
    return FileTransport(settings.outbox_dir, settings.mail_from)



