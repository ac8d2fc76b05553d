"""Reading a Vietnamese implementation plan ("Kế hoạch") into the plan file `dondoc plan load` takes.

    parse_plan(text, directory, policy) -> ParsedPlan

Pure: no database, no clock, no files. The steps, each in its own module:
- text.py       bytes -> NFC lines (encodings, byte soup);
- structure.py  lines -> outline (headings, items, paragraphs);
- agencies.py   agency names -> directory codes;
- duties.py     outline -> duties with refs, leads and coordinators;
- deadlines.py  a duty's words -> timing, due date, RRULE, anchor; the plan's horizon;
- output.py     ParsedPlan -> JSON / plan-file YAML.

Whatever the parser is unsure about becomes a warning with its line; nothing is dropped silently.
"""
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from config.errors import InputError
from config.files import AgencyFile
from models.plan_parser.agencies import Agency, AgencyMatcher
from models.plan_parser.deadlines import read_deadlines, read_horizons, read_issue_date, timing_of
from models.plan_parser.duties import Duty, DutyFinder
from models.plan_parser.structure import Node, build_outline
from models.plan_parser.text import Line, decode_plan, split_lines

__all__ = ["ParsedPlan", "ParsedTask", "ParseWarning", "parse_plan", "decode_plan", "provisional_title"]


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


@dataclass
class ParsedPlan:
    title: str
    province: str
    issued: date | None
    horizon_start: date
    horizon_end: date
    tasks: list[ParsedTask]
    warnings: list[ParseWarning] = field(default_factory=list)


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
                             "'đến năm 2025') and no duty names a year", line=title_line)
        warnings.append(ParseWarning(title_line, f"the title names no period; horizon assumed to end on 31/12/{last}"))
    if first is None or first > last:
        warnings.append(ParseWarning(title_line, f"cannot tell when the plan starts; assumed 1/1/{last}"))
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
        warn(duty.lines[lead_level], f"{len(leads)} agencies share this duty ({', '.join(a.name for a in leads)}): "
                                     f"'{lead.name}' taken as lead, the others as coordinating")
    coordinating = leads[1:]
    for owners in duty.owners[lead_level:]:
        coordinating += owners.coordinating
    for level, owners in enumerate(duty.owners):
        for agency in owners.leads + owners.coordinating:
            if not agency.known:
                warn(duty.lines[level], f"agency '{agency.written}' is not in the agency directory; kept as written")
    return lead, _dedupe(coordinating, lead)


def parse_plan(text: str, directory: AgencyFile, policy) -> ParsedPlan:
    """Read a plan's text into tasks. Raises InputError when it holds no plan."""
    text = unicodedata.normalize("NFC", text)
    if not text.strip():
        raise InputError("the file is empty")
    if "\x00" in text:
        raise InputError("is a binary file (it contains NUL characters), not plain text")
    warnings: list[ParseWarning] = []
    seen_warnings: set = set()

    def warn(line, message):
        if (line, message) not in seen_warnings:
            seen_warnings.add((line, message))
            warnings.append(ParseWarning(line, message))

    outline = build_outline(split_lines(text))
    if not outline.sections:
        raise InputError("no numbered sections found: a plan has headings like '1.', '1.1.' or 'I.', 'II.'", line=1)
    title, title_lines = _read_title(outline.header)
    title_line = title_lines[0].number if title_lines else 1
    issued = next((d for d in map(read_issue_date, (line.text for line in outline.header)) if d), None)

    matcher = AgencyMatcher(directory)
    finder = DutyFinder(matcher)
    duties = finder.find(outline.sections)
    for line, ref in finder.folded:
        warn(line, f"items nested below {ref} are kept in its text (refs go two list levels deep)")

    owned = {}
    for duty in duties:
        owned[id(duty)] = _owners_of(duty, warn)
    assigning = {duty.top for duty in duties if owned[id(duty)][0] is not None}
    duties = [d for d in duties if d.top in assigning]
    idle = [s for s in outline.sections if s.number not in assigning]
    if idle and duties:
        warn(idle[0].line, f"section{'s' if len(idle) > 1 else ''} {', '.join(s.number for s in idle)} "
                           f"name{'' if len(idle) > 1 else 's'} no agency that leads a duty: no tasks made from "
                           f"{'them' if len(idle) > 1 else 'it'} (purposes, objectives, general instructions)")
    if not duties:
        raise InputError("found no duties assigned to an agency: no section names who does the work "
                         "('3.1. Sở X chủ trì ...', '- Sở X chủ trì ...')", line=outline.sections[0].line)

    deadline_years = [p.due.year for d in duties for p in read_deadlines(d.text)[0] if p.due]
    preamble = "\n".join(line.text for line in outline.header if line not in title_lines)
    horizon_start, horizon_end = _horizon(title, title_line, preamble, _objective_text(outline.sections),
                                          issued, deadline_years, warnings)
    start = max(horizon_start, issued) if issued else horizon_start
    default_rrule = _policy_rrule(policy)

    tasks, refs = [], {}
    for duty in duties:
        lead, coordinating = owned[id(duty)]
        if lead is None:
            warn(duty.line, f"{duty.ref}: no lead agency found; write one in the plan file")
        timing, timing_warnings = timing_of(duty.text, start, default_rrule)
        for message in timing_warnings:
            warn(duty.line, f"{duty.ref}: {message}")
        if timing.due and not horizon_start <= timing.due <= horizon_end:
            warn(duty.line, f"{duty.ref}: due {timing.due:%d/%m/%Y}, outside the plan's period "
                            f"{horizon_start:%d/%m/%Y}-{horizon_end:%d/%m/%Y}")
        if duty.ref in refs:
            warn(duty.line, f"ref {duty.ref} also given to the duty on line {refs[duty.ref]}: the outline numbers "
                            f"a section twice; fix the numbering")
        refs.setdefault(duty.ref, duty.line)
        tasks.append(ParsedTask(
            ref=duty.ref, section=duty.section, title=provisional_title(duty.text),
            lead=lead.name if lead else None, lead_code=lead.code if lead else None,
            coordinating=[a.name for a in coordinating], coordinating_codes=[a.code for a in coordinating],
            text=duty.text, line=duty.line, timing=timing.timing, due=timing.due, rrule=timing.rrule,
            anchor=timing.anchor, deadline_phrase=timing.deadline_phrase, date_source=timing.date_source))
    warnings.sort(key=lambda w: (w.line or 0))
    return ParsedPlan(title=title, province=_read_province(outline.header), issued=issued,
                      horizon_start=horizon_start, horizon_end=horizon_end, tasks=tasks, warnings=warnings)
