"""The báo cáo as an office files it (Decree 30/2020/NĐ-CP, Annex I): read back from the .docx, and
rendered by LibreOffice into a PDF whose pages are checked for text that overflows or words split."""
import re
import shutil
import subprocess
from datetime import date

import pytest
import yaml
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn

from config.organization import read_organization
from tests.conftest import AGENCIES, CONFIG_DIR

ORGANIZATION = read_organization(CONFIG_DIR / "organization.yaml")
TARGETS = yaml.safe_load((CONFIG_DIR / "plans" / "bac-kan-2015-2020.targets.yaml").read_text(encoding="utf-8"))
CODES = [a["code"] for a in yaml.safe_load(AGENCIES.read_text(encoding="utf-8"))["agencies"]]
MM = 36000  # EMU per millimetre


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """The 2015 review compiled on 15/12/2015 after Finance submitted, as .docx, .xlsx and .md."""
    from config.settings import Settings
    from tests.conftest import BUNDLED_PLAN, Cli

    folder = tmp_path_factory.mktemp("bao-cao")
    cli = Cli(Settings(data_dir=folder / "var", database_url=f"sqlite:///{folder / 'dondoc.db'}", today=None,
                       actor="test"))
    cli.ok("plan", "load", BUNDLED_PLAN)
    cli.ok("task", "done", "3.3-a/BA-BE", "--on", "2015-08-10", "--today", "2015-10-31")
    cli.ok("review", "open", "2015", "--today", "2015-11-02")
    cli.ok("review", "submit", "2015", "--agency", "STC", "--file", CONFIG_DIR / "examples" / "review-stc-2015.yaml",
           "--today", "2015-11-20")
    outs = [folder / f"bao-cao.{suffix}" for suffix in ("docx", "xlsx", "md")]
    cli.ok("review", "report", "2015", *[a for out in outs for a in ("--out", out)], "--today", "2015-12-15")
    return dict(zip(("docx", "xlsx", "md"), outs))


def all_text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join(parts)


def test_the_page_is_a4_with_the_decree_margins_and_times_new_roman(compiled):
    doc = Document(compiled["docx"])
    first = doc.sections[0]
    assert (round(first.page_width / MM), round(first.page_height / MM)) == (210, 297)
    assert first.orientation == WD_ORIENT.PORTRAIT
    assert 20 <= round(first.top_margin / MM) <= 25 and 20 <= round(first.bottom_margin / MM) <= 25
    assert 30 <= round(first.left_margin / MM) <= 35 and 15 <= round(first.right_margin / MM) <= 20
    assert doc.styles["Normal"].font.name == "Times New Roman"
    runs = [r for p in doc.paragraphs for r in p.runs if r.text.strip()]
    runs += [r for t in doc.tables for row in t.rows for c in row.cells for p in c.paragraphs for r in p.runs if r.text.strip()]
    assert runs and all(r.font.name == "Times New Roman" for r in runs)
    body_sizes = {r.font.size.pt for p in doc.paragraphs for r in p.runs if r.text.strip() and r.font.size}
    assert body_sizes <= {11, 12, 13, 14}
    assert all(r.font.color.rgb in (None,) or str(r.font.color.rgb) == "000000" for r in runs), "black"


def test_the_header_block_the_title_and_the_dateline(compiled):
    doc = Document(compiled["docx"])
    left, right = ([line for line in cell.text.splitlines() if line] for cell in doc.tables[0].rows[0].cells)
    assert left[:2] == ["UBND TỈNH BẮC KẠN", "LIÊN MINH HỢP TÁC XÃ"]
    assert re.fullmatch(r"Số:\s+/BC-LMHTX", left[2])
    assert right == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Bắc Kạn, ngày 15 tháng 12 năm 2015"]
    body, issuer = doc.tables[0].rows[0].cells[0].paragraphs[:2]
    assert not body.runs[0].bold and issuer.runs[0].bold, "the parent body upright, the issuing body bold"
    dateline = doc.tables[0].rows[0].cells[1].paragraphs[-1].runs[0]
    assert dateline.font.italic
    titles = [p.text for p in doc.paragraphs[:4] if p.text]
    assert titles[0] == "BÁO CÁO"
    assert titles[1].startswith("Sơ kết năm 2015 thực hiện Kế hoạch triển khai thực hiện Chương trình hành động số 19")
    assert doc.core_properties.author == ORGANIZATION.name


def test_the_four_parts_every_target_of_section_1_3_and_the_annexes(compiled):
    doc = Document(compiled["docx"])
    text = all_text(doc)
    for part in ("I. KẾT QUẢ THỰC HIỆN", "II. ĐÁNH GIÁ CHUNG", "1. Ưu điểm", "2. Tồn tại, hạn chế", "3. Nguyên nhân",
                 "III. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2016", "IV. ĐỀ XUẤT, KIẾN NGHỊ", "PHỤ LỤC 1", "Chi tiết từng nhiệm vụ"):
        assert part in text, part
    assert len(TARGETS["targets"]) == 10
    for target in TARGETS["targets"]:
        assert target["label_vi"] in text, target["code"]
    assert "Đề nghị Trung ương hỗ trợ vốn cho Quỹ hỗ trợ phát triển hợp tác xã" in text  # Finance's proposal
    assert "Nguồn ngân sách địa phương còn hạn hẹp" in text  # its difficulty, among the causes
    assert "Quý IV/2015" in text, "a period row names its quarter"
    annexes = doc.sections[1:]
    assert annexes and all(s.orientation == WD_ORIENT.LANDSCAPE and s.page_width > s.page_height for s in annexes)


def test_names_stand_where_internal_codes_were(compiled):
    doc = Document(compiled["docx"])
    text = all_text(doc).replace("/BC-LMHTX", "")
    assert "BK-KTTT" not in text
    found = [code for code in CODES if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text)]
    assert found == []
    assert "Ủy ban nhân dân huyện Pác Nặm" in text and "Sở Tài chính" in text


def test_the_signature_block_and_the_recipients(compiled):
    doc = Document(compiled["docx"])
    signature = next(t for t in doc.tables if "Nơi nhận:" in t.rows[0].cells[0].text)
    recipients, signer = (c.text.splitlines() for c in signature.rows[0].cells)
    assert recipients[0] == "Nơi nhận:"
    assert recipients[1:-1] == [f"- {r};" for r in ORGANIZATION.recipients]
    assert recipients[-1] == f"- Lưu: {ORGANIZATION.archive}."
    assert [line for line in signer if line] == ["TM. BAN THƯỜNG VỤ", "CHỦ TỊCH", ORGANIZATION.signature.name]
    heading = signature.rows[0].cells[0].paragraphs[0].runs[0]
    assert heading.bold and heading.italic and heading.font.size.pt == 12


def test_pages_are_numbered_from_the_second_in_the_header(compiled):
    doc = Document(compiled["docx"])
    first = doc.sections[0]
    assert first.different_first_page_header_footer
    instructions = [e.text for e in first.header._element.iter(qn("w:instrText"))]
    assert instructions == ["PAGE"]
    assert not any(e.text for e in first.first_page_header._element.iter(qn("w:instrText")))


def test_the_markdown_and_the_workbook_say_the_same(compiled):
    md = compiled["md"].read_text(encoding="utf-8")
    assert "# BÁO CÁO" in md and "Bắc Kạn, ngày 15 tháng 12 năm 2015" in md and "- Lưu: VT, KTTT." in md
    from openpyxl import load_workbook
    book = load_workbook(compiled["xlsx"])
    assert book["Tổng hợp"]["A2"].value == ORGANIZATION.name
    assert book["Tổng hợp"]["A3"].value.startswith("BÁO CÁO Sơ kết năm 2015 thực hiện Kế hoạch")
    assert [r[0] for r in book["Chỉ tiêu"].iter_rows(min_row=2, values_only=True)] == \
        [t["label_vi"] for t in TARGETS["targets"]]


needs_libreoffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (Debian) renders the PDF")


@pytest.fixture(scope="module")
def rendered(compiled, tmp_path_factory):
    folder = tmp_path_factory.mktemp("pdf")
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{folder}/profile", "--convert-to", "pdf",
                    "--outdir", str(folder), str(compiled["docx"])], check=True, capture_output=True, timeout=180)
    import pypdfium2
    return pypdfium2.PdfDocument(str(folder / "bao-cao.pdf"))


def _page_words(page) -> list[str]:
    text = page.get_textpage().get_text_range()
    return text.split()


@pytest.mark.slow
@needs_libreoffice
def test_the_rendered_pages_keep_every_word_whole(compiled, rendered):
    doc = Document(compiled["docx"])
    cell_words = {w.strip(".,;:()") for t in doc.tables for r in t.rows for c in r.cells for w in c.text.split()}
    cell_words = {w for w in cell_words if len(w) >= 2}
    pdf_words = {w.strip(".,;:()") for page in rendered for w in _page_words(page)}
    split = sorted(w for w in cell_words if w not in pdf_words)
    assert split == [], f"words broken across lines in the rendered tables: {split[:20]}"


@pytest.mark.slow
@needs_libreoffice
def test_no_rendered_page_has_ink_beyond_its_margins(rendered):
    """Each page rendered to an image: nothing in the right-hand margin strip or below the bottom margin
    (2 mm of grace: a justified line's last glyph may overhang by a hair)."""
    assert len(rendered) >= 3
    for number, page in enumerate(rendered, 1):
        image = page.render(scale=1, grayscale=True)  # one pixel a point
        bitmap, pixels_wide, height, stride = image.buffer, image.width, image.height, image.stride
        portrait = height > pixels_wide
        right_margin_pt = (15 if portrait else 20) * 72 / 25.4
        bottom_margin_pt = (20 if portrait else 20) * 72 / 25.4
        grace = 2 * 72 / 25.4
        first_column = int(pixels_wide - right_margin_pt + grace)
        for y in range(height):
            row = bitmap[y * stride: y * stride + pixels_wide]
            assert min(row[first_column:], default=255) > 200, f"page {number}: ink in the right margin at y={y}"
        for y in range(int(height - bottom_margin_pt + grace), height):
            row = bitmap[y * stride: y * stride + pixels_wide]
            assert min(row, default=255) > 200, f"page {number}: ink below the bottom margin at y={y}"


def test_a_quarterly_report_is_the_same_document_for_the_quarter(loaded, tmp_path):
    loaded.ok("task", "done", "3.3-d-2/BA-BE", "--due", "2016-06-30", "--on", "2016-06-20", "--today", "2016-06-21")
    out = tmp_path / "q2.docx"
    result = loaded.ok("report", "--period", "2016-Q2", "--out", out, "--out", tmp_path / "q2.xlsx",
                       "--today", "2016-07-05")
    assert "quý II/2016" in result.stdout
    doc = Document(out)
    text = all_text(doc)
    assert [p.text for p in doc.paragraphs if p.text][1].startswith("Tình hình thực hiện Kế hoạch triển khai")
    assert [p.text for p in doc.paragraphs if p.text][1].endswith(", quý II/2016")
    assert "Bắc Kạn, ngày 05 tháng 7 năm 2016" in text and "III. PHƯƠNG HƯỚNG, NHIỆM VỤ QUÝ III/2016" in text
    assert "Tình hình gửi báo cáo sơ kết" not in text, "no review submissions in a periodic report"
    from openpyxl import load_workbook
    book = load_workbook(tmp_path / "q2.xlsx")
    rows = {r[0]: r for r in book["Tình trạng"].iter_rows(min_row=2, values_only=True)}
    assert rows["Ủy ban nhân dân huyện Pác Nặm"][4] >= 1  # its quarterly reports, late on 05/07
    duties = [r for r in book["Nhiệm vụ"].iter_rows(min_row=2, values_only=True)
              if r[0] == "3.3-d-2" and r[2] == "Ủy ban nhân dân huyện Ba Bể"]
    # The quarter holds its own period and the earlier ones still undone (carried over), each named.
    assert duties and duties[0][3].endswith("Quý I/2016; Quý II/2016") and "Quý II/2015" in duties[0][3]
    refused = loaded("report", "--period", "2016-Q5", "--out", tmp_path / "x.docx")
    assert refused.exit_code == 2 and "2016-Q2" in refused.output and not (tmp_path / "x.docx").exists()
