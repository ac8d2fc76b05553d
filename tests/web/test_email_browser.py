"""The emails as a phone or a narrow mail client shows them, in headless Chromium: every kind's HTML at
600 px wide without sideways scrolling, naming the recipient, the plan and the sender; and a digest's
one-click link followed from the .eml in the outbox to a completion in the task's history."""
import threading
import time
from datetime import date, datetime
from email import message_from_bytes, policy as email_policy
from pathlib import Path

import pytest
import uvicorn
from sqlmodel import Session, select

from dondoc.app import jobs
from dondoc.app.context import AppContext
from dondoc.web import create_app
from models.agency import FocalPoint
from models.audit import AuditEntry
from models.clock import VN_TZ
from models.plan import Plan
from notifications.letter import Sender, letter_for
from notifications.render import KINDS, render
from tests.web.conftest import BOB, TODAY, free_port
from tests.web.test_browser import ARTIFACTS, CHROMIUM, chromium  # noqa: F401  (the browser fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium: apt-get install -y chromium (.ci/run does)"),
]

COORDINATING = date(2015, 6, 23)  # the Alliance hears 7 days ahead of what it coordinates, nothing of its own due
MONDAY = date(2016, 1, 18)  # the weekly summary's day; SKHDT's tasks of 31/12/2015 are escalated
SENDER = "Liên minh Hợp tác xã tỉnh Bắc Kạn"
PLAN = "Kế hoạch triển khai thực hiện Chương trình hành động số 19-CTr/TU"


@pytest.fixture
def outbox_context(web_context):
    """Mail written as .eml files into the outbox folder (no SMTP server), as a plain install does."""
    context = AppContext(web_context.settings.model_copy(update=dict(smtp_host="")))
    yield context
    context.close()


def emails_in(folder: Path) -> dict[str, object]:
    """The .eml files of a day's outbox, by recipient."""
    return {message["To"].addresses[0].addr_spec: message
            for message in (message_from_bytes(path.read_bytes(), policy=email_policy.default)
                            for path in sorted(folder.glob("*.eml")))}


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def other_kinds(context) -> dict[str, tuple[str, str]]:
    """The kinds not in a daily sweep, rendered with the letter their flows give them (the plan's own
    long name from the database; the longest names of the directory)."""
    sender = Sender.of(context.settings.organization_file)
    with Session(context.engine) as session:
        plan = session.exec(select(Plan)).first()
        lan = session.exec(select(FocalPoint).where(FocalPoint.email == "lan.nt@skhdt.example.org")).one()
        letter = letter_for(session, "vi", sender=sender, name=lan.name, address_as=lan.address_as, title=lan.title,
                            agency_ids=[lan.agency_id])
        english = letter_for(session, "en", sender=sender, name="Peter Nguyen", agency_ids=[lan.agency_id])
    agency = "Sở Nông nghiệp và Phát triển nông thôn"
    tasks = [dict(ref="3.1.3-b/SNNPTNT-DAI-DIEN", title="Tham mưu với Ủy ban nhân dân tỉnh ban hành chính sách hỗ trợ, "
                  "ưu đãi đối với tổ chức kinh tế tập thể, hợp tác xã hoạt động trong lĩnh vực nông nghiệp, nông thôn",
                  due=date(2015, 12, 31), status="Chưa hoàn thành trong thời hạn")] * 3
    review = dict(agency_name=agency, agency_code="SNNPTNT", year=2015, plan_title=plan.title,
                  link="http://127.0.0.1:8000/review/" + "x" * 43, opens_on=date(2015, 11, 1),
                  inputs_due=date(2015, 11, 30), report_due=date(2015, 12, 15), days_left=0, days_late=3,
                  tasks=tasks, asks_indicators=True, indicators=["Số hợp tác xã thành lập mới trong năm"] * 4,
                  send_date=date(2015, 12, 3), replies=True)
    contexts = {
        "signin": dict(link="http://127.0.0.1:8000/signin/link/" + "t" * 43 + "?next=%2Ftasks%2F3.1.1-b", minutes=30,
                       expires="08:30 15/01/2016"),
        "reply_confirmation": dict(reply_subject="Re: [Đôn đốc] 4 nhiệm vụ quá hạn — 18/01/2016",
                                   sent_at="09:12 18/01/2016", refusal=None,
                                   recorded=[dict(ref="3.1.1-b", written="3.1.1-b: Đã hoàn thành", what="hoàn thành")],
                                   problems=[dict(ref=None, written="3.9.9: Tiến độ 60%", what="không có nhiệm vụ 3.9.9")],
                                   nothing=False, example="3.1.1-b"),
        "address_dead": dict(dead_name="Nguyễn Thị Lan", dead_email="lan.nt@skhdt.example.org", agency_name=agency,
                             reason="5.1.1 smtp; 550 5.1.1 <lan.nt@skhdt.example.org>: Recipient address rejected: "
                                    "User unknown in virtual mailbox table", bounced_on=date(2016, 1, 18)),
        "task_work": dict(event="extension_approved", ref="3.1.3-b/SNNPTNT-DAI-DIEN", title=tasks[0]["title"],
                          lead=agency, due_then=date(2015, 12, 31), due_now=date(2016, 3, 31), original_due=date(2015, 12, 31),
                          asked_due=date(2016, 3, 31), granted_due=date(2016, 3, 31), answer_by=None,
                          reason="Chờ ý kiến của các sở, ngành về dự thảo chính sách", note="Đồng ý, lần gia hạn duy nhất",
                          returned_completed_on=None, number=12, link="http://127.0.0.1:8000/tasks/3.1.3-b/SNNPTNT"),
        "reassignment": dict(role="old", ref="3.1.3-b/SNNPTNT-DAI-DIEN", title=tasks[0]["title"], agency_name=agency,
                             agency_name_en="Department of Agriculture and Rural Development", old_lead=agency,
                             new_lead="Ban Quản lý các khu công nghiệp tỉnh", old_lead_en="", new_lead_en="",
                             coordinators_before="Sở Kế hoạch và Đầu tư, Sở Tài chính",
                             coordinators_after="Sở Kế hoạch và Đầu tư, Sở Tài chính, Sở Công Thương",
                             effective_on=date(2016, 2, 1), reason="Theo Quyết định phân công lại của UBND tỉnh",
                             link="http://127.0.0.1:8000/tasks/3.1.3-b/SNNPTNT-DAI-DIEN"),
        "review_request": review,
        "review_chaser": review,
        "review_missing": dict(year=2015, plan_title=plan.title, inputs_due=date(2015, 11, 30),
                               report_due=date(2015, 12, 15), days_late=3, total=30, submitted=27, send_date=date(2015, 12, 3),
                               missing=[dict(code="SNNPTNT", name=agency, contacts="son.hv@snnptnt.example.org, "
                                             "giamdoc@snnptnt.example.org")] * 3),
    }
    rendered = {}
    for kind, values in contexts.items():
        rendered[kind] = (render(kind, "vi", dict(letter, recipient_name=lan.name, **values)).html, lan.name)
        rendered[kind + " (en)"] = (render(kind, "en", dict(english, recipient_name="Peter Nguyen", **values)).html,
                                    "Peter Nguyen")
    return rendered


def fits_in_600_px(page, html: str) -> dict:
    page.set_viewport_size(dict(width=600, height=900))
    page.set_content(html)
    return page.evaluate("""() => ({
        width: document.scrollingElement.scrollWidth,
        salutation: (document.querySelector('#salutation') || {}).innerText || '',
        signature: (document.querySelector('#signature') || {}).innerText || '',
        plan: (document.querySelector('#plan') || {}).innerText || '',
        text: document.body.innerText})""")


def test_every_kind_of_email_fits_600_px_and_names_the_person_the_plan_and_the_sender(outbox_context, chromium):
    jobs.run_reminder_day(outbox_context, COORDINATING)
    note = emails_in(outbox_context.settings.outbox_dir / COORDINATING.isoformat())["thanh.ht@lmhtx.example.org"]
    jobs.run_reminder_day(outbox_context, MONDAY)
    sent = emails_in(outbox_context.settings.outbox_dir / MONDAY.isoformat())
    daily = {
        "the focal point's digest": ("lan.nt@skhdt.example.org", "Kính gửi bà Nguyễn Thị Lan, Trưởng phòng Kinh tế ngành,"),
        "the head's escalation": ("giamdoc@skhdt.example.org", "Kính gửi ông Hoàng Văn Quang, Giám đốc Sở Kế hoạch và Đầu tư,"),
        "the monitor's weekly summary": ("thanh.ht@lmhtx.example.org", "Kính gửi bà Hoàng Thị Thanh"),
        "the English digest": ("peter.nguyen@sttt.example.org", "Dear Peter Nguyen"),
    }
    emails = {name: (html_of(sent[address]), greeting) for name, (address, greeting) in daily.items()}
    emails["the coordinator's note"] = (html_of(note), "Kính gửi bà Hoàng Thị Thanh")
    emails.update(other_kinds(outbox_context))
    assert {name.split(" ")[0] for name in emails} >= KINDS - {"daily"}
    browser_context = chromium.new_context(locale="vi-VN")
    page = browser_context.new_page()
    try:
        for name, (html, greeting) in emails.items():
            shown = fits_in_600_px(page, html)
            assert shown["width"] <= 600, f"{name}: {shown['width']} px wide"
            assert greeting in shown["salutation"], (name, shown["salutation"])
            assert SENDER in shown["signature"] and "Hoàng Thị Thanh" in shown["signature"], name
            assert "0209 3870 123" in shown["signature"], name
            assert PLAN in shown["plan"], name
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"email-600px-{name.replace(' ', '-')}.png"), full_page=True)
    finally:
        browser_context.close()
    head = emails["the head's escalation"][0]
    assert "lan.nt@skhdt.example.org" in head and "30/06/2015" in head  # who is responsible, since when
    assert "đã báo cáo lãnh đạo" not in head  # the focal point's note is not the head's text
    coordinating = emails["the coordinator's note"][0]
    assert "là đơn vị phối hợp thực hiện" in coordinating and "chủ trì)" in coordinating
    assert "Báo cáo kết quả" not in coordinating  # nothing to report: the lead reports
    assert note["Subject"].startswith("[Đôn đốc] 8 nhiệm vụ đơn vị phối hợp")
    summary = emails["the monitor's weekly summary"][0]
    assert "Tổng hợp nhiệm vụ quá hạn:" in summary and "thư này không đòi hỏi cập nhật" in summary
    for message in (sent["lan.nt@skhdt.example.org"], sent["giamdoc@skhdt.example.org"]):
        [sender] = message["From"].addresses
        assert (sender.display_name, sender.addr_spec) == (SENDER, "lienminh-htx@example.org")
        assert message["Subject"].startswith("[Đôn đốc] ")
    assert sent["giamdoc@skhdt.example.org"]["Subject"].startswith("[Đôn đốc] Báo cáo lãnh đạo: ")
    assert sent["peter.nguyen@sttt.example.org"]["Subject"].startswith("[Follow-up] ")


@pytest.fixture
def live_outbox(web_context):
    """The app on a free loopback port; digests written as .eml files, their links pointing at it."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    context = AppContext(web_context.settings.model_copy(update=dict(public_base_url=base, smtp_host="")))
    server = uvicorn.Server(uvicorn.Config(create_app(context), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the web server did not start"
        time.sleep(0.05)
    yield base, context
    server.should_exit = True
    thread.join(10)
    context.close()


def test_bob_follows_the_link_in_his_digest_presses_the_button_and_records_the_completion(live_outbox, chromium,
                                                                                          people):
    base, context = live_outbox
    jobs.run_reminder_day(context, TODAY)
    digest = emails_in(context.settings.outbox_dir / TODAY.isoformat())[BOB[0]]
    browser_context = chromium.new_context(locale="vi-VN")
    page = browser_context.new_page()
    try:
        page.set_content(html_of(digest))  # the email as his mail client shows it
        link = page.get_attribute("tr:has-text('3.1.1-b') a.act", "href")
        assert link.startswith(f"{base}/act/") and link.endswith("/3.1.1-b")
        page.click("tr:has-text('3.1.1-b') a.act")
        page.wait_for_selector("#act-confirm")
        assert "3.1.1-b" in page.inner_text("#act-task")
        page.click("#act-confirm")
        page.wait_for_url(f"{base}/tasks/3.1.1-b?act=1*")
        assert page.is_visible("#act-notice")
        assert page.get_attribute("#r-on", "autofocus") is not None  # the form is open, its date field first
        page.fill("#r-on", "14/01/2016")
        page.fill("#r-note", "Đã trình Ủy ban nhân dân tỉnh dự thảo chính sách")
        page.click("#r-done")
        page.wait_for_selector("#saved")
        history = page.inner_text("#history")
        assert "Bob Trần (đầu mối của đơn vị)" in history and "Đã trình Ủy ban nhân dân tỉnh dự thảo chính sách" in history
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "email-act-link-completion.png"), full_page=True)
        # The same link a second time (a colleague's forward, a scanner after the fact): refused, in Vietnamese.
        page.context.clear_cookies()
        page.goto(link)
        assert "Liên kết này đã được dùng" in page.inner_text("#act-refused")
    finally:
        browser_context.close()
    with Session(context.engine) as session:
        done = session.exec(select(AuditEntry).where(AuditEntry.actor == f"web:focal:{BOB[0]}")).all()
    assert done and any(entry.note == "Đã trình Ủy ban nhân dân tỉnh dự thảo chính sách" for entry in done)
