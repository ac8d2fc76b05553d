"""Reading what a focal point wrote in a reply: short Vietnamese or English lines, one task per line.

    Đã hoàn thành                         the task of the email answered (when it names one task)
    Hoàn thành ngày 12/03/2016            ... completed on that day
    Tiến độ 60%                           progress
    3.1.2-c: đã hoàn thành, đã trình UBND  by ref; what follows is kept as the note
    3.3-a/BA-BE: Tiến độ 80%
    Ghi chú: chờ ý kiến Sở Tài chính      a note (any other text is a note too)
    Đề nghị gia hạn đến 30/06/2016 vì ...  an extension request (answered: not by email yet; kept as a note)

English works the same ("Done", "Completed on 12/03/2016", "Progress 60%", "Note: ..."), and so does
Vietnamese typed without its marks ("da hoan thanh"). What the person quoted (lines starting with ">",
"On ... wrote:", "Vào ... đã viết:", an Outlook header block, the line we put above our own text) is
cut off first, and so are greetings and what follows a sign-off. Pure functions: no database, no clock
(`on` is None when the reply named no day: the caller takes the day it was sent).
"""
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser

DONE, PROGRESS, NOTE, EXTENSION = "done", "progress", "note", "extension"

# The line our actionable emails start with when replies are read (notifications/templates).
REPLY_ABOVE = "Trả lời phía trên dòng này"


@dataclass
class Instruction:
    action: str  # DONE, PROGRESS, NOTE, EXTENSION
    ref: str | None  # None: the task of the email answered
    line: str  # what the person wrote (for the confirmation)
    on: date | None = None
    percent: int | None = None
    note: str | None = None

    def add_note(self, text: str) -> None:
        self.note = f"{self.note}\n{text}" if self.note else text


@dataclass
class ParsedReply:
    instructions: list[Instruction] = field(default_factory=list)
    # Lines that looked like an instruction but could not be read: (line, why in Vietnamese, in English).
    problems: list[tuple[str, str, str]] = field(default_factory=list)


def fold(text: str) -> str:
    """Lower case without Vietnamese marks, one character for each character of `text` (NFC), so a
    match in the folded text has the same positions in the original."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        lower = char.lower()
        lower = lower if len(lower) == 1 else char
        out.append("d" if lower == "đ" else unicodedata.normalize("NFD", lower)[0])
    return "".join(out)


# --- what was quoted ------------------------------------------------------------------------------

_QUOTE_STARTS = [re.compile(p) for p in (
    r"^>",
    r"^-{2,}\s*(original message|thu goc|forwarded message|thu chuyen tiep)\s*-{2,}",
    r"^_{10,}\s*$",
    r"^(from|tu|sent|gui|de|to|den):\s.*",  # an Outlook header block (From: ... Sent: ...)
    r"^on\s.+\swrote:\s*$",
    r"^vao\s.+\sda\s+viet:\s*$",
    r"^.{0,80}\s(wrote|da viet):\s*$",
    r"^sent from my\s", r"^gui tu\s.*(iphone|ipad|android|dien thoai)",
    r"^--\s*$",  # a signature
    r"^(tra loi phia tren dong nay|please reply above this line)",
)]


def strip_quoted(text: str) -> str:
    """The part of a reply the person wrote: everything before the first quoted line."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = []
    for n, line in enumerate(lines):
        folded = fold(line.strip()).replace("#", "").strip()
        if any(p.match(folded) for p in _QUOTE_STARTS):
            break
        # Gmail wraps "On <date>, <name> <address>" / "wrote:" over two lines.
        if (folded.startswith(("on ", "vao ")) and n + 1 < len(lines)
                and fold(lines[n + 1].strip()).endswith(("wrote:", "da viet:"))):
            break
        kept.append(line)
    return "\n".join(kept).strip()


class _HtmlText(HTMLParser):
    """The text of an HTML reply, without what it quotes (<blockquote>, Gmail's and Outlook's quote blocks)."""

    _BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "table"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0  # depth inside a quote
        self.stack: list[bool] = []  # for each open element: does it start a quote?
        self.done = False

    def handle_starttag(self, tag, attrs):
        values = " ".join(v or "" for _, v in attrs).lower()
        quote = tag == "blockquote" or "gmail_quote" in values or "divrplyfwdmsg" in values or "moz-cite" in values
        if tag in ("script", "style", "head", "title"):
            quote = True
        if tag in self._BLOCKS:
            self.parts.append("\n")
        if tag not in ("br", "img", "hr", "meta", "link", "input"):
            self.stack.append(quote)
            self.skipping += quote
        if tag == "hr" and not self.skipping:
            self.done = True  # Outlook puts the quoted message after a rule

    def handle_endtag(self, tag):
        if tag in ("br", "img", "hr", "meta", "link", "input") or not self.stack:
            return
        self.skipping -= self.stack.pop()
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping and not self.done:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
    return "\n".join(lines)


# --- what each line says ----------------------------------------------------------------------------

_REF = re.compile(r"^\s*(?:[-*•+]\s*)?(\d+(?:\.\d+)+(?:-[a-z0-9]+)*(?:/[a-z0-9-]+)?)\s*(?:[:–—)]|\s-\s|\s)\s*")
_GREETING = re.compile(r"^(kinh gui|kinh thua|xin chao|chao|dear|hi|hello)\b")
_SIGN_OFF = re.compile(r"^(tran trong|than ai|cam on|xin cam on|thanks|thank you|many thanks|best regards|"
                       r"kind regards|regards|best|cheers)\b")
_EXTENSION = re.compile(r"\b(?:(?:de nghi|xin|kien nghi)\s+)?gia han\b|\b(?:request(?:ing)?\s+(?:an\s+)?)?"
                        r"(?:extension|extend)\b")
_NOT_DONE = re.compile(r"\b(chua|khong)\s+hoan\s+thanh\b|\bnot\s+(yet\s+)?(done|completed|finished)\b")
_DONE = re.compile(r"\b(?:da\s+)?hoan\s+thanh\b|\b(?:done|completed|complete|finished)\b")
_DAY = r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})"
_DATE = re.compile(r"(?:(?:vao|tu|on|luc)\s+)?(?:(?:ngay|day)\s+)?" + _DAY +
                   r"|ngay\s+(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+(\d{4})")
_PROGRESS = re.compile(r"\b(?:tien\s+do|progress|da\s+thuc\s+hien(?:\s+duoc)?|dat(?:\s+khoang)?)\s*(?:dat\s*)?"
                       r"[:=]?\s*(\d{1,4})\s*%|^(\d{1,4})\s*%")
_NOTE = re.compile(r"^(?:ghi\s+chu|note|noi\s+dung|comment)\s*[:\-]\s*")
_PUNCTUATION = " \t,;:.-–—"


def _date_in(folded: str, start: int) -> tuple[date | None, str | None, int, int]:
    """The date right after `start` ("hoàn thành [vào] [ngày] 12/03/2016"; a date later in the line is
    part of the note): (date, a problem if it is not a real date, where it starts, ends)."""
    while start < len(folded) and folded[start] in " \t,:":
        start += 1
    found = _DATE.match(folded, start)
    if found is None:
        return None, None, start, start
    day, month, year = (int(g) for g in (found.group(1, 2, 3) if found.group(1) else found.group(4, 5, 6)))
    try:
        return date(year, month, day), None, found.start(), found.end()
    except ValueError:
        return None, f"{day:02d}/{month:02d}/{year}", found.start(), found.end()


def _rest(original: str, start: int) -> str | None:
    text = original[start:].strip(_PUNCTUATION).strip()
    return text or None


def _clean_ref(ref: str) -> str:
    head, slash, agency = ref.partition("/")
    return head.lower() + (slash + agency.upper() if slash else "")


def parse_reply(text: str) -> ParsedReply:
    """The instructions in what the person wrote (quoted text already cut: see strip_quoted)."""
    parsed = ParsedReply()
    general: list[str] = []  # text with no ref and no instruction: a note
    last: Instruction | None = None
    for raw in text.split("\n"):
        line = unicodedata.normalize("NFC", raw).strip()
        if not line:
            continue
        folded = fold(line)
        if _SIGN_OFF.match(folded):
            break  # what follows is a signature
        if _GREETING.match(folded) and last is None and not general:
            continue
        ref = None
        start = 0
        found = _REF.match(folded)
        if found:
            ref, start = _clean_ref(line[found.start(1):found.end(1)]), found.end()
        instruction = _read_line(line, folded, start, ref, parsed)
        if instruction is _SKIPPED:
            continue
        if instruction is None:
            if ref is not None:
                instruction = Instruction(NOTE, ref, line, note=_rest(line, start))
                if instruction.note is None:
                    parsed.problems.append((line, "chỉ có mã nhiệm vụ, không có nội dung", "a ref with nothing after it"))
                    continue
            elif last is not None:
                last.add_note(line)  # a line more about the task above
                continue
            else:
                general.append(line)
                continue
        parsed.instructions.append(instruction)
        last = instruction
    if general:
        note = "\n".join(general)
        if parsed.instructions and all(i.ref is None for i in parsed.instructions):
            parsed.instructions[0].add_note(note)  # "Đã hoàn thành" under a first line of explanation
        else:
            parsed.instructions.insert(0, Instruction(NOTE, None, general[0], note=note))
    return parsed


def _read_line(line: str, folded: str, start: int, ref: str | None, parsed: ParsedReply) -> Instruction | None:
    """The instruction of one line (from `start`, after its ref), or None for plain text."""
    body = folded[start:]
    if _EXTENSION.search(body):
        return Instruction(EXTENSION, ref, line, note=_rest(line, start))
    if not _NOT_DONE.search(body) and (done := _DONE.search(folded, start)):
        on, bad, date_start, date_end = _date_in(folded, done.end())
        if bad is not None:
            parsed.problems.append((line, f"ngày {bad} không có thật", f"{bad} is not a real date"))
            return _SKIPPED
        note_from = date_end if on is not None else done.end()
        return Instruction(DONE, ref, line, on=on, note=_rest(line, note_from))
    progress = _PROGRESS.search(body)
    if progress:
        percent = int(progress.group(1) or progress.group(2))
        if percent > 100:
            parsed.problems.append((line, f"tiến độ {percent}% lớn hơn 100%", f"progress {percent}% is over 100%"))
            return _SKIPPED
        return Instruction(PROGRESS, ref, line, percent=percent, note=_rest(line, start + progress.end()))
    note = _NOTE.match(body)
    if note:
        return Instruction(NOTE, ref, line, note=_rest(line, start + note.end()))
    return None


class _Skipped(Instruction):
    """A line already reported as a problem."""


_SKIPPED = _Skipped(NOTE, None, "")
