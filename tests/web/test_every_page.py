"""Every page, as Alliance staff, as a focal point and as a visitor, in real Chromium at a phone's
width (390 px) and a desktop's (1366 px): nothing wider than the screen (no sideways scrolling).
Screenshots of each page at both widths go to var/screenshots/ (kept by CI, see .ci/run)."""
import re
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from dondoc.app import review_jobs
from dondoc.web.access import SESSION_COOKIE, SESSION_LIFETIME
from dondoc.web.security import sign
from models.db import transaction
from models.outbox import Message
from tests.web.conftest import ALICE, BOB, TODAY
from tests.web.test_browser import CHROMIUM, chromium, live  # noqa: F401  (fixtures)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WIDTHS = (390, 1366)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium: apt-get install -y chromium (.ci/run does)"),
]


def session_cookie(context, kind: str, email: str, base: str) -> dict:
    """A signed-in browser's cookie, made the way /signin makes it."""
    from models.clock import FixedClock
    from models.web_state import start_session
    with transaction(context.engine) as session:
        token = start_session(session, kind=kind, email=email, now=FixedClock.on(TODAY).now(),
                              lifetime=SESSION_LIFETIME)
    return dict(name=SESSION_COOKIE, value=sign(token, context.settings.secret_key, "session"), url=base)


def review_link(context) -> str:
    """An open 2016 review and a fresh link to SKHDT's form."""
    from models.agency import Agency
    from models.clock import FixedClock
    from models.review.tables import ReviewCycle, ReviewRequest
    from models.review.operations import issue_token
    review_jobs.open_review(context, date(2016, 1, 15), 2016, send=False)
    with transaction(context.engine) as session:
        agency = session.exec(select(Agency).where(Agency.code == "SKHDT")).one()
        request = session.exec(select(ReviewRequest).where(ReviewRequest.agency_id == agency.id)).one()
        cycle = session.get(ReviewCycle, request.cycle_id)
        token = issue_token(session, request, cycle, now=FixedClock.on(TODAY).now(), reason="test")
    return f"/review/{token}"


def plan_import_record(context, tmp_path) -> str:
    from config.files import read_agency_file
    from config.policy import read_policy
    from models import plan_import as guided
    from models.clock import FixedClock
    from tests.plan_documents import write_docx
    document = write_docx(tmp_path / "ke-hoach-85.docx")
    settings = context.settings
    with transaction(context.engine) as session:
        record = guided.start_import(session, document.read_bytes(), document.name,
                                     read_agency_file(settings.agencies_file), read_policy(settings.policy_file),
                                     at=FixedClock.on(TODAY).now(), actor="test")
        return f"/plans/import/{record.id}"


AXE = Path(__file__).parent / "vendor" / "axe.min.js"  # axe-core 4.14.1 from npm (MPL-2.0), vendored


def axe_problems(tab, path: str) -> list[str]:
    """axe-core's serious and critical violations on the page open in `tab` (WCAG 2.x A and AA rules)."""
    if not tab.evaluate("typeof window.axe !== 'undefined'"):
        tab.add_script_tag(content=AXE.read_text())
    found = tab.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
    }""")
    return [f"{path}: {problem}" for problem in found]


def visit_at_both_widths(tab, base: str, path: str, who: str, problems: list | None = None) -> list[str]:
    """Open `path` at each width; what is too wide, as 'path @ width: N px (element)'. With `problems`,
    axe-core scans the page at each width too and adds what it finds there."""
    wide = []
    for width in WIDTHS:
        tab.set_viewport_size({"width": width, "height": 900})
        tab.goto(base + path)
        if problems is not None:
            problems.extend(f"{p} @ {width}" for p in axe_problems(tab, path))
        scroll = tab.evaluate("document.documentElement.scrollWidth")
        if scroll > width:
            culprit = tab.evaluate("""(w) => { const out = [];
                for (const e of document.querySelectorAll('body *')) {
                  const r = e.getBoundingClientRect();
                  if (r.right > w + 1 || (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX == 'visible' && e.clientWidth > 0)) out.push(e.tagName + (e.id ? '#' + e.id : '') + (e.name ? '[' + e.name + ']' : '') + ':' + Math.round(r.right) + '/' + e.scrollWidth);
                } return out.slice(0, 4).join(', '); }""", width)
            wide.append(f"{path} @ {width}: {scroll} px ({culprit})")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9]+", "-", path.split("?")[0].strip("/")) or "home"
        name = name[:60] if not path.startswith("/review/") else "review-form"
        tab.screenshot(path=str(SCREENSHOTS / f"{who}-{name}-{width}.png"), full_page=True)
    return wide


@pytest.fixture
def tab(chromium):  # noqa: F811
    # bypass_csp: the app's Content-Security-Policy allows no injected script, and axe-core is one.
    browser_context = chromium.new_context(locale="vi-VN", bypass_csp=True)
    yield browser_context
    browser_context.close()


def test_every_staff_page_fits_a_phone_and_a_desktop_without_sideways_scrolling(live, tab, people, tmp_path):
    base, context = live
    form = review_link(context)
    imported = plan_import_record(context, tmp_path)
    with transaction(context.engine) as session:
        message_id = session.exec(select(Message.id).order_by(Message.id)).first()
    assert message_id, "opening the review queues its emails"
    tab.add_cookies([session_cookie(context, "staff", ALICE[0], base)])
    page = tab.new_page()
    paths = ["/overview", "/overdue", "/overdue?agency=PAC-NAM&min_days=100", "/agencies", "/agencies/SKHDT",
             "/agencies/BA-BE", "/tasks/3.1.1-a", "/tasks/3.3-d-2/BA-BE", "/outbox", f"/outbox/{message_id}",
             "/reviews", "/reviews/2016", "/reviews/2016/SKHDT", "/plans/import", imported, "/reports",
             "/tasks/khong-co", "/overview?lang=en", "/overdue?lang=en"]
    axe: list[str] = []
    wide = [problem for path in paths for problem in visit_at_both_widths(page, base, path, "staff", axe)]
    assert page.locator("h1").count() >= 1
    assert not wide, "\n".join(wide)
    assert not axe, "axe-core, serious or critical:\n" + "\n".join(axe)
    assert form  # used by the focal point's test


def test_every_focal_point_page_fits_a_phone_and_a_desktop_without_sideways_scrolling(live, tab, people):
    base, context = live
    form = review_link(context)
    tab.add_cookies([session_cookie(context, "focal", BOB[0], base)])
    page = tab.new_page()
    paths = ["/my", "/agencies/SKHDT", "/tasks/3.1.1-a", "/tasks/3.3-a/SKHDT", form, "/agencies/BA-BE"]
    axe: list[str] = []
    wide = [problem for path in paths for problem in visit_at_both_widths(page, base, path, "focal", axe)]
    # The review form refused with errors beside its fields is wide too when its inputs are.
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(base + form)
    page.fill("textarea[name='task-0-result']", "Đã ban hành kế hoạch")
    page.click("#review-submit")
    page.wait_for_selector("[aria-invalid='true'], .error")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    axe.extend(axe_problems(page, "the review form with its errors"))
    assert not wide, "\n".join(wide)
    assert not axe, "axe-core, serious or critical:\n" + "\n".join(axe)


def test_every_public_page_fits_a_phone_and_a_desktop_without_sideways_scrolling(live, tab):
    base, _ = live
    page = tab.new_page()
    paths = ["/signin", "/signin?next=%2Foverdue", "/signin/link/khong-dung", "/review/khong-dung"]
    axe: list[str] = []
    wide = [problem for path in paths for problem in visit_at_both_widths(page, base, path, "visitor", axe)]
    assert not wide, "\n".join(wide)
    assert not axe, "axe-core, serious or critical:\n" + "\n".join(axe)


def test_dates_are_typed_as_day_month_year_on_every_form_whatever_the_browsers_language(live, tab, people):
    base, context = live
    form = review_link(context)
    tab.add_cookies([session_cookie(context, "focal", BOB[0], base)])
    page = tab.new_page()
    for path in ("/tasks/3.1.1-a", form, "/agencies/SKHDT"):
        page.goto(base + path)
        assert page.locator("input[type='date']").count() == 0, path
        for field in page.locator("input[data-date]").all():
            assert field.get_attribute("pattern") and field.get_attribute("placeholder") == "dd/mm/yyyy", path
    page.goto(base + form)
    assert page.locator("input[data-date]").count() >= 1
