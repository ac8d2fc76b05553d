"""Finding agency names in plan text and matching them to the agency directory.

Matching works on word keys, so it tolerates case ("Sở Công thương" = "Sở Công Thương"), spacing,
punctuation inside a name ("Sở Lao động - Thương binh" = "Sở Lao động, Thương binh"), NFC/NFD and
old/new tone placement ("Uỷ ban" = "Ủy ban", "Hoà" = "Hòa"), and the usual abbreviations
("UBND" = "Ủy ban nhân dân", "HTX" = "Hợp tác xã"). Names come from `name_vi` and `aliases` of
agencies and groups; at each position the longest name wins, and a leading "các" is optional.

An agency not in the directory is recognised by the word that heads agency names ("Sở", "Ban",
"Công an", ...) followed by a capitalised word or a place word ("Sở Du lịch", "Công an tỉnh"),
and is kept as written (the caller warns). "Các Sở, ngành (có) liên quan" and the like name no
one in particular and are left out.
"""
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from config.files import AgencyFile

# Old tone placement -> new, so both spellings give the same key.
_TONE_PLACEMENT = {
    "oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa",
    "oè": "òe", "oé": "óe", "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe",
    "uỳ": "ùy", "uý": "úy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy",
}
_ABBREVIATIONS = {
    "ubnd": ("ủy", "ban", "nhân", "dân"),
    "hđnd": ("hội", "đồng", "nhân", "dân"),
    "htx": ("hợp", "tác", "xã"),
    "mttq": ("mặt", "trận", "tổ", "quốc"),
    "mttqvn": ("mặt", "trận", "tổ", "quốc", "việt", "nam"),
    "ubmttq": ("ủy", "ban", "mặt", "trận", "tổ", "quốc"),
}
# Punctuation a name may contain; a matcher steps over it.
_INNER_PUNCTUATION = {",", "-", "–", "—", "&"}
_TOKEN = re.compile(r"\w+|[^\w\s]")

# Words that head an agency's name, for agencies the directory does not know.
_HEADS = [tuple(h.split()) for h in (
    "sở", "ban", "ban quản lý", "ủy ban", "ủy ban nhân dân", "phòng", "cục", "chi cục", "trung tâm",
    "trường", "đài", "báo", "văn phòng", "công an", "bộ chỉ huy", "hội", "liên minh", "liên đoàn",
    "tỉnh đoàn", "đoàn", "mặt trận", "ngân hàng", "kho bạc", "bảo hiểm", "tòa án", "viện",
    "thanh tra", "chi nhánh", "công ty", "tổng công ty", "bộ", "quỹ", "bưu điện", "điện lực",
    "hiệp hội", "vườn quốc gia", "cảng vụ", "đảng ủy", "huyện ủy", "thành ủy", "viễn thông")]
_PLACE_WORDS = {"tỉnh", "huyện", "thành", "thị", "xã", "quận", "phường"}
# Words that may continue an unknown name after its capitalised words ("nhân dân", "của tỉnh").
_NAME_GLUE = {"và", "của", "nhân", "dân", "các", "cấp"} | _PLACE_WORDS | {"phố", "trấn"}


@lru_cache(maxsize=65536)
def word_key(word: str) -> str:
    key = unicodedata.normalize("NFC", word).casefold()
    for old, new in _TONE_PLACEMENT.items():
        if old in key:
            key = key.replace(old, new)
    return key


@dataclass(frozen=True)
class Token:
    key: str  # normalised; "" for punctuation
    text: str
    start: int
    end: int

    @property
    def is_word(self) -> bool:
        return bool(self.key)

    @property
    def capitalised(self) -> bool:
        return self.text[:1].isupper()


def tokenize(text: str) -> list[Token]:
    tokens = []
    for m in _TOKEN.finditer(text):
        word = m.group()
        if not (word[0].isalnum() or word[0] == "_"):
            tokens.append(Token("", word, m.start(), m.end()))
            continue
        key = word_key(word)
        # Abbreviations stand for several words; each carries the abbreviation's span.
        for part in _ABBREVIATIONS.get(key, (key,)):
            tokens.append(Token(part, word, m.start(), m.end()))
    return tokens


@dataclass(frozen=True)
class Agency:
    """A name found in the text: a directory entry (code set) or a name kept as written."""

    name: str  # canonical name_vi, or the words as written
    code: str | None
    written: str
    start: int  # character offsets in the text searched
    end: int

    @property
    def known(self) -> bool:
        return self.code is not None


class AgencyMatcher:
    def __init__(self, directory: AgencyFile):
        self.names: dict[str, str] = {}
        self._trie: dict = {}
        for entry in [*directory.agencies, *directory.groups]:
            self.names[entry.code] = entry.name_vi
            for name in [entry.name_vi, *entry.aliases]:
                keys = tuple(t.key for t in tokenize(name) if t.is_word)
                if keys and keys[0] == "các" and len(keys) > 1:
                    keys = keys[1:]  # "các" is optional everywhere
                node = self._trie
                for key in keys:
                    node = node.setdefault(key, {})
                node.setdefault(None, entry.code)  # the first entry to claim a name keeps it

    # --- one name at one position --------------------------------------------------------

    def match_known(self, tokens: list[Token], i: int) -> tuple[str, int] | None:
        """The longest directory name starting at token i: (code, index after it)."""
        if i < len(tokens) and tokens[i].key == "các":
            i += 1
        node, best, j = self._trie, None, i
        while j < len(tokens):
            token = tokens[j]
            if not token.is_word:
                if token.text in _INNER_PUNCTUATION and node is not self._trie:
                    j += 1
                    continue
                break
            if token.key not in node:
                break
            node = node[token.key]
            j += 1
            if None in node:
                best = (node[None], j)
        if best is None:
            return None
        # Tokens of one abbreviation ("UBND") are matched whole or not at all.
        end = best[1]
        if end < len(tokens) and tokens[end].start == tokens[end - 1].start:
            return None
        return best

    def match_unknown(self, tokens: list[Token], i: int) -> int | None:
        """The end of an agency name the directory lacks ("Sở Du lịch"), or None."""
        if i < len(tokens) and tokens[i].key == "các":
            i += 1
        if i >= len(tokens) or not tokens[i].capitalised:
            return None
        keys = [t.key for t in tokens[i:i + 4]]
        head = max((h for h in _HEADS if tuple(keys[:len(h)]) == h), key=len, default=None)
        if head is None:
            return None
        j = i + len(head)
        # The head alone ("các Sở", "Ban hành", "Hội nghị") is not a name.
        if j >= len(tokens) or not tokens[j].is_word or not (
                tokens[j].capitalised or tokens[j].key in _NAME_GLUE - {"và", "của"}):
            return None
        run = 0  # capitalised words in a row: "Du" (then "lịch") vs "Cao Bằng" (a place, complete)
        while j < len(tokens):
            token = tokens[j]
            if token.is_word and token.capitalised:
                run += 1
                j += 1
            elif token.is_word and (token.key in _NAME_GLUE or run == 1):
                run = 0  # the second syllable of "Du lịch", "Văn hóa"
                j += 1
            elif (token.text in {",", "-", "–"} and j + 1 < len(tokens) and tokens[j + 1].capitalised
                  and self.match_known(tokens, j + 1) is None and not self._starts_head(tokens, j + 1)):
                run = 0
                j += 1  # "Sở Văn hóa, Thể thao và Du lịch"
            else:
                break
        while tokens[j - 1].key in _NAME_GLUE - _PLACE_WORDS:
            j -= 1  # a name does not end in "và" or "các"
        return j

    def _starts_head(self, tokens, i) -> bool:
        keys = tuple(t.key for t in tokens[i:i + 4])
        return any(keys[:len(h)] == h for h in _HEADS)

    def agency_at(self, text: str, tokens: list[Token], i: int, *, unknown: bool = True) -> tuple[Agency, int] | None:
        known = self.match_known(tokens, i)
        if known:
            code, j = known
            return self._agency(text, tokens, i, j, code), j
        if unknown:
            j = self.match_unknown(tokens, i)
            if j:
                return self._agency(text, tokens, i, j, None), j
        return None

    def _agency(self, text, tokens, i, j, code) -> Agency:
        start, end = tokens[i].start, tokens[j - 1].end
        written = text[start:end]
        return Agency(self.names[code] if code else written, code, written, start, end)

    # --- lists: "A, B và C" ---------------------------------------------------------------

    def read_list(self, text: str, tokens: list[Token], i: int) -> tuple[list[Agency], int]:
        """Agencies named one after another from token i, and the index after the list.

        Items are separated by commas and "và"; "X (có) liên quan" names no one and is dropped.
        """
        found: list[Agency] = []
        while True:
            item = self.agency_at(text, tokens, i)
            if item is None:
                return found, i
            agency, i = item
            vague = _skip_words(tokens, i, ("có", "liên", "quan")) or _skip_words(tokens, i, ("liên", "quan"))
            if vague:
                i = vague
            else:
                found.append(agency)
            after = _skip_separator(tokens, i)
            if after is None or self.agency_at(text, tokens, after) is None:
                return found, i
            i = after

    def find_all(self, text: str, tokens: list[Token]) -> list[tuple[Agency, int, int]]:
        """Every directory name in the text, leftmost-longest: (agency, first token, end token)."""
        found, i = [], 0
        while i < len(tokens):
            item = self.agency_at(text, tokens, i, unknown=False) if tokens[i].is_word else None
            if item:
                found.append((item[0], i, item[1]))
                i = item[1]
            else:
                i += 1
        return found


def _skip_words(tokens: list[Token], i: int, words: tuple[str, ...]) -> int | None:
    if tuple(t.key for t in tokens[i:i + len(words)]) == words:
        return i + len(words)
    return None


def _skip_separator(tokens: list[Token], i: int) -> int | None:
    j = i
    if j < len(tokens) and tokens[j].text == ",":
        j += 1
    if j < len(tokens) and tokens[j].key == "và":
        j += 1
    return j if j > i else None


def skip_words(tokens: list[Token], i: int, *phrases: str) -> int:
    """Index after the first phrase that starts at token i (commas and dashes are stepped over),
    or i itself when none does."""
    for phrase in phrases:
        words, j = _phrase_keys(phrase), i
        for word in words:
            while j < len(tokens) and not tokens[j].is_word and tokens[j].text in _INNER_PUNCTUATION:
                j += 1
            if j >= len(tokens) or tokens[j].key != word:
                break
            j += 1
        else:
            return j
    return i


@lru_cache(maxsize=256)
def _phrase_keys(phrase: str) -> tuple[str, ...]:
    return tuple(word_key(w) for w in phrase.split())
