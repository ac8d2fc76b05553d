"""The outbox page in real Chromium: filtered by recipient, kind, status and day; the failed first."""
from datetime import date, datetime, timedelta

import pytest

from dondoc.app.jobs import load_policy
from models.clock import VN_TZ
from models.db import transaction
from notifications.dispatch import dispatch
from notifications.outbox import enqueue
from notifications.render import Rendered
from notifications.transports import transport_for
from tests.web.conftest import TODAY
from tests.web.test_browser import CHROMIUM, chromium, live  # noqa: F401  (fixtures)
from tests.web.test_words_and_errors import as_alice  # noqa: F401  (fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium: apt-get install -y chromium (.ci/run does)"),
]


def _queue(context, key, kind, email, name, day: date):
    with transaction(context.engine) as session:
        enqueue(session, key=key, kind=kind, recipient_email=email, recipient_name=name, language="vi", send_date=day,
                rendered=Rendered(f"Thư {key}", "Nội dung", "<p>Nội dung</p>"),
                now=datetime(2016, 1, 10, 9, tzinfo=VN_TZ), mail_from=context.settings.mail_from)


def test_staff_filter_the_outbox_by_recipient_kind_status_and_day_and_see_the_failed_first(live, as_alice):
    base, context = live
    _queue(context, "a", "daily", "lan@sotc.example.org", "Nguyễn Thị Lan", TODAY - timedelta(days=2))
    _queue(context, "b", "review_request", "lan@sotc.example.org", "Nguyễn Thị Lan", TODAY)
    _queue(context, "c", "daily", "hung@ubnd.example.org", "Trần Văn Hùng", TODAY)
    _queue(context, "bad", "daily", "không-phải-địa-chỉ", "Ai đó", TODAY - timedelta(days=5))
    _queue(context, "d", "daily", "minh@snn.example.org", "Lê Minh", TODAY)
    dispatch(context.engine, transport_for(context.settings), now=datetime(2016, 1, 15, 9, tzinfo=VN_TZ),
             policy=load_policy(context).reminders, only=None)
    page = as_alice
    page.goto(f"{base}/outbox")
    rows = page.locator("#messages tbody tr")
    assert rows.first.get_attribute("data-status") == "failed"  # the oldest, yet first: someone must act
    assert "Thư bad" in rows.first.inner_text()
    # Why, in the reader's language (the transport recorded "malformed address: ..." in English)
    assert "địa chỉ người nhận không hợp lệ" in rows.first.inner_text() and "malformed" not in rows.first.inner_text()
    page.fill("#o-recipient", "lan")
    page.click("#o-apply")
    assert sorted(page.locator("#messages tbody td a").all_inner_texts()) == ["Thư a", "Thư b"]
    page.select_option("#o-kind", "daily")
    page.click("#o-apply")
    assert page.locator("#messages tbody td a").all_inner_texts() == ["Thư a"]
    page.goto(f"{base}/outbox")
    page.fill("#o-day", TODAY.strftime("%d/%m/%Y"))
    page.select_option("#o-status", "sent")
    page.click("#o-apply")
    assert sorted(page.locator("#messages tbody td a").all_inner_texts()) == ["Thư b", "Thư c", "Thư d"]
    assert "o-day=" not in page.url and "day=15%2F01%2F2016" in page.url
    page.goto(f"{base}/outbox?day=31/02/2016")
    assert page.get_attribute("#o-day", "aria-invalid") == "true"


def test_staff_search_the_overdue_list_sort_it_by_its_headers_and_see_who_to_call(live, as_alice):
    base, _ = live
    page = as_alice
    page.goto(f"{base}/overdue")
    everything = int(page.inner_text("#total").replace(".", ""))
    page.fill("#f-q", "Ba Bể")
    page.click("#f-apply")
    page.wait_for_url("**/overdue?q=*")
    total = int(page.inner_text("#total").replace(".", ""))
    assert 0 < total < everything
    leads = set(page.locator("#overdue tbody td:nth-child(3)").all_inner_texts())
    assert leads == {"Ủy ban nhân dân huyện Ba Bể"}
    focal = page.locator("#overdue tbody td.focal").first.inner_text()
    assert "Hoàng Văn Nam" in focal and "Carol Hoàng" in focal
    page.fill("#f-q", "3.3-a kiện toàn")  # a ref and a word of the title, together
    page.click("#f-apply")
    refs = page.locator("#overdue tbody td:nth-child(1)").all_inner_texts()
    assert refs and all(ref.startswith("3.3-a/") for ref in refs)
    page.click("#sort-due")  # the header sorts: most recent first, then back
    assert "sort=-due" in page.url and "q=3.3-a" in page.url
    assert page.get_attribute("#overdue th[aria-sort]", "aria-sort") == "descending"
    page.goto(f"{base}/agencies/BA-BE")
    assert "ngày" in page.locator(".days-late").first.inner_text()
