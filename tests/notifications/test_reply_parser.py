"""Reading replies (models/reply_parser.py), what came back (notifications/inbound.py) and the tagged
addresses (notifications/reply_address.py): pure functions on text and bytes."""
from datetime import date

import pytest

from models.reply_parser import DONE, EXTENSION, NOTE, PROGRESS, html_to_text, parse_reply, strip_quoted
from notifications.inbound import is_auto_reply, read_bounce, read_message, written_text
from notifications.reply_address import BOUNCE, REPLY, ReplyAddresses, read_tag


def read(text: str) -> list[tuple]:
    parsed = parse_reply(strip_quoted(text))
    return [(i.action, i.ref, i.on, i.percent, i.note) for i in parsed.instructions]


@pytest.mark.parametrize("text, expected", [
    ("Đã hoàn thành", [(DONE, None, None, None, None)]),
    ("đã hoàn thành.", [(DONE, None, None, None, None)]),
    ("da hoan thanh", [(DONE, None, None, None, None)]),
    ("Done", [(DONE, None, None, None, None)]),
    ("Hoàn thành ngày 12/03/2016", [(DONE, None, date(2016, 3, 12), None, None)]),
    ("Hoàn thành vào ngày 12/3/2016 - đã gửi báo cáo", [(DONE, None, date(2016, 3, 12), None, "đã gửi báo cáo")]),
    ("hoàn thành ngày 12 tháng 3 năm 2016", [(DONE, None, date(2016, 3, 12), None, None)]),
    ("Completed on 12/03/2016", [(DONE, None, date(2016, 3, 12), None, None)]),
    ("Đã hoàn thành, dự kiến báo cáo 30/06/2016", [(DONE, None, None, None, "dự kiến báo cáo 30/06/2016")]),
    ("Tiến độ 60%", [(PROGRESS, None, None, 60, None)]),
    ("tien do: 45 % - chờ số liệu", [(PROGRESS, None, None, 45, "chờ số liệu")]),
    ("Progress 30%", [(PROGRESS, None, None, 30, None)]),
    ("Ghi chú: chờ vốn", [(NOTE, None, None, None, "chờ vốn")]),
    ("Chưa hoàn thành, đang làm", [(NOTE, None, None, None, "Chưa hoàn thành, đang làm")]),
    ("Đề nghị gia hạn đến 30/06/2016 vì thiếu kinh phí",
     [(EXTENSION, None, None, None, "Đề nghị gia hạn đến 30/06/2016 vì thiếu kinh phí")]),
    ("3.1.2-c: đã hoàn thành", [(DONE, "3.1.2-c", None, None, None)]),
    ("- 3.3-a/ba-be: Tiến độ 80%", [(PROGRESS, "3.3-a/BA-BE", None, 80, None)]),
    ("3.1.6 - chưa có kinh phí", [(NOTE, "3.1.6", None, None, "chưa có kinh phí")]),
    ("3.3-d-1 hoàn thành ngày 01/02/2016", [(DONE, "3.3-d-1", date(2016, 2, 1), None, None)]),
])
def test_it_reads_each_form_of_reply(text, expected):
    assert read(text) == expected


def test_it_reads_several_tasks_and_keeps_a_following_line_as_the_note_of_the_task_above():
    assert read("3.1.1-a: Đã hoàn thành\nĐã trình UBND tỉnh ngày 15/12.\n3.1.1-b: tiến độ 50%") == [
        (DONE, "3.1.1-a", None, None, "Đã trình UBND tỉnh ngày 15/12."), (PROGRESS, "3.1.1-b", None, 50, None)]


def test_greetings_and_signatures_are_not_notes():
    assert read("Kính gửi Liên minh HTX,\n\nĐã hoàn thành\n\nTrân trọng,\nNguyễn Thị Lan\nSở KH&ĐT") == [
        (DONE, None, None, None, None)]
    assert read("Chào anh,\nĐơn vị đang chờ ý kiến Sở Tài chính.\n--\nLan") == [
        (NOTE, None, None, None, "Đơn vị đang chờ ý kiến Sở Tài chính.")]


def test_what_cannot_be_read_is_a_problem_not_a_guess():
    parsed = parse_reply("Hoàn thành ngày 31/02/2016\nTiến độ 150%\n3.1.2-c:")
    assert parsed.instructions == []
    assert [why for _, why, _ in parsed.problems] == [
        "ngày 31/02/2016 không có thật", "tiến độ 150% lớn hơn 100%", "chỉ có mã nhiệm vụ, không có nội dung"]


@pytest.mark.parametrize("quote", [
    "> Kính gửi Nguyễn Thị Lan,\n> - 3.1.1-b: Ban hành kế hoạch\n",
    "Vào Th 2, 1 thg 6, 2015 vào lúc 08:00 Dondoc <dondoc@example.org> đã viết:\n- 3.1.1-b: x\n",
    "On Mon, Jun 1, 2015 at 8:00 AM Dondoc <dondoc@example.org>\nwrote:\n- 3.1.1-b: x\n",
    "-----Original Message-----\nFrom: Dondoc\n- 3.1.1-b: x\n",
    "________________________________\nTừ: Dondoc <dondoc@example.org>\nGửi: Thứ Hai\n\n- 3.1.1-b: Đã hoàn thành\n",
    "## Trả lời phía trên dòng này để cập nhật ##\n\nKính gửi\n- 3.1.1-b: Đã hoàn thành\n",
    "Sent from my iPhone\n\n> 3.1.1-b: Đã hoàn thành",
])
def test_what_was_quoted_is_cut_off(quote):
    assert read(f"3.1.1-a: Đã hoàn thành\n\n{quote}") == [(DONE, "3.1.1-a", None, None, None)]


def test_an_html_reply_loses_its_quote_and_keeps_its_lines():
    html = ('<html><body><div>Tiến độ 70%</div><div>Đang chờ vốn<br>của tỉnh</div>'
            '<blockquote class="gmail_quote">3.1.1-b: Đã hoàn thành</blockquote>'
            '<div id="divRplyFwdMsg">From: Dondoc</div><hr><p>Old text</p></body></html>')
    text = html_to_text(html)
    assert "3.1.1-b" not in text and "Old text" not in text
    assert read(text) == [(PROGRESS, None, None, 70, "Đang chờ vốn\ncủa tỉnh")]


def test_reply_addresses_are_signed_for_one_message_and_one_recipient():
    addresses = ReplyAddresses("Dondoc <dondoc@lmhtx.example.org>", "key one")
    address = addresses.reply_to(1234, "Lan.NT@skhdt.example.org")
    assert address.startswith("dondoc+rya.") and address.endswith("@lmhtx.example.org")
    assert len(address.split("@")[0]) <= 64  # RFC 5321's limit on a local part
    tag = read_tag(address.upper())  # a server may fold the case
    assert (tag.purpose, tag.message_id) == (REPLY, 1234)
    assert addresses.is_genuine(tag, "lan.nt@skhdt.example.org")
    assert not addresses.is_genuine(tag, "hung.tv@skhdt.example.org")
    assert not ReplyAddresses("dondoc@lmhtx.example.org", "key two").is_genuine(tag, "lan.nt@skhdt.example.org")
    bounce = read_tag(addresses.return_path(1234, "lan.nt@skhdt.example.org"))
    assert bounce.purpose == BOUNCE and not addresses.is_genuine(
        type(tag)(REPLY, bounce.message_id, bounce.signature), "lan.nt@skhdt.example.org")  # purposes differ
    assert read_tag("dondoc@lmhtx.example.org") is None and read_tag("lan+r12@x.org") is None
    dash = ReplyAddresses("dondoc@lmhtx.example.org", "key one", "-")
    assert read_tag(dash.reply_to(7, "a@b.org")).message_id == 7


def test_auto_replies_are_recognised_by_their_headers_or_subject():
    def message(headers: str, subject: str = "Re: Nhắc việc") -> bytes:
        return (f"From: lan.nt@skhdt.example.org\r\nSubject: {subject}\r\n{headers}"
                "Content-Type: text/plain; charset=utf-8\r\n\r\nĐã hoàn thành\r\n").encode()

    assert not is_auto_reply(read_message(message("")))
    assert not is_auto_reply(read_message(message("Auto-Submitted: no\r\n")))
    for headers in ("Auto-Submitted: auto-replied\r\n", "X-Autoreply: yes\r\n", "Precedence: bulk\r\n",
                    "Precedence: auto_reply\r\n"):
        assert is_auto_reply(read_message(message(headers))), headers
    for subject in ("Out of Office: back on 15/06", "Automatic reply: Nhắc việc", "Trả lời tự động: Vắng mặt",
                    "=?utf-8?b?VuG6r25nIG3hurd0?="):  # "Vắng mặt"
        assert is_auto_reply(read_message(message("", subject))), subject


def test_a_delivery_status_report_is_read_field_by_field():
    from tests.inbox_support import delivery_report

    original = (b"Message-ID: <abc@lmhtx.example.org>\r\nFrom: Dondoc <dondoc@lmhtx.example.org>\r\n"
                b"To: lan.nt@skhdt.example.org\r\nSubject: x\r\nReply-To: dondoc+r1.aaaaaaaaaaaaaaaa@lmhtx.example.org"
                b"\r\n\r\nx\r\n")
    report = read_bounce(read_message(delivery_report(original, return_path="dondoc+b1.x@lmhtx.example.org",
                                                      recipient="Lan.NT@skhdt.example.org")))
    assert report.hard and report.recipients == ["lan.nt@skhdt.example.org"] and report.status == "5.1.1"
    assert report.original_message_id == "<abc@lmhtx.example.org>"
    assert "550 5.1.1" in report.reason and "User unknown" in report.reason
    delayed = read_bounce(read_message(delivery_report(original, return_path="x@y.org", recipient="a@b.org",
                                                       status="4.4.1", action="delayed")))
    assert not delayed.hard


def test_a_qmail_bounce_is_recognised_by_flufl_bounce():
    qmail = (b"From: MAILER-DAEMON@mail.stc.example.org\r\nTo: dondoc+b2.aaaaaaaaaaaaaaaa@lmhtx.example.org\r\n"
             b"Subject: failure notice\r\n\r\nHi. This is the qmail-send program at mail.stc.example.org.\r\n"
             b"I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
             b"This is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n"
             b"<mai.lt@stc.example.org>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
             b"--- Below this line is a copy of the message.\r\n\r\nMessage-ID: <def@lmhtx.example.org>\r\n")
    report = read_bounce(read_message(qmail))
    assert report.hard and report.recipients == ["mai.lt@stc.example.org"]
    assert report.original_message_id == "<def@lmhtx.example.org>" and "qmail-send" in report.reason


def test_a_message_without_a_message_id_is_keyed_by_its_bytes():
    raw = b"From: a@b.org\r\nSubject: x\r\n\r\nDa hoan thanh\r\n"
    assert read_message(raw).key.startswith("sha256:") and read_message(raw).key == read_message(raw).key
    assert written_text(read_message(raw)) == "Da hoan thanh"
