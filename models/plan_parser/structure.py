"""The outline of a plan: numbered headings, list items and paragraphs, as a tree.

- Headings: arabic "1.", "1.1.", "3.1.13." (a multi-level number may drop its last dot) and roman
  "I.", "II."; in a document with roman headings an arabic heading belongs to the roman section
  above it (its path is "II.1"). A number that does not continue the outline (a "1." inside a
  section, a number seen before) is a list item, not a heading.
- List items: "a)" letters, "-" dashes (also "–", "•", "*"), "+" pluses, out-of-order numbers. In
  each section the first kind of marker used is the first level, the next new kind the second, and
  so on (so "-" then "+" in the seed, "a)" then "-" then "+" elsewhere).
- Paragraphs: any other line. A paragraph after an item that ends with ":" belongs to that item;
  a paragraph ending with ":" introduces the items that follow it.
- Lines before the first heading are the header (title, dateline, preamble); the body ends at
  "Nơi nhận:", a signature block ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH") or an annex's title
  ("PHỤ LỤC").
"""
import re
from dataclasses import dataclass, field

from models.plan_parser.text import Line

_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50}
_ROMAN = re.compile(r"^(?P<n>[IVXL]{1,6})\s*\.\s*(?P<t>\S.*)$")
_ARABIC = re.compile(r"^(?P<n>\d{1,2}(?:\.\d{1,2})+)\.?\s+(?P<t>\S.*)$|^(?P<n1>\d{1,2})\.\s*(?P<t1>\S.*)$")
_LETTER = re.compile(r"^(?P<n>[a-zđ])\)\s*(?P<t>\S.*)$")
_DASH = re.compile(r"^[-–—•*]\s*(?P<t>\S.*)$")
_PLUS = re.compile(r"^\+\s*(?P<t>\S.*)$")
_END_OF_BODY = re.compile(r"^(?:nơi\s+nhận\b|(?:TM|KT|TL|TUQ|Q)\.\s+\w)", re.IGNORECASE)
# An annex's title ("PHỤ LỤC", "PHỤ LỤC I", "PHỤ LỤC: DANH MỤC NHIỆM VỤ ..."): its tables are read on their own.
_ANNEX = re.compile(r"^PHỤ\s+LỤC\b(?:\s+[IVX\d]+)?\s*(?:[:.\-–]|$)")


def roman_value(numeral: str) -> int:
    total = 0
    for i, char in enumerate(numeral):
        value = _ROMAN_VALUES[char]
        following = _ROMAN_VALUES[numeral[i + 1]] if i + 1 < len(numeral) else 0
        total += -value if value < following else value
    return total


@dataclass(eq=False)
class Node:
    kind: str  # "heading" | "item" | "paragraph"
    text: str
    line: int
    path: tuple[str, ...] = ()  # headings: ("3", "1", "1") or ("II", "1")
    marker: str = ""  # items: "letter" | "dash" | "plus" | "number"
    children: list["Node"] = field(default_factory=list)

    @property
    def number(self) -> str:
        return ".".join(self.path)

    @property
    def headings(self) -> list["Node"]:
        return [c for c in self.children if c.kind == "heading"]

    @property
    def content(self) -> list["Node"]:
        return [c for c in self.children if c.kind != "heading"]


@dataclass
class Outline:
    header: list[Line]
    sections: list[Node]  # the top-level headings
    end_line: int | None = None  # where "Nơi nhận" or the signature starts


def _classify(text: str):
    """(kind, number, rest) of one line."""
    for kind, pattern in (("roman", _ROMAN), ("arabic", _ARABIC), ("letter", _LETTER),
                          ("dash", _DASH), ("plus", _PLUS)):
        m = pattern.match(text)
        if m:
            groups = m.groupdict()
            number = groups.get("n") or groups.get("n1")
            rest = groups.get("t") or groups.get("t1")
            return kind, number, rest
    return "paragraph", None, text


class _Builder:
    def __init__(self):
        self.header: list[Line] = []
        self.sections: list[Node] = []
        self.headings: list[Node] = []  # the open headings, outermost first
        self.seen: set[tuple] = set()
        self.last_number: dict[tuple, int] = {}
        self.roman: str | None = None
        self.items: list[tuple[int, Node]] = []  # open items of the current section: (level, node)
        self.levels: dict[str, int] = {}

    @property
    def section(self) -> Node | None:
        return self.headings[-1] if self.headings else None

    def heading(self, path: tuple, text: str, line: int) -> bool:
        """Open a heading if its number continues the outline; False if it does not."""
        parent, last = path[:-1], path[-1]
        value = roman_value(last) if last.isalpha() else int(last)
        if path in self.seen or value <= self.last_number.get(parent, 0):
            return False
        node = Node("heading", text, line, path=path)
        self.seen.add(path)
        self.last_number[parent] = value
        while self.headings and self.headings[-1].path != path[:len(self.headings[-1].path)]:
            self.headings.pop()
        (self.section.children if self.section else self.sections).append(node)
        self.headings.append(node)
        self.items, self.levels = [], {}
        return True

    def item(self, marker: str, text: str, line: int) -> None:
        level = self.levels.setdefault(marker, len(self.levels) + 1)
        while self.items and self.items[-1][0] >= level:
            self.items.pop()
        node = Node("item", text, line, marker=marker)
        (self.items[-1][1] if self.items else self.section).children.append(node)
        self.items.append((level, node))

    def paragraph(self, text: str, line: int) -> None:
        node = Node("paragraph", text, line)
        if self.items and self.items[-1][1].text.endswith(":"):
            self.items[-1][1].children.append(node)
            return
        self.section.children.append(node)
        self.items = [(0, node)] if text.endswith(":") else []


def build_outline(lines: list[Line]) -> Outline:
    builder = _Builder()
    for line in lines:
        if not line.text:
            continue
        if builder.section and (_END_OF_BODY.match(line.text) or _ANNEX.match(line.text)):
            return Outline(builder.header, builder.sections, line.number)
        kind, number, rest = _classify(line.text)
        if kind == "roman":
            if builder.heading((number,), rest, line.number):
                builder.roman = number
                continue
            kind, rest = "paragraph", line.text
        if kind == "arabic":
            path = ((builder.roman,) if builder.roman else ()) + tuple(number.split("."))
            if builder.heading(path, rest, line.number):
                continue
            kind = "number"
        if builder.section is None:
            builder.header.append(line)
        elif kind == "paragraph":
            builder.paragraph(rest, line.number)
        else:
            builder.item(kind, rest if kind != "number" else line.text, line.number)
    return Outline(builder.header, builder.sections)
