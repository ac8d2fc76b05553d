"""Real-browser scenarios of extensions, returns and explanations, end to end: bob (SKHDT's focal
point, which leads 3.1.1-a, due 31/12/2015) and alice (staff) in headless Chromium against the app on
loopback; the emails through the outbox to the aiosmtpd server; then the reminders and the báo cáo
following the new state. The page's day is 15/01/2016. Select them with `-m browser`."""
from datetime import date

import pytest
from sqlmodel import Session, select

from dondoc.app import jobs
from dondoc.app.context import AppContext
from models.outbox import Message
from tests.conftest import Cli
from tests.web.conftest import ALICE, BOB
from tests.web.test_browser import ARTIFACTS, CHROMIUM, chromium, live  # noqa: F401  (fixtures)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium: apt-get install -y chromium (.ci/run does)"),
]


@pytest.fixture
def tabs(chromium, request):  # noqa: F811
    """Two browsers' worth of pages: bob's and alice's (each its own cookies)."""
    opened = []

    def new_tab():
        browser_context = chromium.new_context(locale="vi-VN")
        opened.append(browser_context)
        return browser_context.new_page()

    yield new_tab
    ARTIFACTS.mkdir(exist_ok=True)
    for n, browser_context in enumerate(opened):
        for tab in browser_context.pages:
            tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{n}.png"), full_page=True)
        browser_context.close()


def bob_signs_in(tab, base, mailbox):
    tab.goto(f"{base}/signin")
    before = len(mailbox.to(BOB[0]))
    tab.fill("#link-email", BOB[0])
    tab.click("form[action='/signin/link'] button")
    tab.wait_for_selector("text=Kiểm tra hộp thư")
    mailbox.wait_for(BOB[0], before + 1)
    tab.goto(mailbox.signin_link(BOB[0]))
    tab.click("#use-link")
    tab.wait_for_url(f"{base}/agencies/SKHDT")


def alice_signs_in(tab, base, then="/overview"):
    tab.goto(f"{base}{then}")
    tab.fill("#staff-email", ALICE[0])
    tab.fill("#staff-password", ALICE[2])
    tab.click("form[action='/signin/password'] button")
    tab.wait_for_url(f"{base}{then}")


def subjects_to(mailbox, address):
    return [m["Subject"] for m in mailbox.to(address)]


def report_text(settings, tmp_path, period: str, today: str) -> str:
    out = tmp_path / f"{period}.md"
    Cli(settings).ok("report", "--period", period, "--out", out, "--today", today)
    return out.read_text(encoding="utf-8")


def test_bob_asks_for_an_extension_alice_approves_it_and_reminders_and_reports_follow(live, tabs, smtp, people,
                                                                                        tmp_path):
    base, context = live
    mailbox = smtp[0]
    bob = tabs()
    bob_signs_in(bob, base, mailbox)
    bob.goto(f"{base}/tasks/3.1.1-a")
    assert "Chưa hoàn thành, quá hạn — 15 ngày" in bob.locator("#occurrences tbody tr").first.inner_text()
    bob.select_option("#e-due", "2015-12-31")
    bob.fill("#e-new-due", "31/03/2016")
    bob.fill("#e-reason", "Chờ số liệu thống kê cả năm 2015 của Cục Thống kê")
    bob.click("#e-send")
    bob.wait_for_selector("#saved")
    assert "Chờ quyết định" in bob.inner_text("#requests")
    assert bob.locator("#decide").count() == 0  # bob cannot decide his own request

    alice = tabs()
    alice_signs_in(alice, base)
    assert "Chờ số liệu thống kê" in alice.inner_text("#open-requests")
    alice.click("#open-requests a[href='/tasks/3.1.1-a']")
    alice.wait_for_url(f"{base}/tasks/3.1.1-a")
    alice.fill("#d-note", "Đồng ý gia hạn đến hết quý I")
    alice.click("#d-approve")
    alice.wait_for_selector("#saved")
    first = alice.locator("#occurrences tbody tr").first.inner_text()
    assert "31/03/2016" in first and "hạn theo Kế hoạch 31/12/2015" in first and "Chưa hoàn thành, trong hạn" in first
    assert "Đã đồng ý: 31/03/2016" in alice.inner_text("#requests")

    with Session(context.engine) as session:
        queued = {(m.recipient_email, m.subject) for m in session.exec(select(Message).where(Message.kind == "task_work"))}
    assert (ALICE[0], "[Đôn đốc] Đề nghị gia hạn nhiệm vụ 3.1.1-a (hạn 31/12/2015)") in queued
    assert (BOB[0], "[Đôn đốc] Đồng ý gia hạn nhiệm vụ 3.1.1-a đến ngày 31/03/2016") in queued

    # The reminders follow the extended date: seven days before 31/03/2016 the digest says so (and the
    # decision's email goes out in the same delivery).
    worker = AppContext(context.settings)
    try:
        jobs.run_reminder_day(worker, date(2016, 3, 24))
    finally:
        worker.close()
    assert "[Đôn đốc] Đồng ý gia hạn nhiệm vụ 3.1.1-a đến ngày 31/03/2016" in subjects_to(mailbox, BOB[0])
    digest = [m for m in mailbox.to(BOB[0]) if m["X-Dondoc-Kind"] == "daily"][-1]
    text = digest.get_body(preferencelist=("plain",)).get_content()
    soon = text.split("SẮP ĐẾN HẠN", 1)[1]
    assert "3.1.1-a" in soon and "Hạn: 31/03/2016 — còn 7 ngày" in soon
    assert "3.1.1-a" not in text.split("SẮP ĐẾN HẠN", 1)[0]

    # The báo cáo of 2015 counts the duty as extended, judged against 31/03/2016, showing the plan's date.
    report = report_text(context.settings, tmp_path, "2015", "2016-01-15")
    assert "Trong đó đã gia hạn" in report and "31/03/2016 (gia hạn từ 31/12/2015)" in report


def test_alice_returns_bobs_report_asks_him_to_explain_and_the_report_annexes_his_answer(live, tabs, smtp, people,
                                                                                          tmp_path):
    base, context = live
    mailbox = smtp[0]
    bob = tabs()
    bob_signs_in(bob, base, mailbox)
    bob.goto(f"{base}/tasks/3.1.1-a")
    bob.select_option("#r-due", "2015-12-31")
    bob.fill("#r-on", "10/01/2016")
    bob.fill("#r-note", "Đã trình dự thảo")
    bob.click("#r-done")
    bob.wait_for_selector("#saved")
    assert "Hoàn thành quá hạn" in bob.locator("#occurrences tbody tr").first.inner_text()

    alice = tabs()
    alice_signs_in(alice, base, "/tasks/3.1.1-a")
    alice.fill("#t-reason", "Mới là dự thảo, chưa có văn bản ban hành")
    alice.click("#t-send")
    alice.wait_for_selector("#saved")
    assert "Chưa hoàn thành, quá hạn — 15 ngày" in alice.locator("#occurrences tbody tr").first.inner_text()
    alice.select_option("#x-due", "2015-12-31")
    alice.fill("#x-answer-by", "20/01/2016")
    alice.fill("#x-reason", "Đề nghị giải trình lý do chậm ban hành Kế hoạch")
    alice.click("#x-send")
    alice.wait_for_selector("#saved")
    alice.goto(f"{base}/overview")
    assert "Đề nghị giải trình lý do chậm" in alice.inner_text("#open-requests")

    bob.goto(f"{base}/tasks/3.1.1-a")
    assert "Mới là dự thảo" in bob.inner_text("#requests")
    bob.fill("#a-note", "Chờ ý kiến thẩm định của Sở Tài chính")
    bob.click("#a-send")
    bob.wait_for_selector("#saved")
    assert "Đã giải trình" in bob.inner_text("#requests")

    worker = AppContext(context.settings)
    try:
        jobs.deliver(worker, worker.clock().now())
    finally:
        worker.close()
    got = subjects_to(mailbox, BOB[0])
    assert "[Đôn đốc] Trả lại báo cáo hoàn thành nhiệm vụ 3.1.1-a" in got
    assert "[Đôn đốc] Yêu cầu giải trình về nhiệm vụ 3.1.1-a — trước ngày 20/01/2016" in got
    assert "[Đôn đốc] Giải trình về nhiệm vụ 3.1.1-a" in subjects_to(mailbox, ALICE[0])

    report = report_text(context.settings, tmp_path, "2016-Q1", "2016-01-15")
    assert "Giải trình của cơ quan chủ trì về nhiệm vụ chậm" in report
    assert "Chờ ý kiến thẩm định của Sở Tài chính" in report
