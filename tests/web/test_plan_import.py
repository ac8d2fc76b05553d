"""The guided import on the web, for Alliance staff: upload, review beside the source, map an
agency, correct a field, see what a revised plan changes, load."""
import re

from sqlmodel import Session, select

from models.agency import Agency
from models.audit import AuditEntry
from models.plan import Plan, Task
from models.plan_import import PlanImport
from tests.plan_documents import UNKNOWN_AGENCY, write_docx


def upload(alice, path):
    with open(path, "rb") as document:
        return alice.post("/plans/import", data=dict(csrf=alice.csrf("/plans/import")),
                          files={"document": (path.name, document, "application/octet-stream")}, follow_redirects=False)


def test_alice_uploads_a_docx_and_sees_each_duty_beside_its_source_with_its_warnings(alice, tmp_path):
    response = upload(alice, write_docx(tmp_path / "ke-hoach-85.docx"))
    assert response.status_code == 303
    page = alice.get(response.headers["location"]).text
    assert "85/KH-UBND" in page and "Ủy ban nhân dân tỉnh Bắc Kạn" in page and "05/04/2024" in page
    row = re.search(r'<tr id="task-\d+" data-ref="II.5">.*?</tr>', page, re.S).group(0)
    assert "bảng 3, hàng 12" in row and "Tuyên truyền về kinh tế tập thể" in row
    assert "không có trong danh bạ cơ quan" in row and 'value="Chuyên mục tuyên truyền"' in row
    assert f'data-name="{UNKNOWN_AGENCY}"' in page
    assert "Nguyễn Văn Bình" not in page and "Lưu: VT" not in page  # the signature block is no duty
    assert 'id="problem"' in page  # not loadable while an agency is unknown


def test_a_refused_upload_says_why_and_keeps_nothing(alice, tmp_path, web_context):
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
                     b"endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>")
    response = upload(alice, scan)
    assert response.status_code == 400 and "là PDF scan" in response.text  # the page is Vietnamese
    with Session(web_context.engine) as session:
        assert session.exec(select(PlanImport)).all() == []


def test_alice_maps_the_agency_fixes_a_deadline_and_loads_the_tasks_with_their_products(alice, tmp_path, web_context):
    location = upload(alice, write_docx(tmp_path / "ke-hoach-85.docx")).headers["location"]
    page = alice.get(location).text
    record = location.rsplit("/", 1)[1]
    mapped = alice.post(f"/plans/import/{record}/agencies", data=dict(
        csrf=alice.csrf(location), name=UNKNOWN_AGENCY, action="map", code="STTTT"), follow_redirects=False)
    assert mapped.status_code == 303
    page = alice.get(location).text
    index = re.search(r'<tr id="task-(\d+)" data-ref="I.2">', page).group(1)
    form = {name: value for name, value in re.findall(r'name="(t-\d+-[a-z_]+|plan-code)" (?:id="[^"]*" )?value="([^"]*)"', page)}
    form.update({f"t-{index}-due": "15/11/2024", "csrf": alice.csrf(location)})
    assert alice.post(f"/plans/import/{record}/tasks", data=form, follow_redirects=False).status_code == 303
    page = alice.get(location).text
    assert 'id="changes"' in page and "Kế hoạch mới" in page
    loaded = alice.post(f"/plans/import/{record}/load", data=dict(csrf=alice.csrf(location)))
    assert loaded.status_code == 200 and "14 nhiệm vụ mới" in loaded.text
    with Session(web_context.engine) as session:
        plan = session.exec(select(Plan).where(Plan.code == "ke-hoach-85")).one()
        tasks = {t.ref: t for t in session.exec(select(Task).where(Task.plan_id == plan.id))}
    assert tasks["I.2"].due_date.isoformat() == "2024-11-15" and tasks["I.2"].date_source == "manual"
    assert tasks["II.5"].product == "Chuyên mục tuyên truyền"
    task_page = alice.get("/tasks/II.5").text
    assert "Chuyên mục tuyên truyền" in task_page and "Sở Thông tin và Truyền thông" in task_page


def test_a_revised_plan_shows_what_changes_before_it_is_loaded_and_keeps_the_history(alice, tmp_path, web_context):
    def load_version(path, due):
        location = upload(alice, path).headers["location"]
        record = location.rsplit("/", 1)[1]
        alice.post(f"/plans/import/{record}/agencies", data=dict(csrf=alice.csrf(location), name=UNKNOWN_AGENCY,
                                                                  action="map", code="STTTT"))
        page = alice.get(location).text
        index = re.search(r'<tr id="task-(\d+)" data-ref="I.2">', page).group(1)
        alice.post(f"/plans/import/{record}/tasks", data={f"t-{index}-due": due, "csrf": alice.csrf(location)})
        return location, record

    first, record = load_version(write_docx(tmp_path / "ke-hoach-85.docx"), "15/11/2024")
    alice.post(f"/plans/import/{record}/load", data=dict(csrf=alice.csrf(first)))
    second, record = load_version(write_docx(tmp_path / "ke-hoach-85.docx", extra_rows=1), "20/12/2024")
    page = alice.get(second).text
    assert "đã được nạp trước đây" in page
    assert re.search(r'id="added">II.7<', page) and "I.2: 15/11/2024 → 20/12/2024" in page
    alice.post(f"/plans/import/{record}/load", data=dict(csrf=alice.csrf(second)))
    with Session(web_context.engine) as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.ref == "I.2", AuditEntry.field == "due_date")).all()
    assert [(e.old_value, e.new_value) for e in entries] == [("2024-11-15", "2024-12-20")]
    assert entries[0].actor.startswith("web:staff:")


def test_a_new_agency_is_added_to_the_database_directory_of_the_plans_province_when_the_plan_is_loaded(
        alice, tmp_path, web_context):
    before = web_context.settings.agencies_file.read_text(encoding="utf-8")
    location = upload(alice, write_docx(tmp_path / "ke-hoach-85.docx")).headers["location"]
    record = location.rsplit("/", 1)[1]
    alice.post(f"/plans/import/{record}/agencies", data=dict(
        csrf=alice.csrf(location), name=UNKNOWN_AGENCY, action="add", code="STTTT-MOI", name_en="Information dept",
        kind="department"))
    with Session(web_context.engine) as session:
        assert session.exec(select(Agency).where(Agency.code == "STTTT-MOI")).first() is None  # only once loaded
    alice.post(f"/plans/import/{record}/load", data=dict(csrf=alice.csrf(location)))
    with Session(web_context.engine) as session:
        added = session.exec(select(Agency).where(Agency.code == "STTTT-MOI")).one()
        audit = session.exec(select(AuditEntry).where(AuditEntry.entity == "agency",
                                                      AuditEntry.entity_id == added.id)).one()
    assert (added.name_vi, added.province) == (UNKNOWN_AGENCY, "Bắc Kạn")
    assert audit.field == "created" and audit.actor.startswith("web:staff:")
    assert web_context.settings.agencies_file.read_text(encoding="utf-8") == before  # no YAML written


def test_a_plan_of_another_province_is_matched_only_against_that_provinces_agencies(alice, web_context):
    from tests.conftest import FIXTURES
    location = upload(alice, FIXTURES / "plans" / "cao-bang-cds-2021-2025.txt").headers["location"]
    page = alice.get(location).text
    heading = page.split('id="unknown-heading">', 1)[1].split("</h2>", 1)[0]
    assert heading == "Cơ quan chưa có trong danh bạ của Cao Bằng"
    unknown = page.split('id="unknown"', 1)[1].split("</table>", 1)[0]
    assert 'data-name="Sở Kế hoạch và Đầu tư"' in unknown  # not Bắc Kạn's SKHDT
    assert '<option value="SKHDT">' not in unknown  # nor offered: another province's agency
    record = location.rsplit("/", 1)[1]
    refused = alice.post(f"/plans/import/{record}/agencies", data=dict(
        csrf=alice.csrf(location), name="Sở Kế hoạch và Đầu tư", action="map", code="SKHDT"))
    assert refused.status_code == 400 and "không có cơ quan nào mã SKHDT" in refused.text  # the page is Vietnamese
