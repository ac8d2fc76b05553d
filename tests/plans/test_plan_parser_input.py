"""Bad plan texts are refused with a clear message and exit code 2; legacy encodings are handled."""
import json
import unicodedata

import pytest

from config.files import read_agency_file
from models.plan_parser.agencies import AgencyMatcher, tokenize
from tests.conftest import AGENCIES, FIXTURES


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """These tests pin the English refusals (tests/cli/test_cli_language.py checks the Vietnamese ones)."""
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")

SEED = FIXTURES / "plans" / "bac-kan-2015-2020.txt"


def to_cp1258(text: str) -> bytes:
    """Vietnamese as Windows-1258 stores it: a letter (â, ê, ơ, ...), then a combining tone mark."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", char)
            letter = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones))
            out += (letter + "".join(c for c in decomposed if c in tones)).encode("cp1258")
    return bytes(out)


def parse(cli, tmp_path, content: bytes, *args):
    path = tmp_path / "plan.txt"
    path.write_bytes(content)
    return cli("plan", "parse", path, *args), path


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty"),
    (b"  \n\n \t\n", "the file is empty"),
    (b"%PDF-1.4\n\x00\x01\x02binary", "cannot be read as a PDF"),  # a damaged PDF
    (b"\x7fELF\x02\x01\x00\x00binary", "is a binary file (it contains NUL bytes)"),
    ("Biên bản cuộc họp\nCác đại biểu đã thảo luận.\n".encode(), "no numbered sections found"),
    ("KẾ HOẠCH\n1. MỤC ĐÍCH\nTuyên truyền sâu rộng.\n2. YÊU CẦU\nBảo đảm hiệu quả.\n".encode(),
     "found no duties assigned to an agency"),
])
def test_input_that_holds_no_plan_is_refused_with_exit_code_2_and_no_traceback(cli, tmp_path, content, message):
    result, path = parse(cli, tmp_path, content)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {path}") and message in result.stderr
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


def test_a_windows_1258_file_is_read_with_a_warning_and_parsed_like_the_utf_8_one(cli, tmp_path, monkeypatch):
    utf8 = cli.ok("plan", "parse", SEED, "--format", "json").stdout
    result, path = parse(cli, tmp_path, to_cp1258(SEED.read_text(encoding="utf-8")), "--format", "json")
    assert result.exit_code == 0, result.output
    assert f"{path}: warning: the file is not UTF-8; read it as Windows-1258" in result.stderr
    monkeypatch.delenv("DONDOC_LANGUAGE")  # the default: Vietnamese
    result, path = parse(cli, tmp_path, to_cp1258(SEED.read_text(encoding="utf-8")), "--format", "json")
    assert f"{path}: cảnh báo: tệp không phải UTF-8; đã đọc theo Windows-1258" in result.stderr
    assert json.loads(result.stdout)["tasks"] == json.loads(utf8)["tasks"]


@pytest.mark.parametrize("soup", [
    # "Kế hoạch phát triển kinh tế tập thể" typed with a TCVN3 (ABC) font, then saved as text.
    "KÕ ho¹ch ph¸t triÓn kinh tÕ tËp thÓ\n1. Së Tµi chÝnh chñ tr×:\n- Bè trÝ kinh phÝ h»ng n¨m.\n",
    # The same with a VNI font.
    "Keá hoaïch phaùt trieån kinh teá taäp theå\n1. Sôû Taøi chính chuû trì:\n- Boá trí kinh phí haèng naêm.\n",
])
@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_legacy_font_byte_soup_is_refused_with_a_way_out(cli, tmp_path, soup, encoding):
    result, _ = parse(cli, tmp_path, soup.encode(encoding))
    assert result.exit_code == 2
    assert "legacy Vietnamese font encoding (TCVN3/ABC or VNI)" in result.stderr and "Unikey" in result.stderr


def test_a_decomposed_utf_8_file_is_read_as_nfc(cli, tmp_path):
    nfd = unicodedata.normalize("NFD", SEED.read_text(encoding="utf-8")).encode()
    result, _ = parse(cli, tmp_path, nfd, "--format", "json")
    assert result.exit_code == 0 and '"lead_code": "SLDTBXH"' in result.stdout


def test_a_missing_file_is_named_in_the_error(cli, tmp_path):
    result = cli("plan", "parse", tmp_path / "nowhere.txt")
    assert result.exit_code == 2 and "cannot read the file" in result.stderr


# --- agency names -------------------------------------------------------------------------

MATCHER = AgencyMatcher(read_agency_file(AGENCIES))


@pytest.mark.parametrize("written, code", [
    ("Sở Công thương", "SCT"), ("Sở Công Thương", "SCT"), ("sở  công   thương", "SCT"),
    ("UBND các huyện, thị xã", "UBND-HUYEN"), ("Ủy ban nhân dân các huyện, thị xã", "UBND-HUYEN"),
    ("Uỷ ban nhân dân các huyện, thị xã", "UBND-HUYEN"),
    ("Sở lao động, Thương và Xã hội", "SLDTBXH"), ("Sở Lao động - Thương binh và Xã hội", "SLDTBXH"),
    ("Sở Lao động, Thương binh và Xã hội", "SLDTBXH"),
    ("Văn phòng Ủy ban nhân dân tỉnh", "VP-UBND"), ("Ủy ban nhân dân tỉnh", "UBND-TINH"),
    ("Các Sở, ban, ngành và UBND các huyện, thị xã", "SO-NGANH-HUYEN"), ("các Sở, ban, ngành", "SO-BAN-NGANH"),
    (unicodedata.normalize("NFD", "Sở Tài nguyên và Môi trường"), "STNMT"),
])
def test_agency_names_match_the_directory_whatever_their_case_spacing_and_spelling(written, code):
    text = unicodedata.normalize("NFC", written)
    assert MATCHER.match_known(tokenize(text), 0) == (code, len(tokenize(text)))


def test_in_a_list_the_longest_name_wins_and_relevant_bodies_are_nobody():
    text = "Văn phòng Tỉnh ủy, Văn phòng UBND tỉnh, các Sở, ban, ngành có liên quan và UBND các huyện, thị xã tổ chức"
    found, _ = MATCHER.read_list(text, tokenize(text), 0)
    assert [a.code for a in found] == ["VP-TU", "VP-UBND", "UBND-HUYEN"]


def test_an_agency_the_directory_lacks_is_kept_as_written():
    text = "Sở Văn hóa, Thể thao và Du lịch, Công an tỉnh tổ chức"
    found, _ = MATCHER.read_list(text, tokenize(text), 0)
    assert [(a.name, a.code) for a in found] == [("Sở Văn hóa, Thể thao và Du lịch", None), ("Công an tỉnh", None)]


@pytest.mark.parametrize("text", ["Ban hành quy chế", "Hội nghị tuyên dương", "Báo cáo kết quả", "các Sở, ngành liên quan"])
def test_words_that_only_look_like_an_agency_are_not_one(text):
    assert MATCHER.read_list(text, tokenize(text), 0)[0] == []
