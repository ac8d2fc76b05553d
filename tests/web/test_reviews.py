"""The annual review on the staff dashboard (/reviews), and a focal point's way into their review form."""
import re
from datetime import date, timedelta

from dondoc.app import review_jobs
from models.db import transaction
from models.review.tables import Channel
from models.review.operations import accept_submission, find_plan, form_for, get_cycle, request_of
from tests.conftest import at_vn
from tests.web.conftest import csrf_of


def _submit(context, year, code, when, notes="Đã báo cáo"):
    with transaction(context.engine) as session:
        cycle = get_cycle(session, find_plan(session, None), year)
        request = request_of(session, cycle, code)
        form = form_for(session, request, when)
        accept_submission(session, form, {"tasks": [], "notes": notes}, now=when, actor="test", channel=Channel.CLI)


def _cycle_dates(context, year):
    with transaction(context.engine) as session:
        cycle = get_cycle(session, find_plan(session, None), year)
        return cycle.opens_on, cycle.inputs_due, cycle.report_due


def _row(html, code):
    found = re.search(rf'<tr class="state-(\w+)" data-agency="{re.escape(code)}">(.*?)</tr>', html, re.S)
    assert found, f"no row for {code}"
    return found.group(1), found.group(2)


def test_the_staff_page_lists_who_submitted_on_time_late_or_not_at_all(alice, web_context):
    review_jobs.open_review(web_context, date(2015, 11, 2), 2015, send=False)
    opens_on, inputs_due, report_due = _cycle_dates(web_context, 2015)
    _submit(web_context, 2015, "SKHDT", at_vn(inputs_due - timedelta(days=5), 9), notes="<script>alert(1)</script>")
    _submit(web_context, 2015, "STC", at_vn(inputs_due + timedelta(days=1), 9))

    html = alice.get("/reviews/2015").text
    assert opens_on.strftime("%d/%m/%Y") in html and inputs_due.strftime("%d/%m/%Y") in html
    assert report_due.strftime("%d/%m/%Y") in html
    state, cells = _row(html, "SKHDT")
    assert state == "submitted" and "Đã nộp đúng hạn" in cells and "dòng lệnh" in cells and 'href="/reviews/2015/SKHDT"' in cells
    state, cells = _row(html, "STC")
    assert state == "submitted_late" and "Nộp muộn" in cells
    state, cells = _row(html, "BA-BE")
    assert state == "missing" and "Quá hạn, chưa nộp" in cells and "/reviews/2015/BA-BE" not in cells

    index = alice.get("/reviews").text
    assert 'href="/reviews/2015"' in index and "2 / " in index
    assert 'href="/reviews"' in alice.get("/overview").text

    content = alice.get("/reviews/2015/SKHDT").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content and "<script>alert(1)" not in content


def test_a_focal_point_reaches_the_review_form_of_their_own_agency_through_the_button(bob, web_context):
    assert "/reviews/2016/SKHDT/form" not in bob.get("/agencies/SKHDT").text  # no cycle open yet
    review_jobs.open_review(web_context, date(2016, 1, 15), 2016, send=False)
    page = bob.get("/agencies/SKHDT").text
    assert 'action="/reviews/2016/SKHDT/form"' in page
    response = bob.post("/reviews/2016/SKHDT/form", data=dict(csrf=csrf_of(page)), follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/review/")
    form = bob.get(response.headers["location"])
    assert form.status_code == 200 and "Sở Kế hoạch và Đầu tư" in form.text


def test_the_button_needs_the_csrf_token_and_refuses_another_agencys_focal_point(bob, carol, web_context):
    review_jobs.open_review(web_context, date(2016, 1, 15), 2016, send=False)
    assert bob.post("/reviews/2016/SKHDT/form", data=dict(csrf="forged"), follow_redirects=False).status_code == 403
    page = carol.get("/agencies/BA-BE").text
    response = carol.post("/reviews/2016/SKHDT/form", data=dict(csrf=csrf_of(page)), follow_redirects=False)
    assert response.status_code == 403 and "Không có quyền truy cập" in response.text


def test_the_review_form_speaks_english_to_a_reader_who_chose_it_problems_included(bob, web_context):
    review_jobs.open_review(web_context, date(2016, 1, 15), 2016, send=False)
    page = bob.get("/agencies/SKHDT").text
    location = bob.post("/reviews/2016/SKHDT/form", data=dict(csrf=csrf_of(page)),
                        follow_redirects=False).headers["location"]
    bob.cookies.set("lang", "en")
    form = bob.get(location).text
    assert "Annual review 2016" in form and "Send the report" in form and "Your agency&#39;s tasks" in form
    assert "Gửi báo cáo" not in form and "Nhiệm vụ của đơn vị" not in form
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    posted = bob.post(location, data={**hidden, "task-0-result": "Plan issued"})
    assert posted.status_code >= 400
    assert "not chosen: required once another box of this task is filled" in posted.text
    assert "bắt buộc khi đã điền" not in posted.text and "Not recorded: 1 problem(s) to correct" in posted.text
    assert 'value="Plan issued"' in posted.text or ">Plan issued<" in posted.text  # what was typed stays
