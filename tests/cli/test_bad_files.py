"""Plan and agency files, review inputs and notes that once got into the database (or hung the
load, or failed inside PostgreSQL) and are now refused with their file, line and field."""
from datetime import date, datetime, timezone

import pytest
from sqlmodel import Session, select

from models.audit import AuditEntry, record
from models.review.inputs import Asked, AskedTask, ReviewInvalid, validate_inputs
from tests.abuse_support import snapshot
from tests.conftest import AGENCIES, BUNDLED_PLAN

LONG_REF = "3" + ".1" * 36 + "-a"  # 75 characters: fits, but not with /TX-BAC-KAN after it

PLAN_EDITS = {
    "a plan code longer than the database's column": (
        "  code: BK-KTTT-2015-2020\n", f"  code: {'K' * 81}\n", "plan.code", "at most 80 characters"),
    "a section longer than the database's column": (
        "  section: 3.1.1\n", f"  section: '{'3' * 41}'\n", "section", "at most 40 characters"),
    "a fanned-out ref longer than the database's column": (
        "- ref: 3.3-a\n", f"- ref: {LONG_REF}\n", "ref", f"{LONG_REF}/TX-BAC-KAN is longer than 80"),
    "a rule repeating every second": (
        "rrule: FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31\n  anchor: 2015-12-31", "rrule: FREQ=SECONDLY\n  anchor: 2015-12-31",
        "rrule", "yearly, monthly, weekly or daily"),
    "a daily rule that never matches": (
        "rrule: FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31\n  anchor: 2015-12-31",
        "rrule: FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30\n  anchor: 2015-12-31", "rrule", "daily rule takes no BY"),
    "a yearly rule that never matches": (
        "rrule: FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31\n  anchor: 2015-12-31",
        "rrule: FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30\n  anchor: 2015-12-31", "rrule", "gives no due date"),
    "an anchor centuries before the horizon": (
        "  anchor: 2015-12-31\n", "  anchor: 0001-12-31\n", "anchor", "outside the plan's horizon"),
    "a horizon of a thousand years": (
        "  horizon_end: 2020-12-31\n", "  horizon_end: 3020-12-31\n", "plan", "longer than 30 years"),
    "a title with a control character": (
        "  title: Xây dựng Kế hoạch phát triển kinh tế tập thể hàng năm\n",
        '  title: "Xây dựng\\x1b[31m Kế hoạch"\n', "title", "control character"),
}
AGENCY_EDITS = {
    "an agency code used twice": ("  - code: STC\n", "  - code: SKHDT\n", "agencies", "the code SKHDT is used twice"),
    "a code both agency and group": ("  - code: SO-BAN-NGANH\n", "  - code: STC\n", "", "STC is both an agency and a group"),
    "one address twice for an agency": (
        "      - {name: Trần Văn Hùng, email: hung.tv@skhdt.example.org, role: deputy}\n",
        "      - {name: Trần Văn Hùng, email: LAN.NT@skhdt.example.org, role: deputy}\n", "focal_points",
        "LAN.NT@skhdt.example.org is listed twice"),
    "an agency code longer than the database's column": ("  - code: STC\n", f"  - code: {'S' * 41}\n", "code",
                                                         "at most 40 characters"),
    "a group naming an unknown member": ("members: [TX-BAC-KAN,", "members: [NOWHERE, TX-BAC-KAN,", "",
                                         "group UBND-HUYEN names unknown members: NOWHERE"),
}


def edited(source, tmp_path, old, new):
    text = source.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / source.name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def assert_refused(cli, engine, args, path, field, message):
    before = snapshot(engine)
    result = cli("plan", "load", *args)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {path}:") and field in result.output and message in result.output, \
        result.output
    assert "Traceback" not in result.output
    assert snapshot(engine) == before


@pytest.mark.parametrize("old,new,field,message", PLAN_EDITS.values(), ids=PLAN_EDITS.keys())
def test_a_plan_file_beyond_what_the_database_and_the_schedule_can_hold_is_refused(loaded, engine, tmp_path, old, new,
                                                                                   field, message):
    path = edited(BUNDLED_PLAN, tmp_path, old, new)
    assert_refused(loaded, engine, [path], path, field, message)


@pytest.mark.parametrize("old,new,field,message", AGENCY_EDITS.values(), ids=AGENCY_EDITS.keys())
def test_an_agency_file_with_clashing_or_oversized_entries_is_refused_naming_its_line(loaded, engine, tmp_path, old,
                                                                                      new, field, message):
    path = edited(AGENCIES, tmp_path, old, new)
    assert_refused(loaded, engine, [BUNDLED_PLAN, "--agencies", path], path, field, message)


def test_a_yaml_file_with_a_character_yaml_refuses_names_its_line_on_one_line(cli, engine, tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text("plan:\n  code: X\n  title: a\x08b\n", encoding="utf-8")
    result = cli("plan", "load", path)
    assert result.exit_code == 2
    assert result.output == f"error: {path}:3: holds a character YAML does not allow (U+0008)\n"


ASKED = Asked("BA-BE", 2015, [AskedTask(1, "3.3-a/BA-BE", "Kiện toàn", date(2015, 6, 30))], asks_indicators=True)
COUNTS = {"cooperatives_total": 80, "new_established": 3, "operating_effectively": 20, "weak": 5,
          "converted_2012_law": 40, "dissolved": 1, "model_cooperatives": 2, "officers_total": 60, "officers_trained": 30}


@pytest.mark.parametrize("change,field", [
    ({"indicators": {**COUNTS, "cooperatives_total": 10 ** 30}}, "indicators.cooperatives_total"),
    ({"indicators": {**COUNTS, "officers_total": 2 ** 63}}, "indicators.officers_total"),
    ({"notes": "ý kiến\x00"}, "notes"),
    ({"tasks": [{"ref": "3.3-a/BA-BE", "status": "in_progress", "result": "kết quả\x07"}]}, "tasks[3.3-a/BA-BE].result"),
])
def test_review_inputs_too_large_for_the_database_or_with_control_characters_are_refused(change, field):
    raw = {"tasks": [{"ref": "3.3-a/BA-BE", "status": "in_progress", "progress": 50}], "indicators": COUNTS, **change}
    with pytest.raises(ReviewInvalid) as refused:
        validate_inputs(raw, ASKED, date(2015, 11, 10))
    assert [e.field for e in refused.value.errors] == [field]


def test_the_audit_keeps_a_long_actor_and_ref_within_its_columns(engine):
    actor, ref = "web:focal:" + "a" * 200 + "@example.org", "P" * 80 + "/2015/" + "A" * 40
    with Session(engine) as session:
        record(session, at=datetime(2016, 1, 15, tzinfo=timezone.utc), actor=actor, entity="review_request",
               entity_id=1, field="submission", ref=ref)
        session.commit()
        entry = session.exec(select(AuditEntry)).one()
    assert (entry.actor, entry.ref) == (actor[:120], ref[:120])
