"""Requests no page sends, each of which once gave a 500: now a 4xx with nothing changed."""
import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, select

from dondoc.web import create_app
from models.clock import FixedClock
from models.db import transaction
from models.occurrence import Occurrence
from models.plan import Task
from tests.abuse_support import DURING, open_review, review_token, snapshot
from tests.conftest import at_vn


def review_form_client(web_context):
    open_review(web_context)
    app = create_app(web_context)
    app.state.clock = FixedClock(at_vn(DURING, 9))
    client = TestClient(app)
    token = review_token(web_context, "SKHDT", now=app.state.clock.now())
    page = client.get(f"/review/{token}")
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return client, token, csrf


def test_staff_asking_a_review_link_for_an_agency_that_does_not_exist_get_404(alice, web_context):
    before = snapshot(web_context.engine)
    response = alice.post("/reviews/2015/NOPE/form", data=dict(csrf=alice.csrf()))
    assert response.status_code == 404
    assert snapshot(web_context.engine) == before


def test_an_id_or_a_year_too_large_for_the_database_is_refused_and_a_huge_page_number_is_the_last_page(alice):
    assert alice.get("/outbox/99999999999999999999").status_code == 422
    assert alice.get("/reviews/99999999999999999999").status_code == 422
    assert alice.get("/reviews/2015/SKHDT").status_code == 200
    assert alice.get("/outbox?page=99999999999999999999").status_code == 200
    assert alice.get("/overdue?page=99999999999999999999&min_days=-99999999999999999999").status_code == 200


def test_a_review_form_with_a_task_count_that_is_not_a_plain_number_is_checked_not_crashed(web_context):
    client, token, csrf = review_form_client(web_context)
    before = snapshot(web_context.engine)
    for count in ("²", "٣", "-1", "1e3", "99999999999999999999"):
        response = client.post(f"/review/{token}", data={"csrf_token": csrf, "task_count": count})
        assert response.status_code == 422, count
        assert "chưa có nội dung báo cáo" in response.text
    assert snapshot(web_context.engine) == before


def test_a_csrf_token_sent_as_a_file_is_refused_with_403(web_context):
    client, token, csrf = review_form_client(web_context)
    before = snapshot(web_context.engine)
    response = client.post(f"/review/{token}", files={"csrf_token": ("csrf.txt", csrf.encode())},
                           data={"task_count": "1", "task-0-status": "done"})
    assert response.status_code == 403
    assert snapshot(web_context.engine) == before


def test_a_note_with_a_control_character_or_too_long_is_refused_on_the_task_page(alice, web_context):
    before = snapshot(web_context.engine)
    for note in ("đã xong\x00", "\x1b[31mđỏ", "x" * 4001):
        response = alice.post("/tasks/3.1.1-a", data=dict(csrf=alice.csrf("/tasks/3.1.1-a"), action="progress",
                                                          percent="10", note=note))
        assert response.status_code == 400 and "note" in response.text, note
    assert snapshot(web_context.engine) == before


def test_the_overdue_workbook_leaves_out_control_characters_an_older_note_may_hold(alice, web_context):
    with transaction(web_context.engine) as session:
        task = session.exec(select(Task).where(Task.ref == "3.1.1-a")).one()
        occurrence = session.exec(select(Occurrence).where(Occurrence.task_id == task.id)
                                  .order_by(Occurrence.due_date)).first()
        occurrence.note = "ghi chú\x01\x02 cũ"
    response = alice.get("/overdue.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert "ghi chú cũ" in [cell.value for row in sheet.iter_rows() for cell in row]


def test_a_nul_character_in_the_address_is_a_400_not_a_database_error(alice):
    for url in ("/tasks/%00", "/agencies/SKHDT%00", "/overdue?agency=%00", "/overdue.csv?section=a%00b",
                "/reviews/2015/%00"):
        response = alice.get(url)
        assert response.status_code == 400, url


def test_a_nul_character_in_the_sign_in_forms_is_a_wrong_password_or_a_link_request_like_any_other(visitor):
    wrong = visitor.post("/signin/password", data=dict(email="alice@lmhtx.example.org\x00", password="x",
                                                       csrf=visitor.csrf()))
    assert wrong.status_code == 400
    asked = visitor.post("/signin/link", data=dict(email="nobody\x00@example.org", csrf=visitor.csrf()))
    assert asked.status_code == 200
