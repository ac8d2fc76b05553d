"""Real-browser scenarios: headless Chromium (Debian's package) driven by Playwright against the app
served by uvicorn on a free loopback port, sign-in mail through the aiosmtpd server.
Each scenario leaves a screenshot in test-artifacts/. Select them with `-m browser`."""
import io
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from openpyxl import load_workbook
from sqlmodel import Session, select

from dondoc.app.context import AppContext
from dondoc.web import create_app
from models.audit import AuditEntry
from tests.web.conftest import ALICE, BOB, free_port

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium: apt-get install -y chromium (.ci/run does)"),
]


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live(web_context):
    """The app on a free loopback port; links in emails point at it."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    context = AppContext(web_context.settings.model_copy(update=dict(public_base_url=base)))
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


@pytest.fixture
def page(chromium, request):
    browser_context = chromium.new_context(accept_downloads=True, locale="vi-VN")
    tab = browser_context.new_page()
    yield tab
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    browser_context.close()


def test_alice_signs_in_filters_the_overdue_list_and_exports_it(live, page, people):
    base, _ = live
    page.goto(f"{base}/overdue")
    assert "/signin?next=" in page.url
    page.fill("#staff-email", ALICE[0])
    page.fill("#staff-password", ALICE[2])
    page.click("form[action='/signin/password'] button")
    page.wait_for_url(f"{base}/overdue")
    everything = int(page.inner_text("#total").replace(".", ""))
    page.select_option("#f-agency", "PAC-NAM")
    page.fill("#f-min-days", "100")
    page.click("#f-apply")
    page.wait_for_url("**/overdue?*agency=PAC-NAM*")
    total = int(page.inner_text("#total").replace(".", ""))
    assert 0 < total < everything
    leads = page.locator("#overdue tbody td:nth-child(3)").all_inner_texts()
    assert len(leads) == total and set(leads) == {"Ủy ban nhân dân huyện Pác Nặm"}
    with page.expect_download() as download:
        page.click("#export-xlsx")
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Mã nhiệm vụ", "Nhiệm vụ", "Mục", "Cơ quan chủ trì")
    periods = int(page.inner_text("#periods").replace(".", ""))
    assert sheet.title == "Quá hạn (mỗi dòng một kỳ)" and total < periods  # Pác Nặm's duties are late for several
    assert len(rows) - 1 == periods and all(r[5] >= 100 for r in rows[1:])
    assert {r[0] for r in rows[1:]} == {t.split()[0] for t in page.locator("#overdue tbody td:nth-child(1)").all_inner_texts()}
    with page.expect_download() as download:
        page.click("#export-csv")
    assert download.value.suggested_filename == "qua-han-2016-01-15.csv"
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the screenshot shows the stacked table


def test_bob_signs_in_by_the_emailed_link_and_records_a_completion(live, page, smtp, people):
    base, context = live
    page.goto(f"{base}/signin")
    before = len(smtp[0].to(BOB[0]))
    page.fill("#link-email", BOB[0])
    page.click("form[action='/signin/link'] button")
    page.wait_for_selector("text=Kiểm tra hộp thư")
    smtp[0].wait_for(BOB[0], before + 1)  # the email goes out just after the page
    link = smtp[0].signin_link(BOB[0])
    assert link.startswith(f"{base}/signin/link/")
    page.goto(link)
    page.click("#use-link")
    page.wait_for_url(f"{base}/agencies/SKHDT")
    page.click("a[href='/tasks/3.1.1-a']")
    page.select_option("#r-due", "2015-12-31")
    page.fill("#r-on", "28/12/2015")
    page.fill("#r-note", "Kế hoạch phát triển kinh tế tập thể năm 2016 đã ban hành")
    page.click("#r-done")
    page.wait_for_selector("#saved")
    row = page.locator("#occurrences tbody tr").first.inner_text()
    assert "31/12/2015" in row and "Hoàn thành đúng hạn" in row and "28/12/2015" in row
    with Session(context.engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.ref == "3.1.1-a", AuditEntry.field == "progress")).one()
    assert entry.actor == f"web:focal:{BOB[0]}" and entry.new_value == "done"


def test_bob_opens_his_agencys_review_form_from_the_dashboard_and_submits_it(live, page, smtp, people):
    from datetime import date

    from dondoc.app import review_jobs
    from models.review.tables import ReviewRequest
    base, context = live
    review_jobs.open_review(context, date(2016, 1, 15), 2016, send=False)
    page.goto(f"{base}/signin")
    before = len(smtp[0].to(BOB[0]))
    page.fill("#link-email", BOB[0])
    page.click("form[action='/signin/link'] button")
    page.wait_for_selector("text=Kiểm tra hộp thư")
    smtp[0].wait_for(BOB[0], before + 1)
    page.goto(smtp[0].signin_link(BOB[0]))
    page.click("#use-link")
    page.wait_for_url(f"{base}/agencies/SKHDT")
    page.click("form[action='/reviews/2016/SKHDT/form'] button")
    page.wait_for_url(f"{base}/review/**")
    page.fill("textarea[name='task-0-result']", "Đã ban hành Kế hoạch phát triển kinh tế tập thể năm 2016")
    page.fill("textarea[name='notes']", "Báo cáo gửi qua trang đôn đốc")
    page.click("#review-submit")
    # A line with a result but no status is refused, naming the field, and nothing is recorded.
    page.wait_for_selector("li[data-field='tasks[4.2-a/SKHDT].status']")
    page.select_option("select[name='task-0-status']", label="Đang thực hiện")
    page.click("#review-submit")
    page.wait_for_selector("p.ok[role='status']")
    with Session(context.engine) as session:
        submitted = [r for r in session.exec(select(ReviewRequest)) if r.submitted_at is not None]
    assert len(submitted) == 1


def test_an_anonymous_visitor_is_sent_to_sign_in(live, page, people):
    base, _ = live
    page.goto(f"{base}/tasks/3.3-a/BA-BE")
    assert page.url == f"{base}/signin?next=%2Ftasks%2F3.3-a%2FBA-BE"
    assert page.locator("h1").inner_text() == "Đăng nhập"
    assert page.locator("form[action='/signin/password'] input[name='next']").get_attribute("value") == "/tasks/3.3-a/BA-BE"


def test_alice_imports_a_docx_maps_an_agency_fixes_a_deadline_and_loads_it(live, page, people, tmp_path):
    from tests.plan_documents import UNKNOWN_AGENCY, write_docx
    base, context = live
    document = write_docx(tmp_path / "ke-hoach-85.docx")
    page.goto(f"{base}/plans/import")
    page.fill("#staff-email", ALICE[0])
    page.fill("#staff-password", ALICE[2])
    page.click("form[action='/signin/password'] button")
    page.wait_for_url(f"{base}/plans/import")
    page.set_input_files("#document", str(document))
    page.click("#read")
    page.wait_for_url(f"{base}/plans/import/*")
    row = page.locator("tr[data-ref='II.5']")
    assert "bảng 3, hàng 12" in row.inner_text() and "không có trong danh bạ cơ quan" in row.inner_text()  # the page is Vietnamese
    assert page.locator("#problem").is_visible()
    unknown = page.locator(f"tr[data-name='{UNKNOWN_AGENCY}']")
    unknown.locator("select[name='code']").select_option("STTTT")
    unknown.locator("form:has(input[value='map']) button").click()
    page.wait_for_selector("#saved")
    assert "→ STTTT" in page.inner_text("#mapping")
    due = page.locator("tr[data-ref='I.2'] input[name$='-due']")
    assert due.input_value() == "31/12/2024"
    due.fill("15/11/2024")
    page.click("#save")
    page.wait_for_selector("#saved")
    assert page.locator("tr[data-ref='I.2'] input[name$='-due']").input_value() == "15/11/2024"
    page.click("#load")
    page.wait_for_selector("#loaded")
    assert "14 nhiệm vụ mới" in page.inner_text("#loaded")
    page.goto(f"{base}/tasks/II.5")
    assert page.inner_text("#product") == "Chuyên mục tuyên truyền"
    assert "Sở Thông tin và Truyền thông" in page.inner_text("main")
    page.goto(f"{base}/tasks/I.2")
    assert "15/11/2024" in page.inner_text("#occurrences") and page.inner_text("#product") == "Báo cáo rà soát"
