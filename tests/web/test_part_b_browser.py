"""Real-browser scenarios for part B of issue 21 (headless Chromium through Playwright): a duty
reassigned by staff (emails in the outbox, the next digest, the overdue list following the new lead);
evidence uploaded with a completion (listed, downloaded, in the report's annex); a coordinating
agency's note seen by the lead. Select them with `-m browser`."""
import io
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from sqlmodel import Session, select

from dondoc.app import jobs
from models.evidence import EvidenceFile
from tests.web.conftest import ALICE, BOB, CAROL
from tests.web.test_browser import ARTIFACTS, CHROMIUM, chromium, live, page  # noqa: F401  (fixtures)
from tests.web.test_evidence import PDF, xlsx_bytes

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium: apt-get install -y chromium (.ci/run does)"),
]

LAN, MAI = "lan.nt@skhdt.example.org", "mai.lt@stc.example.org"
REASON = "Quyết định số 25/QĐ-UBND giao Sở Tài chính chủ trì"


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _staff(tab, base: str, target: str) -> None:
    tab.goto(f"{base}/signin?next={target}")
    tab.fill("#staff-email", ALICE[0])
    tab.fill("#staff-password", ALICE[2])
    tab.click("form[action='/signin/password'] button")
    tab.wait_for_url(f"{base}{target}")


def _focal(tab, base: str, mailbox, email: str) -> None:
    tab.goto(f"{base}/signin")
    before = len(mailbox.to(email))
    tab.fill("#link-email", email)
    tab.click("form[action='/signin/link'] button")
    tab.wait_for_selector("text=Kiểm tra hộp thư")
    mailbox.wait_for(email, before + 1)
    tab.goto(mailbox.signin_link(email))
    tab.click("#use-link")
    tab.wait_for_url(f"{base}/agencies/**")


def test_alice_reassigns_a_duty_the_emails_go_out_and_the_digest_and_overdue_list_follow_the_new_lead(
        live, page, smtp, people):
    base, context = live
    mailbox = smtp[0]
    _staff(page, base, "/tasks/3.1.1-b")
    page.select_option("#m-to", "STC")
    page.fill("#m-reason", REASON)
    page.click("#m-send")
    page.wait_for_selector("#saved")
    assert page.inner_text("main a[href='/agencies/STC']") == "Sở Tài chính"  # the lead the page shows
    assert "SKHDT → STC" in page.inner_text("#reassignments") and REASON in page.inner_text("#reassignments")
    page.goto(f"{base}/outbox")
    messages = page.inner_text("#messages")
    assert "[Đôn đốc] Nhiệm vụ 3.1.1-b được điều chuyển sang Sở Tài chính" in messages and LAN in messages
    assert "[Đôn đốc] Nhiệm vụ 3.1.1-b được giao cho Sở Tài chính" in messages and MAI in messages

    to_lan, to_mai = len(mailbox.to(LAN)), len(mailbox.to(MAI))
    report = jobs.run_reminder_day(context, date(2016, 1, 18))  # the next working day
    assert not report.errors
    new_for_mai = [m for m in mailbox.to(MAI)[to_mai:]]
    new_for_lan = [m for m in mailbox.to(LAN)[to_lan:]]
    assert any("được giao cho Sở Tài chính" in m["subject"] for m in new_for_mai)
    assert any("được điều chuyển sang Sở Tài chính" in m["subject"] for m in new_for_lan)
    digests_mai = [m for m in new_for_mai if "Đôn đốc] Nhiệm vụ" not in m["subject"]]
    digests_lan = [m for m in new_for_lan if "Đôn đốc] Nhiệm vụ" not in m["subject"]]
    assert any("3.1.1-b" in _text(m) for m in digests_mai), "the new lead is reminded of it"
    assert not any("3.1.1-b" in _text(m) for m in digests_lan), "the old lead no longer is"

    page.goto(f"{base}/overdue?agency=STC")
    assert "3.1.1-b" in page.inner_text("#overdue")
    page.goto(f"{base}/overdue?agency=SKHDT")
    assert "3.1.1-b" not in page.inner_text("#overdue")


def test_bob_completes_a_duty_with_evidence_downloads_it_and_alice_finds_it_in_the_reports_annex(
        live, page, smtp, people, tmp_path, chromium):
    base, context = live
    pdf, xlsx = tmp_path / "ke-hoach-2016.pdf", tmp_path / "so-lieu-htx.xlsx"
    pdf.write_bytes(PDF)
    xlsx.write_bytes(xlsx_bytes())
    _focal(page, base, smtp[0], BOB[0])
    page.goto(f"{base}/tasks/3.1.1-a")
    page.select_option("#r-due", "2015-12-31")
    page.fill("#r-on", "28/12/2015")
    page.fill("#r-note", "Kế hoạch 2016 đã ban hành, kèm số liệu")
    page.set_input_files("#r-files", [str(pdf), str(xlsx)])
    page.click("#r-done")
    page.wait_for_selector("#saved")
    listed = page.inner_text("#evidence")
    assert "ke-hoach-2016.pdf" in listed and "so-lieu-htx.xlsx" in listed and "31/12/2015" in listed
    with page.expect_download() as download:
        page.click("#evidence a:text('ke-hoach-2016.pdf')")
    assert download.value.suggested_filename == "ke-hoach-2016.pdf"
    assert Path(download.value.path()).read_bytes() == PDF
    with Session(context.engine) as session:
        assert len(session.exec(select(EvidenceFile)).all()) == 2

    staff_context = chromium.new_context(accept_downloads=True, locale="vi-VN")
    try:
        tab = staff_context.new_page()
        _staff(tab, base, "/reports")
        tab.select_option("#r-period", "2015")
        with tab.expect_download() as report:
            tab.click("form[action='/reports/download'] button")
        document = Document(io.BytesIO(Path(report.value.path()).read_bytes()))
        cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
        assert "ke-hoach-2016.pdf" in cells and "so-lieu-htx.xlsx" in cells
        assert any("Danh mục sản phẩm (tệp kèm theo)" in p.text for p in document.paragraphs)
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / "part_b_reports.png"))
    finally:
        staff_context.close()


def test_carol_adds_a_coordinators_note_and_bob_sees_it_on_the_duty(live, page, smtp, people, chromium):
    base, _ = live
    note = "Huyện Ba Bể đã rà soát số liệu hợp tác xã, gửi kèm báo cáo"
    _focal(page, base, smtp[0], CAROL[0])
    page.click("#coordinated a[href='/tasks/3.1.1-a']")  # BA-BE coordinates it (through the districts): read-only
    page.wait_for_url(f"{base}/tasks/3.1.1-a")
    assert page.locator("#record").count() == 0
    page.fill("#c-note", note)
    page.click("#c-send")
    page.wait_for_selector("#saved")
    assert note in page.inner_text("#contributions")

    lead_context = chromium.new_context(locale="vi-VN")
    try:
        tab = lead_context.new_page()
        _focal(tab, base, smtp[0], BOB[0])
        tab.goto(f"{base}/tasks/3.1.1-a")
        seen = tab.inner_text("#contributions")
        assert note in seen and "Ủy ban nhân dân huyện Ba Bể" in seen
        assert tab.locator("#record").count() == 1, "the lead still records"
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / "part_b_contribution_seen_by_lead.png"), full_page=True)
    finally:
        lead_context.close()
