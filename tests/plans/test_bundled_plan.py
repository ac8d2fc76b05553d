"""The reviewed Bắc Kạn plan: every responsibility of 3.1-3.3 and section 4 with its owner and dates."""
import json
from datetime import date

import pytest

from tests.conftest import BUNDLED_PLAN

DISTRICTS = ["TX-BAC-KAN", "BA-BE", "BACH-THONG", "CHO-DON", "CHO-MOI", "NA-RI", "NGAN-SON", "PAC-NAM"]

# ref -> lead, for every responsibility the plan assigns outside the group fan-outs.
LEADS = {
    "3.1.1-a": "SKHDT", "3.1.1-b": "SKHDT",
    "3.1.2-a": "STC", "3.1.2-b": "STC", "3.1.2-c": "STC",
    "3.1.3-a": "SNNPTNT", "3.1.3-b": "SNNPTNT", "3.1.3-c": "SNNPTNT",
    "3.1.4-a": "SCT", "3.1.4-b": "SCT", "3.1.4-c": "SCT",
    "3.1.5-a": "SGTVT", "3.1.5-b": "SGTVT",
    "3.1.6": "SXD",
    "3.1.7-a": "SNV", "3.1.7-b": "SNV",
    "3.1.8": "STNMT", "3.1.9": "SLDTBXH", "3.1.10": "STTTT", "3.1.11": "SKHCN", "3.1.12": "NHNN",
    "3.1.13": "CUC-THUE",
    "3.2.1": "LMHTX", **{f"3.2.2-{letter}": "LMHTX" for letter in "abcdefghijk"}, "3.2.3": "LMHTX",
    "3.2.4-a": "LMHTX", "3.2.4-b": "LMHTX",
    "4.1-a": "BCD", "4.1-b": "BCD",
}
DISTRICT_REFS = ["3.3-a", "3.3-b", "3.3-c", "3.3-d-1", "3.3-d-2", "3.3-d-2b", "3.3-e"]
# 3.1.14 names four training bodies and nobody "chủ trì": each leads its own share.
JOINT = {"3.1.14-a": ["TRUONG-CT", "TTBDCT-HUYEN", "TRUONG-CN", "TT-DAY-NGHE"],
         "3.1.14-b": ["TRUONG-CT", "TTBDCT-HUYEN", "TRUONG-CN", "TT-DAY-NGHE"]}
DATED = {"3.1.1-b": "2015-12-31", "3.1.2-c": "2015-12-31", "3.1.14-a": "2015-12-31", "3.3-a": "2015-06-30",
         "4.2-a": "2015-06-30"}


@pytest.fixture
def tasks(loaded):
    return {t["ref"]: t for t in json.loads(loaded.ok("tasks", "--format", "json").stdout)}


def test_every_responsibility_outside_the_fan_outs_has_its_lead(tasks):
    assert {ref: tasks[ref]["lead"] for ref in LEADS} == LEADS


def test_joint_leads_each_lead_their_own_share(tasks):
    for ref, leads in JOINT.items():
        assert ref not in tasks
        assert {tasks[f"{ref}/{code}"]["lead"] for code in leads} == set(leads)
        assert "LMHTX" in tasks[f"{ref}/TRUONG-CT"]["coordinating"]


def test_every_duty_of_the_districts_fans_out_to_the_eight_district_level_units(tasks):
    for ref in DISTRICT_REFS:
        shares = sorted(r for r in tasks if r.startswith(ref + "/"))
        assert shares == sorted(f"{ref}/{d}" for d in DISTRICTS), ref
        assert all(tasks[s]["lead"] == s.split("/")[1] for s in shares)
    assert "3.3-d" not in tasks and not any(r.startswith("3.3-d/") for r in tasks), \
        "the bullet that only introduces + items is not a task"


def test_section_4_2_fans_out_to_every_department_and_district(tasks):
    shares = [r for r in tasks if r.startswith("4.2-b/")]
    assert len(shares) == 14 + 8
    assert "4.2-b/SKHDT" in shares and "4.2-b/PAC-NAM" in shares


def test_dated_duties_carry_the_date_the_text_gives(tasks):
    for ref, due in DATED.items():
        matching = [t for r, t in tasks.items() if r == ref or r.startswith(ref + "/")]
        assert matching and all(t["due"] == due and t["timing"] == "one-off" for t in matching), ref


def test_recurring_duties_carry_an_rrule(tasks):
    assert tasks["3.1.1-a"]["rrule"] == "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31"
    assert tasks["3.3-d-2/BA-BE"]["rrule"] == "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1"
    assert tasks["3.2.4-a"]["rrule"] == "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31"
    assert tasks["3.2.4-b"]["rrule"] == "FREQ=YEARLY;INTERVAL=2;BYMONTH=4;BYMONTHDAY=11"
    assert tasks["3.2.1"]["timing"] == "ongoing"
    assert tasks["3.1.6"]["timing"] == "undated"


def test_every_task_has_an_owner_and_a_next_due_date_at_the_start(loaded):
    rows = json.loads(loaded.ok("tasks", "--today", "2015-01-01", "--format", "json").stdout)
    assert len(rows) == len(LEADS) + 4 * 2 + 7 * 8 + 2 * 22
    assert all(r["lead"] and r["lead_name"] for r in rows)
    # Every duty has its next due date, but those without a deadline, which have none.
    assert all(bool(r["next_due"]) == (r["duty_status"] != "no_deadline") for r in rows)
    assert {r["timing"] for r in rows if r["duty_status"] == "no_deadline"} == {"undated", "ongoing"}


def test_coordinating_agencies_are_listed_with_groups_expanded(tasks):
    assert "LMHTX" in tasks["3.1.1-a"]["coordinating"]
    assert set(DISTRICTS) <= set(tasks["3.1.1-a"]["coordinating"])
    assert tasks["3.1.2-a"]["coordinating"] == ["LMHTX", "SKHDT"]


def test_the_plan_file_keeps_the_plan_text_verbatim():
    text = BUNDLED_PLAN.read_text(encoding="utf-8")
    assert "Hàng quý, năm báo cáo tình hình tổ hợp tác, hợp tác xã theo hướng dẫn của Liên minh Hợp tác xã tỉnh" in text
