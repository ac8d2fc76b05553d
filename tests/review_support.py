"""Helpers for the annual review tests: a real SMTP server on loopback, the links in its mail, the form."""
import email
import re
import socket
from dataclasses import dataclass, field
from email import policy as email_policy

from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from dondoc.web import create_app
from models.clock import FixedClock

LINK = re.compile(r"https?://\S+/review/([A-Za-z0-9_-]{40,})")


@dataclass
class Received:
    to: list[str]
    subject: str
    text: str
    kind: str
    message_id: str = ""


@dataclass
class Mailbox:
    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email_policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        self.messages.append(Received([r.lower() for r in envelope.rcpt_tos], str(parsed["subject"]),
                                      body.get_content() if body else "", str(parsed["X-Dondoc-Kind"]),
                                      str(parsed["Message-ID"])))
        return "250 OK"

    def to(self, address: str, kind: str | None = None) -> list[Received]:
        return [m for m in self.messages if address.lower() in m.to and (kind is None or m.kind == kind)]

    def recipients(self, kind: str) -> set[str]:
        return {r for m in self.messages if m.kind == kind for r in m.to}

    def token_for(self, address: str) -> str:
        found = [LINK.search(m.text) for m in self.to(address)]
        found = [f.group(1) for f in found if f]
        assert found, f"no review link was mailed to {address}"
        return found[-1]

    def clear(self) -> None:
        self.messages.clear()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_smtp() -> tuple[Controller, Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, box


class Browser:
    """A focal point's browser on the review form, at a chosen moment."""

    def __init__(self, context):
        self.app = create_app(context)
        self.client = TestClient(self.app)

    def at(self, day, hour=9):
        self.app.state.clock = FixedClock.on(day)
        return self

    def get(self, token):
        return self.client.get(f"/review/{token}")

    def csrf(self, token) -> str:
        page = self.get(token)
        assert page.status_code == 200, page.text
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def fields(self, token) -> dict:
        """The form as the page shows it (prefilled), keyed by input name."""
        page = self.get(token).text
        values = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
        return values

    def post(self, token, values: dict, csrf=True):
        data = dict(values)
        if csrf:
            data["csrf_token"] = self.csrf(token)
        return self.client.post(f"/review/{token}", data=data)

    def task_index(self, token, ref) -> int:
        fields = self.fields(token)
        for name, value in fields.items():
            if name.endswith("-ref") and value == ref:
                return int(name.split("-")[1])
        raise AssertionError(f"{ref} is not on the form")
