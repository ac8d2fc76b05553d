"""A plan of the genre provinces publish, written for the tests (invented, in the Bắc Kạn directory's
names): a header table, numbered duties in the body, the signature block, and an annex table of duties
with group rows and a merged cell. Built as a .docx (python-docx), as the UTF-8 text Word saves
(tables as tab-separated rows), and as a PDF made from the .docx by LibreOffice.

EXPECTED holds what the parser must read from it, whatever the format.
"""
import shutil
import subprocess
from datetime import date
from pathlib import Path

HEADER = [
    ("ỦY BAN NHÂN DÂN\nTỈNH BẮC KẠN\n-------", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n---------------"),
    ("Số: 85/KH-UBND", "Bắc Kạn, ngày 05 tháng 4 năm 2024"),
]
TITLE = ["KẾ HOẠCH", "Phát triển kinh tế tập thể, hợp tác xã tỉnh Bắc Kạn giai đoạn 2024-2026"]
BODY = [
    "Căn cứ Luật Hợp tác xã năm 2023; căn cứ Nghị quyết số 09/NQ-HĐND ngày 12 tháng 12 năm 2023 của Hội đồng "
    "nhân dân tỉnh, Ủy ban nhân dân tỉnh ban hành Kế hoạch phát triển kinh tế tập thể như sau:",
    "I. MỤC ĐÍCH, YÊU CẦU",
    "1. Nâng cao hiệu quả hoạt động của các hợp tác xã, phấn đấu mỗi năm thành lập mới ít nhất 15 hợp tác xã.",
    "2. Các nhiệm vụ được giao cụ thể, rõ người, rõ việc, rõ thời gian hoàn thành.",
    "II. NHIỆM VỤ VÀ GIẢI PHÁP",
    "1. Sở Kế hoạch và Đầu tư chủ trì, phối hợp với Liên minh Hợp tác xã tỉnh:",
    "- Tham mưu Ủy ban nhân dân tỉnh ban hành cơ chế hỗ trợ hợp tác xã theo Luật Hợp tác xã năm 2023, "
    "hoàn thành trong quý III/2024.",
    "- Tổng hợp tình hình kinh tế tập thể hằng năm, trình Ủy ban nhân dân tỉnh trước ngày 15 tháng 12 hằng năm.",
    "2. Liên minh Hợp tác xã tỉnh: Hằng năm tổ chức đối thoại giữa lãnh đạo tỉnh với các hợp tác xã. "
    "Hai năm một lần, tổ chức Hội nghị biểu dương hợp tác xã tiêu biểu nhân dịp ngày Hợp tác xã Việt Nam 11/4.",
    "3. Các nhiệm vụ cụ thể của các sở, ngành: chi tiết tại Phụ lục kèm theo Kế hoạch này.",
    "III. TỔ CHỨC THỰC HIỆN",
    "Giao Sở Kế hoạch và Đầu tư theo dõi, đôn đốc việc thực hiện Kế hoạch; tổng hợp, báo cáo Ủy ban nhân dân "
    "tỉnh trước ngày 20 tháng 12 hằng năm./.",
]
SIGNATURE = ("Nơi nhận:\n- Bộ Kế hoạch và Đầu tư;\n- TT Tỉnh ủy, HĐND tỉnh;\n- Các sở, ban, ngành;\n- Lưu: VT, KT.",
             "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n\n\nNguyễn Văn Bình")
ANNEX_TITLE = ["PHỤ LỤC", "DANH MỤC NHIỆM VỤ THỰC HIỆN KẾ HOẠCH",
               "(Kèm theo Kế hoạch số 85/KH-UBND ngày 05/4/2024 của Ủy ban nhân dân tỉnh Bắc Kạn)"]
ANNEX_HEADER = ["STT", "Nội dung nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành", "Sản phẩm"]
# A group row is (label, title); a duty row has six cells. "^" in the lead column: the cell above
# is merged down over this row.
ANNEX = [
    ("I", "Hoàn thiện cơ chế, chính sách"),
    ["1", "Tham mưu Ủy ban nhân dân tỉnh ban hành cơ chế hỗ trợ hợp tác xã theo Luật Hợp tác xã năm 2023",
     "Sở Kế hoạch và Đầu tư", "Liên minh Hợp tác xã tỉnh; Sở Tài chính", "Quý III/2024",
     "Quyết định của Ủy ban nhân dân tỉnh"],
    ["2", "Rà soát chính sách ưu đãi thuế đối với hợp tác xã", "Cục Thuế tỉnh", "Sở Tài chính", "Tháng 12/2024",
     "Báo cáo rà soát"],
    ["3", "Bố trí kinh phí hỗ trợ thành lập mới hợp tác xã", "Sở Tài chính", "Sở Kế hoạch và Đầu tư", "Năm 2025",
     "Dự toán ngân sách"],
    ["4", "Hướng dẫn hợp tác xã tiếp cận vốn vay ưu đãi", "^", "Chi nhánh Ngân hàng Nhà nước tỉnh",
     "Trước ngày 30/6/2025", "Văn bản hướng dẫn"],
    ("II", "Nâng cao năng lực hợp tác xã"),
    ["1", "Tập huấn cho cán bộ quản lý hợp tác xã", "Liên minh Hợp tác xã tỉnh", "Sở Nội vụ", "Hằng năm",
     "Lớp tập huấn"],
    ["2", "Tổng hợp tình hình hoạt động của hợp tác xã nông nghiệp", "Sở Nông nghiệp và Phát triển nông thôn",
     "UBND các huyện, thị xã", "Hằng quý, trước ngày 20 của tháng cuối quý", "Báo cáo quý"],
    ["3", "Kiểm tra việc thực hiện chính sách hỗ trợ hợp tác xã", "Sở Kế hoạch và Đầu tư", "Sở Tài chính",
     "Định kỳ 6 tháng (trước ngày 15/6 và 15/12 hằng năm)", "Báo cáo kiểm tra"],
    ["4", "Xây dựng mô hình hợp tác xã kiểu mới gắn với chuỗi giá trị", "Liên minh Hợp tác xã tỉnh",
     "Sở Công Thương", "2024-2026; hằng năm báo cáo trước ngày 30/11", "Mô hình hợp tác xã"],
    ["5", "Tuyên truyền về kinh tế tập thể trên báo, đài của tỉnh", "Sở Thông tin - Truyền thông",
     "Liên minh Hợp tác xã tỉnh", "Thường xuyên", "Chuyên mục tuyên truyền"],
    ["6", "Triển khai Nghị định số 45/2021/NĐ-CP ngày 31 tháng 3 năm 2021 của Chính phủ về hỗ trợ hợp tác xã "
     "trong năm 2024", "Sở Công Thương", "", "Năm 2024", "Báo cáo kết quả"],
]
UNKNOWN_AGENCY = "Sở Thông tin - Truyền thông"  # written so; the directory says "Sở Thông tin và Truyền thông"

# ref -> (lead code, timing, due, rrule, anchor, product)
EXPECTED = {
    "II.1-b": ("SKHDT", "recurring", None, "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=15", date(2024, 12, 15), None),
    "II.2-a": ("LMHTX", "recurring", None, "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31", date(2024, 12, 31), None),
    "II.2-b": ("LMHTX", "recurring", None, "FREQ=YEARLY;INTERVAL=2;BYMONTH=4;BYMONTHDAY=11", date(2024, 4, 11), None),
    "III": ("SKHDT", "recurring", None, "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=20", date(2024, 12, 20), None),
    "I.1": ("SKHDT", "one-off", date(2024, 9, 30), None, None, "Quyết định của Ủy ban nhân dân tỉnh"),
    "I.2": ("CUC-THUE", "one-off", date(2024, 12, 31), None, None, "Báo cáo rà soát"),
    "I.3": ("STC", "one-off", date(2025, 12, 31), None, None, "Dự toán ngân sách"),
    "I.4": ("STC", "one-off", date(2025, 6, 30), None, None, "Văn bản hướng dẫn"),
    "II.1": ("LMHTX", "recurring", None, "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31", date(2024, 12, 31), "Lớp tập huấn"),
    "II.2": ("SNNPTNT", "recurring", None, "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=20", date(2024, 6, 20),
             "Báo cáo quý"),
    "II.3": ("SKHDT", "recurring", None, "FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=15", date(2024, 6, 15),
             "Báo cáo kiểm tra"),
    "II.4": ("LMHTX", "recurring", None, "FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=30", date(2024, 11, 30),
             "Mô hình hợp tác xã"),
    "II.5": (None, "ongoing", None, None, None, "Chuyên mục tuyên truyền"),
    "II.6": ("SCT", "one-off", date(2024, 12, 31), None, None, "Báo cáo kết quả"),
}


def _rows(extra_sections: int = 0, extra_rows: int = 0):
    body = list(BODY)
    if extra_sections:  # a long plan for the benchmark: more numbered duties in section II
        at = body.index("III. TỔ CHỨC THỰC HIỆN")
        more = []
        for n in range(4, 4 + extra_sections):
            more += [f"{n}. Sở Tài chính chủ trì, phối hợp với Sở Kế hoạch và Đầu tư, Liên minh Hợp tác xã tỉnh:"]
            more += [f"- Bố trí kinh phí thực hiện nội dung {n}.{k} của Đề án hỗ trợ hợp tác xã, bảo đảm đúng quy "
                     f"định của Luật Ngân sách nhà nước năm 2015 và hướng dẫn của Bộ Tài chính, hoàn thành trong "
                     f"quý {'I' * (1 + k % 3)}/2025." for k in range(1, 7)]
        body[at:at] = more
    annex = list(ANNEX)
    for n in range(extra_rows):
        annex.append([str(7 + n), f"Hỗ trợ hợp tác xã nông nghiệp xây dựng phương án sản xuất kinh doanh số {n + 1}, "
                                  f"gắn với liên kết tiêu thụ sản phẩm chủ lực của tỉnh", "Liên minh Hợp tác xã tỉnh",
                      "Sở Nông nghiệp và Phát triển nông thôn; UBND các huyện, thị xã", "Quý IV/2025",
                      "Phương án được phê duyệt"])
    return body, annex


def write_docx(path: Path, *, extra_sections: int = 0, extra_rows: int = 0) -> Path:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    body, annex = _rows(extra_sections, extra_rows)
    word = Document()
    header = word.add_table(rows=len(HEADER), cols=2)
    for r, (left, right) in enumerate(HEADER):
        header.cell(r, 0).text, header.cell(r, 1).text = left, right
    for line in TITLE:
        word.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.CENTER
    for line in body:
        word.add_paragraph(line)
    signature = word.add_table(rows=1, cols=2)
    signature.cell(0, 0).text, signature.cell(0, 1).text = SIGNATURE
    word.add_page_break()
    for line in ANNEX_TITLE:
        word.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.CENTER
    table = word.add_table(rows=1 + len(annex), cols=len(ANNEX_HEADER))
    table.style = "Table Grid"
    for c, text in enumerate(ANNEX_HEADER):
        table.cell(0, c).text = text
    for r, row in enumerate(annex, start=1):
        if isinstance(row, tuple):
            table.cell(r, 0).text = row[0]
            merged = table.cell(r, 1).merge(table.cell(r, len(ANNEX_HEADER) - 1))
            merged.text = row[1]
            continue
        for c, text in enumerate(row):
            if text == "^":
                above = table.cell(r - 1, c)
                keep = above.text
                above.merge(table.cell(r, c)).text = keep
            else:
                table.cell(r, c).text = text
    word.save(str(path))
    return path


def write_txt(path: Path, *, extra_sections: int = 0, extra_rows: int = 0) -> Path:
    """What Word's "Plain Text" gives: a table row a line, its cells between tabs; a merged cell's
    text in its first row (here repeated, as the rows it spans mean it)."""
    body, annex = _rows(extra_sections, extra_rows)
    lines = []
    for left, right in HEADER:
        left_lines, right_lines = left.split("\n"), right.split("\n")
        for i in range(max(len(left_lines), len(right_lines))):
            lines.append(f"{left_lines[i] if i < len(left_lines) else ''}\t{right_lines[i] if i < len(right_lines) else ''}")
    lines += TITLE + body
    left_lines, right_lines = SIGNATURE[0].split("\n"), SIGNATURE[1].split("\n")
    for i in range(max(len(left_lines), len(right_lines))):
        lines.append(f"{left_lines[i] if i < len(left_lines) else ''}\t{right_lines[i] if i < len(right_lines) else ''}")
    lines += ANNEX_TITLE + ["\t".join(ANNEX_HEADER)]
    previous = None
    for row in annex:
        if isinstance(row, tuple):
            lines.append(f"{row[0]}\t{row[1]}")
            continue
        cells = [previous[c] if text == "^" else text for c, text in enumerate(row)]
        lines.append("\t".join(cells))
        previous = cells
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def write_pdf(path: Path, **sizes) -> Path:
    """The .docx printed to PDF by LibreOffice (headless), as the signed PDF would be."""
    docx_path = write_docx(path.with_suffix(".docx"), **sizes)
    profile = path.parent / "lo-profile"
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(path.parent), str(docx_path)], check=True, capture_output=True, timeout=180)
    return path.with_suffix(".pdf")
