"""Every form where text is typed keeps it when the session has ended: the sign-in leads back to the page
showing the form, at the form, filled in again (and only that form). Real browsers: test_drafts_browser.py."""
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from sqlmodel import select

from models.db import transaction
from models.web_state import WebSession

# (the form's address, what was typed, the page showing it, its anchor there, how the page shows it again)
FORMS = [
    ("/tasks/3.1.1-a", dict(action="progress", due="2015-12-31", percent="60", note="Đang trình ký"),
     "/tasks/3.1.1-a", "record", 'id="r-note" rows="3" maxlength="4000" aria-describedby="r-note-limit">Đang trình ký</textarea>'),
    ("/requests/3.1.1-a", dict(action="explain", due="2015-12-31", answer_by="20/01/2016", reason="Vì sao chậm?"),
     "/tasks/3.1.1-a", "explain", 'id="x-reason" rows="2">Vì sao chậm?</textarea>'),
    ("/reassign/3.1.1-a", dict(to="STC", coordinators="", effective="20/01/2016", reason="Theo quyết định mới"),
     "/tasks/3.1.1-a", "reassign", 'id="m-reason" rows="2">Theo quyết định mới</textarea>'),
    ("/agencies/SKHDT/edit", dict(name_vi="Sở Kế hoạch và Đầu tư tỉnh", name_en="DPI", identifier_code="",
                                  reason="Tên đầy đủ theo quyết định"),
     "/agencies/SKHDT", "edit-agency", 'value="Tên đầy đủ theo quyết định"'),
    ("/agencies/SKHDT/people", dict(action="add", name="Nguyễn Văn Mới", email="moi@skhdt.example.org", role="deputy",
                                    reason="Bổ sung cấp phó"),
     "/agencies/SKHDT", "add-person", 'value="Nguyễn Văn Mới"'),
]


def _sessions_end(web_context) -> None:
    with transaction(web_context.engine) as session:
        for row in session.exec(select(WebSession)):
            session.delete(row)


@pytest.mark.parametrize("path, typed, page, anchor, shown", FORMS, ids=[f[0] for f in FORMS])
def test_a_form_sent_after_the_session_ended_is_back_filled_in_on_its_page_after_the_sign_in(
        alice, web_context, path, typed, page, anchor, shown):
    csrf = alice.csrf(page)
    _sessions_end(web_context)
    response = alice.post(path, data=dict(typed, csrf=csrf), follow_redirects=False)
    assert response.status_code == 303
    where = urlsplit(response.headers["location"])
    assert where.path == "/signin" and parse_qs(where.query)["kept"] == ["1"]
    target = unquote(parse_qs(where.query)["next"][0])
    assert target.startswith(f"{page}?draft=") and target.endswith(f"#{anchor}"), target
    assert alice.sign_in_staff().status_code == 303
    again = alice.get(target.split("#", 1)[0])
    assert again.status_code == 200 and 'id="restored"' in again.text
    assert shown in again.text
    words = next(typed[k] for k in ("note", "reason", "name") if k in typed)
    assert again.text.count(words) == 1  # in its own form only, no other form of the page


def test_a_form_on_a_persons_own_row_keeps_no_draft_it_could_not_show_again(alice, web_context):
    csrf = alice.csrf("/agencies/SKHDT")
    _sessions_end(web_context)
    response = alice.post("/agencies/SKHDT/people", data=dict(action="edit", person="1", name="Tên khác", csrf=csrf,
                                                              reason="Sửa tên"), follow_redirects=False)
    assert "kept=1" not in response.headers["location"]
