"""What an outside probe found open on the web side (issue 26), each now closed: bounded request
bodies, security headers with no inline script or style, sessions that end when they should, a
sign-in form that tells nothing, the client address behind a proxy, limits shared by processes,
and production mode without a frozen clock."""
import re
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from config.errors import InputError
from dondoc.app.context import AppContext
from dondoc.web import create_app
from dondoc.web.hardening import server_config
from models.accounts import add_staff_user
from models.agency import FocalPoint
from models.clock import FixedClock
from models.db import transaction
from models.outbox import Message
from models.web_state import RateEvent
from tests.conftest import AGENCIES, BUNDLED_PLAN, at_vn
from tests.web.conftest import ALICE, BOB, TODAY, Browserless, csrf_of, free_port

TEMPLATES = Path(__file__).parents[2] / "dondoc" / "web" / "templates"


# --- request bodies ---------------------------------------------------------------------------

def test_a_form_body_over_the_limit_is_refused_with_413_in_vietnamese_before_it_is_read(visitor, web_context):
    csrf = visitor.csrf()
    huge = "x" * 2_100_000  # DONDOC_WEB_MAX_BODY_BYTES: 2 MB
    refused = visitor.post("/signin/link", data=dict(email=huge, csrf=csrf))
    assert refused.status_code == 413
    assert "Dữ liệu gửi lên quá lớn" in refused.text and "2 MB" in refused.text
    with Session(web_context.engine) as session:  # the route never ran: not even counted as a request
        assert session.exec(select(RateEvent)).all() == []


def test_many_fields_under_the_declared_length_are_still_cut_off_at_the_limit(web_context):
    """A body sent in chunks, with no Content-Length, is counted as it arrives."""
    context = AppContext(web_context.settings.model_copy(update=dict(web_max_body_bytes=50_000)))
    client = TestClient(create_app(context))

    def chunks():
        for n in range(300):
            yield f"f{n}={'y' * 1000}&".encode()

    refused = client.post("/signin/link", content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert refused.status_code == 413 and "quá lớn" in refused.text
    context.close()


def test_the_plan_upload_has_its_own_larger_limit_and_is_still_bounded(alice, web_context):
    document = ("ke-hoach.txt", ("KẾ HOẠCH phát triển kinh tế tập thể\n" * 80_000).encode(), "text/plain")  # 3 MB
    form = dict(csrf=alice.csrf("/plans/import"))
    passed = alice.post("/plans/import", data=form, files=dict(document=document), follow_redirects=False)
    assert passed.status_code != 413  # past the 2 MB form limit: the upload's is DONDOC_WEB_MAX_UPLOAD_BYTES
    small = AppContext(web_context.settings.model_copy(update=dict(web_max_upload_bytes=1_000_000)))
    client = Browserless(create_app(small), mailbox=None)
    client.sign_in_staff()
    refused = client.post("/plans/import", data=dict(csrf=client.csrf("/plans/import")), files=dict(document=document))
    assert refused.status_code == 413 and "1 MB" in refused.text
    small.close()


def test_a_form_within_the_limit_is_answered_as_before(visitor):
    answer = visitor.post("/signin/link", data=dict(email="mallory@example.org", note="z" * 100_000, csrf=visitor.csrf()))
    assert answer.status_code == 200 and "Kiểm tra hộp thư" in answer.text


# --- headers, and no inline script or style ------------------------------------------------------

@pytest.mark.parametrize("path", ["/signin", "/overview", "/nowhere", "/static/dondoc.css"])
def test_every_answer_carries_the_security_headers(alice, path):
    response = alice.get(path)
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "style-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "script-src" not in policy  # no script at all
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in response.headers  # only in production (HTTPS)


def test_in_production_answers_ask_for_https_from_now_on(web_context):
    context = AppContext(web_context.settings.model_copy(update=dict(production=True, today=None,
                                                                     secret_key="a real secret of some length")))
    response = TestClient(create_app(context), base_url="https://testserver").get("/signin")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")
    context.close()


def test_no_template_holds_inline_script_style_or_event_handlers():
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script|<style|\sstyle=|\son[a-z]+=|javascript:", text, re.I), template.name


@pytest.mark.parametrize("path", ["/overview", "/overdue", "/agencies/SKHDT", "/tasks/3.1.1-a", "/outbox", "/reviews"])
def test_the_pages_as_served_hold_no_inline_style_and_take_their_stylesheet_from_the_site(alice, path):
    html = alice.get(path).text
    assert not re.search(r"<script|<style|\sstyle=|\son[a-z]+=", html, re.I)
    assert '<link rel="stylesheet" href="/static/dondoc.css">' in html
    css = alice.get("/static/dondoc.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css") and ".w-100" in css.text


# --- sessions that end ---------------------------------------------------------------------------

def test_signing_out_ends_the_session_so_a_copied_cookie_no_longer_works(alice, app, smtp):
    copied = alice.cookies.get("dondoc_session")
    alice.post("/signout", data=dict(csrf=alice.csrf("/overview")), follow_redirects=False)
    thief = Browserless(app, smtp[0])
    thief.cookies.set("dondoc_session", copied)
    assert thief.get("/overview", follow_redirects=False).status_code == 303


def test_a_password_change_ends_every_session_of_that_person(alice, web_context):
    assert alice.get("/overview", follow_redirects=False).status_code == 200
    with transaction(web_context.engine) as session:
        add_staff_user(session, email=ALICE[0], name=ALICE[1], password="một mật khẩu mới 2016",
                       now=FixedClock.on(TODAY).now(), actor="test", update_existing=True)
    assert alice.get("/overview", follow_redirects=False).status_code == 303
    assert alice.sign_in_staff(password="một mật khẩu mới 2016").status_code == 303


def test_a_focal_point_taken_out_of_the_directory_is_signed_out_and_stays_out_if_put_back(bob, loaded, web_context):
    assert bob.get("/agencies/SKHDT", follow_redirects=False).status_code == 200
    loaded.ok("agencies", "import", AGENCIES, "--apply")  # the bundled directory does not list bob: he is deactivated
    assert bob.get("/agencies/SKHDT", follow_redirects=False).status_code == 303
    with transaction(web_context.engine) as session:
        for row in session.exec(select(FocalPoint).where(FocalPoint.email == BOB[0])):
            row.active = True
    assert bob.get("/agencies/SKHDT", follow_redirects=False).status_code == 303  # his old cookie is dead


def test_a_forged_or_unknown_session_cookie_is_no_one(app, smtp, people):
    client = Browserless(app, smtp[0])
    client.cookies.set("dondoc_session", "staff|alice@lmhtx.example.org|1452816000.0000")
    assert client.get("/overview", follow_redirects=False).status_code == 303


# --- the sign-in link form tells nothing --------------------------------------------------------

def _without_tokens(html: str, email: str) -> str:
    return re.sub(r'name="csrf" value="[^"]+"', "", html).replace(email, "EMAIL")


def test_with_mail_down_known_and_unknown_addresses_get_the_same_page(web_context):
    down = AppContext(web_context.settings.model_copy(update=dict(smtp_port=free_port())))  # nobody listens
    app = create_app(down)
    client = Browserless(app, mailbox=None)
    known = client.post("/signin/link", data=dict(email=BOB[0], csrf=client.csrf()))
    unknown = client.post("/signin/link", data=dict(email="mallory@example.org", csrf=client.csrf()))
    assert known.status_code == unknown.status_code == 200
    assert _without_tokens(known.text, BOB[0]) == _without_tokens(unknown.text, "mallory@example.org")
    with Session(down.engine) as session:  # bob's link waits in the outbox for the server to come back
        waiting = session.exec(select(Message).where(Message.recipient_email == BOB[0], Message.kind == "signin")).one()
    assert waiting.status == "queued" and waiting.attempts == 1
    down.close()


def test_the_answer_does_not_wait_for_the_email(app, web_context, smtp):
    """The page is sent before the link is even issued: the courier does it afterwards."""
    mailbox, _ = smtp
    before = len(mailbox.to(BOB[0]))
    gate = threading.Event()
    app.state.courier.submit(lambda: gate.wait(30))  # the courier is busy with something else
    client = TestClient(app)
    answer = client.post("/signin/link", data=dict(email=BOB[0], csrf=csrf_of(client.get("/signin").text)))
    assert answer.status_code == 200 and "Kiểm tra hộp thư" in answer.text
    with Session(web_context.engine) as session:
        assert session.exec(select(Message).where(Message.kind == "signin")).all() == []
    gate.set()
    app.state.courier.drain()
    assert len(mailbox.to(BOB[0])) == before + 1


# --- who the client is, and limits every process shares ------------------------------------------

def _guess_from(app, forwarded_for: str, times: int) -> list[int]:
    client = TestClient(app, client=("127.0.0.1", 5000))
    return [client.get(f"/review/guess-{n}", headers={"X-Forwarded-For": forwarded_for}).status_code
            for n in range(times)]


def test_x_forwarded_for_from_a_connection_that_is_not_a_named_proxy_is_ignored(web_context):
    app = create_app(web_context)
    _guess_from(app, "203.0.113.1", 10)
    assert _guess_from(app, "198.51.100.99", 1) == [429]  # the same client (127.0.0.1), whatever it claims


def test_x_forwarded_for_is_believed_from_a_proxy_named_in_the_settings(web_context):
    context = AppContext(web_context.settings.model_copy(update=dict(trusted_proxies="127.0.0.1, 10.0.0.0/8")))
    app = create_app(context)
    assert _guess_from(app, "203.0.113.1", 11)[-1] == 429
    assert _guess_from(app, "198.51.100.99, 10.1.2.3", 1) == [404]  # another visitor, behind two proxies
    assert _guess_from(app, "203.0.113.1, 198.51.100.99", 1) == [404]  # the left part is the client's own say
    context.close()


def test_a_bad_trusted_proxies_setting_is_refused_when_the_app_starts(web_context):
    with pytest.raises(InputError, match="DONDOC_TRUSTED_PROXIES"):
        create_app(AppContext(web_context.settings.model_copy(update=dict(trusted_proxies="my-proxy"))))


def test_uvicorn_is_told_not_to_rewrite_the_client_address_itself(app):
    config = server_config(app, host="127.0.0.1", port=8000)
    assert config.proxy_headers is False


def test_wrong_tokens_counted_by_one_process_block_the_client_in_another(web_context):
    first, second = create_app(web_context), create_app(web_context)  # two web processes on one database
    for app in (first, second):
        app.state.clock = FixedClock(at_vn(TODAY, 9))
    guesser = TestClient(first, client=("203.0.113.7", 4000))
    for n in range(10):
        assert guesser.get(f"/review/guess-{n}").status_code == 404
    assert TestClient(second, client=("203.0.113.7", 4000)).get("/review/guess-again").status_code == 429
    second.state.clock.advance(timedelta(seconds=900))
    assert TestClient(second, client=("203.0.113.7", 4000)).get("/review/guess-again").status_code == 404


# --- production mode -----------------------------------------------------------------------------

def test_production_mode_refuses_a_fixed_date(web_context):
    settings = web_context.settings.model_copy(update=dict(production=True, secret_key="a real secret of some length"))
    assert settings.today is not None
    with pytest.raises(InputError, match="DONDOC_TODAY"):
        create_app(AppContext(settings))


def test_production_mode_refuses_a_fixed_date_on_the_command_line_too(loaded, monkeypatch):
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")  # the English message is the one checked here
    from tests.conftest import Cli

    cli = Cli(loaded.settings.model_copy(update=dict(production=True, today=TODAY)))
    result = cli("tasks", "--agency", "SKHDT")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: DONDOC_TODAY: refusing to run in production mode with a fixed date (DONDOC_TODAY): links and "
        "sessions would never expire; unset DONDOC_TODAY"]
