"""Transports: how a message leaves. One small class per channel, each with send().

A failure is a TransportError: temporary ones (connection refused, dropped or timed out, 4xx)
are retried later, permanent ones (5xx, malformed address) are not.
"""
import re
import smtplib
import ssl
from email.utils import parseaddr
from pathlib import Path

from config.settings import Settings
from models.outbox import Message
from notifications.outbox import is_valid_address
from notifications.reply_address import ReplyAddresses


class TransportError(Exception):
    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class ConnectError(TransportError):
    """No connection to the server at all (refused, unreachable, TLS or login failed): temporary,
    and the same for every message, so the dispatcher stops trying the rest of the batch."""


def _check_address(message: Message) -> None:
    if not is_valid_address(message.recipient_email):
        raise TransportError(f"malformed address: {message.recipient_email!r}", permanent=True)


class FileTransport:
    """The embedded default: each message becomes an .eml file in the outbox folder.

    Idempotent: a message is always the same file (named by its id, written whole and renamed), so
    sending it again after a crash leaves one copy; the dispatcher records a batch's outcomes at once."""

    idempotent = True

    def __init__(self, folder: Path, mail_from: str):
        self.folder = Path(folder)
        self.mail_from = mail_from
        self._made: set[Path] = set()

    def __enter__(self):
        return self  # the folders are made as messages are written (a failure there is a ConnectError)

    def __exit__(self, *exc):
        return False

    def send(self, message: Message, wait=None) -> str:
        if wait is not None:
            wait(final=True)
        _check_address(message)
        day = self.folder / message.send_date.isoformat()
        safe = re.sub(r"[^A-Za-z0-9@._-]", "_", message.recipient_email)
        path = day / f"{message.id:08d}-{message.kind}-{safe}.eml"
        # Same name on a resend: a crash never leaves two files for one message.
        temporary = path.with_suffix(".tmp")
        try:
            if day not in self._made:
                day.mkdir(parents=True, exist_ok=True)
                self._made.add(day)
            temporary.write_bytes(message.raw)
            temporary.replace(path)
        except OSError as error:
            # A full disk, a read-only or missing folder: the same for every message, so the batch
            # stops and its messages stay queued for a later try (never left claimed as "sending").
            try:
                temporary.unlink(missing_ok=True)
            except OSError:
                pass
            raise ConnectError(f"cannot write the outbox folder {day}: {error.strerror or error}") from error
        return f"written {path}"


class SmtpTransport:
    """SMTP from settings, with the standard library's smtplib: one connection for a whole dispatch.

    Sends the MIME bytes built (with the `emails` library) when the message was queued, and returns
    the server's reply to the end of DATA. A connection the server closed (421, a drop, a timeout) is
    dropped and the next message opens a new one; if that fails, ConnectError.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self.envelope_from = parseaddr(settings.resolved_mail_from)[1]
        # The same on every message: quoted once (smtplib parses the address again on each quoteaddr).
        self.mail_from = f"FROM:{smtplib.quoteaddr(self.envelope_from)}"
        # When a reply mailbox is read, each message's return path names it (VERP): a bounce says which.
        self.replies = ReplyAddresses.from_settings(settings)
        self.client: smtplib.SMTP | None = None

    def _envelope_from(self, message) -> str:
        if self.replies is None:
            return self.mail_from
        return f"FROM:<{self.replies.return_path(message.id, message.recipient_email)}>"

    def __enter__(self):
        return self  # connects on the first message: a batch with nothing to send opens nothing

    def __exit__(self, *exc):
        if self.client is not None:
            try:
                self.client.quit()
            except (OSError, smtplib.SMTPException):
                self.client.close()
            self.client = None
        return False

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context(cafile=s.smtp_ca_file or None) if s.smtp_tls != "none" else None
        client = None
        try:
            if s.smtp_tls == "ssl":
                client = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds, context=context)
            else:
                client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
            client.ehlo()
            if s.smtp_tls == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if s.smtp_user:
                client.login(s.smtp_user, s.smtp_password)
        except (OSError, smtplib.SMTPException, UnicodeEncodeError) as error:  # smtplib logs in with ASCII only
            if client is not None:
                client.close()
            raise ConnectError(f"cannot open the SMTP connection to {s.smtp_host}:{s.smtp_port}: "
                               f"{_describe(error)}") from error
        return client

    def send(self, message, wait=None) -> str:
        """Send one message; the server's reply to its end of DATA, or TransportError.

        `wait`, if given, is called while the server answers MAIL (`final=False`) and once it has
        accepted RCPT and DATA (354), before the content (`final=True`): the dispatcher writes the
        previous message's outcome meanwhile. No byte of this message's content leaves before
        `wait(final=True)` has returned.
        """
        _check_address(message)
        if self.client is None:
            self.client = self._connect()
        client = self.client
        try:
            size = f" SIZE={len(message.raw)}" if client.has_extn("size") else ""
            client.putcmd("mail", f"{self._envelope_from(message)}{size}")
        except OSError as error:
            raise self._broken(error) from error
        self._wait(wait, final=False)
        try:
            code, reply = client.getreply()
            if code == 250:
                client.putcmd("rcpt", f"TO:{smtplib.quoteaddr(message.recipient_email)}")
                code, reply = client.getreply()
                if code in (250, 251):
                    client.putcmd("data")  # smtplib's data(), with the wait between 354 and the content
                    code, reply = client.getreply()
                    if code == 354:
                        self._wait(wait, final=True)
                        client.send(_dot_terminated(message.raw))
                        code, reply = client.getreply()
                        if code == 250:
                            return f"{code} {reply.decode(errors='replace')}"
        except smtplib.SMTPResponseException as error:
            code, reply = error.smtp_code, error.smtp_error
        except (OSError, smtplib.SMTPException) as error:
            raise self._broken(error) from error
        text = f"{code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
        if code == 421 or code == -1:  # the server is closing the connection
            self._drop()
        else:
            try:
                client.rset()
            except (OSError, smtplib.SMTPException):
                self._drop()
        raise TransportError(text, permanent=500 <= code < 600)

    def _wait(self, wait, *, final: bool) -> None:
        if wait is None:
            return
        try:
            wait(final=final)
        except BaseException:
            self._drop()  # a reply is still unread: this connection is out of step
            raise

    def _broken(self, error: BaseException) -> TransportError:
        """Dropped, reset or silent past the timeout: this connection is done, the next message
        opens a new one. The server may have taken the message just before; its retry then
        repeats it (same Message-ID)."""
        self._drop()
        return TransportError(_describe(error))

    def _drop(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None


def _dot_terminated(raw: bytes) -> bytes:
    """The content as DATA carries it (RFC 5321 4.5.2, as smtplib's data() sends it): a line
    starting with a dot gets another, and a line with a single dot ends it."""
    quoted = re.sub(rb"(?m)^\.", b"..", raw)
    if not quoted.endswith(b"\r\n"):
        quoted += b"\r\n"
    return quoted + b".\r\n"


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return f"{error.smtp_code} {text}"
    if isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError):
        # smtplib reports a reply that never came as "SMTPServerDisconnected: ... timed out"
        return "timeout: the SMTP server stopped answering"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def transport_for(settings: Settings):
    """SMTP when a host is set, else the local .eml outbox folder."""
    if settings.smtp_host:
        return SmtpTransport(settings)
    return FileTransport(settings.outbox_dir, settings.resolved_mail_from)



