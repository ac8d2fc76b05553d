"""HTML and script typed into any free-text field comes back escaped on every page and in every
HTML email: task titles, notes, agency and focal point names, review inputs, even the URL itself."""
import json
import re
from datetime import date
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from sqlmodel import Session, select

from dondoc.app import jobs
from dondoc.app.context import AppContext
from dondoc.web import create_app
from models.accounts import add_staff_user
from models.clock import FixedClock
from models.db import transaction
from models.outbox import Message, MessageContent
from notifications.outbox import bodies_of
from models.review.operations import find_plan, form_for, get_cycle, request_of
from tests.abuse_support import DURING, open_review, review_token
from tests.conftest import AGENCIES, BUNDLED_PLAN, at_vn
from tests.web.conftest import ALICE, Browserless

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOADS = (SCRIPT, IMG, "<img src=x onerror=alert(1)>")
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
LAN = "lan.nt@skhdt.example.org"


def yaml_quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def edited(source, tmp_path, name, replacements):
    text = source.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def hostile(cli, settings, smtp, tmp_path):
    """The plan and directory with payloads in titles and names, notes and review inputs with payloads."""
    agencies = edited(AGENCIES, tmp_path, "agencies.yaml", [
        ("name_vi: Sở Kế hoạch và Đầu tư", f"name_vi: {yaml_quoted('Sở Kế hoạch và Đầu tư ' + IMG)}"),
        ("name_en: Department of Planning and Investment", f"name_en: {yaml_quoted('Planning ' + SCRIPT)}"),
        ("{name: Nguyễn Thị Lan,", f"{{name: {yaml_quoted('Nguyễn Thị Lan ' + SCRIPT)},"),
    ])
    plan = edited(BUNDLED_PLAN, tmp_path, "plan.yaml", [
        ("title: Xây dựng Kế hoạch phát triển kinh tế tập thể hàng năm",
         f"title: {yaml_quoted('Xây dựng Kế hoạch ' + SCRIPT + IMG)}"),
    ])
    cli.ok("plan", "load", plan, "--agencies", agencies)
    cli.ok("task", "done", "3.1.2-c", "--on", "2015-12-20", "--note", f"Đã xong {SCRIPT}", "--today", "2016-01-15")
    _, port = smtp
    web_settings = settings.model_copy(update=dict(today=date(2016, 1, 15), smtp_host="127.0.0.1", smtp_port=port,
                                                   public_base_url="http://testserver", agencies_file=agencies))
    context = AppContext(web_settings)
    with transaction(context.engine) as session:
        add_staff_user(session, email=ALICE[0], name=ALICE[1], password=ALICE[2], now=at_vn(date(2016, 1, 15)),
                       actor="test")
    open_review(context)
    with transaction(context.engine) as session:
        cycle = get_cycle(session, find_plan(session, None), 2015)
        form = form_for(session, request_of(session, cycle, "SKHDT"), at_vn(DURING))
        line = form.lines[0]
    inputs = {"tasks": [{"ref": line.ref, "due": line.due.isoformat(), "status": "in_progress", "progress": 50,
                         "result": f"Kết quả {SCRIPT}", "difficulties": f"Khó {IMG}", "proposals": SCRIPT}],
              "notes": f"Ý kiến {IMG}"}
    submission = tmp_path / "skhdt.json"
    submission.write_text(json.dumps(inputs, ensure_ascii=False), encoding="utf-8")
    cli.ok("review", "submit", "2015", "--agency", "SKHDT", "--file", submission, "--today", DURING.isoformat())
    jobs.queue_reminders(context, date(2016, 1, 15))
    yield context
    context.close()


@pytest.fixture
def hostile_alice(hostile, smtp):
    client = Browserless(create_app(hostile), smtp[0])
    assert client.sign_in_staff().status_code == 303
    client.post("/tasks/3.1.1-a", data=dict(csrf=client.csrf("/tasks/3.1.1-a"), action="progress", percent="20",
                                            note=f"Ghi chú {IMG}"))
    return client


def assert_escaped(page, *, shows_payload=True):
    for payload in PAYLOADS:
        assert payload not in page.text, f"{payload!r} unescaped in {page.url}"
    if shows_payload:
        assert ESCAPED_SCRIPT in page.text or "&#34;&gt;&lt;img" in page.text, page.url


def test_every_staff_page_shows_the_payloads_escaped(hostile_alice, hostile):
    with Session(hostile.engine) as session:
        message_ids = session.exec(select(Message.id).where(Message.kind != "signin",
                                                            Message.recipient_email == LAN)).all()
    assert message_ids
    pages = ["/overview", "/overdue", "/overdue?agency=SKHDT", "/agencies", "/agencies/SKHDT", "/tasks/3.1.1-a",
             "/tasks/3.1.2-c", "/outbox", "/reviews", "/reviews/2015", "/reviews/2015/SKHDT",
             *[f"/outbox/{i}" for i in message_ids[:5]]]
    for url in pages:
        page = hostile_alice.get(url)
        assert page.status_code == 200, url
        assert_escaped(page, shows_payload=url not in ("/overview", "/reviews", "/reviews/2015"))


def test_the_focal_points_own_pages_and_the_review_form_show_the_payloads_escaped(hostile, smtp):
    client = Browserless(create_app(hostile), smtp[0])
    assert client.sign_in_focal(LAN).status_code == 303
    for url in ("/agencies/SKHDT", "/tasks/3.1.1-a"):
        assert_escaped(client.get(url))
    form_app = create_app(hostile)
    form_app.state.clock = FixedClock(at_vn(DURING, 9))
    token = review_token(hostile, "SKHDT", now=form_app.state.clock.now())
    page = Browserless(form_app, smtp[0]).get(f"/review/{token}")
    assert page.status_code == 200
    assert_escaped(page)


@pytest.mark.parametrize("url", [
    f"/agencies/{quote(SCRIPT)}", f"/tasks/{quote(SCRIPT)}", f"/outbox?status={quote(SCRIPT)}",
    f"/overdue?agency={quote(IMG)}&section={quote(SCRIPT)}&sort={quote(IMG)}&district={quote(SCRIPT)}",
    f"/overview?lang={quote(SCRIPT)}&today={quote(IMG)}", f"/reviews/2015/{quote(IMG)}",
])
def test_payloads_in_the_address_come_back_escaped(hostile_alice, url):
    page = hostile_alice.get(url)
    assert page.status_code in (200, 404), url
    assert_escaped(page, shows_payload=False)


def test_the_sign_in_pages_escape_what_they_echo(hostile, smtp):
    client = Browserless(create_app(hostile), smtp[0])
    assert_escaped(client.get(f"/signin?next=/{quote(SCRIPT)}"), shows_payload=False)
    answer = client.post("/signin/link", data=dict(email=SCRIPT, csrf=client.csrf()))
    assert_escaped(answer)
    wrong = client.post("/signin/password", data=dict(email=IMG, password="x", csrf=client.csrf()))
    assert wrong.status_code == 400
    assert_escaped(wrong, shows_payload=False)
    assert "&#34;&gt;&lt;img" in wrong.text


def test_html_emails_escape_titles_names_and_notes(hostile):
    with Session(hostile.engine) as session:
        messages = [SimpleNamespace(kind=kind, html_body=bodies_of(raw)[1])
                    for kind, raw in session.exec(select(Message.kind, MessageContent.raw).join(MessageContent))]
    kinds = {m.kind for m in messages}
    assert {"daily", "review_request"} <= kinds, kinds
    showing = [m for m in messages if ESCAPED_SCRIPT in m.html_body or "&#34;&gt;&lt;img" in m.html_body]
    assert showing
    for message in messages:
        for payload in PAYLOADS:
            assert payload not in message.html_body, (message.kind, payload)
        assert not re.search(r"<(script|img)\b", message.html_body, re.IGNORECASE), message.kind
