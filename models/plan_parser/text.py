"""From the bytes of a plan file to clean lines of NFC Vietnamese text.

Rules, in order:
- an empty file, or one with NUL bytes (a .doc/.pdf/image, not text), is refused;
- UTF-8 (with or without BOM) is read as is; UTF-16 with a BOM (Word's "Unicode text") too;
- anything else is tried as Windows-1258 (the legacy Windows code page for Vietnamese), with a
  warning, provided the result reads as Vietnamese;
- text typed with the old TCVN3 (ABC) or VNI fonts is "byte soup": the letters are stored as other
  Latin-1 symbols ("KÕ ho¹ch", "Keá hoaïch"). It cannot be decoded reliably, so it is refused with a
  message saying how to convert it (Unikey's converter), whether it came as UTF-8 or not.
"""
import re
import unicodedata
from dataclasses import dataclass

from config.errors import InputError, Said

# Marks Vietnamese letters carry once decomposed: the five tones and the three vowel modifiers.
_VIETNAMESE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323", "\u0302", "\u0306", "\u031b"}
_VOWELS = set("aeiouyAEIOUY")
# Non-letter characters common in Word documents; they say nothing about the encoding.
# (Latin-1 symbols such as ¹ © ® « are left out on purpose: TCVN3 stores letters in them.)
_HARMLESS = set("–—‘’“”…•°§€™\u00a0\u200b\ufeff\u00ad")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\ufeff\u00ad\u200c\u200d"), None)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u3000]+")


@dataclass(frozen=True)
class Line:
    number: int  # 1-based, as an editor shows it
    text: str  # NFC, spaces collapsed, stripped


def is_vietnamese_letter(char: str) -> bool:
    """A letter a Vietnamese text can contain: a-z, đ, or a vowel with Vietnamese marks."""
    if char.isascii():
        return char.isalpha()
    if char in "đĐ":
        return True
    decomposed = unicodedata.normalize("NFD", char)
    base, marks = decomposed[0], decomposed[1:]
    return base in _VOWELS and bool(marks) and all(m in _VIETNAMESE_MARKS for m in marks)


def foreign_characters(text: str) -> list[str]:
    """Non-ASCII characters that no Vietnamese word contains: the fingerprint of byte soup."""
    return [c for c in text if not c.isascii() and c not in _HARMLESS and not c.isspace()
            and not is_vietnamese_letter(c)]


def _looks_like_byte_soup(text: str) -> bool:
    foreign = foreign_characters(text)
    non_ascii = sum(1 for c in text if not c.isascii() and not c.isspace())
    # Real Vietnamese has none; a stray symbol or a foreign name must not trip the check.
    return len(foreign) >= 5 and len(foreign) > 0.05 * non_ascii


def decode_plan(raw: bytes, path=None) -> tuple[str, list[str]]:
    """The text of a plan file (NFC) and the warnings decoding it gave. Raises InputError."""
    if not raw.strip():
        raise InputError("the file is empty", path=path, vi="tệp rỗng")
    warnings = []
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError("starts like UTF-16 text but is not valid UTF-16", path=path,
                             vi="mở đầu như văn bản UTF-16 nhưng không phải UTF-16 hợp lệ") from None
    elif b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise InputError("is a binary file (it contains NUL bytes), not plain text: "
                         "save the plan as UTF-8 text (.txt) first", path=path, line=line,
                         vi="là tệp nhị phân (có byte NUL), không phải văn bản thuần: hãy lưu kế hoạch thành văn bản "
                            "UTF-8 (.txt) trước")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            try:
                text = raw.decode("cp1258")
            except UnicodeDecodeError:
                line = raw[: exc.start].count(b"\n") + 1
                raise InputError("is neither UTF-8 nor Windows-1258 text: save the plan as UTF-8",
                                 path=path, line=line,
                                 vi="không phải văn bản UTF-8 hay Windows-1258: hãy lưu kế hoạch dạng UTF-8") from None
            if not _looks_like_byte_soup(unicodedata.normalize("NFC", text)):
                warnings.append(Said("the file is not UTF-8; read it as Windows-1258 (CP1258). "
                                     "Save it as UTF-8 to silence this warning",
                                     vi="tệp không phải UTF-8; đã đọc theo Windows-1258 (CP1258). "
                                        "Lưu tệp dạng UTF-8 để hết cảnh báo này"))
    text = unicodedata.normalize("NFC", text).translate(_ZERO_WIDTH)
    if _looks_like_byte_soup(text):
        sample = "".join(dict.fromkeys(foreign_characters(text)))[:12]
        raise InputError(
            f"looks like text typed with a legacy Vietnamese font encoding (TCVN3/ABC or VNI): it "
            f"contains characters no Vietnamese word has ({sample}). Convert it to Unicode first "
            f"(e.g. Unikey's converter, 'Chuyển mã' from TCVN3 or VNI to Unicode) and save as UTF-8",
            path=path,
                         vi="có vẻ được gõ bằng bảng mã tiếng Việt cũ (TCVN3/ABC hoặc VNI): có ký tự không từ tiếng "
                            f"Việt nào có ({sample}). Hãy chuyển sang Unicode trước (ví dụ công cụ chuyển mã của "
                            "Unikey, từ TCVN3 hoặc VNI sang Unicode) và lưu dạng UTF-8")
    return text, warnings


def split_lines(text: str) -> list[Line]:
    """Every line, numbered from 1, with runs of spaces collapsed and the ends stripped."""
    return [Line(number, _SPACES.sub(" ", raw).strip())
            for number, raw in enumerate(re.split(r"\r\n|\r|\n", text), start=1)]
