"""The MIME message as queued: built once with `emails`, dated by our clock, the same bytes every time."""
from datetime import datetime
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.utils import parsedate_to_datetime

import pytest

from models.clock import VN_TZ
from notifications.outbox import bodies_of, build_mime, clean_header
from tests.conftest import FIXTURES

AT = datetime(2016, 1, 18, 8, 0, tzinfo=VN_TZ)


def built(message_id: str = "<abc@example.org>") -> bytes:
    return build_mime(subject="[Đôn đốc] 2 nhiệm vụ quá hạn — 18/01/2016", text="Kính gửi anh Hải,\nQuá hạn.",
                      html="<p>Kính gửi anh Hải,</p>", mail_from="Hệ thống đôn đốc <dondoc@example.org>",
                      to_name="Triệu Văn Hải", to_email="hai.tv@pacnam.invalid", message_id=message_id,
                      kind="daily", at=AT)


def test_a_message_carries_one_date_header_from_our_clock_and_one_message_id():
    message = message_from_bytes(built(), policy=policy.default)
    assert len(message.get_all("Date")) == 1
    assert parsedate_to_datetime(message["Date"]) == AT
    assert message.get_all("Message-ID") == ["<abc@example.org>"]
    assert message["Subject"] == "[Đôn đốc] 2 nhiệm vụ quá hạn — 18/01/2016"
    assert message["X-Dondoc-Kind"] == "daily"


def test_the_same_message_builds_to_the_same_bytes_and_another_to_other_boundaries():
    assert built() == built()
    other = built("<def@example.org>")
    boundary = message_from_bytes(built()).get_boundary()
    assert boundary and boundary.encode() not in other


def test_both_parts_decode_to_the_vietnamese_text():
    message = message_from_bytes(built(), policy=policy.default)
    assert message.get_body(("plain",)).get_content().startswith("Kính gửi anh Hải,")
    assert "Kính gửi anh Hải" in message.get_body(("html",)).get_content()


def test_the_bodies_read_back_from_the_stored_mime_are_the_ones_built():
    assert bodies_of(built()) == ("Kính gửi anh Hải,\nQuá hạn.", "<p>Kính gửi anh Hải,</p>")


# --- the bytes, pinned ------------------------------------------------------------------------
# tests/fixtures/mime/<case>.eml were written by build_mime as it was before it moved to the public
# API of `emails` (commit da98ebf, where it subclassed private parts of `emails` and the standard
# library for speed). The same message must keep building to exactly these bytes: a resend after a
# crash carries the same content, and a change of library or Python that altered them would show here.

MIME_FIXTURES = FIXTURES / "mime"
SENDER = "Hệ thống đôn đốc <dondoc@lmhtx.example.org>"


def digest(language: str) -> dict:
    """A real daily digest (rendered once from the templates and kept as the case's input)."""
    return dict(subject=(MIME_FIXTURES / f"digest-{language}.subject.txt").read_text(encoding="utf-8").strip(),
                text=(MIME_FIXTURES / f"digest-{language}.txt").read_bytes().decode("utf-8"),
                html=(MIME_FIXTURES / f"digest-{language}.html").read_bytes().decode("utf-8"))


LONG_LINE = "Đề nghị đồng chí báo cáo kết quả thực hiện " * 40  # one line of ~1,700 characters
MIME_CASES = {
    # The daily digest in Vietnamese: a tagged Reply-To, Auto-Submitted, a name with diacritics.
    "digest-vi": lambda: dict(**digest("vi"), mail_from=SENDER, to_name="Nguyễn Thị Thu Hà",
                              to_email="ha.ntt@skhdt.backan.invalid", message_id="<9f2c41d7a0b3e8c5@lmhtx.example.org>",
                              kind="daily", at=datetime(2018, 6, 13, 8, 0, tzinfo=VN_TZ),
                              reply_to="dondoc+r.1042.a81f3c@lmhtx.example.org",
                              headers=(("Auto-Submitted", "auto-generated"),)),
    # In English, an ASCII name and sender, no reply address.
    "digest-en": lambda: dict(**digest("en"), mail_from="Dondoc <dondoc@example.org>", to_name="Pat Smith",
                              to_email="pat@example.org", message_id="<e1@example.org>", kind="daily",
                              at=datetime(2018, 6, 13, 8, 0, tzinfo=VN_TZ)),
    # Long headers: a Vietnamese subject and name that fold over several encoded words, a long ASCII
    # subject folded at spaces, threading headers with a long References.
    "long-headers": lambda: dict(
        subject="[Đôn đốc] Yêu cầu giải trình: nhiệm vụ 3.1.1-b “Rà soát, đánh giá tình hình hoạt động của các "
                "hợp tác xã trên địa bàn tỉnh Bắc Kạn giai đoạn 2015-2020” đã quá hạn 290 ngày — 18/01/2016",
        text="Kính gửi đồng chí,\nĐề nghị giải trình.", html="<p>Kính gửi đồng chí,</p><p>Đề nghị giải trình.</p>",
        mail_from=SENDER, to_name="Phòng Kinh tế và Hạ tầng Ủy ban nhân dân huyện Ba Bể (đồng chí Hoàng Văn Nam)",
        to_email="nam.hv@babe.backan.invalid", message_id="<3f9e0c2d1b4a5968@lmhtx.example.org>", kind="task_work",
        at=datetime(2016, 1, 18, 8, 0, tzinfo=VN_TZ),
        headers=(("In-Reply-To", "<0a1b2c3d4e5f6071@lmhtx.example.org>"),
                 ("References", " ".join(f"<{n:016x}@lmhtx.example.org>" for n in range(1, 9))),
                 ("X-Long-Ascii", "Explanation requested for task 3.1.1-b, overdue 290 days, reported to the "
                                  "head of the agency on 04/01/2016 and again on 11/01/2016"))),
    # Bodies: a line far over 998 characters, lines starting with "From " and ".", a CRLF, a lone CR,
    # trailing blanks, no final line break; a name that needs quoting (a comma, quotes).
    "awkward-bodies": lambda: dict(
        subject="Kiểm tra", text=f"From the plan:\n.\n..hai chấm\r\n{LONG_LINE}\rdòng cuối   ",
        html=f"<p>{LONG_LINE}</p>\n<pre>From here\n. done</pre>", mail_from=SENDER,
        to_name='Nguyễn "Bé", Văn A', to_email="be.nva@example.org", message_id="<b0d1e5@example.org>",
        kind="review_request", at=datetime(2015, 12, 31, 23, 59, tzinfo=VN_TZ),
        reply_to="dondoc+r.7.0e@example.org"),
    # One part only: a text without HTML, and an HTML without text; an ASCII name with specials.
    "text-only": lambda: dict(subject="Sign-in link", text="Open http://127.0.0.1:8000/signin/abc within 15 minutes.",
                              html="", mail_from="Dondoc <dondoc@example.org>", to_name="O'Brien, Pat (Finance)",
                              to_email="pat.obrien@example.org", message_id="<s1@example.org>", kind="signin",
                              at=datetime(2016, 2, 29, 7, 5, tzinfo=VN_TZ)),
    "html-only": lambda: dict(subject="Chỉ có HTML", text="", html="<p>Chỉ có <b>HTML</b></p>", mail_from=SENDER,
                              to_name="Lý Thị Mai", to_email="mai.lt@example.org", message_id="<h1@example.org>",
                              kind="reassignment", at=datetime(2016, 2, 29, 7, 5, tzinfo=VN_TZ)),
    # A subject and a name arriving with line breaks and runs of blanks: made one line before building.
    "broken-lines": lambda: dict(subject="Báo cáo\r\n  quý   IV\nBcc: evil@attacker.example", text="t",
                                 html="<p>t</p>", mail_from=SENDER, to_name="Trần\r\nVăn  Bình",
                                 to_email="binh@example.org", message_id="<x@example.org>", kind="daily",
                                 at=datetime(2020, 12, 31, 16, 30, tzinfo=VN_TZ)),
}


@pytest.mark.parametrize("case", sorted(MIME_CASES))
def test_each_kept_message_still_builds_to_the_same_bytes(case):
    expected = (MIME_FIXTURES / f"{case}.eml").read_bytes()
    assert build_mime(**MIME_CASES[case]()) == expected


def test_the_pinned_messages_are_smtp_ready_and_read_back_as_built():
    """What the fixtures hold, said plainly: CRLF line ends only, lines within SMTP's 998 octets,
    ASCII only (everything else encoded), and the parts decode to exactly the text they were built from."""
    for case, make in MIME_CASES.items():
        raw, arguments = (MIME_FIXTURES / f"{case}.eml").read_bytes(), make()
        assert raw.isascii(), case
        assert b"\n" not in raw.replace(b"\r\n", b"") and b"\r" not in raw.replace(b"\r\n", b""), case
        assert max(len(line) for line in raw.split(b"\r\n")) <= 998, case
        # (Read with the classic decoder: the modern address parser puts a blank between two encoded
        # words of one display name, where RFC 2047 says the blank between them is not part of it.)
        message = message_from_bytes(raw)
        assert str(make_header(decode_header(message["Subject"]))) == clean_header(arguments["subject"]), case
        to = str(make_header(decode_header(message["To"])))  # the name, quoted where it must be
        assert clean_header(arguments["to_name"]) in to and to.endswith(f" <{arguments['to_email']}>"), case
        assert bodies_of(raw) == (arguments["text"], arguments["html"]), case  # base64 keeps every byte
