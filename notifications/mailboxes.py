"""Where replies and bounces are read from: the reply mailbox over IMAP (`imap-tools`), or a maildir on
this machine. Each is a small class: a context manager whose `messages()` yields (id, bytes) and whose
`processed(id)` moves a message, once dealt with, into the processed folder (created if missing).
"""
import mailbox
import ssl
from pathlib import Path
from typing import Iterator

from config.errors import ServiceUnavailable
from config.settings import Settings


class ImapMailbox:
    """The settings' IMAP folder (DONDOC_IMAP_*). Messages are read without marking them seen and moved
    (IMAP MOVE, or copy and expunge where the server has no MOVE) once processed."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.box = None

    def __enter__(self):
        from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted

        s = self.settings
        context = ssl.create_default_context(cafile=s.imap_ca_file or None) if s.imap_ssl != "none" else None
        port, timeout = s.resolved_imap_port, s.imap_timeout_seconds
        try:
            if s.imap_ssl == "ssl":
                box = MailBox(s.imap_host, port, timeout=timeout, ssl_context=context)
            elif s.imap_ssl == "starttls":
                box = MailBoxStartTls(s.imap_host, port, timeout=timeout, ssl_context=context)
            else:
                box = MailBoxUnencrypted(s.imap_host, port, timeout=timeout)
            box.email_message_class = _raw_message_class()
            box.login(s.imap_user, s.imap_password, initial_folder=s.imap_folder)
            # Servers announce MOVE only once logged in; imaplib keeps what they said before. With it a
            # message moves in one step; without, it is copied then deleted (a crash in between leaves a
            # second copy in the processed folder, never a message processed twice).
            _, announced = box.client.capability()
            box.client.capabilities = tuple(announced[-1].decode("ascii", "replace").upper().split())
            if not box.folder.exists(s.imap_processed_folder):
                box.folder.create(s.imap_processed_folder)
        except Exception as error:  # imaplib's, ssl's, socket's and imap-tools' own errors alike
            mailbox = f"{s.imap_user}@{s.imap_host}:{port}/{s.imap_folder}"
            raise ServiceUnavailable(f"cannot read the reply mailbox {mailbox}: {type(error).__name__}: {error}",
                                     vi=f"không đọc được hộp thư nhận trả lời {mailbox} ({type(error).__name__}: "
                                        f"{error}): kiểm tra DONDOC_IMAP_HOST, DONDOC_IMAP_PORT, DONDOC_IMAP_USER, "
                                        "DONDOC_IMAP_PASSWORD và máy chủ thư có đang chạy") from error
        self.box = box
        return self

    def __exit__(self, *exc):
        if self.box is not None:
            try:
                self.box.logout()
            except Exception:  # a connection already gone: nothing to close
                pass
            self.box = None
        return False

    def messages(self) -> Iterator[tuple[str, bytes]]:
        # One message fetched at a time (bulk=False): a big mailbox is not read into memory at once.
        for message in self.box.fetch(mark_seen=False, bulk=False):
            yield message.uid, message.raw

    def processed(self, uid: str) -> None:
        self.box.move(uid, self.settings.imap_processed_folder)


class MaildirMailbox:
    """A maildir on this machine (DONDOC_INBOX_MAILDIR): new and current messages; processed ones go to
    its `.processed` sub-folder (Maildir++), which mail programs show as a folder."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.box: mailbox.Maildir | None = None

    def __enter__(self):
        self.box = mailbox.Maildir(self.path, create=True)
        self.done = self.box.add_folder("processed")
        return self

    def __exit__(self, *exc):
        self.box = None
        return False

    def messages(self) -> Iterator[tuple[str, bytes]]:
        for key in sorted(self.box.keys()):
            try:
                yield key, self.box.get_bytes(key)
            except KeyError:  # taken by another reader meanwhile
                continue

    def processed(self, key: str) -> None:
        try:
            message = self.box.get_message(key)
        except KeyError:
            return
        self.done.add(message)
        self.box.discard(key)


def _raw_message_class():
    from imap_tools import MailMessage

    class RawMessage(MailMessage):
        """A fetched message that keeps its bytes as the server holds them (what we hash and parse)."""

        def __init__(self, fetch_data: list) -> None:
            super().__init__(fetch_data)
            self.raw = self._get_message_data_parts(fetch_data)[0]

    return RawMessage


def mailbox_for(settings: Settings):
    """The IMAP mailbox when a host is set, else the local maildir; None when neither is."""
    if settings.imap_host:
        return ImapMailbox(settings)
    if settings.inbox_maildir:
        return MaildirMailbox(Path(settings.inbox_maildir))
    return None
