"""Helpers for the reply-by-email and bounce tests: real messages written as a person's mail program or
a mail server would (replies quoting or not, out-of-office answers, RFC 3464 reports), an SMTP server
that keeps each message's envelope, and a throwaway Dovecot IMAP server on loopback.

Run as a program, this module is the inbox job in a process of its own (for the kill test):

    python -m tests.inbox_support --now 2015-06-02T09:00:00+07:00 [--pause SECONDS]

It reads its settings from the environment, prints "committed <uid>" after each message's transaction
has committed and, with --pause, waits that long before moving the message to the processed folder (a
kill then lands between the commit and the move), then "moved <uid>".
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

from aiosmtpd.controller import Controller

from tests.review_support import free_port

ROOT = Path(__file__).resolve().parents[1]
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


# --- what comes back ---------------------------------------------------------------------------------

def text_of(raw: bytes) -> str:
    from notifications.outbox import bodies_of
    return bodies_of(raw)[0]


def reply(original: bytes, body: str, *, sender: str | None = None, quote: str = "none", at: datetime | None = None,
          html: str | None = None, headers: dict | None = None, subject: str | None = None,
          to: str | None = None) -> bytes:
    """A person's reply to `original` (the bytes we sent): to its Reply-To, from its recipient unless
    `sender` says otherwise. `quote`: none, gmail (the original under "> ") or outlook (the whole
    original under a header block, no markers)."""
    sent = message_from_bytes(original, policy=policy.default)
    message = EmailMessage()
    message["From"] = sender or str(sent["To"])
    message["To"] = to or str(sent["Reply-To"] or sent["From"])
    message["Subject"] = subject or f"Re: {sent['Subject']}"
    message["Message-ID"] = make_msgid(domain="mail.example.org")
    message["In-Reply-To"] = str(sent["Message-ID"])
    message["References"] = str(sent["Message-ID"])
    if at is not None:
        message["Date"] = format_datetime(at)
    for name, value in (headers or {}).items():
        message[name] = value
    original_text = text_of(original)
    if quote == "gmail":
        body += (f"\n\nVào Th 2, 1 thg 6, 2015 vào lúc 08:00 Dondoc <{parseaddr(str(sent['From']))[1]}> đã viết:\n"
                 + "\n".join(f"> {line}" for line in original_text.splitlines()))
    elif quote == "outlook":
        body += ("\n\n________________________________\n"
                 f"Từ: {sent['From']}\nGửi: Thứ Hai, 1 tháng 6, 2015 8:00 SA\nĐến: {sent['To']}\n"
                 f"Chủ đề: {sent['Subject']}\n\n{original_text}")
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return bytes(message)


def out_of_office(original: bytes, *, auto_submitted: bool = True) -> bytes:
    sent = message_from_bytes(original, policy=policy.default)
    message = EmailMessage()
    message["From"] = str(sent["To"])
    message["To"] = str(sent["Reply-To"] or sent["From"])
    message["Subject"] = "Trả lời tự động: Vắng mặt" if auto_submitted else "Out of Office: back on 15/06"
    message["Message-ID"] = make_msgid(domain="mail.example.org")
    if auto_submitted:
        message["Auto-Submitted"] = "auto-replied"
        message["X-Autoreply"] = "yes"
    message.set_content("Tôi đang đi công tác đến ngày 15/06/2015. Đã hoàn thành mọi việc trước khi đi.")
    return bytes(message)


def delivery_report(original: bytes, *, return_path: str, recipient: str, status: str = "5.1.1",
                    action: str = "failed", diagnostic: str = "smtp; 550 5.1.1 <{r}>: Recipient address rejected: "
                                                             "User unknown in virtual mailbox table") -> bytes:
    """An RFC 3464 delivery status notification, as Postfix writes one, sent to our return path."""
    sent = message_from_bytes(original, policy=policy.default)
    boundary = "DSN.boundary.2015"
    headers = "\r\n".join(f"{k}: {v}" for k, v in (("Message-ID", sent["Message-ID"]), ("From", sent["From"]),
                                                    ("To", recipient), ("Subject", "...")))
    text = (f"From: MAILER-DAEMON@mx.skhdt.example.org (Mail Delivery System)\r\n"
            f"To: {return_path}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
            f"Message-ID: {make_msgid(domain='mx.skhdt.example.org')}\r\nAuto-Submitted: auto-replied\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;\r\n"
            f"\tboundary=\"{boundary}\"\r\n\r\n"
            f"--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
            f"This is the mail system at host mx.skhdt.example.org.\r\n\r\n"
            f"I'm sorry to have to inform you that your message could not be delivered.\r\n\r\n"
            f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
            f"Reporting-MTA: dns; mx.skhdt.example.org\r\nArrival-Date: Mon, 1 Jun 2015 08:00:05 +0700\r\n\r\n"
            f"Final-Recipient: rfc822; {recipient}\r\nOriginal-Recipient: rfc822;{recipient}\r\n"
            f"Action: {action}\r\nStatus: {status}\r\nDiagnostic-Code: {diagnostic.format(r=recipient)}\r\n\r\n"
            f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n{headers}\r\n\r\n--{boundary}--\r\n")
    return text.encode()


# --- an SMTP server that keeps the envelope ---------------------------------------------------------

@dataclass
class Envelope:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self):
        return message_from_bytes(self.raw, policy=policy.default)


@dataclass
class EnvelopeBox:
    envelopes: list[Envelope] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(Envelope(envelope.mail_from, [r.lower() for r in envelope.rcpt_tos], envelope.content))
        return "250 OK"

    def kind(self, kind: str) -> list[Envelope]:
        return [e for e in self.envelopes if str(e.message["X-Dondoc-Kind"]) == kind]

    def to(self, address: str, kind: str | None = None) -> list[Envelope]:
        return [e for e in self.envelopes if address.lower() in e.rcpt_tos
                and (kind is None or str(e.message["X-Dondoc-Kind"]) == kind)]


def start_envelope_smtp() -> tuple[Controller, EnvelopeBox]:
    box = EnvelopeBox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, box


# --- Dovecot --------------------------------------------------------------------------------------

DOVECOT_CONF = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
default_login_user = {login_user}
default_internal_user = {internal_user}
{extra}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


class Dovecot:
    """Debian's Dovecot on a loopback port, its configuration, a passwd-file user and the maildir in a
    folder of its own (no system service). As root the mail is owned by `nobody` (Dovecot does not
    run mail processes as root); otherwise by the user running the tests."""

    user, password = "phanhoi", "mat-khau-thu-nghiem"

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="dondoc-dovecot-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> "Dovecot":
        root = self.root
        as_root = os.geteuid() == 0
        uid, gid = (65534, 65534) if as_root else (os.getuid(), os.getgid())
        (root / "mail").mkdir()
        (root / "home").mkdir()
        if as_root:
            os.chmod(root, 0o755)
            for folder in ("mail", "home"):
                os.chown(root / folder, uid, gid)
            login_user, internal_user, extra = "dovenull", "dovecot", ""
        else:
            import getpass
            login_user = internal_user = getpass.getuser()
            extra = "\n".join(f"service {name} {{\n  user = {login_user}\n}}" for name in ("anvil", "auth", "stats"))
        (root / "passwd").write_text(f"{self.user}:{{PLAIN}}{self.password}:{uid}:{gid}::{root / 'home'}\n")
        (root / "dovecot.conf").write_text(DOVECOT_CONF.format(root=root, port=self.port, login_user=login_user,
                                                               internal_user=internal_user, extra=extra))
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"dovecot did not start: {self.process.stderr.read().decode(errors='replace')}"
                                       f"{self.log()}")
                time.sleep(0.1)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def client(self):
        from imap_tools import MailBoxUnencrypted
        return MailBoxUnencrypted("127.0.0.1", self.port).login(self.user, self.password)

    def append(self, *messages: bytes, folder: str = "INBOX") -> None:
        with self.client() as box:
            for raw in messages:
                box.append(raw, folder)

    def count(self, folder: str) -> int:
        with self.client() as box:
            if not box.folder.exists(folder):
                return 0
            box.folder.set(folder)
            return len(box.uids())

    def settings_update(self) -> dict:
        return dict(imap_host="127.0.0.1", imap_port=self.port, imap_ssl="none", imap_user=self.user,
                    imap_password=self.password, imap_timeout_seconds=10)


# --- the inbox job in a process of its own ------------------------------------------------------------

def inbox_process(settings, *, now: datetime, pause: float = 0) -> subprocess.Popen:
    env = dict(os.environ, DONDOC_DATABASE_URL=settings.resolved_database_url, DONDOC_DATA_DIR=str(settings.data_dir),
               DONDOC_SMTP_HOST=settings.smtp_host, DONDOC_SMTP_PORT=str(settings.smtp_port),
               DONDOC_MAIL_FROM=settings.resolved_mail_from, DONDOC_IMAP_HOST=settings.imap_host,
               DONDOC_IMAP_PORT=str(settings.imap_port), DONDOC_IMAP_SSL=settings.imap_ssl,
               DONDOC_IMAP_USER=settings.imap_user, DONDOC_IMAP_PASSWORD=settings.imap_password,
               DONDOC_SECRET_KEY=settings.secret_key, DONDOC_ACTOR="test", PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "tests.inbox_support", "--now", now.isoformat(), "--pause", str(pause)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)


def _main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--now", required=True)
    parser.add_argument("--pause", type=float, default=0)
    args = parser.parse_args()

    from config.settings import Settings
    from dondoc.app import jobs
    from dondoc.app.context import AppContext
    from notifications import mailboxes

    class Narrated(mailboxes.ImapMailbox):
        """Says when each message's transaction has committed, then waits before moving it."""

        def processed(self, uid: str) -> None:
            print(f"committed {uid}", flush=True)
            time.sleep(args.pause)
            super().processed(uid)
            print(f"moved {uid}", flush=True)

    mailboxes.ImapMailbox = Narrated  # this process only: the job looks the class up when it runs
    context = AppContext(Settings())
    report = jobs.read_inbox(context, datetime.fromisoformat(args.now))
    print(f"done {report.read} {report.already}", flush=True)
    context.close()


if __name__ == "__main__":
    _main()
