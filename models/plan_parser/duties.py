"""Which lines of the outline are duties, who leads them, who coordinates, and their refs.

Owners:
- An owner clause opens a heading or an item with agency names, optionally "chủ trì" and
  "phối hợp với ..." ("3.1.3. Sở Nông nghiệp và PTNT chủ trì, phối hợp với ...:", "3.1.13. Cục
  Thuế tỉnh: ...", "4.1. Giao Ban chỉ đạo ...:", "3.2. Liên minh Hợp tác xã tỉnh (...)."). Its
  first agency leads everything below it; if it names several, the others coordinate (warning).
- A duty naming "X chủ trì" (or "Cơ quan chủ trì: X") is led by X.
- "phối hợp với X" without "chủ trì" never changes the lead: X coordinates. Coordinating is the
  "phối hợp với" lists from the level that set the lead down to the duty itself, in order.
- A section none of whose duties has a lead (purposes, objectives) assigns no work: no tasks.

Refs (as in the README): the items of a section are lettered a, b, c... in order ("3.1.1-a"); a
section whose duty is one paragraph is its bare number ("3.1.6"); an item that introduces
sub-items is not a task, its sub-items are numbered ("3.3-d-1"); anything nested deeper stays in
its parent's text.
"""
import re
from dataclasses import dataclass, field

from models.plan_parser.agencies import Agency, AgencyMatcher, skip_words, tokenize
from models.plan_parser.structure import Node

_PARENTHESES = re.compile(r"\([^()]*\)")
# What may follow an owner clause's agencies before its ":" without making it a duty sentence.
_OWNER_TAILS = ("theo chức năng nhiệm vụ được giao", "theo chức năng nhiệm vụ", "có trách nhiệm",
                "chịu trách nhiệm", "thực hiện các nhiệm vụ sau", "thực hiện")
_LEAD_LABELS = ("cơ quan chủ trì", "đơn vị chủ trì", "cơ quan chủ trì thực hiện")
_COORDINATION_CUES = ("phối hợp chặt chẽ với", "phối hợp với", "phối hợp cùng")
# "giao Phòng X chủ trì", "do Sở Y chủ trì": the name between the cue and "chủ trì", known or not.
_ASSIGNED = re.compile(r"\b(?:giao(?:\s+cho)?|do)\s+(\S.{2,80}?)\s+chủ\s+trì\b", re.IGNORECASE)
_COORDINATION_LABELS = ("cơ quan phối hợp", "đơn vị phối hợp", "cơ quan phối hợp thực hiện")


@dataclass
class Owners:
    """What one heading, item or duty says about who does the work."""

    leads: list[Agency] = field(default_factory=list)
    coordinating: list[Agency] = field(default_factory=list)
    body: str | None = None  # the text after an owner clause's ":", if any
    clause_only: bool = False  # nothing but the owner clause (a heading, not a duty sentence)


def read_owner_clause(text: str, matcher: AgencyMatcher) -> Owners | None:
    """The owner clause opening `text`, or None if it does not open with agencies."""
    head, colon, body = text.partition(":")
    head = _PARENTHESES.sub(" ", head)  # "(Cơ quan Thường trực Ban Chỉ đạo ...)" is an apposition
    tokens = tokenize(head)
    i = skip_words(tokens, 0, "giao cho", "giao", "đối với", "đề nghị")
    leads, i = matcher.read_list(head, tokens, i)
    if not leads:
        return None
    i = skip_words(tokens, i, "chủ trì")
    coordinating = []
    after = skip_words(tokens, i, *_COORDINATION_CUES)
    if after != i:
        coordinating, i = matcher.read_list(head, tokens, after)
    i = skip_words(tokens, i, *_OWNER_TAILS)
    rest = [t for t in tokens[i:] if t.is_word]
    return Owners(leads, coordinating, body.strip() if colon else None, clause_only=not rest or bool(colon))


def read_duty_owners(text: str, matcher: AgencyMatcher) -> Owners:
    """Leads ("X chủ trì", "Cơ quan chủ trì: X") and coordinators ("phối hợp với ...") in a duty."""
    tokens = tokenize(text)
    owners = Owners()
    for agency, _first, end in matcher.find_all(text, tokens):
        if skip_words(tokens, end, "chủ trì") != end:
            owners.leads.append(agency)
    for m in _ASSIGNED.finditer(text):
        name, name_tokens = m[1], tokenize(m[1])
        if matcher.match_known(name_tokens, 0) is None and matcher.match_unknown(name_tokens, 0):
            owners.leads.append(Agency(name, None, name, m.start(1), m.end(1)))  # known ones: found above
    for i in range(len(tokens)):
        if skip_words(tokens, i, *_LEAD_LABELS) != i:
            j = skip_words(tokens, i, *_LEAD_LABELS)
            j += j < len(tokens) and tokens[j].text == ":"
            owners.leads += matcher.read_list(text, tokens, j)[0]
        for cues in (_COORDINATION_CUES, _COORDINATION_LABELS):
            j = skip_words(tokens, i, *cues)
            if j != i:
                j += j < len(tokens) and tokens[j].text == ":"
                owners.coordinating += matcher.read_list(text, tokens, j)[0]
    return owners


@dataclass
class Duty:
    ref: str
    section: str
    text: str
    line: int
    owners: list[Owners]  # from the outermost level down to the duty itself
    lines: list[int]  # the line of each level, for warnings
    top: str  # the top-level section it belongs to


@dataclass
class _Level:
    owners: Owners
    line: int


def _letters(index: int) -> str:
    """a..z, then aa, ab, ... (refs allow two letters)."""
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    return alphabet[index] if index < 26 else alphabet[index // 26 - 1] + alphabet[index % 26]


def _flatten(node: Node) -> str:
    """A node's text with whatever is nested below it, one line each."""
    return "\n".join([node.text] + [_flatten(c) for c in node.children])


class DutyFinder:
    def __init__(self, matcher: AgencyMatcher):
        self.matcher = matcher
        self.duties: list[Duty] = []
        self.folded: list[tuple[int, str]] = []  # (line, ref) where deeper items were kept inside

    def find(self, sections: list[Node]) -> list[Duty]:
        for section in sections:
            self._section(section, [], section.number)
        return self.duties

    def _owners(self, node: Node) -> Owners:
        return read_owner_clause(node.text, self.matcher) or Owners()

    def _section(self, heading: Node, levels: list[_Level], top: str) -> None:
        clause = read_owner_clause(heading.text, self.matcher)
        units: list[tuple[Node | None, str, int]] = []  # (node, text, line)
        if clause and clause.clause_only:
            level = _Level(clause, heading.line)
            if clause.body and not (clause.body.endswith(":") and heading.children):
                units.append((None, clause.body, heading.line))  # "3.1.13. Cục Thuế tỉnh: Tham mưu ..."
        elif heading.children:
            # A title or an intro ("3.2.2. Phối hợp với ...:"): its own "phối hợp với" still counts.
            level = _Level(read_duty_owners(heading.text, self.matcher), heading.line)
            if clause:
                level.owners.leads = clause.leads + level.owners.leads
        else:
            # A numbered duty with no sub-items ("3.2.1. Phối hợp với ...", "1. Sở X tổ chức ...").
            level = _Level(Owners(), heading.line)
            units.append((heading, heading.text, heading.line))
        levels = levels + [level]
        units += [(node, node.text, node.line) for node in heading.content]
        single_paragraph = len(units) == 1 and (units[0][0] is None or units[0][0].kind != "item")
        for index, (node, text, line) in enumerate(units):
            ref = heading.number if single_paragraph else f"{heading.number}-{_letters(index)}"
            self._unit(node, text, line, ref, heading.number, levels, top)
        for child in heading.headings:
            self._section(child, levels, top)

    def _unit(self, node, text, line, ref, section, levels, top) -> None:
        children = node.children if node is not None and node.kind != "heading" else []
        if not children:
            self._add(ref, section, text, line, levels, top)
            return
        owners = self._owners(node)
        intro_level = _Level(owners if owners.leads else read_duty_owners(node.text, self.matcher), node.line)
        if all(c.kind == "paragraph" and not c.children for c in children):
            # "a) Sở Nội vụ:" followed by its paragraph: one duty, the item's owners.
            body = "\n".join(c.text for c in children)
            self._add(ref, section, body, children[0].line, levels + [intro_level], top)
            return
        for number, child in enumerate(children, start=1):
            if child.children:
                self.folded.append((child.line, f"{ref}-{number}"))
            self._add(f"{ref}-{number}", section, _flatten(child), child.line, levels + [intro_level], top)

    def _add(self, ref, section, text, line, levels, top) -> None:
        own = read_duty_owners(text, self.matcher)
        clause = read_owner_clause(text, self.matcher)
        if clause:  # "- Sở Tư pháp chủ trì, phối hợp với ...": the item's subject leads it
            own.leads = clause.leads + [a for a in own.leads if a not in clause.leads]
        self.duties.append(Duty(ref, section, text, line, [lv.owners for lv in levels] + [own],
                                [lv.line for lv in levels] + [line], top))
