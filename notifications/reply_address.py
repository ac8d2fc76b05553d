"""The addresses replies and bounces come back to: the reply mailbox with a tag after a separator.

    dondoc+r2s.7mbq4xkd2fnl3w5a@so.example.gov.vn   Reply-To of an actionable email (a reply to it)
    dondoc+b2s.q5z6c3pdbw4m2kxe@so.example.gov.vn   the return path (envelope sender) of every email

After the purpose letter comes the outbox message's id in base 36, then an HMAC-SHA256 of the purpose,
the id and the recipient's address under DONDOC_SECRET_KEY (80 bits, base32). So the tag names one
message to one person, nobody can make one up, nothing secret is stored, and changing the key revokes
every address. Tags are lower case: mail servers are free to fold the case of a local part.
"""
import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from email.utils import getaddresses, parseaddr

REPLY, BOUNCE = "r", "b"
_SIGNATURE_CHARS = 16  # base32: 80 bits
_TAG = re.compile(r"[+\-]([rb])([0-9a-z]{1,13})\.([a-z2-7]{%d})$" % _SIGNATURE_CHARS)
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def base36(number: int) -> str:
    if number < 0:
        raise ValueError("a message id is positive")
    digits = ""
    while True:
        number, rest = divmod(number, 36)
        digits = _DIGITS[rest] + digits
        if number == 0:
            return digits


@dataclass(frozen=True)
class Tag:
    """What an address says: its purpose (REPLY or BOUNCE), the outbox message id, the signature (not
    yet checked: that needs the message's recipient, see ReplyAddresses.is_genuine)."""
    purpose: str
    message_id: int
    signature: str


class ReplyAddresses:
    """Makes and reads the tagged addresses of one reply mailbox."""

    def __init__(self, address: str, secret: str, separator: str = "+"):
        local, _, domain = parseaddr(address)[1].rpartition("@")
        if not local or not domain:
            raise ValueError(f"the reply address {address!r} is not an email address")
        self.local, self.domain, self.separator = local, domain, separator
        self._key = secret.encode()

    @classmethod
    def from_settings(cls, settings) -> "ReplyAddresses | None":
        """None when no mailbox is read (then no email carries a tagged address)."""
        if not settings.reads_inbox:
            return None
        return cls(settings.reply_address or settings.resolved_mail_from, settings.secret_key, settings.reply_separator)

    @property
    def mailbox(self) -> str:
        return f"{self.local}@{self.domain}"

    def signature(self, purpose: str, message_id: int, recipient: str) -> str:
        digest = hmac.new(self._key, f"{purpose}|{message_id}|{recipient.strip().lower()}".encode(),
                          hashlib.sha256).digest()
        return base64.b32encode(digest).decode("ascii")[:_SIGNATURE_CHARS].lower()

    def address(self, purpose: str, message_id: int, recipient: str) -> str:
        tag = f"{purpose}{base36(message_id)}.{self.signature(purpose, message_id, recipient)}"
        return f"{self.local}{self.separator}{tag}@{self.domain}"

    def reply_to(self, message_id: int, recipient: str) -> str:
        return self.address(REPLY, message_id, recipient)

    def return_path(self, message_id: int, recipient: str) -> str:
        return self.address(BOUNCE, message_id, recipient)

    def is_genuine(self, tag: Tag, recipient: str) -> bool:
        return hmac.compare_digest(tag.signature, self.signature(tag.purpose, tag.message_id, recipient))


def read_tag(address: str) -> Tag | None:
    """The tag in an address, if it has one of our shape."""
    local = parseaddr(address)[1].rpartition("@")[0].lower()
    found = _TAG.search(local)
    if found is None:
        return None
    return Tag(found.group(1), int(found.group(2), 36), found.group(3))


# Where a tagged address shows up in what comes back: a reply's To or Cc; a bounce's To; the headers a
# delivering server adds with the envelope recipient.
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To")


def tags_in(message, purpose: str) -> list[Tag]:
    """Every tag of `purpose` in a message's recipient headers, in order, without repeats."""
    found: list[Tag] = []
    for header in RECIPIENT_HEADERS:
        values = [str(v) for v in message.get_all(header, [])]
        for _, address in getaddresses(values):
            tag = read_tag(address)
            if tag is not None and tag.purpose == purpose and tag not in found:
                found.append(tag)
    return found
