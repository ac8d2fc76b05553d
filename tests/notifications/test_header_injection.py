"""Names, subjects and addresses go into email headers: a line break in them must never start a
header of its own. Files bringing one are refused at load; what reaches a message is one line."""
from datetime import date, datetime, timezone
from email import message_from_bytes, policy as email_policy

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from dondoc.cli import app
from dondoc.app.context import AppContext

from models.outbox import Message, MessageContent
from notifications.letter import default_sender, letter, salutation
from notifications.outbox import build_mime, enqueue
from notifications.render import render
from tests.abuse_support import snapshot
from tests.conftest import AGENCIES, BUNDLED_PLAN

INJECTED = "X\r\nBcc: evil@attacker.example"
HEADERS = {"Content-Type", "MIME-Version", "Date", "Message-ID", "X-Dondoc-Kind", "Subject", "From", "To"}



@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """These tests pin the English refusals (DONDOC_LANGUAGE=en; Vietnamese is the default)."""
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")


def parsed(raw: bytes):
    return message_from_bytes(raw, policy=email_policy.default)


def agencies_with(tmp_path, old: str, new: str):
    text = AGENCIES.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "agencies.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("field,old,new", [
    ("name", "{name: Nguyễn Thị Lan,", r'{name: "Nguyễn Thị Lan\r\nBcc: evil@attacker.example",'),
    ("name_vi", "name_vi: Sở Tài chính", r'name_vi: "Sở Tài chính\nBcc: evil@attacker.example"'),
    ("email", "email: lan.nt@skhdt.example.org", r'email: "lan.nt@skhdt.example.org\r\nBcc: evil@attacker.example"'),
    ("email", "email: lan.nt@skhdt.example.org", "email: lan.nt-at-skhdt.example.org"),
    ("email", "email: lan.nt@skhdt.example.org", 'email: "Lan <lan.nt@skhdt.example.org>"'),
    ("email", "email: lan.nt@skhdt.example.org", "email: lan.nt@skhdt"),
])
def test_an_agency_file_with_a_line_break_in_a_name_or_a_bad_address_is_refused_naming_file_line_and_field(
        cli, settings, engine, tmp_path, field, old, new):
    path = agencies_with(tmp_path, old, new)
    before = snapshot(engine)
    result = cli("plan", "load", BUNDLED_PLAN, "--agencies", path)
    assert result.exit_code == 2, result.output
    assert f"{path}:" in result.output and field in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert snapshot(engine) == before


def test_a_focal_points_name_with_line_breaks_makes_no_header_in_the_sign_in_email(engine):
    now = datetime(2016, 1, 15, 1, 0, tzinfo=timezone.utc)
    rendered = render("signin", "vi", dict(letter("vi", sender=default_sender(), plans=[],
                                                  greeting=salutation("vi", INJECTED)),
                                           recipient_name=INJECTED, link="http://x/signin/link/t", minutes=30,
                                           expires="08:30 15/01/2016"))
    assert "\n" not in rendered.subject
    with Session(engine) as session:
        message = enqueue(session, key="k", kind="signin", recipient_email="bob@skhdt.example.org",
                          recipient_name=INJECTED, language="vi", send_date=date(2016, 1, 15), rendered=rendered,
                          now=now, mail_from="Dondoc <dondoc@example.org>")
        session.commit()
        email = parsed(session.get(MessageContent, message.id).raw)
    assert set(email.keys()) == HEADERS and len(email.keys()) == len(HEADERS)
    assert [a.addr_spec for a in email["To"].addresses] == ["bob@skhdt.example.org"]
    assert email["To"].addresses[0].display_name == "X Bcc: evil@attacker.example"
    assert "Bcc: evil@attacker.example" in str(email["Subject"])  # kept as words of the one subject line


@pytest.mark.parametrize("subject,name", [
    ("Hạn nhiệm vụ\r\nBcc: evil@attacker.example", "Bob"),
    ("Hạn\nX-Injected: yes", "Bob\nCc: evil@attacker.example"),
    ("Hạn\u2028Bcc: evil@attacker.example", "Bob\rTo: evil@attacker.example"),
])
def test_build_mime_on_its_own_keeps_subjects_and_names_on_one_line(subject, name):
    raw = build_mime(subject=subject, text="t", html="<p>t</p>", mail_from="Dondoc <dondoc@example.org>",
                     to_name=name, to_email="bob@skhdt.example.org", message_id="<1@example.org>", kind="daily",
                     at=datetime(2015, 4, 1, 1, 0, tzinfo=timezone.utc))
    email = parsed(raw)
    assert set(email.keys()) == HEADERS and len(email.keys()) == len(HEADERS)
    assert [a.addr_spec for a in email["To"].addresses] == ["bob@skhdt.example.org"]
    assert not email.defects


def test_a_message_carries_one_date_and_it_is_the_apps_clocks():
    raw = build_mime(subject="s", text="t", html="<p>t</p>", mail_from="Dondoc <dondoc@example.org>", to_name="Bob",
                     to_email="bob@skhdt.example.org", message_id="<1@example.org>", kind="daily",
                     at=datetime(2015, 4, 1, 1, 0, tzinfo=timezone.utc))
    email = parsed(raw)
    assert email.get_all("Date") == ["Wed, 01 Apr 2015 01:00:00 +0000"]


@pytest.mark.parametrize("address", ["alice@lmhtx.example.org\r\nBcc: evil@attacker.example", "alice", "alice@lmhtx",
                                     "Alice <alice@lmhtx.example.org>"])
def test_a_staff_account_with_a_malformed_address_is_refused(cli, engine, address):
    before = snapshot(engine)
    result = cli("user", "add", address, "--name", "Alice", "--password-stdin")
    assert result.exit_code == 2 and "is not an email address" in result.output
    assert snapshot(engine) == before


def test_a_staff_name_with_a_line_break_is_refused(settings, engine):
    before = snapshot(engine)
    context = AppContext(settings)
    try:
        result = CliRunner().invoke(app, ["user", "add", "alice@lmhtx.example.org", "--name", INJECTED,
                                          "--password-stdin"], input="mật khẩu của Alice 2016\n", obj=context)
    finally:
        context.close()
    assert result.exit_code == 2 and "one line" in result.output
    assert snapshot(engine) == before
