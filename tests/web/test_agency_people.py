"""Staff manage an agency's focal points on its page (reason, effective day, away period; CSRF as every
form); a focal point corrects their own phone and form of address and nothing else; the overview warns
while a lead agency has nobody to remind."""
from sqlmodel import Session, select

from models.agency import FocalPoint
from models.audit import AuditEntry
from models.db import transaction
from tests.web.conftest import BOB, csrf_of

LAN = "lan.nt@skhdt.example.org"


def person(context, email):
    with Session(context.engine) as session:
        return session.exec(select(FocalPoint).where(FocalPoint.email == email)).one()


def test_the_agency_page_shows_who_receives_what(alice, web_context):
    html = alice.get("/agencies/SKHDT").text
    assert "Nhắc việc hằng ngày" in html and "Nhiệm vụ quá hạn lâu (báo cáo thủ trưởng)" in html
    assert 'id="add-form"' in html and 'id="directory-history"' in html


def test_staff_add_a_person_only_with_a_reason_and_a_valid_address(alice, web_context):
    token = csrf_of(alice.get("/agencies/STC").text)
    refused = alice.post("/agencies/STC/people", data=dict(csrf=token, action="add", name="Lò Văn Tú",
                                                           email="tu.lv@stc.example.org", reason=" "))
    assert refused.status_code == 400 and "cần nêu lý do" in refused.text  # the page is Vietnamese
    bad = alice.post("/agencies/STC/people", data=dict(csrf=token, action="add", name="Lò Văn Tú",
                                                       email="not-an-address", reason="bổ sung cấp phó"))
    assert bad.status_code == 400 and 'id="error"' in bad.text
    ok = alice.post("/agencies/STC/people", data=dict(csrf=token, action="add", name="Lò Văn Tú", role="deputy",
                                                      email="tu.lv@stc.example.org", address_as="ông",
                                                      reason="bổ sung cấp phó"), follow_redirects=False)
    assert ok.status_code == 303
    tu = person(web_context, "tu.lv@stc.example.org")
    assert (tu.role, tu.address_as, tu.changed_in_app_at is not None) == ("deputy", "ông", True)
    assert alice.post("/agencies/STC/people", data=dict(action="add", name="X", email="x@stc.example.org",
                                                        reason="r")).status_code == 403  # no CSRF token


def test_staff_cannot_leave_a_lead_with_nobody_and_the_overview_warns_when_it_happens(alice, web_context):
    minh = person(web_context, "minh.lv@sgtvt.example.org")
    token = csrf_of(alice.get("/agencies/SGTVT").text)
    refused = alice.post("/agencies/SGTVT/people", data=dict(csrf=token, action="deactivate", person=str(minh.id),
                                                            reason="nghỉ việc"))
    assert refused.status_code == 400 and "3.1.5-a" in refused.text
    assert person(web_context, "minh.lv@sgtvt.example.org").active
    assert 'id="nobody-warning"' not in alice.get("/overview").text
    with transaction(web_context.engine) as session:  # as an old import or a hand edit could leave it
        session.get(FocalPoint, minh.id).active = False
    overview = alice.get("/overview").text
    assert 'id="nobody-warning"' in overview and "SGTVT" in overview and "3.1.5-a" in overview


def test_a_focal_point_corrects_their_own_phone_and_form_of_address_only(bob, web_context):
    page = bob.get("/agencies/SKHDT").text
    assert 'id="self-form"' in page and 'id="add-form"' not in page
    me = person(web_context, BOB[0])
    token = csrf_of(page)
    saved = bob.post("/agencies/SKHDT/people", data=dict(csrf=token, action="self", person=str(me.id),
                                                         phone="0209 3871 555", address_as="anh"), follow_redirects=False)
    assert saved.status_code == 303
    me = person(web_context, BOB[0])
    assert (me.phone, me.address_as) == ("0209 3871 555", "anh")
    lan = person(web_context, LAN)
    assert bob.post("/agencies/SKHDT/people", data=dict(csrf=token, action="self", person=str(lan.id),
                                                        phone="0123 456 789")).status_code == 403
    assert bob.post("/agencies/SKHDT/people", data=dict(csrf=token, action="edit", person=str(me.id), name="B",
                                                        email=BOB[0], reason="x")).status_code == 403
    with Session(web_context.engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.entity_id == me.id, AuditEntry.field == "phone")).one()
    assert entry.actor == f"web:focal:{BOB[0]}" and entry.note == "tự cập nhật (self-service)"


def test_staff_set_an_agencys_identifier_code_only_in_the_shape_of_decision_20_2020(alice, bob, web_context):
    from models.agency import Agency
    page = alice.get("/agencies/STC").text
    assert 'id="agency-form"' in page and 'pattern="[0-9A-Z]{3}' in page
    token = csrf_of(page)
    bad = alice.post("/agencies/STC/edit", data=dict(csrf=token, identifier_code="000.00.12", reason="mã định danh"))
    assert bad.status_code == 400 and "&#39;000.00.12&#39; không phải mã định danh" in bad.text
    assert 'value="000.00.12"' in bad.text  # what was typed is kept to correct
    no_reason = alice.post("/agencies/STC/edit", data=dict(csrf=token, identifier_code="000.00.12.H06", reason=""))
    assert no_reason.status_code == 400 and "cần nêu lý do" in no_reason.text
    ok = alice.post("/agencies/STC/edit", data=dict(csrf=token, identifier_code="000.00.12.H06",
                                                    reason="mã định danh theo QĐ 20/2020"), follow_redirects=False)
    assert ok.status_code == 303
    with Session(web_context.engine) as session:
        stc = session.exec(select(Agency).where(Agency.code == "STC")).one()
        entry = session.exec(select(AuditEntry).where(AuditEntry.entity == "agency", AuditEntry.entity_id == stc.id,
                                                      AuditEntry.field == "identifier_code")).one()
    assert (stc.identifier_code, stc.name_vi) == ("000.00.12.H06", "Sở Tài chính")
    assert (entry.old_value, entry.new_value, entry.note) == (None, "000.00.12.H06", "mã định danh theo QĐ 20/2020")
    assert 'id="identifier-code">000.00.12.H06<' in alice.get("/agencies/STC").text
    assert bob.post("/agencies/SKHDT/edit", data=dict(csrf=csrf_of(bob.get("/agencies/SKHDT").text),
                                                      identifier_code="000.00.13.H06", reason="r")).status_code == 403
