"""In real Chromium: what a person typed survives the end of their session (or the loss of the site's
cookie) on every form where text is typed: after the sign-in they are back at the form, filled in again,
and sending it records it. The task page's request forms, the review form behind its emailed link (whose
link is its credential: no sign-in, but a form sent without the site's cookie comes back filled in)."""
import pytest
from sqlmodel import Session, select

from models.db import transaction
from models.review.tables import ReviewSubmission
from models.task_work import RequestKind, TaskRequest
from models.web_state import WebSession
from tests.web.conftest import ALICE
from tests.web.test_browser import CHROMIUM, chromium, live  # noqa: F401  (fixtures)
from tests.web.test_every_page import review_link

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium: apt-get install -y chromium (.ci/run does)"),
]
REASON = "Đề nghị giải trình lý do chậm ban hành Kế hoạch; gửi kèm văn bản của UBND huyện."


def _alice_signs_in(page, base: str) -> None:
    page.fill("#staff-email", ALICE[0])
    page.fill("#staff-password", ALICE[2])
    page.click("form[action='/signin/password'] button")


def _sessions_end(context) -> None:
    with transaction(context.engine) as session:  # the session ends (it expired) while she types
        for row in session.exec(select(WebSession)):
            session.delete(row)


def test_an_explanation_request_typed_while_the_session_ended_is_back_in_its_form_after_the_sign_in(live, chromium, people):  # noqa: F811
    base, context = live
    browser_context = chromium.new_context(locale="vi-VN")
    page = browser_context.new_page()
    page.goto(f"{base}/tasks/3.1.1-a")
    _alice_signs_in(page, base)
    page.wait_for_url(f"{base}/tasks/3.1.1-a")
    page.select_option("#x-due", "2015-12-31")
    page.fill("#x-answer-by", "20/01/2016")
    page.fill("#x-reason", REASON)
    _sessions_end(context)
    page.click("#x-send")
    page.wait_for_url("**/signin?kept=1&next=*")
    assert "Nội dung bạn đã gõ được giữ lại" in page.inner_text("#kept")
    _alice_signs_in(page, base)
    page.wait_for_url(f"{base}/tasks/3.1.1-a?draft=*#explain")  # the page of the form, at the form
    assert page.is_visible("#restored")
    assert page.input_value("#x-reason") == REASON and page.input_value("#x-answer-by") == "20/01/2016"
    assert page.input_value("#x-due") == "2015-12-31"
    assert page.input_value("#r-note") == "" and page.input_value("#m-reason") == ""  # only its own form
    with Session(context.engine) as session:
        assert session.exec(select(TaskRequest)).all() == []  # nothing was recorded without a session
    page.click("#x-send")
    page.wait_for_selector("#saved")
    with Session(context.engine) as session:
        asked = session.exec(select(TaskRequest)).all()
    assert [(r.kind, r.reason) for r in asked] == [(RequestKind.EXPLANATION, REASON)]
    browser_context.close()


def test_a_reassignment_typed_while_the_session_ended_is_back_in_its_form_after_the_sign_in(live, chromium, people):  # noqa: F811
    base, context = live
    browser_context = chromium.new_context(locale="vi-VN")
    page = browser_context.new_page()
    page.goto(f"{base}/tasks/3.1.1-a")
    _alice_signs_in(page, base)
    page.wait_for_url(f"{base}/tasks/3.1.1-a")
    page.fill("#m-effective", "20/01/2016")
    page.fill("#m-reason", "Theo Quyết định phân công lại của UBND tỉnh")
    _sessions_end(context)
    page.click("#reassign button[type='submit']")
    page.wait_for_url("**/signin?kept=1&next=*")
    _alice_signs_in(page, base)
    page.wait_for_url(f"{base}/tasks/3.1.1-a?draft=*#reassign")
    assert page.input_value("#m-reason") == "Theo Quyết định phân công lại của UBND tỉnh"
    assert page.input_value("#m-effective") == "20/01/2016"
    assert page.input_value("#x-reason") == "" and page.input_value("#r-note") == ""
    browser_context.close()


def test_a_review_form_sent_without_the_sites_cookie_comes_back_filled_in_and_is_taken_when_sent_again(live, chromium):  # noqa: F811
    base, context = live
    link = review_link(context)
    browser_context = chromium.new_context(locale="vi-VN")
    page = browser_context.new_page()
    page.goto(base + link)
    result = "Đã ban hành Kế hoạch số 12/KH-UBND; tổ chức hội nghị triển khai ở 8 huyện, thành phố."
    page.select_option("#task-0-status", "done")
    page.fill("#task-0-completed_on", "30/12/2015")
    page.fill("#task-0-result", result)
    page.fill("#notes", "Báo cáo lập ngày 15/01/2016")
    browser_context.clear_cookies()  # the browser was restarted, or its cookies cleared, while they typed
    page.click("#review-submit")
    page.wait_for_selector("#kept-after-refusal")
    assert "chưa được ghi nhận" in page.inner_text("#kept-after-refusal")
    assert page.input_value("#task-0-result") == result and page.input_value("#task-0-completed_on") == "30/12/2015"
    assert page.input_value("#task-0-status") == "done" and page.input_value("#notes") == "Báo cáo lập ngày 15/01/2016"
    with Session(context.engine) as session:
        assert session.exec(select(ReviewSubmission)).all() == []
    page.click("#review-submit")  # sent again: this time with the cookie the answer gave
    page.wait_for_selector("p.ok[role='status']")
    with Session(context.engine) as session:
        sent = session.exec(select(ReviewSubmission)).all()
    assert len(sent) == 1 and sent[0].payload["tasks"][0]["result"] == result
    browser_context.close()
