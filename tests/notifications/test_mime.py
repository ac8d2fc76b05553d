"""The MIME message as queued: built once with `emails`, dated by our clock, the same bytes every time."""
from datetime import datetime
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime

from models.clock import VN_TZ
from notifications.outbox import bodies_of, build_mime

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
