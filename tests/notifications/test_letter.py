"""What every email says around its content: the salutation from the directory, the plan by its name
and number, one subject prefix for every kind, the sender from the organization file."""
from datetime import date
from pathlib import Path

from config.settings import Settings
from models.plan import Plan
from models.status import period_label
from notifications.letter import SUBJECT_PREFIX, plan_name, salutation
from notifications.render import KINDS, TEMPLATES


def test_the_salutation_uses_the_form_of_address_and_title_and_defaults_to_dong_chi():
    assert salutation("vi", "Nguyễn Văn A", "ông", "Phó Giám đốc Sở Kế hoạch và Đầu tư") == \
        "Kính gửi ông Nguyễn Văn A, Phó Giám đốc Sở Kế hoạch và Đầu tư,"
    assert salutation("vi", "Lê Thị Mai", "Bà") == "Kính gửi bà Lê Thị Mai,"
    assert salutation("vi", "Hoàng Văn Nam") == "Kính gửi đồng chí Hoàng Văn Nam,"
    assert salutation("vi", "Hoàng Văn Nam", "  ", "") == "Kính gửi đồng chí Hoàng Văn Nam,"
    assert salutation("en", "Lê Thị Mai", "bà", "Director") == "Dear Ms Lê Thị Mai (Director),"
    assert salutation("en", "Hoàng Văn Nam") == "Dear Hoàng Văn Nam,"


def test_the_plan_is_named_by_its_title_and_number_never_its_code():
    plan = Plan(code="BK-KTTT-2015-2020", title="Kế hoạch triển khai thực hiện Chương trình hành động số 19-CTr/TU.",
                number="85/KH-UBND", issuer="Ủy ban nhân dân tỉnh Bắc Kạn", horizon_start="2015-01-01",
                horizon_end="2020-12-31")
    assert plan_name(plan) == ("Kế hoạch triển khai thực hiện Chương trình hành động số 19-CTr/TU "
                               "(số 85/KH-UBND của Ủy ban nhân dân tỉnh Bắc Kạn)")
    assert "No. 85/KH-UBND" in plan_name(plan, "en")
    plan.number = None
    assert plan_name(plan) == "Kế hoạch triển khai thực hiện Chương trình hành động số 19-CTr/TU (Ủy ban nhân dân tỉnh Bắc Kạn)"
    assert "BK-KTTT" not in plan_name(plan) + plan_name(plan, "en")


def test_every_kind_has_one_subject_prefix_and_includes_the_signature():
    assert SUBJECT_PREFIX == {"vi": "[Đôn đốc]", "en": "[Follow-up]"}
    for kind in KINDS:
        for language in ("vi", "en"):
            folder = TEMPLATES / kind / language
            assert (folder / "subject.txt").read_text(encoding="utf-8").startswith("{{ prefix }} "), (kind, language)
            for body in ("body.txt", "body.html"):
                text = (folder / body).read_text(encoding="utf-8")
                assert f'{{% include "_letter/{language}/signature.{body.split(".")[1]}" %}}' in text, (kind, body)
                assert "{{ salutation }}" in text, (kind, body)
    every_template = "".join(p.read_text(encoding="utf-8") for p in Path(TEMPLATES).rglob("*.*"))
    assert "[dondoc]" not in every_template.lower() and "anh/chị" not in every_template


def test_the_sender_is_the_organization_unless_mail_from_is_set():
    assert Settings().resolved_mail_from == "Liên minh Hợp tác xã tỉnh Bắc Kạn <lienminh-htx@example.org>"
    assert Settings(mail_from="Đôn đốc <dondoc@lmhtx.example.org>").resolved_mail_from == \
        "Đôn đốc <dondoc@lmhtx.example.org>"


def test_a_periodic_line_names_its_period_in_either_language():
    assert period_label(date(2015, 6, 30), "FREQ=MONTHLY;INTERVAL=3") == "Quý II/2015"
    assert period_label(date(2015, 6, 30), "FREQ=MONTHLY;INTERVAL=3", "en") == "Q2 2015"
    assert period_label(date(2016, 3, 31), "FREQ=MONTHLY", "en") == "March 2016"
    assert period_label(date(2017, 12, 31), "FREQ=YEARLY", "en") == "2017"
