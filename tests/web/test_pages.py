"""The pages Alliance staff and focal points read, on the Bắc Kạn plan on 15/01/2016."""
import csv
import io
from datetime import date

from openpyxl import load_workbook
from sqlmodel import Session, select

from models.agency import Agency
from models.audit import AuditEntry
from models.clock import FixedClock
from models.dashboard import (OverdueFilter, category_counts, completions_by_year, on_time_by_agency, overdue_all,
                              overdue_page)
from models.db import transaction
from models.occurrence import Occurrence
from models.status import COUNTED, Period, StatusCategory, duty_status
from models.outbox import Message
from models.plan import Task
from models.queries import overdue as overdue_rows
from notifications.dispatch import dispatch
from notifications.outbox import enqueue
from notifications.render import Rendered
from notifications.transports import transport_for
from config.policy import ReminderPolicy
from tests.web.conftest import TODAY

NOW = FixedClock.on(TODAY).now()


def _record_some(loaded):
    loaded.ok("task", "done", "3.1.2-c", "--on", "2015-12-20", "--note", "Đã trình")
    loaded.ok("task", "done", "3.3-a/BA-BE", "--on", "2015-08-10")
    loaded.ok("task", "progress", "3.1.10", "--percent", "40")


def test_the_counts_per_status_are_the_duty_rule_applied_to_every_live_task(loaded, web_context, alice):
    _record_some(loaded)
    for day in (date(2015, 1, 1), TODAY, date(2018, 6, 30), date(2021, 1, 1)):
        with Session(web_context.engine) as session:
            periods: dict[int, list[Period]] = {}
            for occ in session.exec(select(Occurrence).where(Occurrence.kind.in_(["deadline", "checkin"]))):
                periods.setdefault(occ.task_id, []).append(
                    Period(occ.due_date, occ.starts_on, occ.kind, occ.progress, occ.completed_on))
            expected = {c: 0 for c in COUNTED}
            for task in session.exec(select(Task).where(Task.retired == False)):  # noqa: E712
                expected[duty_status(periods[task.id], day)] += 1
            assert category_counts(session, now=FixedClock.on(day).now()) == expected
            assert sum(expected.values()) == len(session.exec(select(Task)).all()), "one count per duty"
    page = alice.get("/overview").text
    with Session(web_context.engine) as session:
        overdue = category_counts(session, now=NOW)[StatusCategory.OPEN_OVERDUE]
    assert f'data-status="open_overdue"><strong>{overdue}</strong>Chưa hoàn thành, quá hạn' in page


def test_the_on_time_rate_counts_done_on_time_out_of_everything_due_so_far(loaded, web_context):
    _record_some(loaded)
    with Session(web_context.engine) as session:
        rates = {r.code: r for r in on_time_by_agency(session, now=NOW)}
    stc, ba_be = rates["STC"], rates["BA-BE"]
    assert stc.on_time == 1 and stc.rate == 1 / stc.due_so_far
    assert ba_be.late == 1 and ba_be.on_time == 0 and ba_be.rate == 0


def test_the_yearly_chart_shows_on_time_late_and_overdue_by_year_of_the_due_date(loaded, web_context, alice):
    _record_some(loaded)
    with Session(web_context.engine) as session:
        years = completions_by_year(session, now=NOW)
    assert [y.year for y in years] == [2015, 2016]
    assert (years[0].on_time, years[0].late) == (1, 1)
    page = alice.get("/overview").text
    assert 'aria-label="2015: 1 / 1 /' in page
    later = alice.get("/overview?today=2017-03-01").text
    assert "<td data-label=\"Năm\">2016</td>" in later


def test_the_overdue_list_is_the_overdue_query_one_row_per_duty_page_by_page(alice, web_context):
    with Session(web_context.engine) as session:
        everything = overdue_rows(session, now=NOW)
    duties = list(dict.fromkeys(r.ref for r in sorted(everything, key=lambda r: r.due)))
    first = alice.get("/overdue").text
    assert f'<strong id="total">{len(duties)}</strong>' in first
    assert f'<strong id="periods">{len(everything)}</strong>' in first
    assert "Trang 1 / " in first and "30/06/2015" in first
    second = alice.get("/overdue?page=2").text
    on_first = {ref for ref in duties if f">{ref}</a>" in first}
    on_second = {ref for ref in duties if f">{ref}</a>" in second}
    assert len(on_first) == 50 and on_second and not on_first & on_second
    assert on_first | on_second == set(duties) or len(duties) > 100


def test_the_overdue_list_filters_by_agency_district_section_and_days(alice, web_context):
    with Session(web_context.engine) as session:
        def refs(**kw):
            return {(i.ref, i.due) for i in overdue_page(session, now=NOW, flt=OverdueFilter(**kw), page_size=1000).items}
        everything = {(r.ref, r.due) for r in overdue_rows(session, now=NOW)}
        assert refs() == everything
        assert refs(agency="PAC-NAM") == {(r.ref, r.due) for r in overdue_rows(session, now=NOW, agency_code="PAC-NAM")}
        districts = {a.code for a in session.exec(select(Agency).where(Agency.kind == "district"))}
        all_districts = refs(district="*")
        assert all_districts and all(ref.split("/")[-1] in districts for ref, _ in all_districts)
        assert refs(district="BA-BE") <= all_districts and all(r.endswith("/BA-BE") for r, _ in refs(district="BA-BE"))
        assert refs(district="SKHDT") == set()  # a department is not a district-level unit
        section = refs(section="3.1")
        assert section and all(r.startswith("3.1.") for r, _ in section)
        old = refs(min_days=150)
        assert old and all((TODAY - due).days >= 150 for _, due in old) and old < everything
    page = alice.get("/overdue?agency=PAC-NAM&min_days=100&sort=agency").text
    assert "3.3-a/PAC-NAM" in page and "3.3-a/BA-BE" not in page


def test_the_overdue_list_sorts(alice, web_context):
    with Session(web_context.engine) as session:
        by_agency = overdue_page(session, now=NOW, flt=OverdueFilter(sort="agency"), page_size=1000).items
        newest = overdue_page(session, now=NOW, flt=OverdueFilter(sort="-due"), page_size=1000).items
        second = overdue_page(session, now=NOW, flt=OverdueFilter(sort="-due"), page=2, page_size=20).items
    assert [(i.agency_code, i.due) for i in by_agency] == sorted((i.agency_code, i.due) for i in by_agency)
    assert [i.occurrence_id for i in second] == [i.occurrence_id for i in newest[20:40]]
    assert [i.due for i in newest] == sorted((i.due for i in newest), reverse=True)


def test_the_pages_of_every_sort_are_the_export_cut_in_pages(alice, web_context):
    """Pages (the agency sort skips whole agencies by their counts) line up with the one-query export."""
    with Session(web_context.engine) as session:
        for flt in (OverdueFilter(sort="agency"), OverdueFilter(sort="-due"), OverdueFilter(sort="agency", district="*"),
                    OverdueFilter(sort="agency", section="3.1", min_days=10)):
            everything = [i.occurrence_id for i in overdue_all(session, now=NOW, flt=flt)]
            first = overdue_page(session, now=NOW, flt=flt, page=1, page_size=7)
            paged = [i.occurrence_id for n in range(1, first.pages + 1)
                     for i in overdue_page(session, now=NOW, flt=flt, page=n, page_size=7).items]
            assert everything and paged == everything and first.total == len(everything), flt


def test_the_exports_have_vietnamese_headers_and_the_filtered_rows(alice, web_context):
    with Session(web_context.engine) as session:
        expected = [(r.ref, r.due.strftime("%d/%m/%Y")) for r in overdue_rows(session, now=NOW, agency_code="PAC-NAM")]
    response = alice.get("/overdue.csv?agency=PAC-NAM")
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="qua-han-2016-01-15.csv"' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Mã nhiệm vụ", "Nhiệm vụ", "Mục", "Cơ quan chủ trì", "Hạn", "Số ngày quá hạn", "Tình trạng",
                       "Tiến độ (%)", "Ghi chú", "Đầu mối"]
    assert [(r[0], r[4]) for r in rows[1:]] == expected
    assert all(r[3] == "Ủy ban nhân dân huyện Pác Nặm" for r in rows[1:])
    book = load_workbook(io.BytesIO(alice.get("/overdue.xlsx?agency=PAC-NAM").content))
    sheet = book.active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == rows[0]
    assert [(v[0], v[4].strftime("%d/%m/%Y")) for v in values[1:]] == expected  # real dates, shown dd/mm/yyyy
    assert isinstance(values[1][5], int) and sheet["E2"].number_format == "DD/MM/YYYY"
    assert sheet.auto_filter.ref == f"A1:J{len(values)}" and sheet.freeze_panes == "A2"


def _retitle(engine, ref, title):
    with transaction(engine) as session:
        task = session.exec(select(Task).where(Task.ref == ref)).one()
        task.title = title


def test_a_title_that_looks_like_a_formula_stays_text_in_the_exports(alice, web_context):
    _retitle(web_context.engine, "3.3-a/PAC-NAM", '=HYPERLINK("http://evil.example","bấm vào")')
    row = next(r for r in csv.reader(io.StringIO(alice.get("/overdue.csv?agency=PAC-NAM").content.decode("utf-8-sig")))
               if r[0] == "3.3-a/PAC-NAM")
    assert row[1].startswith("'=")
    sheet = load_workbook(io.BytesIO(alice.get("/overdue.xlsx?agency=PAC-NAM").content)).active
    cell = next(r[1] for r in sheet.iter_rows() if r[0].value == "3.3-a/PAC-NAM")
    assert cell.data_type == "s"


def test_a_task_title_holding_a_script_shows_as_text(alice, bob, web_context):
    _retitle(web_context.engine, "3.1.1-a", "<script>alert('xss')</script> Kế hoạch")
    for client, path in ((alice, "/overdue?agency=SKHDT"), (alice, "/tasks/3.1.1-a"), (bob, "/agencies/SKHDT")):
        html = client.get(path).text
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt; Kế hoạch" in html


def test_the_task_page_of_a_shared_duty_shows_its_occurrences_and_full_history(loaded, alice):
    loaded.ok("task", "done", "3.3-d-2/NA-RI", "--due", "2015-09-30", "--on", "2015-10-02", "--note", "Báo cáo quý III")
    page = alice.get("/tasks/3.3-d-2/NA-RI").text
    assert "Ủy ban nhân dân huyện Na Rì" in page
    assert "30/09/2015" in page and "Hoàn thành quá hạn" in page and "Báo cáo quý III" in page
    assert '<td data-label="Hạn">31/03/2016</td>\n  <td data-label="Tình trạng" class="s-open_in_time">Chưa hoàn thành, trong hạn' in page
    assert "30/06/2015" in page and "Chưa hoàn thành, quá hạn — 199 ngày" in page
    assert "<td data-label=\"Người\">test</td>" in page  # the audit's actor
    assert alice.get("/tasks/9.9.9").status_code == 404


def test_bob_records_progress_then_completion_and_the_audit_names_him(bob, web_context):
    form = bob.get("/tasks/3.1.1-a").text
    token = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    response = bob.post("/tasks/3.1.1-a", data=dict(csrf=token, action="progress", due="2015-12-31", percent="60",
                                                    note="Đã có dự thảo kế hoạch"), follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/tasks/3.1.1-a?saved=progress"
    response = bob.post("/tasks/3.1.1-a", data=dict(csrf=token, action="done", due="2015-12-31", on="12/01/2016",
                                                    note="Kế hoạch số 12/KH-SKHDT đã trình UBND tỉnh"), follow_redirects=False)
    page = bob.get(response.headers["location"]).text
    assert "Đã ghi nhận hoàn thành." in page and "12/01/2016" in page and "Hoàn thành quá hạn" in page
    with Session(web_context.engine) as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.ref == "3.1.1-a", AuditEntry.field == "progress")).all()
    assert [(e.actor, e.new_value) for e in entries] == [("web:focal:bob@skhdt.example.org", "in_progress"),
                                                         ("web:focal:bob@skhdt.example.org", "done")]
    assert entries[-1].note == "Kế hoạch số 12/KH-SKHDT đã trình UBND tỉnh"


def test_a_completion_after_today_or_a_bad_percentage_is_refused_with_a_message(bob, web_context):
    token = bob.csrf("/tasks/3.1.1-a")
    future = bob.post("/tasks/3.1.1-a", data=dict(csrf=token, action="done", due="2015-12-31", on="01/02/2016"))
    assert future.status_code == 400 and "Ngày hoàn thành không thể sau hôm nay" in future.text
    big = bob.post("/tasks/3.1.1-a", data=dict(csrf=token, action="progress", due="2015-12-31", percent="140"))
    assert big.status_code == 400 and "Tiến độ phải từ 0 đến 100, không phải 140" in big.text
    wrong_due = bob.post("/tasks/3.1.1-a", data=dict(csrf=token, action="progress", due="2015-07-01", percent="10"))
    assert wrong_due.status_code == 400 and "không có kỳ hạn ngày 01/07/2015" in wrong_due.text
    long_note = bob.post("/tasks/3.1.1-a", data=dict(csrf=token, action="progress", due="2015-12-31", percent="10",
                                                     note="x" * 4001))
    assert long_note.status_code == 400 and "Ghi chú dài quá 4000 ký tự" in long_note.text
    bob.client.cookies.set("lang", "en")
    english = bob.post("/tasks/3.1.1-a", data=dict(csrf=token, action="progress", due="2015-12-31", percent="140"))
    assert english.status_code == 400 and "progress must be between 0 and 100" in english.text
    with Session(web_context.engine) as session:
        assert not session.exec(select(AuditEntry).where(AuditEntry.ref == "3.1.1-a", AuditEntry.actor.startswith("web:"))).all()


def test_english_is_one_click_away_and_sticks(alice):
    assert "Chưa hoàn thành, quá hạn" in alice.get("/overdue").text
    english = alice.get("/overdue?lang=en")
    assert "Not completed, overdue" in english.text and '<html lang="en">' in english.text
    assert "Not completed, overdue" in alice.get("/overdue").text
    assert "Chưa hoàn thành, quá hạn" in alice.get("/overdue?lang=vi").text


def test_the_outbox_shows_what_went_to_whom_and_why_a_message_failed(alice, bob, web_context):
    with transaction(web_context.engine) as session:
        enqueue(session, key="test|bad", kind="daily", recipient_email="không-phải-địa-chỉ", recipient_name="Ai đó",
                language="vi", send_date=TODAY, rendered=Rendered("Nhắc việc", "Nội dung", "<p>Nội dung</p>"),
                now=NOW, mail_from=web_context.settings.resolved_mail_from)
    dispatch(web_context.engine, transport_for(web_context.settings), now=NOW, policy=ReminderPolicy(), only=None)
    page = alice.get("/outbox?status=failed").text
    assert "Ai đó" in page and "địa chỉ người nhận không hợp lệ" in page  # the page is Vietnamese
    listing = alice.get("/outbox").text
    assert "bob@skhdt.example.org" in listing and "[Đôn đốc] Liên kết đăng nhập của Bob Trần" in listing
    with Session(web_context.engine) as session:
        signin = session.exec(select(Message).where(Message.kind == "signin")).first()
        failed = session.exec(select(Message).where(Message.key == "test|bad")).one()
    detail = alice.get(f"/outbox/{signin.id}").text
    assert "/signin/link/" not in detail and "không hiển thị" in detail and "đã gửi" in detail
    assert "Nội dung" in alice.get(f"/outbox/{failed.id}").text  # its text part, read from the MIME as built
    assert alice.get("/outbox/999999").status_code == 404
