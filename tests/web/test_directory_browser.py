"""Real browser (Debian's Chromium through Playwright): Alliance staff replace a focal point on the
agency page; the next working day's digest goes to the new address over SMTP, the old one gets
nothing, and the audit (and the page's history) says who changed what and why."""
from datetime import date

import pytest
from sqlmodel import Session, select

from dondoc.app import jobs
from models.audit import AuditEntry
from models.agency import FocalPoint
from tests.web.conftest import ALICE
from tests.web.test_browser import CHROMIUM, chromium, live, page  # noqa: F401  (fixtures)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium: apt-get install -y chromium (.ci/run does)"),
]

LAN, HANG = "lan.nt@skhdt.example.org", "hang.dt@skhdt.example.org"
REASON = "Chị Lan chuyển công tác sang Văn phòng UBND tỉnh"


def test_staff_replace_a_focal_point_and_the_next_digest_goes_to_the_new_address(live, page, smtp, people):
    base, context = live
    mailbox = smtp[0]
    page.goto(f"{base}/signin?next=/agencies/SKHDT")
    page.fill("#staff-email", ALICE[0])
    page.fill("#staff-password", ALICE[2])
    page.click("form[action='/signin/password'] button")
    page.goto(f"{base}/agencies/SKHDT")
    row = page.locator(f"#people tr[data-email='{LAN}']")
    row.locator("summary").click()
    form = row.locator("form.person-form")
    form.locator("select[name='action']").select_option("replace")
    form.locator("input[name='name']").fill("Đỗ Thị Hằng")
    form.locator("input[name='email']").fill(HANG)
    form.locator("input[name='address_as']").fill("bà")
    form.locator("input[name='reason']").fill(REASON)
    form.locator("button[type='submit']").click()
    page.wait_for_selector("#saved")
    assert "Nhắc việc hằng ngày" in page.locator(f"#people tr[data-email='{HANG}'] .receives").inner_text()
    assert "Không còn nhận" in page.locator(f"#people tr[data-email='{LAN}'] .receives").inner_text()
    history = page.locator("#directory-history").inner_text()
    assert f"{ALICE[1]} (cán bộ Liên minh HTX)" in history and REASON in history and HANG in history

    to_lan, to_hang = len(mailbox.to(LAN)), len(mailbox.to(HANG))
    report = jobs.run_reminder_day(context, date(2016, 1, 18))  # the next working day (15/01/2016 was a Friday)
    assert report.sent > 0 and not report.errors
    digests = mailbox.to(HANG)[to_hang:]
    assert len(digests) == 1 and "Sở Kế hoạch và Đầu tư" in digests[0].get_body(preferencelist=("plain",)).get_content()
    assert mailbox.to(LAN)[to_lan:] == []

    with Session(context.engine) as session:
        lan = session.exec(select(FocalPoint).where(FocalPoint.email == LAN)).one()
        hang = session.exec(select(FocalPoint).where(FocalPoint.email == HANG)).one()
        entries = {(e.entity_id, e.field): e for e in session.exec(select(AuditEntry).where(
            AuditEntry.entity == "focal_point", AuditEntry.entity_id.in_([lan.id, hang.id])))}
    assert (lan.active, hang.active, hang.address_as) == (False, True, "bà")
    for key, old, new in (((lan.id, "active"), "True", "False"), ((hang.id, "replaces"), LAN, HANG)):
        entry = entries[key]
        assert (entry.actor, entry.old_value, entry.new_value, entry.note) == (f"web:staff:{ALICE[0]}", old, new, REASON)
