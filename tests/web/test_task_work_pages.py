"""The task page's extension, return and explanation forms (dondoc/web/task_work.py), and who may use
them: bob (SKHDT's focal point, which leads 3.1.1-a, due 31/12/2015) asks and answers for his own
duties; carol (BA-BE) may not touch them; alice (staff) decides, returns and asks for explanations.
The page's day is 15/01/2016."""
from sqlmodel import Session, select

from models.occurrence import Occurrence
from models.outbox import Message
from models.plan import Task
from models.task_work import TaskRequest
from tests.web.conftest import ALICE, BOB, csrf_of

URL = "/requests/3.1.1-a"


def post(client, action, **form):
    csrf = csrf_of(client.get("/tasks/3.1.1-a").text)
    return client.post(URL, data=dict(csrf=csrf, action=action, **form), follow_redirects=False)


def first_occurrence(context):
    with Session(context.engine) as session:
        task = session.exec(select(Task).where(Task.ref == "3.1.1-a")).one()
        return session.exec(select(Occurrence).where(Occurrence.task_id == task.id).order_by(Occurrence.id)).first()


def task_mails(context):
    with Session(context.engine) as session:
        return [(m.recipient_email, m.subject) for m in session.exec(
            select(Message).where(Message.kind == "task_work").order_by(Message.id))]


def requests(context):
    with Session(context.engine) as session:
        return session.exec(select(TaskRequest)).all()


def test_bob_asks_for_an_extension_and_alice_approves_it_on_the_task_page(bob, alice, web_context):
    response = post(bob, "extend", due="2015-12-31", new_due="29/02/2016", reason="Chờ số liệu thống kê")
    assert response.status_code == 303 and response.headers["location"] == "/tasks/3.1.1-a?saved=extend"
    assert task_mails(web_context) == [(ALICE[0], "[Đôn đốc] Đề nghị gia hạn nhiệm vụ 3.1.1-a (hạn 31/12/2015)")]
    overview = alice.get("/overview").text
    assert 'id="open-requests"' in overview and "Chờ số liệu thống kê" in overview
    assert post(alice, "decide", number="1", decision="approve", new_due="31/01/2016", note="Một tháng").status_code == 303
    occ = first_occurrence(web_context)
    assert (occ.due_date.isoformat(), occ.original_due.isoformat()) == ("2016-01-31", "2015-12-31")
    told = {to for to, _ in task_mails(web_context)[1:]}
    assert BOB[0] in told and "lan.nt@skhdt.example.org" in told
    page = bob.get("/tasks/3.1.1-a").text
    assert "31/01/2016 <span class=\"extended\">(đã gia hạn, hạn theo Kế hoạch 31/12/2015)" in page
    assert "Chưa hoàn thành, trong hạn" in page and "Đã đồng ý: 31/01/2016" in page


def test_bob_cannot_approve_his_own_extension(bob, web_context):
    post(bob, "extend", due="2015-12-31", new_due="29/02/2016", reason="Chờ số liệu")
    assert post(bob, "decide", number="1", decision="approve").status_code == 403
    assert requests(web_context)[0].state == "pending"
    assert first_occurrence(web_context).original_due is None


def test_carol_cannot_ask_to_extend_a_duty_not_her_agencys(carol, web_context):
    csrf = csrf_of(carol.get("/signin").text)
    response = carol.post(URL, data=dict(csrf=csrf, action="extend", due="2015-12-31", new_due="29/02/2016",
                                         reason="x"), follow_redirects=False)
    assert response.status_code == 403
    assert requests(web_context) == []


def test_bob_can_neither_return_a_report_nor_ask_for_an_explanation(bob, web_context):
    bob_page = bob.get("/tasks/3.1.1-a").text
    assert 'id="return"' not in bob_page and 'id="explain"' not in bob_page
    assert post(bob, "return", due="2015-12-31", reason="x").status_code == 403
    assert post(bob, "explain", due="2015-12-31", answer_by="20/01/2016", reason="x").status_code == 403
    assert requests(web_context) == [] and task_mails(web_context) == []


def test_a_wrong_date_is_refused_with_a_message_and_nothing_written(bob, web_context):
    response = post(bob, "extend", due="2015-12-31", new_due="31/02/2016", reason="Chờ số liệu")
    assert response.status_code == 400 and "không phải ngày dạng ngày/tháng/năm" in response.text
    response = post(bob, "extend", due="2015-12-31", new_due="01/12/2015", reason="Chờ số liệu")
    assert response.status_code == 400 and "phải sau hạn hiện hành (31/12/2015)" in response.text
    response = post(bob, "extend", due="2015-12-31", new_due="29/02/2016", reason="  ")
    assert response.status_code == 400 and "Cần nêu lý do" in response.text
    assert requests(web_context) == [] and task_mails(web_context) == []


def test_alice_returns_a_completion_and_the_duty_is_overdue_again(alice, bob, web_context):
    csrf = csrf_of(bob.get("/tasks/3.1.1-a").text)
    bob.post("/tasks/3.1.1-a", data=dict(csrf=csrf, action="done", due="2015-12-31", on="10/01/2016", note="Xong"))
    assert post(alice, "return", due="2015-12-31", reason="Chưa có văn bản ban hành").status_code == 303
    occ = first_occurrence(web_context)
    assert (occ.progress, occ.completed_on) == ("open", None)
    page = bob.get("/tasks/3.1.1-a").text
    assert "Chưa hoàn thành, quá hạn — 15 ngày" in page and "Chưa có văn bản ban hành" in page
    assert {s for _, s in task_mails(web_context)} == {"[Đôn đốc] Trả lại báo cáo hoàn thành nhiệm vụ 3.1.1-a"}
    assert BOB[0] in {to for to, _ in task_mails(web_context)}


def test_alice_asks_for_an_explanation_bob_answers_it_and_the_overview_no_longer_lists_it(alice, bob, web_context):
    assert post(alice, "explain", due="2015-12-31", answer_by="20/01/2016", reason="Vì sao chậm?").status_code == 303
    assert "Vì sao chậm?" in alice.get("/overview").text
    assert 'id="answer"' in bob.get("/tasks/3.1.1-a").text
    assert post(bob, "answer", number="1", note="Chờ ý kiến UBND tỉnh").status_code == 303
    assert "Vì sao chậm?" not in alice.get("/overview").text
    page = alice.get("/tasks/3.1.1-a").text
    assert "Đã giải trình" in page and "Chờ ý kiến UBND tỉnh" in page
    assert task_mails(web_context)[-1] == (ALICE[0], "[Đôn đốc] Giải trình về nhiệm vụ 3.1.1-a")
