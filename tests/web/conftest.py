"""Web fixtures: the Bắc Kạn plan loaded, on 15/01/2016 (DONDOC_TODAY), with three people:
alice (Alliance staff, password), bob (focal point of SKHDT), carol (focal point of BA-BE);
a real SMTP server on loopback (aiosmtpd) that the sign-in links go through.
"""
import re
import shutil
import socket
import threading
from dataclasses import dataclass
from datetime import date
from email import message_from_bytes, policy as email_policy

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlmodel import select

from dondoc.app.context import AppContext
from dondoc.web import create_app
from models.accounts import add_staff_user
from models.agency import Agency, FocalPoint
from models.clock import FixedClock
from models.db import transaction

TODAY = date(2016, 1, 15)
ALICE = ("alice@lmhtx.example.org", "Alice Nguyễn", "mật khẩu của Alice 2016")
BOB = ("bob@skhdt.example.org", "Bob Trần")
CAROL = ("carol@babe.example.org", "Carol Hoàng")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """Collects what the SMTP server receives."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=email_policy.default)))
        return "250 OK"

    def to(self, address: str) -> list:
        with self.lock:
            return [m for rcpt, m in self.messages if address in rcpt]

    def wait_for(self, address: str, count: int, timeout: float = 30) -> None:
        """Wait until `address` has received `count` messages (mail sent after a page answered)."""
        import time
        deadline = time.monotonic() + timeout
        while len(self.to(address)) < count:
            assert time.monotonic() < deadline, f"{address} did not receive message {count}"
            time.sleep(0.05)

    def signin_link(self, address: str) -> str:
        """The link in the newest sign-in email to `address` (from its plain-text part)."""
        message = self.to(address)[-1]
        text = message.get_body(preferencelist=("plain",)).get_content()
        return re.search(r"https?://\S+/signin/link/\S+", text).group(0)


@pytest.fixture(scope="session")
def smtp():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield mailbox, controller.port
    controller.stop()


@dataclass
class People:
    alice: tuple
    bob: tuple
    carol: tuple


@pytest.fixture
def web_settings(settings, smtp, tmp_path):
    _, port = smtp
    # A copy of the directory: the guided import adds agencies to the file it is given.
    agencies = tmp_path / "agencies.yaml"
    shutil.copy(settings.agencies_file, agencies)
    return settings.model_copy(update=dict(today=TODAY, smtp_host="127.0.0.1", smtp_port=port,
                                           public_base_url="http://testserver", agencies_file=agencies))


@pytest.fixture
def web_context(loaded, web_settings):
    context = AppContext(web_settings)
    with transaction(context.engine) as session:
        add_staff_user(session, email=ALICE[0], name=ALICE[1], password=ALICE[2], now=FixedClock.on(TODAY).now(),
                       actor="test")
        for (email, name), code in ((BOB, "SKHDT"), (CAROL, "BA-BE")):
            agency = session.exec(select(Agency).where(Agency.code == code)).one()
            session.add(FocalPoint(agency_id=agency.id, name=name, email=email, role="primary"))
    yield context
    context.close()


@pytest.fixture
def people(web_context) -> People:
    return People(ALICE, BOB, CAROL)


@pytest.fixture
def app(web_context):
    return create_app(web_context)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


class Browserless:
    """A TestClient with the sign-in steps a person takes."""

    def __init__(self, app, mailbox: Mailbox, base_url: str = "http://testserver"):
        self.client = TestClient(app, base_url=base_url)
        self.mailbox = mailbox

    def __getattr__(self, name):
        return getattr(self.client, name)

    def post(self, *args, **kwargs):
        """A form sent, then what the courier was handed meanwhile done (a sign-in email goes out
        after the answer), as a person would find it in their mailbox a moment later."""
        response = self.client.post(*args, **kwargs)
        self.client.app.state.courier.drain()
        return response

    def csrf(self, path: str = "/signin") -> str:
        return csrf_of(self.client.get(path).text)

    def sign_in_staff(self, email=ALICE[0], password=ALICE[2]):
        return self.client.post("/signin/password", data=dict(email=email, password=password, csrf=self.csrf()),
                                follow_redirects=False)

    def sign_in_focal(self, email: str):
        self.post("/signin/link", data=dict(email=email, csrf=self.csrf()))
        link = "/signin/link/" + self.mailbox.signin_link(email).rsplit("/", 1)[1]
        page = self.client.get(link)
        return self.client.post(link, data=dict(csrf=csrf_of(page.text)), follow_redirects=False)


@pytest.fixture
def visitor(app, smtp, people):
    """Nobody signed in yet."""
    return Browserless(app, smtp[0])


@pytest.fixture
def alice(app, smtp, people):
    client = Browserless(app, smtp[0])
    assert client.sign_in_staff().status_code == 303
    return client


@pytest.fixture
def bob(app, smtp, people):
    client = Browserless(app, smtp[0])
    assert client.sign_in_focal(BOB[0]).status_code == 303
    return client


@pytest.fixture
def carol(app, smtp, people):
    client = Browserless(app, smtp[0])
    assert client.sign_in_focal(CAROL[0]).status_code == 303
    return client
