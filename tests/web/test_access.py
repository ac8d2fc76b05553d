"""Every route has an access rule, and each rule holds: an anonymous visitor is sent to sign in,
another agency's focal point (carol, of BA-BE) is refused, the right people get in."""
import pytest
from fastapi.routing import APIRoute
from sqlmodel import Session, select

from dondoc.web.calendar import feed_token
from models.occurrence import Occurrence, Progress
from models.plan import Task

# (method, route path) -> (rule, a concrete URL). Rules:
#   staff: Alliance staff only; agency: staff and the SKHDT focal point (bob), not carol;
#   signed_in: anyone signed in; public: anyone; secret: the calendar's secret URL.
RULES = {
    ("GET", "/"): ("signed_in", "/"),
    ("GET", "/my"): ("signed_in", "/my"),
    ("POST", "/signout"): ("signed_in", "/signout"),
    ("GET", "/overview"): ("staff", "/overview"),
    ("GET", "/overdue"): ("staff", "/overdue?agency=SKHDT"),
    ("GET", "/overdue.csv"): ("staff", "/overdue.csv"),
    ("GET", "/overdue.xlsx"): ("staff", "/overdue.xlsx"),
    ("GET", "/agencies"): ("staff", "/agencies"),
    ("GET", "/outbox"): ("staff", "/outbox"),
    ("GET", "/outbox/{message_id}"): ("staff", "/outbox/1"),
    ("GET", "/agencies/{code}"): ("agency", "/agencies/SKHDT"),
    # A task's page: its lead, staff, and its coordinating agencies read it (bob's SKHDT coordinates
    # 3.1.2-b, led by STC; carol's BA-BE has no part in it). Recording is for the lead and staff.
    ("GET", "/tasks/{ref:path}"): ("agency", "/tasks/3.1.2-b"),
    ("POST", "/tasks/{ref:path}"): ("agency", "/tasks/3.1.1-a"),
    ("POST", "/reassign/{ref:path}"): ("staff", "/reassign/3.1.1-a"),
    ("POST", "/contribute/{ref:path}"): ("agency", "/contribute/3.1.2-b"),
    # Evidence: the file's own rule (staff, the agencies of its duty) is tests/web/test_evidence.py's.
    ("GET", "/files/{file_id}"): ("signed_in", "/files/1"),
    ("POST", "/requests/{ref:path}"): ("agency", "/requests/3.1.1-a"),
    ("POST", "/agencies/{code}/people"): ("agency", "/agencies/SKHDT/people"),
    ("POST", "/agencies/{code}/edit"): ("staff", "/agencies/SKHDT/edit"),
    ("GET", "/signin"): ("public", "/signin"),
    ("GET", "/static/dondoc.css"): ("public", "/static/dondoc.css"),
    ("GET", "/static/charts.css"): ("public", "/static/charts.css"),
    ("POST", "/signin/password"): ("public", "/signin/password"),
    ("POST", "/signin/link"): ("public", "/signin/link"),
    ("GET", "/signin/link/{token}"): ("public", "/signin/link/nothing"),
    ("POST", "/signin/link/{token}"): ("public", "/signin/link/nothing"),
    ("GET", "/act/{token}/{ref:path}"): ("public", "/act/nothing/3.1.1-a"),
    ("POST", "/act/{token}/{ref:path}"): ("public", "/act/nothing/3.1.1-a"),
    ("GET", "/calendar/{code}/{token}.ics"): ("secret", "/calendar/SKHDT/{token}.ics"),
    ("GET", "/reviews"): ("staff", "/reviews"),
    ("GET", "/reports"): ("staff", "/reports"),
    ("GET", "/reports/download"): ("staff", "/reports/download?period=2015-Q4"),
    ("GET", "/plans/import"): ("staff", "/plans/import"),
    ("POST", "/plans/import"): ("staff", "/plans/import"),
    ("GET", "/plans/import/{record_id}"): ("staff", "/plans/import/1"),
    ("POST", "/plans/import/{record_id}/agencies"): ("staff", "/plans/import/1/agencies"),
    ("POST", "/plans/import/{record_id}/tasks"): ("staff", "/plans/import/1/tasks"),
    ("POST", "/plans/import/{record_id}/load"): ("staff", "/plans/import/1/load"),
    ("GET", "/reviews/{year}"): ("staff", "/reviews/2016"),
    ("GET", "/reviews/{year}/{agency_code}"): ("staff", "/reviews/2016/SKHDT"),
    ("POST", "/reviews/{year}/{agency_code}/form"): ("agency", "/reviews/2016/SKHDT/form"),
    # The review form is reached by its emailed token alone (tests/review/test_review_guards.py).
    ("GET", "/review/{token}"): ("secret", "/review/nothing"),
    ("POST", "/review/{token}"): ("secret", "/review/nothing"),
}
PROTECTED = [(method, url) for (method, _), (rule, url) in RULES.items() if rule in ("staff", "agency", "signed_in")]
NOT_FOR_CAROL = [(method, url) for (method, _), (rule, url) in RULES.items() if rule in ("staff", "agency")]


def app_routes(app) -> set[tuple[str, str]]:
    found = set()
    pending = list(app.routes)
    while pending:
        route = pending.pop()
        if hasattr(route, "original_router"):
            pending.extend(route.original_router.routes)
        elif isinstance(route, APIRoute):
            found |= {(method, route.path) for method in route.methods}
    return found


def test_every_route_of_the_app_has_an_access_rule_here(app):
    assert app_routes(app) == set(RULES)


def _send(client, method, url, **form):
    if method == "GET":
        return client.get(url, follow_redirects=False)
    return client.post(url, data=dict(csrf=client.csrf(), action="done", on="2016-01-10", **form), follow_redirects=False)


@pytest.mark.parametrize("method,url", PROTECTED)
def test_an_anonymous_visitor_is_sent_to_sign_in(visitor, method, url):
    response = _send(visitor, method, url)
    assert response.status_code == 303
    # A task form sent (what was typed is kept for after the sign-in: ?kept=1) or any other page.
    assert response.headers["location"].startswith(("/signin?next=", "/signin?kept=1&next="))


@pytest.mark.parametrize("method,url", NOT_FOR_CAROL)
def test_another_agencys_focal_point_is_refused(carol, method, url):
    response = _send(carol, method, url)
    assert response.status_code == 403
    assert "Không có quyền truy cập" in response.text


@pytest.mark.parametrize("method,url", [(m, u) for (m, _), (rule, u) in RULES.items() if rule == "staff"])
def test_the_agencys_own_focal_point_is_refused_the_staff_pages_too(bob, method, url):
    assert _send(bob, method, url).status_code == 403


def test_carols_refused_completion_changes_nothing(carol, web_context):
    _send(carol, "POST", "/tasks/3.1.1-a")
    with Session(web_context.engine) as session:
        task = session.exec(select(Task).where(Task.ref == "3.1.1-a")).one()
        assert not session.exec(select(Occurrence).where(Occurrence.task_id == task.id,
                                                         Occurrence.progress == Progress.DONE)).all()


def test_bob_sees_his_agency_and_its_tasks(bob):
    assert bob.get("/my", follow_redirects=False).headers["location"] == "/agencies/SKHDT"
    page = bob.get("/agencies/SKHDT")
    assert page.status_code == 200 and "Sở Kế hoạch và Đầu tư" in page.text and "3.1.1-a" in page.text
    assert bob.get("/tasks/3.1.1-a").status_code == 200


def test_carol_is_refused_an_agency_that_does_not_exist_like_any_other(carol, alice):
    assert carol.get("/agencies/NOPE").status_code == 403
    assert alice.get("/agencies/NOPE").status_code == 404


def test_alice_sees_every_staff_and_agency_page(alice):
    for (method, _), (rule, url) in RULES.items():
        if method == "GET" and rule in ("staff", "agency") and url not in ("/outbox/1", "/plans/import/1"):
            assert alice.get(url).status_code == 200, url


def test_the_calendar_needs_its_secret_and_nothing_else(visitor, web_context):
    token = feed_token(web_context.settings, "SKHDT")
    assert visitor.get(f"/calendar/SKHDT/{token}.ics").status_code == 200
    assert visitor.get(f"/calendar/BA-BE/{token}.ics").status_code == 404
    assert visitor.get(f"/calendar/SKHDT/{'0' * 32}.ics").status_code == 404


def test_a_forged_session_cookie_is_ignored(visitor):
    visitor.cookies.set("dondoc_session", "staff|alice@lmhtx.example.org|1452819600.deadbeef")
    response = visitor.get("/overview", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/signin")


def test_the_sign_in_page_does_not_send_people_elsewhere(visitor):
    response = visitor.post("/signin/password", data=dict(email="alice@lmhtx.example.org", password="mật khẩu của Alice 2016",
                                                          csrf=visitor.csrf(), next="//evil.example/"),
                            follow_redirects=False)
    assert response.headers["location"] == "/overview"
