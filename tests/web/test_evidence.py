"""Evidence files (sản phẩm), reassignment and coordinators' notes through the web app (TestClient):
types checked by content, the size limit, nothing stored on refusal, downloads only as attachments,
and who may do what. bob: SKHDT (leads 3.1.1-a, coordinates 3.1.2-b); carol: BA-BE (coordinates
3.1.1-a through the districts, no part in 3.1.2-b); alice: staff."""
import io
import zipfile

import pytest
from docx import Document
from openpyxl import Workbook
from sqlmodel import Session, select

from models.audit import AuditEntry
from models.contributions import TaskContribution
from models.evidence import EvidenceFile, attach_to, sniff
from models.occurrence import Occurrence, Progress
from models.outbox import Message
from models.plan import Task
from models.clock import FixedClock
from models.db import transaction
from tests.web.conftest import TODAY, csrf_of

LIMIT = 60_000  # DONDOC_ATTACHMENT_MAX_BYTES for these tests
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def docx_bytes(text="Kế hoạch số 12/KH-SKHDT") -> bytes:
    document = Document()
    document.add_paragraph(text)
    data = io.BytesIO()
    document.save(data)
    return data.getvalue()


def xlsx_bytes() -> bytes:
    book = Workbook()
    book.active["A1"] = "Số hợp tác xã"
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def fake_docx() -> bytes:
    """A zip named .docx that is no Word document."""
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as package:
        package.writestr("payload.html", "<script>alert(1)</script>")
    return data.getvalue()


@pytest.fixture
def web_settings(web_settings):
    return web_settings.model_copy(update=dict(attachment_max_bytes=LIMIT))


def _complete(client, ref, files, *, note="Đã ban hành", due="2015-12-31"):
    token = csrf_of(client.get(f"/tasks/{ref}").text)
    return client.post(f"/tasks/{ref}", data=dict(csrf=token, action="done", due=due, on="28/12/2015", note=note),
                       files=[("files", f) for f in files], follow_redirects=False)


def _stored(context) -> list:
    folder = context.settings.data_dir / "evidence"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_content_decides_the_type_never_the_name():
    assert sniff(PDF).extension == "pdf" and sniff(PNG).extension == "png"
    assert sniff(docx_bytes()).extension == "docx" and sniff(xlsx_bytes()).extension == "xlsx"
    assert sniff(b"<html><script>alert(1)</script>") is None
    assert sniff(fake_docx()) is None
    assert sniff(b"PK\x03\x04 not really a zip") is None


def test_bob_completes_with_a_pdf_and_a_docx_and_they_are_listed_and_downloaded_as_attachments(bob, web_context):
    response = _complete(bob, "3.1.1-a", [("ke-hoach.pdf", PDF, "application/pdf"),
                                          ("quyet dinh.docx", docx_bytes(), "application/octet-stream")])
    assert response.status_code == 303, response.text
    page = bob.get("/tasks/3.1.1-a").text
    assert "ke-hoach.pdf" in page and "quyet dinh.docx" in page
    with Session(web_context.engine) as session:
        rows = session.exec(select(EvidenceFile).order_by(EvidenceFile.id)).all()
        occ = session.get(Occurrence, rows[0].occurrence_id)
        assert occ.progress == Progress.DONE and [r.media_type for r in rows] == [
            "application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"]
        assert session.exec(select(AuditEntry).where(AuditEntry.field == "evidence")).all()[0].actor == \
            "web:focal:bob@skhdt.example.org"
    assert [p.name for p in _stored(web_context)] == sorted(r.sha256 for r in rows)
    download = bob.get(f"/files/{rows[0].id}")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"


def test_a_file_of_the_wrong_type_refuses_the_whole_completion_and_stores_nothing(bob, web_context):
    for name, raw in (("bao-cao.pdf", b"<html><body>not a pdf</body></html>"), ("ke-hoach.docx", fake_docx())):
        response = _complete(bob, "3.1.1-a", [("good.pdf", PDF, "application/pdf"), (name, raw, "application/pdf")])
        assert response.status_code == 400
        assert f"{name}: không phải loại tệp được chấp nhận (xét theo nội dung)" in response.text
    with Session(web_context.engine) as session:
        assert session.exec(select(EvidenceFile)).all() == []
        task = session.exec(select(Task).where(Task.ref == "3.1.1-a")).one()
        assert not session.exec(select(Occurrence).where(Occurrence.task_id == task.id,
                                                         Occurrence.progress == Progress.DONE)).all()
    assert _stored(web_context) == [], "no orphan file: the good one went with the refused transaction"


def test_a_file_over_the_limit_is_refused_with_a_vietnamese_message_and_nothing_stored(bob, web_context):
    big = PDF + b"0" * LIMIT
    response = _complete(bob, "3.1.1-a", [("lon.pdf", big, "application/pdf")])
    assert response.status_code == 400 and "lon.pdf: vượt quá giới hạn 0,06 MB mỗi tệp; không có gì được lưu" in response.text
    with Session(web_context.engine) as session:
        assert session.exec(select(EvidenceFile)).all() == []
    assert _stored(web_context) == []


def test_a_body_past_the_upload_limit_is_refused_before_it_is_read_with_a_vietnamese_page(bob, web_context):
    huge = PDF + b"0" * (LIMIT + 2_000_000 + 1_000_000)  # past max(web_max_upload_bytes, limit + 2 MB)
    response = _complete(bob, "3.1.1-a", [("rat-lon.pdf", huge + b"0" * 22_000_000, "application/pdf")])
    assert response.status_code == 413 and "Dữ liệu gửi lên quá lớn" in response.text
    assert _stored(web_context) == []


def _file_on(context, ref, agency_actor="test") -> int:
    with transaction(context.engine) as session:
        [row] = attach_to(session, ref=ref, due=None, files=[("bien-ban.pdf", PDF)], data_dir=context.settings.data_dir,
                          max_bytes=LIMIT, at=FixedClock.on(TODAY).now(), actor=agency_actor)
        return row.id


def test_a_focal_point_cannot_read_another_agencys_files_but_a_coordinator_and_staff_can(bob, carol, alice, web_context):
    stc_file = _file_on(web_context, "3.1.2-b")  # led by STC, coordinated by SKHDT (bob); BA-BE has no part
    assert carol.get(f"/files/{stc_file}").status_code == 403
    assert carol.get("/tasks/3.1.2-b").status_code == 403
    assert bob.get(f"/files/{stc_file}").content == PDF
    assert "bien-ban.pdf" in bob.get("/tasks/3.1.2-b").text
    assert alice.get(f"/files/{stc_file}").status_code == 200
    assert bob.get("/files/999999").status_code == 404


def test_a_focal_point_cannot_reassign_staff_can_and_both_leads_are_emailed(bob, alice, web_context):
    form = dict(to="STC", coordinators="LMHTX", effective="", reason="Quyết định 5/QĐ-UBND")
    refused = bob.post("/reassign/3.1.1-a", data=dict(csrf=bob.csrf("/tasks/3.1.1-a"), **form), follow_redirects=False)
    assert refused.status_code == 403
    assert "m-reason" not in bob.get("/tasks/3.1.1-a").text, "no reassign form for a focal point"
    missing = alice.post("/reassign/3.1.1-a", data=dict(csrf=alice.csrf("/tasks/3.1.1-a"), **{**form, "reason": ""}))
    assert missing.status_code == 400 and "Cần ghi lý do điều chuyển" in missing.text
    done = alice.post("/reassign/3.1.1-a", data=dict(csrf=alice.csrf("/tasks/3.1.1-a"), **form), follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/tasks/3.1.1-a?saved=reassigned"
    with Session(web_context.engine) as session:
        to = {m.recipient_email for m in session.exec(select(Message).where(Message.kind == "reassignment"))}
        assert {"lan.nt@skhdt.example.org", "bob@skhdt.example.org", "mai.lt@stc.example.org"} <= to
        entry = session.exec(select(AuditEntry).where(AuditEntry.field == "reassignment")).one()
        assert entry.actor == "web:staff:alice@lmhtx.example.org" and entry.note == "Quyết định 5/QĐ-UBND"
    # bob's agency no longer leads it: he may no longer record on it.
    assert bob.get("/tasks/3.1.1-a").status_code == 403


def test_a_coordinator_reads_the_duty_without_recording_and_adds_a_note_the_lead_sees(bob, carol, web_context):
    page = carol.get("/tasks/3.1.1-a")
    assert page.status_code == 200 and 'id="record"' not in page.text and 'id="contribute"' in page.text
    refused = carol.post("/tasks/3.1.1-a", data=dict(csrf=csrf_of(page.text), action="done", on="10/01/2016"))
    assert refused.status_code == 403
    sent = carol.post("/contribute/3.1.1-a", data=dict(csrf=csrf_of(page.text), note="Huyện Ba Bể đã rà soát số liệu"),
                      follow_redirects=False)
    assert sent.status_code == 303
    assert "Huyện Ba Bể đã rà soát số liệu" in bob.get("/tasks/3.1.1-a").text
    not_coordinating = bob.post("/contribute/3.1.1-a", data=dict(csrf=bob.csrf("/tasks/3.1.1-a"), note="x"))
    assert not_coordinating.status_code == 403
    with Session(web_context.engine) as session:
        assert [c.actor for c in session.exec(select(TaskContribution))] == ["web:focal:carol@babe.example.org"]


def test_the_periodic_reports_annex_lists_the_evidence_files(bob, alice, web_context):
    from dondoc.documents.bao_cao import annexes
    from dondoc.documents.report_content import build_periodic
    from models.review.operations import find_plan
    from models.status import period_window
    assert _complete(bob, "3.1.1-a", [("ke-hoach-2016.pdf", PDF, "application/pdf")]).status_code == 303
    with Session(web_context.engine) as session:
        report = build_periodic(session, find_plan(session, None), period_window("2015"),
                                now=FixedClock.on(TODAY).now())
    [(title, headings, rows)] = [a for a in annexes(report) if "sản phẩm" in a[0]]
    assert headings[4] == "Tệp sản phẩm"
    assert rows == [["3.1.1-a", report.evidence[0].title, "Sở Kế hoạch và Đầu tư", "31/12/2015", "ke-hoach-2016.pdf",
                     "15/01/2016"]]


def test_a_file_written_for_a_transaction_that_rolls_back_is_removed_again(web_context):
    with pytest.raises(RuntimeError):
        with transaction(web_context.engine) as session:
            attach_to(session, ref="3.1.1-a", due=None, files=[("bien-ban.pdf", PDF)],
                      data_dir=web_context.settings.data_dir, max_bytes=LIMIT, at=FixedClock.on(TODAY).now(), actor="test")
            assert len(_stored(web_context)) == 1
            raise RuntimeError("something later in the same transaction failed")
    assert _stored(web_context) == []
    with Session(web_context.engine) as session:
        assert session.exec(select(EvidenceFile)).all() == []
