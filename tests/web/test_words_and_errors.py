"""In real Chromium: the pages speak Vietnamese (English one click away), and a problem is said in
words beside its field, highlighted, with nothing recorded."""
from datetime import datetime

import pytest
from sqlmodel import Session, select

from dondoc.app.jobs import load_policy
from models.clock import VN_TZ
from models.db import transaction
from models.occurrence import Occurrence
from models.outbox import Message
from models.updates import record_progress
from notifications.dispatch import dispatch
from notifications.outbox import enqueue
from notifications.render import Rendered
from notifications.transports import transport_for
from tests.web.conftest import ALICE, BOB, TODAY
from tests.web.test_browser import CHROMIUM, chromium, live  # noqa: F401  (fixtures)
from tests.web.test_every_page import review_link, session_cookie

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium: apt-get install -y chromium (.ci/run does)"),
]
NOW = datetime(2016, 1, 15, 9, 0, tzinfo=VN_TZ)


@pytest.fixture
def as_alice(chromium, live, people):  # noqa: F811
    base, context = live
    browser_context = chromium.new_context(locale="vi-VN")
    browser_context.add_cookies([session_cookie(context, "staff", ALICE[0], base)])
    yield browser_context.new_page()
    browser_context.close()


@pytest.fixture
def as_bob(chromium, live, people):  # noqa: F811
    base, context = live
    browser_context = chromium.new_context(locale="en-US")  # the browser's language does not decide the dates
    browser_context.add_cookies([session_cookie(context, "focal", BOB[0], base)])
    yield browser_context.new_page()
    browser_context.close()


def test_the_outbox_names_statuses_and_kinds_in_vietnamese_and_shows_diacritics_in_a_readable_font(live, as_alice):
    base, context = live
    with transaction(context.engine) as session:
        enqueue(session, key="test|bad", kind="daily", recipient_email="không-phải-địa-chỉ", recipient_name="Ai đó",
                language="vi", send_date=TODAY, rendered=Rendered("Nhắc việc", "Nội dung: Sở Kế hoạch và Đầu tư",
                                                                  "<p>Nội dung</p>"),
                now=NOW, mail_from=context.settings.mail_from)
    dispatch(context.engine, transport_for(context.settings), now=NOW, policy=load_policy(context).reminders, only=None)
    page = as_alice
    page.goto(f"{base}/outbox")
    listing = page.inner_text("#messages")
    assert "gửi lỗi" in listing and "nhắc việc hằng ngày" in listing
    assert "failed" not in listing and "daily" not in listing
    page.click("#messages a:has-text('Nhắc việc')")
    assert "Loại: nhắc việc hằng ngày" in page.inner_text("main") and "Trạng thái: gửi lỗi" in page.inner_text("main")
    font = page.eval_on_selector("pre.body", "e => getComputedStyle(e).fontFamily")
    assert "mono" not in font.lower()
    page.goto(f"{base}/outbox?lang=en")
    assert "failed" in page.inner_text("#messages") and "daily reminder" in page.inner_text("#messages")


def test_the_history_names_people_by_name_and_role_not_by_their_login(live, as_alice):
    base, context = live
    with transaction(context.engine) as session:
        record_progress(session, ref="3.1.1-a", percent=40, note="Đang soạn", due=None, at=NOW,
                        actor=f"web:focal:{BOB[0]}")
    page = as_alice
    page.goto(f"{base}/tasks/3.1.1-a")
    history = page.inner_text("#history")
    assert "Bob Trần (đầu mối của đơn vị)" in history and "web:focal" not in history
    bobs = page.locator("#history tbody tr", has_text="Bob Trần")
    assert bobs.count() == 1  # one entry for his change, its fields listed in it, the note once
    assert bobs.locator(".change").count() >= 2 and bobs.inner_text().count("Đang soạn") == 1
    page.goto(f"{base}/tasks/3.1.1-a?lang=en")
    assert "Bob Trần (focal point)" in page.inner_text("#history")


def test_focal_roles_are_named_in_vietnamese_on_the_agency_page(live, as_alice):
    base, _ = live
    as_alice.goto(f"{base}/agencies/SKHDT")
    options = as_alice.locator("select[name='role']").first.locator("option").all_text_contents()
    assert options == ["đầu mối chính", "cấp phó", "thủ trưởng"]


def test_the_review_form_says_who_is_signed_in_and_puts_each_problem_beside_its_field(live, as_bob):
    base, context = live
    form = review_link(context)
    page = as_bob
    page.goto(base + form)
    assert "Bob Trần" in page.inner_text("header") and "Đăng nhập" not in page.inner_text("header")
    page.fill("#task-0-result", "Đã ban hành kế hoạch")
    page.fill("#task-0-completed_on", "25/12/2099")
    page.click("#review-submit")
    status = page.locator("#task-0-status")
    status.wait_for()
    assert status.get_attribute("aria-invalid") == "true"
    said = page.inner_text("#task-0-status-error")
    assert "bắt buộc khi đã điền một ô khác của nhiệm vụ này" in said
    assert "task-0-status-error" in status.get_attribute("aria-describedby")
    on = page.locator("#task-0-completed_on")
    assert on.get_attribute("aria-invalid") == "true" and on.input_value() == "25/12/2099"
    assert "25/12/2099 là ngày tương lai" in page.inner_text("#task-0-completed_on-error")
    assert page.input_value("#task-0-result") == "Đã ban hành kế hoạch"  # nothing typed is lost
    assert "tasks[" not in page.inner_text("#error-summary")  # said in words, not as a path
    page.click("#error-summary a >> nth=0")
    assert page.url.endswith("#task-0-status")


def test_a_megabyte_note_gets_the_same_vietnamese_message_as_one_a_character_too_long(live, as_bob):
    base, _ = live
    page = as_bob
    messages = []
    for note in ("ê" * 4001, "Kết quả thực hiện " * 60_000):  # 4,001 characters; about 1 MB of text
        page.goto(f"{base}/tasks/3.1.1-a")
        assert page.get_attribute("#r-note", "maxlength") == "4000" and "4.000" in page.inner_text("#r-note-limit")
        page.eval_on_selector("#r-note", "(e, text) => { e.removeAttribute('maxlength'); e.value = text; }", note)
        page.click("#r-progress")
        page.wait_for_load_state()
        messages.append(page.locator(".field-error, #too-long").first.inner_text())
    assert messages[0].startswith("Ghi chú dài quá 4000 ký tự") and messages[1].startswith("Ghi chú dài quá 4000 ký tự")
    with Session(live[1].engine) as session:
        assert all(o.note is None for o in session.exec(select(Occurrence)))


def test_a_field_with_a_problem_is_highlighted_and_described_on_the_task_form(live, as_bob):
    base, _ = live
    page = as_bob
    page.goto(f"{base}/tasks/3.1.1-a")
    page.fill("#r-percent", "140")
    page.eval_on_selector("#r-percent", "e => e.removeAttribute('max')")
    page.click("#r-progress")
    field = page.locator("#r-percent")
    field.wait_for()
    assert field.get_attribute("aria-invalid") == "true"
    assert field.get_attribute("aria-describedby") == "r-percent-error"
    assert "Tiến độ phải từ 0 đến 100, không phải 140" in page.inner_text("#r-percent-error")
    assert Message  # (outbox untouched)


def test_a_note_typed_while_the_session_ended_survives_the_sign_in_and_is_sent_after_it(live, chromium, people):  # noqa: F811
    from models.web_state import WebSession
    base, context = live
    browser_context = chromium.new_context(locale="vi-VN")
    page = browser_context.new_page()
    page.goto(f"{base}/tasks/3.1.1-a")
    page.fill("#staff-email", ALICE[0])
    page.fill("#staff-password", ALICE[2])
    page.click("form[action='/signin/password'] button")
    page.wait_for_url(f"{base}/tasks/3.1.1-a")
    note = "Đã trình UBND tỉnh dự thảo kế hoạch; chờ ký ban hành."
    page.fill("#r-percent", "80")
    page.fill("#r-note", note)
    with transaction(context.engine) as session:  # the session ends (it expired) while she types
        for row in session.exec(select(WebSession)):
            session.delete(row)
    page.click("#r-progress")
    page.wait_for_url("**/signin?kept=1&next=*")
    assert "Nội dung bạn đã gõ được giữ lại" in page.inner_text("#kept")
    page.fill("#staff-email", ALICE[0])
    page.fill("#staff-password", ALICE[2])
    page.click("form[action='/signin/password'] button")
    page.wait_for_url(f"{base}/tasks/3.1.1-a?draft=*")
    assert page.is_visible("#restored")
    assert page.input_value("#r-note") == note and page.input_value("#r-percent") == "80"
    page.click("#r-progress")
    page.wait_for_selector("#saved")
    with Session(context.engine) as session:
        recorded = [o.note for o in session.exec(select(Occurrence)) if o.note]
    assert recorded == [note]
    # The kept draft is this browser's only: another browser with the same link gets an empty form.
    other = chromium.new_context(locale="vi-VN")
    other.add_cookies([session_cookie(context, "staff", ALICE[0], base)])
    stranger = other.new_page()
    stranger.goto(page.url)
    assert stranger.input_value("#r-note") == "" and not stranger.is_visible("#restored")
    other.close()
    browser_context.close()


def test_a_form_sent_without_the_sites_cookie_says_so_truthfully(live, as_bob):
    base, _ = live
    page = as_bob
    page.goto(f"{base}/tasks/3.1.1-a")
    page.fill("#r-note", "Ghi chú")
    page.context.clear_cookies(name="dondoc_csrf")
    page.click("#r-progress")
    said = page.inner_text("#csrf-problem")
    assert "không gửi kèm cookie" in said and "Không có gì được ghi nhận" in said
    assert "Không có quyền truy cập" not in page.inner_text("main")


def test_the_overview_charts_a_province_part_way_and_each_bar_opens_its_list(live, as_alice):
    from dondoc.app.simulation import demo_reporting
    base, context = live
    recorded = demo_reporting(context, TODAY)
    assert recorded["on_time"] > recorded["late"] > 0 and recorded["never_reporting_agencies"] > 0
    page = as_alice
    page.goto(f"{base}/overview")
    for key in ("quarters", "agencies", "districts", "sections"):
        assert page.locator(f"#figure-{key} svg rect.rect").count() > 0, key
    assert page.locator("script").count() == 0  # drawn on the server: nothing runs in the browser
    colours = set(page.eval_on_selector_all("#figure-quarters svg rect.rect", "rs => rs.map(r => getComputedStyle(r).fill)"))
    assert len(colours) >= 3  # the categories in their colours (the charts' stylesheet is served)
    assert "Quý IV/2015" in page.inner_text("#figure-quarters") and "Q4/2015" not in page.inner_text("#figure-quarters")
    assert page.locator("#longest-overdue tbody tr").count() == 10
    link = page.locator("#figure-agencies svg a").last  # the best rate: a bar wide enough to click
    target = link.get_attribute("xlink:href") or link.get_attribute("href")
    link.locator("rect").click()
    page.wait_for_url(f"**{target}")
    assert "/overdue?agency=" in page.url
    page.goto(f"{base}/overview")
    page.click("a.card[data-status='open_overdue']")
    page.wait_for_url(f"{base}/overdue")
