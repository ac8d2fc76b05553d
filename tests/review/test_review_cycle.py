"""The annual review over a real SMTP server: opened, answered through the form, an XLSX file and
late, chased, compiled. Time travels through November and December 2015."""
from datetime import date

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlmodel import Session, select

from dondoc.app import review_jobs
from dondoc.app.context import AppContext
from models.audit import AuditEntry
from models.occurrence import Occurrence, Progress
from models.plan import Task
from models.review.tables import ReviewCycle
from tests.review_support import Browser, start_smtp

SKHDT, STC = "lan.nt@skhdt.example.org", "mai.lt@stc.example.org"
BA_BE, CHO_DON, NA_RI, PAC_NAM = ("nam.hv@babe.example.org", "toan.mv@chodon.example.org",
                                  "tien.hv@nari.example.org", "hai.tv@pacnam.invalid")
ALLIANCE = "thanh.ht@lmhtx.example.org"
INDICATORS = dict(cooperatives_total=30, new_established=18, operating_effectively=17, weak=2, converted_2012_law=30,
                  dissolved=1, model_cooperatives=1, officers_total=10, officers_trained=10)


@pytest.fixture
def smtp(settings):
    controller, box = start_smtp()
    yield settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": controller.port}), box
    controller.stop()


def occurrence(context, ref, due):
    with Session(context.engine) as session:
        task = session.exec(select(Task).where(Task.ref == ref)).one()
        return session.exec(select(Occurrence).where(Occurrence.task_id == task.id, Occurrence.due_date == due)).one()


def form_values(browser, token, **tasks):
    """Only the named tasks reported on: {ref: {status: ..., ...}}; the rest left blank."""
    fields = browser.fields(token)
    values = {k: v for k, v in fields.items() if k != "csrf_token"}
    for ref, inputs in tasks.items():
        index = browser.task_index(token, ref)
        values.update({f"task-{index}-{k}": v for k, v in inputs.items()})
    return values


def test_a_whole_review_cycle_reaches_each_agency_chases_only_the_missing_and_compiles_the_report(loaded, smtp, tmp_path):
    settings, box = smtp
    context = AppContext(settings)
    try:
        opened = review_jobs.open_review(context, date(2015, 11, 2), 2015)
        assert opened.opened and opened.sent == opened.requests >= 24
        request_mail = box.to(SKHDT, "review_request")[0]
        assert "30/11/2015" in request_mail.subject and "sơ kết năm 2015" in request_mail.subject
        assert "3.1.1-b: Tham mưu ban hành cơ chế" in request_mail.text and "Chưa hoàn thành, trong hạn" in request_mail.text
        assert "chỉ tiêu mục 1.3" in box.to(BA_BE, "review_request")[0].text.lower()
        assert "chutich@babe.example.org" not in box.recipients("review_request")  # heads are not asked

        browser = Browser(context)
        # SKHDT answers through the form on time.
        token = box.token_for(SKHDT)
        page = browser.at(date(2015, 11, 10)).get(token)
        assert page.status_code == 200 and "Sở Kế hoạch và Đầu tư" in page.text and "3.1.1-b" in page.text
        answer = browser.post(token, form_values(browser, token, **{
            "3.1.1-b": dict(status="done", completed_on="2015-11-06", result="Đã trình UBND tỉnh ban hành cơ chế hỗ trợ",
                            proposals="Đề nghị bố trí kinh phí hỗ trợ thành lập hợp tác xã mới"),
            "3.1.1-a": dict(status="in_progress", progress="60", difficulties="Thiếu số liệu của các huyện")}))
        assert answer.status_code == 200, answer.text
        assert "Đã ghi nhận báo cáo" in answer.text
        done = occurrence(context, "3.1.1-b", date(2015, 12, 31))
        assert done.progress == Progress.DONE and done.completed_on == date(2015, 11, 6)
        with Session(context.engine) as session:
            assert session.exec(select(AuditEntry).where(AuditEntry.entity_id == done.id, AuditEntry.actor == "web:SKHDT",
                                                         AuditEntry.field == "progress")).first() is not None

        # Ba Bể answers through the form with its indicators.
        token = box.token_for(BA_BE)
        values = form_values(browser, token, **{"3.3-a/BA-BE": dict(status="done", completed_on="2015-08-10")})
        values.update({f"ind-{k}": str(v) for k, v in INDICATORS.items()})
        assert browser.at(date(2015, 11, 20)).post(token, values).status_code == 200

        # Chợ Đồn fills in the XLSX template offline and the Alliance imports it.
        template = tmp_path / "cho-don.xlsx"
        from tests.conftest import Cli
        cli = Cli(settings)
        cli.ok("review", "template", "2015", "--agency", "CHO-DON", "--out", template, "--today", "2015-11-12")
        book = load_workbook(template)
        sheet = book["Nhiệm vụ"]
        header = [c.value for c in sheet[1]]
        row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "3.3-a/CHO-DON")
        row[header.index("Tình trạng báo cáo")].value = "Hoàn thành"
        row[header.index("Ngày hoàn thành (dd/mm/yyyy)")].value = "15/09/2015"
        row[header.index("Kết quả đạt được")].value = "Đã kiện toàn Ban Chỉ đạo huyện"
        for r in book["Chỉ tiêu"].iter_rows(min_row=2):
            r[2].value = {**INDICATORS, "model_cooperatives": 0, "new_established": 10}[r[0].value]
        book.save(template)
        result = cli.ok("review", "submit", "2015", "--agency", "CHO-DON", "--file", template, "--today", "2015-11-25")
        assert "CHO-DON: đã ghi nhận sơ kết năm 2015 từ cho-don.xlsx" in result.stdout  # Vietnamese by default

        # The chaser on 23/11 (7 days before) reaches only those who have not reported.
        box.clear()
        chased = review_jobs.chase_review(context, date(2015, 11, 23), 2015)
        assert chased.chasers > 0
        reached = box.recipients("review_chaser")
        assert {PAC_NAM, NA_RI, STC} <= reached
        assert not {SKHDT, BA_BE} & reached  # CHO-DON reported on 25/11 and was still waiting on 23/11
        assert box.to(PAC_NAM, "review_chaser")[0].subject.startswith("[Đôn đốc] Còn 7 ngày")
        box.clear()
        assert review_jobs.chase_review(context, date(2015, 11, 23), 2015).chasers == 0  # never twice
        assert box.messages == []

        # After the deadline the Alliance staff get the missing list.
        box.clear()
        review_jobs.chase_review(context, date(2015, 12, 1), 2015)
        listing = box.to(ALLIANCE, "review_missing")
        assert len(listing) == 1
        assert "Pác Nặm" in listing[0].text and "Na Rì" in listing[0].text
        assert "Ba Bể" not in listing[0].text and "Sở Kế hoạch và Đầu tư" not in listing[0].text

        # The due-day chaser nobody ran on 30/11 went out with it; Na Rì answers late from its link.
        assert box.to(NA_RI, "review_chaser")[0].subject.startswith("[Đôn đốc] Quá hạn 1 ngày")
        token = box.token_for(NA_RI)
        values = form_values(browser, token, **{"3.3-a/NA-RI": dict(status="in_progress", progress="50")})
        values.update({f"ind-{k}": str(v) for k, v in {**INDICATORS, "new_established": 2}.items()})
        assert browser.at(date(2015, 12, 3)).post(token, values).status_code == 200

        # The overdue chaser on 07/12 goes to the missing, not to Na Rì.
        box.clear()
        review_jobs.chase_review(context, date(2015, 12, 7), 2015)
        reached = box.recipients("review_chaser")
        assert PAC_NAM in reached and NA_RI not in reached and SKHDT not in reached
        assert "Quá hạn 7 ngày" in box.to(PAC_NAM, "review_chaser")[0].subject

        status = cli.ok("review", "status", "2015", "--today", "2015-12-08", "--format", "json").stdout
        import json
        rows = {r["code"]: r for r in json.loads(status)["agencies"]}
        assert rows["SKHDT"]["state"] == "submitted" and rows["SKHDT"]["channel"] == "web"
        assert rows["CHO-DON"]["channel"] == "xlsx"
        assert rows["NA-RI"]["state"] == "submitted_late"
        assert rows["PAC-NAM"]["state"] == "missing"

        # The compiled report.
        docx, xlsx, md = tmp_path / "so-ket-2015.docx", tmp_path / "so-ket-2015.xlsx", tmp_path / "so-ket-2015.md"
        review_jobs.compile_review(context, date(2015, 12, 15), 2015, [docx, xlsx, md])
        text = "\n".join(p.text for p in Document(docx).paragraphs)
        cells = "\n".join(c.text for t in Document(docx).tables for r in t.rows for c in r.cells)
        assert "BÁO CÁO\nSơ kết năm 2015 thực hiện Kế hoạch triển khai thực hiện Chương trình hành động số 19-CTr/TU" in text
        for name in ("Sở Kế hoạch và Đầu tư\nĐã nộp đúng hạn", "Ủy ban nhân dân huyện Na Rì\nNộp muộn",
                     "Ủy ban nhân dân huyện Pác Nặm\nQuá hạn, chưa nộp"):
            assert name in cells
        # (18 + 10 + 2) new cooperatives in one year: 30 a year on average, against "at least 16".
        assert "Bình quân số hợp tác xã thành lập mới mỗi năm\n≥ 16/năm\n30/năm\nĐạt" in cells
        # Weak: 6 of 90 = 6,7% < 10%; model cooperatives: Chợ Đồn has none and five districts did not report.
        assert "Tỷ lệ hợp tác xã hoạt động yếu kém\n< 10%\n6,7%\nĐạt" in cells
        assert "Mô hình hợp tác xã điển hình ở mỗi huyện, thị xã\n≥ 1 mỗi huyện\n2/8 huyện, thị xã\nChưa đạt" in cells
        assert "Đề nghị bố trí kinh phí hỗ trợ thành lập hợp tác xã mới" in text
        book = load_workbook(xlsx)
        assert book.sheetnames == ["Tổng hợp", "Tình trạng", "Lũy kế", "Theo mục", "Chỉ tiêu", "Nhiệm vụ", "Quá hạn",
                                   "Năm tới", "Đơn vị", "Số liệu", "Kiến nghị"]
        units = {r[0]: r[1] for r in book["Đơn vị"].iter_rows(min_row=2, values_only=True)}
        assert units["Ủy ban nhân dân huyện Pác Nặm"] == "Quá hạn, chưa nộp"
        assert units["Ủy ban nhân dân huyện Chợ Đồn"] == "Đã nộp đúng hạn"
        assert not {"Liên minh Hợp tác xã tỉnh", "Ban chỉ đạo đổi mới, phát triển kinh tế hợp tác, hợp tác xã tỉnh"} \
            & set(units), "the compiling body does not report to itself"
        # A submitted review completes the agency's duty to send it (4.2-b), on the day it was submitted.
        assert occurrence(context, "4.2-b/SKHDT", date(2015, 11, 30)).completed_on == date(2015, 11, 10)
        assert occurrence(context, "4.2-b/NA-RI", date(2015, 11, 30)).completed_on == date(2015, 12, 3)
        late = {(r[0], r[2]) for r in book["Quá hạn"].iter_rows(min_row=2, values_only=True)}
        assert ("4.2-b", "Ủy ban nhân dân huyện Pác Nặm") in late
        assert not {("4.2-b", "Sở Kế hoạch và Đầu tư"), ("4.2-b", "Ủy ban nhân dân huyện Chợ Đồn"),
                    ("4.2-b", "Ủy ban nhân dân huyện Na Rì")} & late
        assert "| Tỷ lệ hợp tác xã hoạt động yếu kém | < 10% | 6,7% | Đạt |" in md.read_text(encoding="utf-8")
        with Session(context.engine) as session:
            assert session.exec(select(ReviewCycle)).one().status == "reported"
    finally:
        context.close()


def test_a_review_asks_only_the_agencies_of_its_own_plan_when_two_provinces_share_a_database(loaded, engine):
    from datetime import datetime

    from config.policy import ReviewPolicy
    from models.agency import Agency, AgencyKind
    from models.clock import VN_TZ
    from models.db import transaction
    from models.plan import Plan, TaskCoordinator
    from models.review.operations import open_cycle

    with transaction(engine) as session:
        district = Agency(code="CB-HA-QUANG", name_vi="Ủy ban nhân dân huyện Hà Quảng", name_en="Ha Quang District",
                          kind=AgencyKind.DISTRICT)
        alliance = Agency(code="CB-LMHTX", name_vi="Liên minh Hợp tác xã tỉnh Cao Bằng",
                          name_en="Cao Bang Cooperative Alliance", kind=AgencyKind.ALLIANCE)
        plan = Plan(code="CB-KTTT-2021-2025", title="Kế hoạch phát triển kinh tế tập thể tỉnh Cao Bằng",
                    province="Cao Bằng", horizon_start=date(2021, 1, 1), horizon_end=date(2025, 12, 31))
        session.add_all([district, alliance, plan])
        session.flush()
        task = Task(plan_id=plan.id, ref="3.3-a/CB-HA-QUANG", section="3.3", title="Rà soát hợp tác xã",
                    source_text="Rà soát hợp tác xã trên địa bàn.", lead_agency_id=district.id, timing="recurring")
        session.add(task)
        session.flush()
        session.add(TaskCoordinator(task_id=task.id, agency_id=alliance.id))
        opened = open_cycle(session, plan, 2021, now=datetime(2021, 11, 1, 8, tzinfo=VN_TZ),
                            review_policy=ReviewPolicy(), actor="test")
        asked = {agency.code for _, agency in opened.new_requests}
    assert asked == {"CB-HA-QUANG"}, "the Alliance compiles the review: it is not asked to report to itself"

    with Session(engine) as session:
        bac_kan = session.exec(select(Plan).where(Plan.code != "CB-KTTT-2021-2025")).one()
    with transaction(engine) as session:
        opened = open_cycle(session, bac_kan, 2016, now=datetime(2016, 11, 1, 8, tzinfo=VN_TZ),
                            review_policy=ReviewPolicy(), actor="test")
        asked = {agency.code for _, agency in opened.new_requests}
    assert "BA-BE" in asked and "SKHDT" in asked and not asked & {"LMHTX", "BCD"}
    assert not asked & {"CB-HA-QUANG", "CB-LMHTX"}


def test_the_missing_list_goes_to_the_plans_own_alliance_not_another_provinces(loaded, engine):
    from datetime import datetime

    from config.policy import ReminderPolicy, ReviewPolicy, WorkingDaysPolicy
    from models.agency import Agency, AgencyKind, FocalPoint
    from models.clock import VN_TZ
    from models.db import transaction
    from models.outbox import Message
    from models.plan import Plan
    from models.review.operations import open_cycle
    from models.workdays import WorkCalendar
    from notifications.review import queue_review_chasers

    with transaction(engine) as session:
        other = Agency(code="CB-LMHTX", name_vi="Liên minh Hợp tác xã tỉnh Cao Bằng",
                       name_en="Cao Bang Cooperative Alliance", kind=AgencyKind.ALLIANCE)
        session.add(other)
        session.flush()
        session.add(FocalPoint(agency_id=other.id, name="Nông Văn Bằng", email="bang.nv@lmhtx-caobang.example.org"))
    with transaction(engine) as session:
        plan = session.exec(select(Plan)).one()
        cycle = open_cycle(session, plan, 2015, now=datetime(2015, 11, 2, 8, tzinfo=VN_TZ),
                           review_policy=ReviewPolicy(), actor="test").cycle
        mail = queue_review_chasers(session, cycle, now=datetime(2015, 12, 1, 8, tzinfo=VN_TZ), today=date(2015, 12, 1),
                                    reminder_policy=ReminderPolicy(),
                                    calendar=WorkCalendar.from_policy(WorkingDaysPolicy()),
                                    base_url="http://localhost", mail_from="dondoc@example.org")
        listed_to = set(session.exec(select(Message.recipient_email).where(Message.kind == "review_missing")))
    assert listed_to == {ALLIANCE, "cuong.mv@lmhtx.example.org"} and mail.missing_lists == 2  # its head is not
