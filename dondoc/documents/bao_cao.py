"""A báo cáo laid out as the Government's documents are (Decree 30/2020/NĐ-CP, Annex I): A4, Times New
Roman, the header block (issuing body under its parent; Quốc hiệu and tiêu ngữ), số and ký hiệu, place
and date, the title naming the plan, the body in four parts, the signature block and "Nơi nhận", page
numbers from the second page, and the wide tables on landscape annex pages. Also as .xlsx (one sheet per
table) and .md. The content is dondoc/documents/report_content.py's; this module only lays it out."""
from pathlib import Path

from config.errors import InputError
from config.organization import Organization
from dondoc.documents.files import show_date as _d, write_atomically
from dondoc.documents.report_content import DutyLine, Report
from models.numbers import number as n
from models.review.rules import INDICATORS
from models.status import COUNTED, FOUR, StatusCategory, Tally, top_section

REPORT_SUFFIXES = (".docx", ".xlsx", ".md")
SIMULATED_NOTE = "SỐ LIỆU MÔ PHỎNG (dondoc simulate --demo-agencies), không phải báo cáo thật của các đơn vị."
DRAFT_NOTE = "[Dự thảo do hệ thống tổng hợp từ báo cáo của các đơn vị — đề nghị người soạn thảo biên tập lại.]"


def write_report(report: Report, path: Path, organization: Organization) -> None:
    suffix = Path(path).suffix.lower()
    if suffix == ".docx":
        write_atomically(path, lambda p: docx_document(report, organization).save(p))
    elif suffix == ".xlsx":
        write_atomically(path, lambda p: workbook(report, organization).save(p))
    elif suffix == ".md":
        write_atomically(path, lambda p: p.write_text(markdown(report, organization), encoding="utf-8"))
    else:
        raise wrong_report_suffix(path)


def check_report_suffix(path: Path) -> None:
    """Refuse, before any work, a report file whose extension names no format we write."""
    if Path(path).suffix.lower() not in REPORT_SUFFIXES:
        raise wrong_report_suffix(path)


def wrong_report_suffix(path: Path) -> InputError:
    suffixes = ", ".join(REPORT_SUFFIXES)
    return InputError(f"the report is written as {suffixes}, by the file's extension", path=path, field="--out",
                      vi=f"báo cáo được ghi thành {suffixes}, theo phần mở rộng của tên tệp")


# --- what it says (the same words in every format) ------------------------------------------------

def plan_name(report: Report) -> str:
    """The plan by its own name (and number): never its internal code."""
    title = report.plan_title.rstrip(".")
    return f"{title} (số {report.plan_number})" if report.plan_number else title


def summary_line(report: Report) -> str:
    """The line under "BÁO CÁO": what the report is about."""
    if report.kind == "so_ket":
        return f"Sơ kết năm {report.year} thực hiện {plan_name(report)}"
    return f"Tình hình thực hiện {plan_name(report)}, {lower_first(report.window.label)}"


def lower_first(text: str) -> str:
    """"Quý II/2016" -> "quý II/2016" (a period named inside a sentence; the numerals stay capitals)."""
    return text[:1].lower() + text[1:]


def dateline(organization: Organization, day) -> str:
    """"Bắc Kạn, ngày 05 tháng 01 năm 2016": a leading zero for days below 10 and months 1 and 2."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{organization.place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def _four(tally: Tally, unit: str) -> str:
    return (f"{n(tally.with_deadline)} {unit} có thời hạn, trong đó: "
            f"{n(tally[StatusCategory.DONE_ON_TIME])} hoàn thành đúng hạn, "
            f"{n(tally[StatusCategory.DONE_LATE])} hoàn thành quá hạn, "
            f"{n(tally[StatusCategory.OPEN_IN_TIME])} chưa hoàn thành trong hạn, "
            f"{n(tally[StatusCategory.OPEN_OVERDUE])} chưa hoàn thành quá hạn")


def results_paragraphs(report: Report) -> list[str]:
    s, t = report.summary, report.to_date
    scope = f"năm {report.year}" if report.kind == "so_ket" else lower_first(report.window.label)
    lines = [
        f"Nhiệm vụ của {scope} (tính đến ngày {_d(s.today)}; đơn vị tính: nhiệm vụ, mỗi cơ quan chủ trì một nhiệm vụ): "
        f"{_four(s.duties, 'nhiệm vụ')}; {n(s.duties[StatusCategory.NO_DEADLINE])} nhiệm vụ thường xuyên, "
        f"không thời hạn "
        f"({n(s.no_deadline_reported)} đã báo cáo kết quả năm, {n(s.no_deadline_not_reported)} chưa báo cáo).",
        f"Theo các mục của Kế hoạch (đơn vị tính: mục nhiệm vụ như Kế hoạch đánh số): {_four(s.entries, 'mục')}; "
        f"{n(s.entries[StatusCategory.NO_DEADLINE])} mục thường xuyên, không thời hạn.",
        f"Theo kỳ của các nhiệm vụ định kỳ (đơn vị tính: kỳ): {_four(s.periods, 'kỳ')}.",
        f"Lũy kế từ đầu Kế hoạch đến ngày {_d(t.today)}: {_four(t.duties, 'nhiệm vụ')}; "
        f"{n(t.duties[StatusCategory.NO_DEADLINE])} nhiệm vụ thường xuyên, không thời hạn.",
    ]
    if s.extended.with_deadline:
        lines.insert(1, f"Trong đó đã gia hạn (thời hạn được điều chỉnh theo đề nghị, đánh giá theo hạn đã gia hạn): "
                        f"{_four(s.extended, 'nhiệm vụ')} ({n(s.extended_periods)} kỳ được gia hạn).")
    if report.kind == "so_ket":
        c, total = report.status_counts, len(report.agencies)
        lines.insert(0, f"{n(total)} cơ quan, đơn vị được đề nghị báo cáo sơ kết (hạn gửi {_d(report.inputs_due)}): "
                        f"{n(c.get('submitted', 0))} gửi đúng hạn, {n(c.get('submitted_late', 0))} gửi muộn, "
                        f"{n(c.get('missing', 0) + c.get('waiting', 0))} chưa gửi.")
    return lines


def assessment(report: Report) -> dict[str, list[str]]:
    """II. Đánh giá chung, drafted from the figures and the agencies' own words (marked for editing)."""
    s = report.summary
    strengths = [f"{n(s.duties[StatusCategory.DONE_ON_TIME])} nhiệm vụ hoàn thành đúng hạn, "
                 f"{n(s.duties[StatusCategory.DONE_LATE])} hoàn thành quá hạn trong kỳ."]
    strengths += [f"{a.name}: {t.result}" for a in report.agencies for t in a.tasks
                  if t.result and t.reported == "Hoàn thành"][:8]
    late = [d for d in report.duties if d.status == StatusCategory.OPEN_OVERDUE]
    weaknesses = [f"{n(s.duties[StatusCategory.OPEN_OVERDUE])} nhiệm vụ chưa hoàn thành quá hạn"
                  + (f", lâu nhất {n(max(d.days_late for d in late))} ngày." if late else ".")]
    missing = [a.name for a in report.agencies if a.state in ("missing", "waiting")]
    if missing:
        weaknesses.append(f"{len(missing)} cơ quan, đơn vị chưa gửi báo cáo: {'; '.join(missing)}.")
    causes = [f"{p['agency']}: {p['difficulties']}" for p in report.proposals if p.get("difficulties")]
    return {"Ưu điểm": strengths, "Tồn tại, hạn chế": weaknesses,
            "Nguyên nhân": causes or ["Các đơn vị chưa nêu khó khăn, vướng mắc."]}


def proposals(report: Report) -> list[str]:
    found = [f"{p['agency']}: {p['proposals']}" for p in report.proposals if p.get("proposals")]
    return found or ["Các đơn vị chưa có đề xuất, kiến nghị."]


STATUS_HEADINGS = ["Cơ quan chủ trì"] + [c.label_vi for c in COUNTED] + ["Tổng số nhiệm vụ"]
SECTION_HEADINGS = ["Mục của Kế hoạch"] + [c.label_vi for c in COUNTED] + ["Tổng số nhiệm vụ"]
TARGET_HEADINGS = ["Chỉ tiêu", "Mục tiêu", "Kết quả", "Đánh giá", "Ghi chú"]
DUTY_HEADINGS = ["Mục", "Nhiệm vụ", "Cơ quan chủ trì", "Kỳ", "Hạn", "Tình trạng", "Số ngày quá hạn", "Kết quả"]
OVERDUE_HEADINGS = ["Mục", "Nhiệm vụ", "Cơ quan chủ trì", "Hạn", "Số ngày quá hạn"]  # one row per late period
EXPLANATION_HEADINGS = ["Mục", "Nhiệm vụ", "Cơ quan chủ trì", "Hạn", "Nội dung yêu cầu", "Giải trình", "Ngày giải trình"]
NEXT_HEADINGS = ["Cơ quan chủ trì", "Mục", "Nhiệm vụ", "Kỳ", "Hạn"]
EVIDENCE_HEADINGS = ["Mục", "Nhiệm vụ", "Cơ quan", "Kỳ hạn", "Tệp sản phẩm", "Ngày gửi"]
SUBMISSION_HEADINGS = ["Cơ quan, đơn vị", "Tình trạng gửi báo cáo", "Ngày gửi", "Hình thức"]
CHANNELS = {"web": "Trên hệ thống", "cli": "Tệp gửi Liên minh", "xlsx": "Tệp Excel", "simulated": "Mô phỏng"}


def _tally_row(label, tally: Tally) -> list:
    return [label] + [tally[c] for c in COUNTED] + [sum(tally[c] for c in COUNTED)]


def status_rows(report: Report, cumulative: bool = False) -> list[list]:
    """Duties per lead agency (by name), then the total: of the period, or from the plan's start to the
    compiling day (cumulative); the same counts as every other surface."""
    s = report.to_date if cumulative else report.summary
    rows = [_tally_row(s.agency_names[code][0], s.by_agency[code])
            for code in sorted(s.by_agency, key=lambda c: s.agency_names[c][0])]
    return rows + [_tally_row("Tổng số", s.duties)]


def section_rows(report: Report) -> list[list]:
    s = report.summary
    order = sorted(s.by_section, key=lambda v: [int(p) if p.isdigit() else p for p in v.split(".")])
    return [_tally_row(f"Mục {section}", s.by_section[section]) for section in order]


def target_rows(report: Report) -> list[list]:
    return [[r.label, r.target, r.actual, r.verdict, r.detail] for r in report.targets]


def due_shown(due, original) -> str:
    """The date in force, and the plan's when it was extended: "31/03/2016 (gia hạn từ 31/12/2015)"."""
    return f"{_d(due)} (gia hạn từ {_d(original)})" if original else _d(due)


def duty_rows(lines: list[DutyLine]) -> list[list]:
    return [[d.entry, d.title, d.agency, d.periods, due_shown(d.due, d.original_due), d.status.label_vi,
             n(d.days_late) if d.days_late else "", d.result] for d in lines]


def explanation_rows(report: Report) -> list[list]:
    return [list(row[:3]) + [due_shown(row[3], row[4])] + [row[5], row[6], _d(row[7])] for row in report.explanations]


def overdue_rows(report: Report) -> list[list]:
    return [[o["ref"].split("/")[0], o["title"], o["lead_name"], _d(o["due"]), n(o["days_overdue"])]
            for o in report.overdue]


def next_rows(report: Report) -> list[list]:
    return [[d.agency, d.entry, d.title, d.periods, _d(d.due)] for d in report.next_duties]


def submission_rows(report: Report) -> list[list]:
    return [[a.name, a.state_label, _d(a.submitted_at), CHANNELS.get(a.channel or "", "")] for a in report.agencies]


def evidence_rows(report: Report) -> list[list]:
    return [[e.entry, e.title, e.agency, _d(e.due), e.filename, _d(e.filed_on)] for e in report.evidence]


def indicator_rows(report: Report) -> list[list]:
    rows = [[a.name] + [n(a.indicators.get(i.code, "")) if a.indicators else "" for i in INDICATORS]
            for a in report.reporting]
    return rows + [["Tổng số"] + [n(report.indicator_totals.get(i.code, "")) for i in INDICATORS]]


def annexes(report: Report) -> list[tuple[str, list[str], list[list]]]:
    """(title, headings, rows) of each annex, in order."""
    found = [
        ("Tình trạng thực hiện nhiệm vụ theo cơ quan chủ trì (đơn vị tính: nhiệm vụ)", STATUS_HEADINGS,
         status_rows(report)),
        (f"Lũy kế từ đầu Kế hoạch đến ngày {_d(report.compiled_on)} (đơn vị tính: nhiệm vụ)", STATUS_HEADINGS,
         status_rows(report, cumulative=True)),
        ("Chi tiết từng nhiệm vụ", DUTY_HEADINGS, duty_rows(report.duties)),
        ("Nhiệm vụ chưa hoàn thành, quá hạn (mỗi kỳ một dòng)", OVERDUE_HEADINGS, overdue_rows(report)),
    ]
    if report.explanations:
        found.append(("Giải trình của cơ quan chủ trì về nhiệm vụ chậm", EXPLANATION_HEADINGS, explanation_rows(report)))
    if report.kind == "so_ket":
        found.append(("Tình hình gửi báo cáo sơ kết của các cơ quan, đơn vị", SUBMISSION_HEADINGS,
                      submission_rows(report)))
        if report.reporting:
            found.append(("Số liệu hợp tác xã theo báo cáo của các huyện, thị xã", ["Đơn vị"]
                          + [i.label_vi for i in INDICATORS], indicator_rows(report)))
    if report.evidence:
        found.append(("Danh mục sản phẩm (tệp kèm theo) của các nhiệm vụ", EVIDENCE_HEADINGS, evidence_rows(report)))
    return [(f"Phụ lục {n}. {title}", headings, rows) for n, (title, headings, rows) in enumerate(found, 1)]


def body(report: Report) -> list[tuple[str, object]]:
    """The body as (kind, value) blocks: heading, paragraph, note, table (headings, rows)."""
    blocks: list[tuple[str, object]] = [("heading", "I. KẾT QUẢ THỰC HIỆN"), ("heading2", "1. Tình hình chung")]
    blocks += [("paragraph", line) for line in results_paragraphs(report)]
    blocks += [("heading2", "2. Kết quả theo các mục của Kế hoạch (đơn vị tính: nhiệm vụ)"),
               ("table", (SECTION_HEADINGS, section_rows(report)))]
    if report.targets:
        blocks += [("heading2", "3. Kết quả thực hiện các mục tiêu (mục 1.3 của Kế hoạch)"),
                   ("table", (TARGET_HEADINGS, target_rows(report)))]
    blocks += [("heading", "II. ĐÁNH GIÁ CHUNG"), ("note", DRAFT_NOTE)]
    for n, (title, lines) in enumerate(assessment(report).items(), 1):
        blocks.append(("heading2", f"{n}. {title}"))
        blocks += [("paragraph", f"- {line}") for line in lines]
    blocks.append(("heading", f"III. PHƯƠNG HƯỚNG, NHIỆM VỤ {report.next_label.upper()}"))
    if report.next_duties:
        blocks.append(("paragraph", f"Các nhiệm vụ có hạn trong {lower_first(report.next_label)} (chi tiết theo bảng):"))
        blocks.append(("table", (NEXT_HEADINGS, next_rows(report))))
    else:
        blocks.append(("paragraph", f"Không có nhiệm vụ nào có hạn trong {lower_first(report.next_label)}."))
    blocks += [("heading", "IV. ĐỀ XUẤT, KIẾN NGHỊ"), ("note", DRAFT_NOTE)]
    blocks += [("paragraph", f"- {line}") for line in proposals(report)]
    return blocks


# --- .docx, in the form of Decree 30 ------------------------------------------------------------------

FONT = "Times New Roman"
PAGE = (210, 297)  # A4, mm
MARGINS = dict(top=20, bottom=20, left=30, right=15)  # mm: within Annex I's ranges (20-25, 20-25, 30-35, 15-20)


def _font(run, size: float, bold=False, italic=False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt
    run.font.name, run.font.size, run.font.bold, run.font.italic = FONT, Pt(size), bold, italic
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)


def _paragraph(container, text="", *, size=14, bold=False, italic=False, align="justify", indent=False,
               after=6, before=0, keep=False):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt
    paragraph = container.add_paragraph()
    paragraph.alignment = {"justify": WD_ALIGN_PARAGRAPH.JUSTIFY, "center": WD_ALIGN_PARAGRAPH.CENTER,
                           "left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT}[align]
    form = paragraph.paragraph_format
    form.space_after, form.space_before, form.line_spacing = Pt(after), Pt(before), 1.15
    if indent:
        form.first_line_indent = Cm(1.27)
    if keep:
        form.keep_with_next = True
    if text:
        _font(paragraph.add_run(text), size, bold, italic)
    return paragraph


def _rule(container, line_mm: float, within_mm: float, after=6) -> None:
    """A short rule of `line_mm` centred under the previous line (in a space `within_mm` wide): the bottom
    border of an empty paragraph one point high, indented from both sides."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    paragraph = _paragraph(container, "", align="center", after=after)
    run = paragraph.add_run("")
    _font(run, 1)
    paragraph.paragraph_format.line_spacing = 1.0
    width_twips = int(max(0.0, (within_mm - line_mm) / 2) * 1440 / 25.4)
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    ppr.append(borders)
    indent = OxmlElement("w:ind")
    indent.set(qn("w:left"), str(width_twips))
    indent.set(qn("w:right"), str(width_twips))
    ppr.append(indent)


def _no_borders(table) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.append(borders)


def _fixed_widths(table, widths_mm: list[float]) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm
    table.autofit = False
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    for column, width in zip(table.columns, widths_mm):
        column.width = Mm(width)
        for cell in column.cells:
            cell.width = Mm(width)


def _char_mm(size: float, bold: bool) -> float:
    """The width of an average character of Times New Roman at `size` points, generously (mm)."""
    return size * 0.3528 * (0.56 if bold else 0.5)


def column_widths(headings: list[str], rows: list[list], total_mm: float, size: float) -> list[float]:
    """Widths that never split a word: each column at least as wide as its longest word (headings in
    bold), the rest of the width shared by how much text each column holds."""
    padding = 2.6  # the cell's left and right margins
    longest = []
    amount = []
    for n, heading in enumerate(headings):
        cells = [str(row[n]) for row in rows if n < len(row) and row[n] not in (None, "")]
        words = [len(w) * _char_mm(size, False) for c in cells for w in c.split()]
        words += [len(w) * _char_mm(size, True) for w in heading.split()]
        longest.append(max(words, default=3) + padding)
        amount.append(max((len(c) for c in cells), default=1) ** 0.5 + len(heading) ** 0.5)
    spare = total_mm - sum(longest)
    if spare <= 0:
        return [total_mm * w / sum(longest) for w in longest]
    return [w + spare * a / sum(amount) for w, a in zip(longest, amount)]


def _table(doc, headings, rows, width_mm: float, size: float = 12) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    rows = [["" if v is None else str(v) for v in row] for row in rows]
    width_mm -= 3  # the cells' borders and LibreOffice's outer padding stay inside the margins
    while True:  # a smaller font when even the longest words do not fit
        widths = column_widths(headings, rows, width_mm, size)
        fits = all(w >= len(word) * _char_mm(size, True) + 2.6 for w, h in zip(widths, headings) for word in h.split())
        if fits or size <= 9:
            break
        size -= 1
    table = doc.add_table(rows=1 + len(rows), cols=len(headings))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _fixed_widths(table, widths)
    for cell, heading in zip(table.rows[0].cells, headings):
        cell.paragraphs[0].alignment = 1
        _font(cell.paragraphs[0].add_run(heading), size, bold=True)
    for row, values in zip(table.rows[1:], rows):
        for cell, value in zip(row.cells, values):
            if value:
                _font(cell.paragraphs[0].add_run(value), size)
    _paragraph(doc, after=0)


def _text_width(section) -> float:
    return (section.page_width - section.left_margin - section.right_margin) / 36000  # EMU -> mm


def _page_numbers(section) -> None:
    """The page number centred in the header, from the second page (a different first page)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run()
    _font(run, 13)
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)


def _page_setup(section, landscape=False) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm
    width, height = PAGE if not landscape else PAGE[::-1]
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(width), Mm(height)
    if landscape:  # the binding edge stays on the left of the portrait page: the top of a landscape one
        section.top_margin, section.bottom_margin = Mm(MARGINS["right"]), Mm(MARGINS["left"] - 10)
        section.left_margin, section.right_margin = Mm(MARGINS["top"]), Mm(MARGINS["bottom"])
    else:
        section.top_margin, section.bottom_margin = Mm(MARGINS["top"]), Mm(MARGINS["bottom"])
        section.left_margin, section.right_margin = Mm(MARGINS["left"]), Mm(MARGINS["right"])


def _header_block(doc, report: Report, organization: Organization) -> None:
    widths = (72, 93)  # mm: the issuing body's column and the Quốc hiệu's, the text width between them
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    _fixed_widths(table, list(widths))
    left, right = table.rows[0].cells
    for cell in (left, right):
        cell.paragraphs[0].alignment = 1
        cell.paragraphs[0].paragraph_format.space_after = 0
    _font(left.paragraphs[0].add_run(organization.parent_short.upper()), 12)
    _paragraph(left, organization.short_name.upper(), size=12, bold=True, align="center", after=0)
    _rule(left, 25, widths[0])
    _paragraph(left, f"Số:        /BC-{organization.symbol}", size=13, align="center", after=0)
    _font(right.paragraphs[0].add_run("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), 12, bold=True)
    _paragraph(right, "Độc lập - Tự do - Hạnh phúc", size=13, bold=True, align="center", after=0)
    _rule(right, 58, widths[1])  # as long as the line above
    _paragraph(right, dateline(organization, report.compiled_on), size=14, italic=True, align="center", after=0)


def _signature_block(doc, organization: Organization) -> None:
    _paragraph(doc, after=0)
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    _fixed_widths(table, [85, 80])
    left, right = table.rows[0].cells
    _font(left.paragraphs[0].add_run("Nơi nhận:"), 12, bold=True, italic=True)
    for recipient in organization.recipients:
        _paragraph(left, f"- {recipient};", size=11, align="left", after=0)
    _paragraph(left, f"- Lưu: {organization.archive}.", size=11, align="left", after=0)
    right.paragraphs[0].alignment = 1
    _font(right.paragraphs[0].add_run(organization.signature.authority), 14, bold=True)
    _paragraph(right, organization.signature.position, size=14, bold=True, align="center", after=60)
    _paragraph(right, organization.signature.name, size=14, bold=True, align="center", after=0)


def docx_document(report: Report, organization: Organization):
    from docx import Document
    from docx.enum.section import WD_SECTION

    doc = Document()
    doc.core_properties.author = organization.name
    doc.core_properties.last_modified_by = organization.name
    doc.core_properties.title = f"Báo cáo {summary_line(report)}"[:255]  # the property's limit
    doc.core_properties.subject = plan_name(report)[:255]
    doc.core_properties.comments = ""
    style = doc.styles["Normal"]
    style.font.name = FONT
    from docx.shared import Pt
    style.font.size = Pt(14)
    section = doc.sections[0]
    _page_setup(section)
    _page_numbers(section)
    width = _text_width(section)

    _header_block(doc, report, organization)
    _paragraph(doc, "BÁO CÁO", size=14, bold=True, align="center", before=18, after=0, keep=True)
    _paragraph(doc, summary_line(report), size=14, bold=True, align="center", after=0)
    _rule(doc, 40, width, after=12)
    if report.simulated:
        _paragraph(doc, SIMULATED_NOTE, size=13, bold=True, align="center")
    for kind, value in body(report):
        if kind == "heading":
            _paragraph(doc, value, bold=True, align="left", before=6, keep=True)
        elif kind == "heading2":
            _paragraph(doc, value, bold=True, indent=True, keep=True)
        elif kind == "note":
            _paragraph(doc, value, size=13, italic=True, indent=True)
        elif kind == "paragraph":
            _paragraph(doc, value, indent=True)
        else:
            headings, rows = value
            _table(doc, headings, rows, width)
    _signature_block(doc, organization)

    for title, headings, rows in annexes(report):
        annex = doc.add_section(WD_SECTION.NEW_PAGE)
        _page_setup(annex, landscape=True)
        annex.different_first_page_header_footer = False
        _paragraph(doc, title.split(". ", 1)[0].upper(), bold=True, align="center", after=0, keep=True)
        _paragraph(doc, title.split(". ", 1)[1], bold=True, align="center", keep=True)
        _paragraph(doc, f"(Kèm theo Báo cáo {lower_first(summary_line(report))})",
                   size=13, italic=True, align="center")
        if rows:
            _table(doc, headings, rows, _text_width(annex), size=11)
        else:
            _paragraph(doc, "Không có.", indent=True)
    return doc


# --- .xlsx and .md --------------------------------------------------------------------------------

def workbook(report: Report, organization: Organization):
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()

    def sheet(title, headings, rows, first=False):
        ws = book.active if first else book.create_sheet(title)
        ws.title = title[:31]
        ws.append(headings)
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in rows:
            ws.append(list(row))
        for column, heading in zip(ws.columns, headings):
            longest = max((len(str(c.value or "")) for c in column), default=10)
            ws.column_dimensions[column[0].column_letter].width = min(60, max(12, longest + 2, len(heading) + 2))
        ws.freeze_panes = "A2"
        return ws

    summary = [[organization.name], [f"BÁO CÁO {summary_line(report)}"], [dateline(organization, report.compiled_on)]]
    summary += [[SIMULATED_NOTE]] if report.simulated else []
    summary += [[line] for line in results_paragraphs(report)]
    sheet("Tổng hợp", ["Báo cáo"], summary, first=True)
    sheet("Tình trạng", STATUS_HEADINGS, status_rows(report))
    sheet("Lũy kế", STATUS_HEADINGS, status_rows(report, cumulative=True))
    sheet("Theo mục", SECTION_HEADINGS, section_rows(report))
    if report.targets:
        sheet("Chỉ tiêu", TARGET_HEADINGS + ["Nội dung Kế hoạch"],
              [row + [r.text] for row, r in zip(target_rows(report), report.targets)])
    sheet("Nhiệm vụ", DUTY_HEADINGS, duty_rows(report.duties))
    sheet("Quá hạn", OVERDUE_HEADINGS, overdue_rows(report))
    if report.explanations:
        sheet("Giải trình", EXPLANATION_HEADINGS, explanation_rows(report))
    sheet("Năm tới" if report.kind == "so_ket" else "Kỳ tới", NEXT_HEADINGS, next_rows(report))
    if report.kind == "so_ket":
        sheet("Đơn vị", SUBMISSION_HEADINGS + ["Ý kiến khác"],
              [row + [a.notes] for row, a in zip(submission_rows(report), report.agencies)])
        sheet("Số liệu", ["Đơn vị"] + [i.label_vi for i in INDICATORS], indicator_rows(report))
        sheet("Kiến nghị", ["Cơ quan, đơn vị", "Mục", "Khó khăn, vướng mắc", "Đề xuất, kiến nghị"],
              [[p["agency"], p["ref"].split("/")[0], p["difficulties"], p["proposals"]] for p in report.proposals])
    return book


def _md_table(headings, rows) -> list[str]:
    clean = lambda v: str("" if v is None else v).replace("|", "\\|").replace("\n", " ")  # noqa: E731
    return (["| " + " | ".join(headings) + " |", "|" + "---|" * len(headings)]
            + ["| " + " | ".join(clean(v) for v in row) + " |" for row in rows] + [""])


def markdown(report: Report, organization: Organization) -> str:
    out = [f"{organization.parent_short.upper()} — {organization.short_name.upper()}", "",
           f"Số: .../BC-{organization.symbol} — *{dateline(organization, report.compiled_on)}*", "",
           "# BÁO CÁO", "", f"**{summary_line(report)}**", ""]
    if report.simulated:
        out += [f"**{SIMULATED_NOTE}**", ""]
    for kind, value in body(report):
        if kind == "heading":
            out += [f"## {value}", ""]
        elif kind == "heading2":
            out += [f"### {value}", ""]
        elif kind == "note":
            out += [f"*{value}*", ""]
        elif kind == "paragraph":
            out += [value, ""]
        else:
            out += _md_table(*value)
    out += [f"**{organization.signature.authority}**  ", f"**{organization.signature.position}**  ",
            f"**{organization.signature.name}**", "", "*Nơi nhận:*"]
    out += [f"- {r};" for r in organization.recipients] + [f"- Lưu: {organization.archive}.", ""]
    for title, headings, rows in annexes(report):
        out += [f"## {title}", ""] + (_md_table(headings, rows) if rows else ["Không có.", ""])
    return "\n".join(out) + "\n"
