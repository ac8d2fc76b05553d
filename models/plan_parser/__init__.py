"""Reading a Vietnamese implementation plan ("Kế hoạch") into the plan file `dondoc plan load` takes.

    read_document(raw, path) -> Document
    parse_plan(document or text, directory, policy) -> ParsedPlan

Pure: no database, no clock, no files. The steps, each in its own module:
- text.py       bytes -> NFC lines (encodings, byte soup);
- documents.py  .txt / .docx / .pdf bytes -> paragraphs and tables, numbered;
- tables.py     header table (number, issuer, date), signature block, lists of duties (annexes);
- structure.py  lines -> outline (headings, items, paragraphs);
- agencies.py   agency names -> directory codes;
- duties.py     outline -> duties with refs, leads and coordinators;
- deadlines.py  a duty's words -> timing, due date, RRULE, anchor; the plan's horizon;
- output.py     ParsedPlan -> JSON / plan-file YAML.

Whatever the parser is unsure about becomes a warning with its line; nothing is dropped silently.
"""
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from config.errors import InputError, Said, in_language
from config.files import AgencyFile
from models.plan_parser.agencies import Agency, AgencyMatcher
from models.plan_parser.deadlines import cadence_parts, read_deadlines, read_horizons, read_issue_date, timing_of
from models.plan_parser.documents import Document, read_document, text_document, untable
from models.plan_parser.duties import Duty, DutyFinder, read_duty_owners
from models.plan_parser.structure import Node, build_outline
from models.plan_parser.tables import issuer_name, kind_of, list_text, read_header, table_rows
from models.plan_parser.text import Line, decode_plan
from models.plan_parser.agencies import tokenize, word_key

__all__ = ["ParsedPlan", "ParsedTask", "ParseWarning", "parse_plan", "decode_plan", "read_document",
           "provisional_title"]


@dataclass(frozen=True)
class ParseWarning:
    line: int | None
    message: str


@dataclass
class ParsedTask:
    ref: str
    section: str
    title: str
    lead: str | None  # canonical name_vi, or the name as written when not in the directory
    lead_code: str | None
    coordinating: list[str]  # names, as for lead
    coordinating_codes: list[str | None]
    text: str
    line: int
    timing: str
    due: date | None
    rrule: str | None
    anchor: date | None
    deadline_phrase: str | None
    date_source: str
    product: str | None = None  # "Sản phẩm" of a table row
    source_kind: str = "paragraph"  # paragraph | row
    source_text: str = ""  # the paragraph, or the row's cells joined by " | "
    where: str = ""  # "dòng 12", "bảng 2, hàng 5 (trang 7)"


@dataclass
class ParsedPlan:
    title: str
    province: str
    issued: date | None
    horizon_start: date
    horizon_end: date
    tasks: list[ParsedTask]
    warnings: list[ParseWarning] = field(default_factory=list)
    number: str | None = None  # số/ký hiệu: "85/KH-UBND"
    issuer: str | None = None  # the issuing body: "Ủy ban nhân dân tỉnh Lạng Sơn"


# --- titles -------------------------------------------------------------------------------

_TITLE_WORDS = 12


def provisional_title(text: str) -> str:
    """A short title for a duty: its first clause (up to the first '.', ';' or ':'), without
    parentheses, cut to 12 words ("…" when cut). Titles are editorial; reviewers rewrite them."""
    first = re.split(r"(?<!\d)[.;:](?:\s|$)|\n", text, maxsplit=1)[0]
    first = re.sub(r"\s*\([^()]*\)", "", first).strip(" ,.;:-")
    words = first.split()
    if len(words) > _TITLE_WORDS:
        return " ".join(words[:_TITLE_WORDS]).rstrip(",;:") + "…"
    return " ".join(words) or text.strip()[:80]


# --- the header: title, dateline, province ------------------------------------------------

def _is_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _read_title(header: list[Line]) -> tuple[str, list[Line]]:
    """The plan's title (from "KẾ HOẠCH" and the lines in capitals after it) and its lines."""
    texts = [line for line in header if line.text]
    for index, line in enumerate(texts):
        if unicodedata.normalize("NFC", line.text).casefold().startswith("kế hoạch"):
            lines = [line]
            for following in texts[index + 1:]:
                if not _is_upper(following.text) or read_issue_date(following.text):
                    break
                lines.append(following)
            if len(lines) == 1 and index + 1 < len(texts) and len(line.text) <= len("kế hoạch") + 1:
                lines.append(texts[index + 1])  # "KẾ HOẠCH" then a title in normal case
            return " ".join(line.text for line in lines), lines
    return (texts[0].text, texts[:1]) if texts else ("", [])


_PROVINCE = re.compile(r"\b(?:[Tt]ỉnh(?:\s+(?:ủy|uỷ))?|[Tt]hành\s+phố|[Tt]hành\s+ủy)\s+((?:[A-ZĐ][^\W\d_]*\s?){1,3})")


_DATELINE_PLACE = re.compile(r"^([^\d,:;]{2,40}),\s*ngày\b", re.IGNORECASE)


def _read_province(header: list[Line]) -> str:
    """Where the plan was issued: its dateline's place ("Cao Bằng, ngày ..."), else "tỉnh X"."""
    for line in header:
        m = _DATELINE_PLACE.match(line.text)
        if m and read_issue_date(line.text):
            return m[1].strip()
    for line in header:
        m = _PROVINCE.search(line.text)
        if m:
            return m[1].strip()
    return ""


# --- the plan's period --------------------------------------------------------------------

def _objective_text(sections: list[Node]) -> str:
    """The sections that state the plan's purpose and targets, where its period is named."""
    texts = []
    for section in sections:
        if re.search(r"mục\s+(?:đích|tiêu)|yêu\s+cầu|quan\s+điểm", section.text, re.IGNORECASE):
            texts.append(_all_text(section))
    return "\n".join(texts)


def _all_text(node: Node) -> str:
    return "\n".join([node.text] + [_all_text(c) for c in node.children])


def _horizon(title: str, title_line: int, preamble: str, objectives: str, issued: date | None,
             deadline_years: list[int], warnings: list[ParseWarning]) -> tuple[date, date]:
    """The plan's first and last day.

    End: the period named in the title, else in the preamble or the objectives ("giai đoạn
    2023-2025", "từ nay đến năm 2020"), on 31 December. Start: 1 January of the first year of a
    named period; else of the year the plan is dated (its dateline); else of the earliest year a
    duty's deadline names; else of the end year (warned).
    """
    # A period that ended before the plan was issued is a cited one ("kế thừa ... giai đoạn 2011-2020").
    known_year = issued.year if issued else min(deadline_years, default=None)
    periods = [p for p in read_horizons(title, title=True) + read_horizons(preamble + "\n" + objectives, title=False)
               if known_year is None or p[1] >= known_year]
    first, last = periods[0][:2] if periods else (None, None)
    if first is None:
        first = known_year
    if last is None:
        last = max(deadline_years + ([first] if first else []), default=None)
        if last is None:
            raise InputError("cannot tell the plan's period: the title names none ('giai đoạn 2021-2025', "
                             "'đến năm 2025') and no duty names a year", line=title_line,
                             vi="không xác định được thời gian của kế hoạch: tiêu đề không nêu ('giai đoạn "
                                "2021-2025', 'đến năm 2025') và không nhiệm vụ nào nêu năm")
        warnings.append(ParseWarning(title_line, Said(
            f"the title names no period; horizon assumed to end on 31/12/{last}",
            vi=f"tiêu đề không nêu giai đoạn; coi như kế hoạch kết thúc ngày 31/12/{last}")))
    if first is None or first > last:
        warnings.append(ParseWarning(title_line, Said(f"cannot tell when the plan starts; assumed 1/1/{last}",
                                                      vi=f"không xác định được ngày bắt đầu; coi như 1/1/{last}")))
        first = last
    return date(first, 1, 1), date(last, 12, 31)


# --- putting it together ------------------------------------------------------------------

def _policy_rrule(policy) -> str:
    due_dates = getattr(policy, "due_dates", policy)
    return due_dates.default_period_rrule


def _dedupe(agencies: list[Agency], lead: Agency | None) -> list[Agency]:
    seen, result = {_key(lead)} if lead else set(), []
    for agency in agencies:
        if _key(agency) not in seen:
            seen.add(_key(agency))
            result.append(agency)
    return result


def _key(agency: Agency) -> str:
    return agency.code or agency.name.casefold()


def _owners_of(duty: Duty, warn) -> tuple[Agency | None, list[Agency]]:
    """Lead and coordinators of a duty from the levels above it and its own words."""
    lead_level = max((i for i, owners in enumerate(duty.owners) if owners.leads), default=None)
    if lead_level is None:
        return None, []
    leads = _dedupe(duty.owners[lead_level].leads, None)
    lead = leads[0]
    if len(leads) > 1:
        names = ", ".join(a.name for a in leads)
        warn(duty.lines[lead_level], Said(f"{len(leads)} agencies share this duty ({names}): "
                                          f"'{lead.name}' taken as lead, the others as coordinating",
                                          vi=f"{len(leads)} cơ quan cùng nhận nhiệm vụ này ({names}): lấy '{lead.name}' "
                                             f"làm chủ trì, các cơ quan khác phối hợp"))
    coordinating = leads[1:]
    for owners in duty.owners[lead_level:]:
        coordinating += owners.coordinating
    for level, owners in enumerate(duty.owners):
        for agency in owners.leads + owners.coordinating:
            if not agency.known:
                warn(duty.lines[level], _not_in_directory(agency))
    return lead, _dedupe(coordinating, lead)


def _not_in_directory(agency) -> Said:
    return Said(f"agency '{agency.written}' is not in the agency directory; kept as written",
                vi=f"cơ quan '{agency.written}' không có trong danh bạ cơ quan; giữ nguyên như đã ghi")


@dataclass
class _Unit:
    """A duty ready for its timing: from a paragraph of the body or a row of a table."""

    ref: str
    section: str
    text: str
    line: int
    lead: Agency | None
    coordinating: list[Agency]
    deadline_cell: str | None = None
    product: str | None = None
    source_kind: str = "paragraph"
    source_text: str = ""


def _words(text: str) -> list[str]:
    return [word_key(w) for w in re.findall(r"\w+", text)]


class _Twins:
    """Finds the body's duty an annex row repeats: the same first eight words, or one text holding
    (nearly) all the other's words. Indexed, so a long plan is not compared row by row."""

    def __init__(self, duties: list[Duty]):
        self.duties = duties
        self.words = {id(d): set(_words(d.text)) for d in duties}
        self.by_opening: dict[tuple, list[Duty]] = {}
        self.postings: dict[str, list[Duty]] = {}
        for duty in duties:
            words = _words(duty.text)
            if len(words) >= 8:
                self.by_opening.setdefault(tuple(words[:8]), []).append(duty)
            for word in self.words[id(duty)]:
                self.postings.setdefault(word, []).append(duty)

    def of(self, text: str) -> Duty | None:
        words = _words(text)
        live = {id(d) for d in self.duties}
        for duty in self.by_opening.get(tuple(words[:8]), []) if len(words) >= 8 else []:
            if id(duty) in live:
                return duty
        mine = set(words)
        if len(mine) < 6:
            return None
        shared: dict[int, int] = {}
        for word in mine:
            for duty in self.postings.get(word, ()):
                shared[id(duty)] = shared.get(id(duty), 0) + 1
        for duty in self.duties:
            theirs = self.words[id(duty)]
            count = shared.get(id(duty), 0)
            if len(theirs) >= 6 and count / min(len(mine), len(theirs)) >= 0.85:
                return duty
        return None


def _part_refs(ref: str, count: int) -> list[str]:
    """Refs for a duty cut in `count`: 3.2.4 -> 3.2.4-a, 3.2.4-b; 3.1.1-a -> 3.1.1-a-1, -2; a ref
    that already ends in a number goes on with the next ones (3.3-d-2 -> 3.3-d-2, 3.3-d-3)."""
    m = re.match(r"^(.*-)(\d+)$", ref)
    if m:
        return [f"{m[1]}{int(m[2]) + i}" for i in range(count)]
    if re.search(r"-[a-z]{1,2}$", ref):
        return [f"{ref}-{i + 1}" for i in range(count)]
    return [f"{ref}-{'abcdefghijklmnopqrstuvwxyz'[i]}" for i in range(count)]


def _table_agencies(cell: str, matcher: AgencyMatcher) -> list[Agency]:
    def names_an_agency(line: str) -> bool:
        return matcher.agency_at(line, tokenize(line), 0) is not None

    text = list_text(cell, names_an_agency)
    tokens = tokenize(text)
    agencies, i = [], 0
    while i < len(tokens):
        found, j = matcher.read_list(text, tokens, i)
        agencies += found
        i = max(j, i + 1)
    return agencies


def _table_units(document: Document, tables, matcher: AgencyMatcher, warn) -> list[_Unit]:
    units = []
    for index, table in enumerate(tables, start=1):
        prefix = f"{index}." if len(tables) > 1 else ""
        rows, problems = table_rows(table, prefix)
        for line, message in problems:
            warn(line, message)
        for row in rows:
            leads = _table_agencies(row.lead, matcher)
            if not leads:
                own = read_duty_owners(row.content, matcher)
                leads = own.leads
            coordinating = _table_agencies(row.coordinating, matcher)
            lead = leads[0] if leads else None
            if len(leads) > 1:
                names = ", ".join(a.name for a in leads)
                warn(row.line, Said(f"{row.ref}: {len(leads)} agencies lead this duty ({names}): "
                                    f"'{lead.name}' taken as lead, the others as coordinating",
                                    vi=f"{row.ref}: {len(leads)} cơ quan cùng chủ trì nhiệm vụ này ({names}): lấy "
                                       f"'{lead.name}' làm chủ trì, các cơ quan khác phối hợp"))
            for agency in leads + coordinating:
                if not agency.known:
                    warn(row.line, _not_in_directory(agency))
            units.append(_Unit(row.ref, row.section, row.content, row.line, lead, _dedupe(leads[1:] + coordinating, lead),
                               deadline_cell=row.deadline or None, product=row.product or None, source_kind="row",
                               source_text=" | ".join(c.replace("\n", " ") for c in row.cells)))
    return units


def parse_plan(source: "str | Document", directory: "AgencyFile | Callable[[str], AgencyFile]", policy) -> ParsedPlan:
    """Read a plan (its text, or a Document read from .txt, .docx or .pdf) into tasks. Raises
    InputError when it holds no plan. `directory`: the agencies its names are matched against, or a
    function of the plan's province (read off its header) giving them: a plan matches only the
    agencies of its own province (models/directory.py province_directory)."""
    if isinstance(source, str):
        text = unicodedata.normalize("NFC", source)
        if not text.strip():
            raise InputError("the file is empty", vi="tệp rỗng")
        if "\x00" in text:
            raise InputError("is a binary file (it contains NUL characters), not plain text",
                             vi="là tệp nhị phân (có ký tự NUL), không phải văn bản thuần")
        document = text_document(text)
    else:
        document = source
    warnings: list[ParseWarning] = []
    seen_warnings: set = set()

    def warn(line, message):
        if (line, message) not in seen_warnings:
            seen_warnings.add((line, message))
            warnings.append(ParseWarning(line, message))

    header_tables, duty_tables, body_end = [], [], None
    for table in list(document.tables):
        kind = kind_of(table)
        if kind == "header":
            header_tables.append(table)
        elif kind == "duties":
            duty_tables.append(table)
        elif kind == "signature":
            body_end = min(body_end or table.line, table.line)
        else:
            if len(table.rows) > 1:
                warn(table.line, Said(f"table {table.number} is not a list of duties (no 'Cơ quan chủ trì' column): "
                                      f"read as text", vi=f"bảng {table.number} không phải danh sách nhiệm vụ (không có "
                                                         f"cột 'Cơ quan chủ trì'): đọc như văn bản"))
            untable(document, table)
    lines = [line for line in document.lines if body_end is None or line.number < body_end]
    outline = build_outline(lines)
    if not outline.sections and not duty_tables:
        raise InputError("no numbered sections found: a plan has headings like '1.', '1.1.' or 'I.', 'II.'", line=1,
                         vi="không tìm thấy mục đánh số nào: kế hoạch có các đề mục như '1.', '1.1.' hoặc 'I.', 'II.'")
    title, title_lines = _read_title(outline.header)
    title_line = title_lines[0].number if title_lines else 1
    header = read_header(header_tables, [line.text for line in outline.header if line.text])
    header_lines = [Line(0, text) for text in header.lines]
    issued = next((d for d in map(read_issue_date, header.lines) if d), None)

    province = _read_province(outline.header + header_lines)
    if callable(directory):
        directory = directory(province)
    matcher = AgencyMatcher(directory)
    finder = DutyFinder(matcher)
    duties = finder.find(outline.sections)
    for line, ref in finder.folded:
        warn(line, Said(f"items nested below {ref} are kept in its text (refs go two list levels deep)",
                        vi=f"các ý lồng bên dưới {ref} được giữ trong nội dung của nó (mã chỉ đánh tới hai cấp danh sách)"))

    owned = {}
    for duty in duties:
        owned[id(duty)] = _owners_of(duty, warn)
    table_units = _table_units(document, duty_tables, matcher, warn)
    merged_tops = set()
    twins = _Twins(duties)
    for unit in table_units:
        twin = twins.of(unit.text)
        if twin is None:
            continue
        duties.remove(twin)
        merged_tops.add(twin.top)
        body_lead, body_coordinating = owned[id(twin)]
        if unit.lead is None and body_lead is not None:
            unit.lead, unit.coordinating = body_lead, _dedupe(body_coordinating + unit.coordinating, body_lead)
        if len(twin.text) > len(unit.text):
            unit.text = twin.text
        warn(twin.line, Said(f"{twin.ref} is also {unit.ref} ({document.where(unit.line)}): one duty, ref {unit.ref}",
                             vi=f"{twin.ref} cũng là {unit.ref} ({document.where(unit.line)}): một nhiệm vụ, mã {unit.ref}"))
    if duty_tables:  # "chi tiết tại Phụ lục kèm theo": a pointer to the annex, not a duty of its own
        duties = [d for d in duties if owned[id(d)][0] is not None or not re.search(r"phụ\s+lục", d.text, re.I)]
    assigning = {duty.top for duty in duties if owned[id(duty)][0] is not None}
    duties = [d for d in duties if d.top in assigning]
    idle = [s for s in outline.sections if s.number not in assigning and s.number not in merged_tops]
    if idle and (duties or table_units):
        numbers = ", ".join(s.number for s in idle)
        warn(idle[0].line, Said(f"section{'s' if len(idle) > 1 else ''} {numbers} "
                                f"name{'' if len(idle) > 1 else 's'} no agency that leads a duty: no tasks made from "
                                f"{'them' if len(idle) > 1 else 'it'} (purposes, objectives, general instructions)",
                                vi=f"mục {numbers} không nêu cơ quan chủ trì nhiệm vụ nào: không tạo nhiệm vụ từ đó "
                                   f"(mục đích, mục tiêu, chỉ đạo chung)"))
    if not duties and not table_units:
        raise InputError("found no duties assigned to an agency: no section names who does the work "
                         "('3.1. Sở X chủ trì ...', '- Sở X chủ trì ...')",
                         line=outline.sections[0].line if outline.sections else 1,
                         vi="không tìm thấy nhiệm vụ nào giao cho cơ quan: không mục nào nêu ai thực hiện ('3.1. Sở X "
                            "chủ trì ...', '- Sở X chủ trì ...')")

    units = [_Unit(d.ref, d.section, d.text, d.line, *owned[id(d)], source_text=d.text) for d in duties] + table_units
    deadline_years = [p.due.year for u in units for p in read_deadlines(u.text)[0] if p.due]
    deadline_years += [p.due.year for u in units if u.deadline_cell
                       for p in read_deadlines(u.deadline_cell, cell=True)[0] if p.due]
    preamble = "\n".join(line.text for line in outline.header if line not in title_lines)
    horizon_start, horizon_end = _horizon(title, title_line, preamble, _objective_text(outline.sections),
                                          issued, deadline_years, warnings)
    start = max(horizon_start, issued) if issued else horizon_start
    default_rrule = _policy_rrule(policy)

    tasks, refs = [], {}
    for unit in units:
        if unit.lead is None:
            warn(unit.line, Said(f"{unit.ref}: no lead agency found; write one in the plan file",
                                 vi=f"{unit.ref}: không tìm thấy cơ quan chủ trì; hãy ghi vào tệp kế hoạch"))
        parts = ([(part, unit.text) for _, part in cadence_parts(unit.deadline_cell)] if unit.deadline_cell
                 else [(None, part) for _, part in cadence_parts(unit.text)])
        part_refs = _part_refs(unit.ref, len(parts)) if len(parts) > 1 else [unit.ref]
        if len(parts) > 1:
            named = [read_deadlines(cell or text, cell=bool(cell))[0] for cell, text in parts]
            phrases = "', '".join(next((p.text for p in found if p.timing == "recurring"), "?") for found in named)
            warn(unit.line, Said(f"{unit.ref}: names {len(parts)} cadences ('{phrases}'): made {len(parts)} duties, "
                                 f"{', '.join(part_refs)}",
                                 vi=f"{unit.ref}: nêu {len(parts)} chu kỳ ('{phrases}'): tách thành {len(parts)} nhiệm "
                                    f"vụ, {', '.join(part_refs)}"))
        for ref, (cell, text) in zip(part_refs, parts):
            timing, timing_warnings = timing_of(text, start, default_rrule, cell=cell)
            for message in timing_warnings:
                warn(unit.line, Said(f"{ref}: {message}", vi=f"{ref}: {in_language(message, 'vi')}"))
            if timing.due and not horizon_start <= timing.due <= horizon_end:
                period = f"{horizon_start:%d/%m/%Y}-{horizon_end:%d/%m/%Y}"
                warn(unit.line, Said(f"{ref}: due {timing.due:%d/%m/%Y}, outside the plan's period {period}",
                                     vi=f"{ref}: hạn {timing.due:%d/%m/%Y}, ngoài thời gian của kế hoạch {period}"))
            if ref in refs:
                warn(unit.line, Said(f"ref {ref} also given to the duty on line {refs[ref]}: the outline numbers "
                                     f"a section twice; fix the numbering",
                                     vi=f"mã {ref} cũng đã gán cho nhiệm vụ ở dòng {refs[ref]}: đề cương đánh số một "
                                        f"mục hai lần; hãy sửa cách đánh số"))
            refs.setdefault(ref, unit.line)
            lead = unit.lead
            tasks.append(ParsedTask(
                ref=ref, section=unit.section, title=provisional_title(text),
                lead=lead.name if lead else None, lead_code=lead.code if lead else None,
                coordinating=[a.name for a in unit.coordinating], coordinating_codes=[a.code for a in unit.coordinating],
                text=text, line=unit.line, timing=timing.timing, due=timing.due, rrule=timing.rrule,
                anchor=timing.anchor, deadline_phrase=timing.deadline_phrase, date_source=timing.date_source,
                product=unit.product, source_kind=unit.source_kind, source_text=unit.source_text or text,
                where=document.where(unit.line)))
    warnings.sort(key=lambda w: (w.line or 0))
    issuer = None
    if header.issuer_lines:
        written = issuer_name(header.issuer_lines)
        tokens = tokenize(written)
        known = matcher.match_known(tokens, 0)
        issuer = matcher.names[known[0]] if known and known[1] == len(tokens) else written
    return ParsedPlan(title=title, province=province, issued=issued,
                      horizon_start=horizon_start, horizon_end=horizon_end, tasks=tasks, warnings=warnings,
                      number=header.number, issuer=issuer)
