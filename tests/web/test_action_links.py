"""One click from a digest: /act/<token>/<ref> shows a button, the button signs the recipient in once
and lands on the task with its report form open; used, expired and altered links are refused with a
page that says which. After any sign-in the person lands where they were going, never elsewhere."""
import re
from datetime import date, time, timedelta
from urllib.parse import unquote

from fastapi.testclient import TestClient

from dondoc.web import create_app
from models.action_links import action_token, last_day_of
from models.clock import FixedClock
from tests.web.conftest import BOB, TODAY, Browserless, csrf_of

TASK = "3.1.1-b"  # led by SKHDT, where bob is a focal point


def link_for(context, email=BOB[0], ref=TASK, sent_on: date = TODAY, days: int = 7) -> str:
    token = action_token(context.settings.secret_key, email=email, ref=ref, last_day=last_day_of(sent_on, days))
    return f"/act/{token}/{ref}"


def press(client, link: str):
    page = client.get(link)
    return client.post(link, data=dict(csrf=csrf_of(page.text)), follow_redirects=False)


def test_opening_an_action_link_shows_a_button_and_spends_nothing(web_context, visitor):
    link = link_for(web_context)
    for _ in range(2):  # a mail scanner fetching it first leaves it working
        page = visitor.get(link)
        assert page.status_code == 200
        assert 'id="act-confirm"' in page.text and BOB[0] in page.text and TASK in page.text
    assert visitor.get("/my", follow_redirects=False).status_code == 303  # nobody is signed in yet
    assert press(visitor, link).status_code == 303


def test_pressing_the_button_signs_bob_in_and_lands_on_the_task_with_the_form_open(web_context, visitor):
    response = press(visitor, link_for(web_context))
    assert response.status_code == 303 and response.headers["location"] == f"/tasks/{TASK}?act=1#record"
    task = visitor.get(response.headers["location"])
    assert task.status_code == 200
    assert 'id="act-notice"' in task.text and 'id="record"' in task.text and "autofocus" in task.text
    assert visitor.get("/my").status_code == 200


def test_a_used_link_is_refused_with_a_vietnamese_page_and_signs_nobody_in(web_context, app, smtp):
    link = link_for(web_context)
    assert press(Browserless(app, smtp[0]), link).status_code == 303
    other = Browserless(app, smtp[0])
    opened = other.get(link)
    assert opened.status_code == 400 and "Liên kết này đã được dùng" in opened.text
    again = other.post(link, data=dict(csrf=other.csrf()), follow_redirects=False)
    assert again.status_code == 400 and "Liên kết này đã được dùng" in again.text
    assert other.get("/my", follow_redirects=False).status_code == 303


def test_a_link_works_to_the_end_of_its_last_day_and_not_after(web_context):
    link = link_for(web_context, sent_on=TODAY, days=7)
    app = create_app(web_context)
    client = TestClient(app)
    app.state.clock = FixedClock.on(TODAY + timedelta(days=7), time(23, 59))  # 22/01/2016 23:59
    assert client.get(link).status_code == 200
    app.state.clock = FixedClock.on(TODAY + timedelta(days=8), time(0, 0))  # 23/01/2016 00:00
    expired = client.get(link)
    assert expired.status_code == 400 and "Liên kết này đã hết hạn" in expired.text
    csrf = csrf_of(client.get("/signin").text)
    refused = client.post(link, data=dict(csrf=csrf), follow_redirects=False)
    assert refused.status_code == 400 and "Liên kết này đã hết hạn" in refused.text


def test_an_altered_link_is_refused_as_not_valid(web_context, visitor):
    link = link_for(web_context)
    token = link.split("/")[2]
    payload, mac = token.split(".")
    forged = [
        f"/act/{token}/3.1.1-a",  # another task with this task's signature
        f"/act/{payload}.{mac[:-2]}AA/{TASK}",  # the signature changed
        f"/act/{link_for(web_context, email='lan.nt@skhdt.example.org').split('/')[2].split('.')[0]}.{mac}/{TASK}",
        f"/act/not-a-token/{TASK}",
    ]
    for path in forged:
        page = visitor.get(path)
        assert page.status_code == 400, path
        assert "Liên kết không đúng" in page.text
        assert "/signin?next=" in page.text  # the way on: a sign-in link that comes back to the task
    signed_with_another_key = action_token("another-key", email=BOB[0], ref=TASK, last_day=TODAY)
    assert visitor.get(f"/act/{signed_with_another_key}/{TASK}").status_code == 400


def test_a_link_of_someone_no_longer_a_focal_point_signs_nobody_in(web_context, visitor):
    response = press(visitor, link_for(web_context, email="somebody@elsewhere.example.org"))
    assert response.status_code == 400
    assert visitor.get("/my", follow_redirects=False).status_code == 303


def test_alice_lands_where_she_was_going_after_the_password_form(alice, visitor):
    response = visitor.client.post("/signin/password", data=dict(
        email="alice@lmhtx.example.org", password="mật khẩu của Alice 2016", csrf=visitor.csrf(),
        next=f"/tasks/{TASK}"), follow_redirects=False)
    assert response.headers["location"] == f"/tasks/{TASK}"


def test_a_next_pointing_at_another_site_is_refused(visitor):
    for target in ("https://evil.example", "//evil.example", "/\\evil.example", "http:/evil.example",
                   "/\t/evil.example", " /tasks"):
        response = visitor.client.post("/signin/password", data=dict(
            email="alice@lmhtx.example.org", password="mật khẩu của Alice 2016", csrf=visitor.csrf(), next=target),
            follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/overview", target
        form = visitor.get("/signin", params=dict(next=target))
        assert "evil" not in form.text


def test_bob_lands_on_the_page_he_was_going_to_after_the_emailed_sign_in_link(visitor, smtp):
    mailbox, _ = smtp
    asked = visitor.get(f"/tasks/{TASK}", follow_redirects=False)
    assert asked.status_code == 303 and asked.headers["location"] == f"/signin?next=%2Ftasks%2F{TASK}"
    form = visitor.get(asked.headers["location"])
    visitor.post("/signin/link", data=dict(email=BOB[0], csrf=csrf_of(form.text), next=f"/tasks/{TASK}"))
    text = mailbox.to(BOB[0])[-1].get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://testserver(/signin/link/\S+)", text).group(1)
    assert unquote(link).endswith(f"?next=/tasks/{TASK}")
    confirm = visitor.get(link)
    response = visitor.post(link.split("?")[0], data=dict(csrf=csrf_of(confirm.text), next=f"/tasks/{TASK}"),
                            follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/tasks/{TASK}"


def test_an_emailed_sign_in_link_never_sends_bob_to_another_site(visitor, smtp):
    mailbox, _ = smtp
    visitor.post("/signin/link", data=dict(email=BOB[0], csrf=visitor.csrf(), next="https://evil.example/x"))
    text = mailbox.to(BOB[0])[-1].get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://testserver(/signin/link/\S+)", text).group(1)
    assert "evil" not in link
    confirm = visitor.get(link + "?next=https://evil.example/x")
    assert "evil" not in confirm.text
    response = visitor.post(link, data=dict(csrf=csrf_of(confirm.text), next="https://evil.example/x"),
                            follow_redirects=False)
    assert response.headers["location"] == "/my"


def test_the_sign_in_email_comes_from_the_coordinating_body_and_ends_with_its_signature(visitor, smtp):
    mailbox, _ = smtp
    visitor.post("/signin/link", data=dict(email=BOB[0], csrf=visitor.csrf()))
    message = mailbox.to(BOB[0])[-1]
    [sender] = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Liên minh Hợp tác xã tỉnh Bắc Kạn", "lienminh-htx@example.org")
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert text.startswith("Kính gửi đồng chí Bob Trần,")
    assert "Đầu mối liên hệ: Hoàng Thị Thanh, ĐT 0209 3870 123" in text
    assert "Kế hoạch triển khai thực hiện Chương trình hành động số 19-CTr/TU" in text


def test_a_link_naming_its_plan_lands_on_that_plans_task(web_context, visitor):
    """With several plans loaded a ref may repeat: the digest's link names the plan (?plan=CODE)."""
    link = link_for(web_context) + "?plan=BK-KTTT-2015-2020"
    response = press(visitor, link)
    assert response.headers["location"] == f"/tasks/{TASK}?plan=BK-KTTT-2015-2020&act=1#record"
    assert 'id="act-notice"' in visitor.get(response.headers["location"]).text
    elsewhere = visitor.get(link_for(web_context, ref="3.1.1-a") + "?plan=NO-SUCH-PLAN")
    assert elsewhere.status_code == 400 and "Liên kết không đúng" in elsewhere.text
