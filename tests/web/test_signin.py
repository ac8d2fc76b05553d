"""Signing in: alice with her password; bob and carol with a single-use, expiring emailed link
that goes through the outbox and a real SMTP server; sessions in signed, HTTP-only cookies."""
import re
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from config.errors import InputError
from config.settings import DEFAULT_SECRET
from dondoc.app.context import AppContext
from dondoc.web import create_app
from models.accounts import (SignInToken, hash_password, issue_signin_token, token_hash, use_signin_token,
                             verify_password)
from models.clock import FixedClock
from models.outbox import Message
from tests.web.conftest import ALICE, BOB, TODAY, Browserless, csrf_of


def test_alice_signs_in_with_her_password_and_lands_on_the_overview(visitor):
    response = visitor.sign_in_staff()
    assert response.status_code == 303 and response.headers["location"] == "/overview"
    assert "Tổng quan thực hiện Kế hoạch" in visitor.get("/overview").text


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(visitor):
    response = visitor.sign_in_staff(password="không phải mật khẩu")
    assert response.status_code == 400 and "Email hoặc mật khẩu không đúng" in response.text
    assert visitor.get("/overview", follow_redirects=False).status_code == 303


def test_passwords_are_kept_as_salted_scrypt_hashes(web_context):
    stored = hash_password("một mật khẩu dài")
    assert stored.startswith("scrypt$") and "một mật khẩu dài" not in stored
    assert stored != hash_password("một mật khẩu dài")
    assert verify_password("một mật khẩu dài", stored) and not verify_password("một mật khẩu khác", stored)


def test_bob_signs_in_with_the_link_emailed_to_him(visitor, smtp, web_context):
    mailbox, _ = smtp
    before = len(mailbox.to(BOB[0]))
    page = visitor.post("/signin/link", data=dict(email="  Bob@SKHDT.example.org ", csrf=visitor.csrf()))
    assert "Kiểm tra hộp thư" in page.text
    mails = mailbox.to(BOB[0])
    assert len(mails) == before + 1
    assert mails[-1]["Subject"] == "[Đôn đốc] Liên kết đăng nhập của Bob Trần"
    link = mailbox.signin_link(BOB[0])
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 43  # 32 random bytes, base64: 256 bits
    with Session(web_context.engine) as session:
        row = session.exec(select(SignInToken).where(SignInToken.token_hash == token_hash(token))).one()
        assert row.email == BOB[0]
        message = session.exec(select(Message).where(Message.kind == "signin")).all()[-1]
        assert message.status == "sent"
        assert token not in session.exec(select(SignInToken.token_hash)).all()
    path = link.removeprefix("http://testserver")
    confirm = visitor.get(path)
    assert confirm.status_code == 200 and BOB[0] in confirm.text
    response = visitor.post(path, data=dict(csrf=csrf_of(confirm.text)), follow_redirects=False)
    assert response.status_code == 303
    assert visitor.get("/agencies/SKHDT").status_code == 200


def test_opening_the_link_does_not_spend_it_but_signing_in_does(visitor, smtp):
    visitor.post("/signin/link", data=dict(email=BOB[0], csrf=visitor.csrf()))
    path = smtp[0].signin_link(BOB[0]).removeprefix("http://testserver")
    visitor.get(path)
    confirm = visitor.get(path)
    assert visitor.post(path, data=dict(csrf=csrf_of(confirm.text)), follow_redirects=False).status_code == 303
    again = visitor.post(path, data=dict(csrf=csrf_of(confirm.text)), follow_redirects=False)
    assert again.status_code == 400 and "Liên kết không dùng được" in again.text
    assert visitor.get(path).status_code == 400


def test_a_link_expires_thirty_minutes_after_it_was_sent(web_context):
    sent = FixedClock.on(TODAY).now()
    with Session(web_context.engine) as session:
        token = issue_signin_token(session, email=BOB[0], now=sent)
        session.commit()
        assert use_signin_token(session, token=token, now=sent + timedelta(minutes=30)) is None
        assert use_signin_token(session, token=token, now=sent + timedelta(minutes=29)) == BOB[0]


def test_a_link_sent_yesterday_does_not_work_today(visitor, smtp, web_context):
    visitor.post("/signin/link", data=dict(email=BOB[0], csrf=visitor.csrf()))
    path = smtp[0].signin_link(BOB[0]).removeprefix("http://testserver")
    tomorrow = AppContext(web_context.settings.model_copy(update=dict(today=TODAY + timedelta(days=1))))
    later = Browserless(create_app(tomorrow), smtp[0])
    assert later.get(path).status_code == 400
    tomorrow.close()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(visitor, smtp, web_context):
    answer = visitor.post("/signin/link", data=dict(email="mallory@example.org", csrf=visitor.csrf()))
    assert answer.status_code == 200 and "Kiểm tra hộp thư" in answer.text
    assert smtp[0].to("mallory@example.org") == []
    with Session(web_context.engine) as session:
        assert session.exec(select(Message).where(Message.recipient_email == "mallory@example.org")).all() == []


def test_the_signin_email_goes_out_alone_not_with_the_queued_reminders(visitor, smtp, web_context):
    from dondoc.app import jobs
    jobs.queue_reminders(web_context, TODAY)
    with Session(web_context.engine) as session:
        queued = len(session.exec(select(Message).where(Message.status == "queued")).all())
    assert queued > 0
    visitor.post("/signin/link", data=dict(email=BOB[0], csrf=visitor.csrf()))
    with Session(web_context.engine) as session:
        assert len(session.exec(select(Message).where(Message.status == "queued")).all()) == queued


@pytest.mark.parametrize("path,form", [
    ("/signin/password", dict(email=ALICE[0], password=ALICE[2])),
    ("/signin/link", dict(email=BOB[0])),
])
def test_a_form_without_its_csrf_token_is_refused(visitor, path, form):
    visitor.get("/signin")
    assert visitor.post(path, data=form, follow_redirects=False).status_code == 403
    assert visitor.post(path, data=dict(form, csrf="forged.value"), follow_redirects=False).status_code == 403


def test_recording_progress_without_the_csrf_token_is_refused(bob):
    response = bob.post("/tasks/3.1.1-a", data=dict(action="progress", percent="50"), follow_redirects=False)
    assert response.status_code == 403


def test_signing_out_needs_the_form_token_and_ends_the_session(alice):
    assert alice.post("/signout", data={}, follow_redirects=False).status_code == 403
    alice.post("/signout", data=dict(csrf=alice.csrf("/overview")), follow_redirects=False)
    assert alice.get("/overview", follow_redirects=False).status_code == 303


def _cookie_header(response, name) -> str:
    return next(h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}="))


def test_the_session_cookie_is_signed_http_only_and_same_site(visitor):
    cookie = _cookie_header(visitor.sign_in_staff(), "dondoc_session").lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie


def production_app(context):
    """The app in production mode (no DONDOC_TODAY there): its own clock set to the tests' day."""
    app = create_app(context)
    app.state.clock = FixedClock.on(TODAY)
    return app


def test_in_production_the_session_cookie_is_secure_too(web_context, smtp):
    settings = web_context.settings.model_copy(update=dict(production=True, secret_key="a real secret of some length",
                                                           today=None))
    context = AppContext(settings)
    client = Browserless(production_app(context), smtp[0], base_url="https://testserver")
    cookie = _cookie_header(client.sign_in_staff(), "dondoc_session").lower()
    assert "secure" in cookie and "httponly" in cookie
    context.close()


def test_production_mode_refuses_to_start_with_the_default_secret(web_context):
    settings = web_context.settings.model_copy(update=dict(production=True, secret_key=DEFAULT_SECRET))
    with pytest.raises(InputError, match="DONDOC_SECRET_KEY"):
        create_app(AppContext(settings))


def test_a_session_lasts_twelve_hours(alice, web_context, smtp):
    cookie = alice.cookies.get("dondoc_session")
    later = AppContext(web_context.settings.model_copy(update=dict(today=TODAY + timedelta(days=1))))
    client = Browserless(create_app(later), smtp[0])
    client.cookies.set("dondoc_session", cookie)
    assert client.get("/overview", follow_redirects=False).status_code == 303
    later.close()


def test_the_today_parameter_moves_the_plan_date_only_outside_production(alice, web_context, smtp):
    assert "15/01/2016" in alice.get("/overview").text
    assert "Tổng quan thực hiện Kế hoạch — 01/07/2017" in alice.get("/overview?today=2017-07-01").text
    settings = web_context.settings.model_copy(update=dict(production=True, secret_key="a real secret of some length",
                                                           today=None))
    context = AppContext(settings)
    client = Browserless(production_app(context), smtp[0], base_url="https://testserver")
    client.sign_in_staff()
    overview = client.get("/overview?today=2017-07-01").text
    assert "Tổng quan thực hiện Kế hoạch — 01/07/2017" not in overview and "Tổng quan thực hiện Kế hoạch" in overview
    context.close()
