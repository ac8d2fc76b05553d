"""Plans as provinces publish them: the same invented plan as .txt, .docx and a PDF printed from the
.docx by LibreOffice gives the same duties; header, signature and annex read as what they are."""
from datetime import date

import pytest
import yaml

from config.files import read_agency_file
from config.policy import read_policy
from models.plan_parser import parse_plan, read_document
from models.plan_parser.deadlines import timing_of
from tests.conftest import AGENCIES, CONFIG_DIR
from tests.plan_documents import EXPECTED, SOFFICE, UNKNOWN_AGENCY, write_docx, write_pdf, write_txt

DIRECTORY = read_agency_file(AGENCIES)
POLICY = read_policy(CONFIG_DIR / "policy.yaml")
needs_libreoffice = pytest.mark.skipif(SOFFICE is None, reason="no LibreOffice: apt-get install -y libreoffice-writer-nogui (.ci/run does)")
FORMATS = ["txt", "docx", pytest.param("pdf", marks=[pytest.mark.slow, needs_libreoffice])]
WRITERS = {"txt": write_txt, "docx": write_docx, "pdf": write_pdf}


@pytest.fixture(scope="module")
def parsed(tmp_path_factory):
    cache = {}

    def parse(kind):
        if kind not in cache:
            path = WRITERS[kind](tmp_path_factory.mktemp(kind) / f"ke-hoach.{kind}")
            cache[kind] = parse_plan(read_document(path.read_bytes(), path), DIRECTORY, POLICY)
        return cache[kind]
    return parse


@pytest.mark.parametrize("kind", FORMATS)
def test_every_duty_is_found_with_its_lead_deadline_and_product(parsed, kind):
    plan = parsed(kind)
    got = {t.ref: (t.lead_code, t.timing, t.due, t.rrule, t.anchor, t.product) for t in plan.tasks}
    assert got == EXPECTED


@pytest.mark.parametrize("kind", FORMATS)
def test_the_header_gives_the_number_the_issuer_and_the_date_never_a_duty(parsed, kind):
    plan = parsed(kind)
    assert (plan.number, plan.issuer, plan.issued, plan.province) == (
        "85/KH-UBND", "Ủy ban nhân dân tỉnh Bắc Kạn", date(2024, 4, 5), "Bắc Kạn")
    assert plan.title.startswith("KẾ HOẠCH Phát triển kinh tế tập thể") and plan.title.endswith("2024-2026")
    assert (plan.horizon_start, plan.horizon_end) == (date(2024, 1, 1), date(2026, 12, 31))
    texts = " ".join(t.text + t.source_text for t in plan.tasks)
    for never in ("CỘNG HÒA XÃ HỘI", "Số: 85", "Nơi nhận", "Lưu: VT", "Nguyễn Văn Bình", "PHÓ CHỦ TỊCH",
                  "Kèm theo Kế hoạch", "chi tiết tại Phụ lục"):
        assert never not in texts, never


@pytest.mark.parametrize("kind", FORMATS)
def test_each_duty_points_at_its_source_and_carries_its_warnings(parsed, kind):
    plan = parsed(kind)
    tasks = {t.ref: t for t in plan.tasks}
    assert tasks["II.5"].source_kind == "row" and tasks["II.5"].where.startswith("bảng 3, hàng 12")
    assert tasks["II.5"].source_text.startswith("5 | Tuyên truyền về kinh tế tập thể")
    assert tasks["II.1-b"].source_kind == "paragraph"
    messages = [w.message for w in plan.warnings]
    assert f"agency '{UNKNOWN_AGENCY}' is not in the agency directory; kept as written" in messages
    assert any(m.startswith("II.2: names 2 cadences ('Hằng năm', 'Hai năm một lần')") for m in messages)
    # The body's first duty of II.1 is the annex's I.1: one duty, with the annex's ref and product.
    assert any(m.startswith("II.1-a is also I.1") for m in messages) and "II.1-a" not in tasks
    assert tasks["I.1"].coordinating_codes == ["LMHTX", "STC"]


def test_a_merged_cell_applies_to_every_row_it_spans(parsed):
    tasks = {t.ref: t for t in parsed("docx").tasks}
    assert tasks["I.3"].lead_code == tasks["I.4"].lead_code == "STC"


@pytest.mark.parametrize("cell, timing, due, rrule, anchor", [
    ("Quý III/2023", "one-off", date(2023, 9, 30), None, None),
    ("Tháng 12/2023", "one-off", date(2023, 12, 31), None, None),
    ("Năm 2024", "one-off", date(2024, 12, 31), None, None),
    ("2024", "one-off", date(2024, 12, 31), None, None),
    ("Trước ngày 30/6/2024", "one-off", date(2024, 6, 30), None, None),
    ("Hằng năm", "recurring", None, "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31", date(2023, 12, 31)),
    ("Hằng quý, trước ngày 20 của tháng cuối quý", "recurring", None, "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=20",
     date(2023, 3, 20)),
    ("Định kỳ 6 tháng (trước ngày 15/6 và 15/12 hằng năm)", "recurring", None, "FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=15",
     date(2023, 6, 15)),
    ("2023-2025; hằng năm báo cáo trước ngày 30/11", "recurring", None, "FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=30",
     date(2023, 11, 30)),
    ("2023-2025", "ongoing", None, None, None),
    ("Thường xuyên", "ongoing", None, None, None),
])
def test_a_deadline_cell_of_an_annex_gives_its_timing(cell, timing, due, rrule, anchor):
    got, _ = timing_of("Rà soát cơ chế theo Nghị định số 45/2021/NĐ-CP ngày 31 tháng 3 năm 2021 và Luật Hợp tác xã "
                       "năm 2023.", date(2023, 1, 1), POLICY.due_dates.default_period_rrule, cell=cell)
    assert (got.timing, got.due, got.rrule, got.anchor, got.deadline_phrase) == (timing, due, rrule, anchor, cell)


def test_the_most_specific_timing_wins_a_cadence_with_its_own_day():
    got, warnings = timing_of("Hằng năm tổng hợp, trình Ủy ban nhân dân tỉnh trước ngày 15 tháng 12 hằng năm.",
                              date(2023, 1, 1), POLICY.due_dates.default_period_rrule)
    assert (got.rrule, got.anchor) == ("FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=15", date(2023, 12, 15))
    assert warnings == []
    got, _ = timing_of("Hai năm một lần tổ chức Hội nghị nhân dịp ngày Hợp tác xã Việt Nam 11/4.", date(2015, 6, 1),
                       POLICY.due_dates.default_period_rrule)
    assert (got.rrule, got.anchor) == ("FREQ=YEARLY;INTERVAL=2;BYMONTH=4;BYMONTHDAY=11", date(2016, 4, 11))


def test_a_scanned_pdf_is_refused_saying_it_has_no_text(cli, tmp_path):
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
                     b"endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>")
    result = cli("plan", "parse", scan)
    assert result.exit_code == 2 and "là PDF scan" in result.stderr and "không có lớp chữ" in result.stderr  # Vietnamese: the default
    assert "Traceback" not in result.output


def test_a_word_97_file_is_refused_with_how_to_convert_it(cli, tmp_path):
    old = tmp_path / "ke-hoach.doc"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    result = cli("plan", "parse", old)
    assert result.exit_code == 2 and "lưu thành .docx" in result.stderr  # Vietnamese: the default


def test_parsing_a_docx_gives_a_plan_file_with_its_header_and_products(cli, tmp_path):
    result = cli.ok("plan", "parse", write_docx(tmp_path / "ke-hoach-85.docx"))
    data = yaml.safe_load(result.stdout)
    assert {k: data["plan"][k] for k in ("number", "issuer", "issued_on")} == {
        "number": "85/KH-UBND", "issuer": "Ủy ban nhân dân tỉnh Bắc Kạn", "issued_on": date(2024, 4, 5)}
    products = {t["ref"]: t.get("product") for t in data["tasks"]}
    assert products["I.1"] == "Quyết định của Ủy ban nhân dân tỉnh" and products["II.1-b"] is None
    assert f"cảnh báo: cơ quan '{UNKNOWN_AGENCY}'" in result.stderr


def test_the_guided_import_on_the_command_line_maps_edits_shows_the_changes_and_loads(cli, tmp_path):
    agencies = tmp_path / "agencies.yaml"
    agencies.write_text(AGENCIES.read_text(encoding="utf-8"), encoding="utf-8")
    document = write_docx(tmp_path / "ke-hoach-85.docx")
    refused = cli("plan", "import", document, "--agencies", agencies)
    assert refused.exit_code == 2 and UNKNOWN_AGENCY in refused.stderr
    assert "[bảng 3, hàng 12]" in refused.stdout and "! cơ quan" in refused.stdout  # Vietnamese by default
    args = ["plan", "import", document, "--agencies", agencies, "--map", f"{UNKNOWN_AGENCY}=STTTT",
            "--set", "I.2:due=15/11/2024"]
    shown = cli.ok(*args)
    assert "Kế hoạch mới ke-hoach-85: 14 nhiệm vụ." in shown.stdout and "Chưa nạp" in shown.stdout
    nothing_yet = cli("tasks", "--format", "csv")  # not loaded: the database still has no plan
    assert nothing_yet.exit_code == 1 and "chưa nạp kế hoạch nào" in nothing_yet.stderr
    loaded = cli.ok(*args, "--yes")
    assert "Kế hoạch ke-hoach-85: 14 nhiệm vụ mới, 0 sửa, 0 bỏ;" in loaded.stdout  # Vietnamese by default
    assert "Sản phẩm: Báo cáo rà soát" in cli.ok("task", "show", "I.2").stdout
    revised = write_docx(tmp_path / "ke-hoach-85.docx", extra_rows=1)
    again = cli.ok("plan", "import", revised, "--agencies", agencies, "--map", f"{UNKNOWN_AGENCY}=STTTT",
                   "--add", "Sở Du lịch=SDL:department:Department of Tourism")
    assert "thêm 1: II.7" in again.stdout and "dời hạn I.2: 15/11/2024 → 31/12/2024" in again.stdout
    assert "bỏ 0" in again.stdout
