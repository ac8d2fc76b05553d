"""Whole plans: the seed reproduces the curated plan file; the other fixtures their expected output."""
import json
from pathlib import Path

import pytest
import yaml

from config.files import read_agency_file, read_plan_file
from config.policy import read_policy
from models.plan_parser import parse_plan
from models.plan_parser.output import plan_file, to_json
from tests.conftest import AGENCIES, BUNDLED_PLAN, CONFIG_DIR, FIXTURES


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """These tests pin the English refusals (tests/cli/test_cli_language.py checks the Vietnamese ones)."""
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")

PLANS = FIXTURES / "plans"
SEED = PLANS / "bac-kan-2015-2020.txt"
POLICY = read_policy(CONFIG_DIR / "policy.yaml")
# Everything the parser reads off the text. Titles (of tasks and of the plan) and the plan's
# code are editorial: a person writes them, so they are never compared.
COMPARED = ["ref", "section", "lead", "coordinating", "timing", "due", "rrule", "anchor", "deadline_phrase",
            "date_source", "text"]
FIXTURE_PLANS = ["cao-bang-cds-2021-2025", "lao-cai-htx-2023-2025", "ha-giang-ntm-2021-2025"]


@pytest.fixture(scope="module")
def seed_parsed():
    return parse_plan(SEED.read_text(encoding="utf-8"), read_agency_file(AGENCIES), POLICY)


def test_the_seed_reproduces_the_curated_plan_file_except_what_a_person_decided(seed_parsed):
    curated, _ = read_plan_file(BUNDLED_PLAN)
    parsed = plan_file(seed_parsed)
    # A person split some paragraphs into several duties (overrides: [ref, ...]): 3.2.4 into 3.2.4-a and
    # 3.2.4-b, 3.3-d-2's yearly district plan off as 3.3-d-2b. Every other entry is the parser's, in order.
    split = [t for t in curated.tasks if "ref" in t.overrides]
    kept = [t for t in curated.tasks if "ref" not in t.overrides]
    parsed_refs = [t["ref"] for t in parsed["tasks"]]
    unmatched = [r for r in parsed_refs if r not in {t.ref for t in kept}]
    assert all(any(t.ref.startswith(r) for t in split) for r in unmatched), unmatched
    parsed_kept = [t for t in parsed["tasks"] if t["ref"] not in unmatched]
    assert [t["ref"] for t in parsed_kept] == [t.ref for t in kept]
    differences = []
    for mine, theirs in zip(parsed_kept, kept):
        for name in COMPARED:
            if name not in theirs.overrides and mine.get(name) != getattr(theirs, name):
                differences.append((theirs.ref, name, mine.get(name), getattr(theirs, name)))
    assert differences == []
    assert (seed_parsed.horizon_start, seed_parsed.horizon_end) == (curated.plan.horizon_start, curated.plan.horizon_end)


def test_the_curated_overrides_are_the_only_places_the_parser_is_not_followed(seed_parsed):
    curated, _ = read_plan_file(BUNDLED_PLAN)
    overridden = {t.ref: set(t.overrides) for t in curated.tasks if t.overrides}
    parsed = {t["ref"]: t for t in plan_file(seed_parsed)["tasks"]}
    # 4.1-a and 4.2-b carry the review's own dates; the parser reads the text's plain "hằng năm".
    assert parsed["4.2-b"]["anchor"].isoformat() == "2015-12-31" and "anchor" in overridden["4.2-b"]
    assert parsed["4.1-a"]["rrule"] == "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31" and "rrule" in overridden["4.1-a"]


def test_the_seed_warns_where_a_person_has_to_decide(seed_parsed):
    messages = {(w.line, w.message.split(":")[0]) for w in seed_parsed.warnings}
    assert (56, "4 agencies share this duty (Trường Chính trị tỉnh, Trung tâm bồi dưỡng chính trị các huyện, thị xã, "
                "Các Trường chuyên nghiệp của tỉnh, Các Trung tâm dạy nghề)") in messages
    assert (72, "3.2.2-k") in messages  # the bare "Định kỳ"
    assert (81, "3.3-d-2") in messages  # "Hàng quý, năm" and later "hàng năm"


@pytest.mark.parametrize("name", FIXTURE_PLANS)
def test_a_fixture_plan_gives_its_expected_output(name):
    directory = read_agency_file(PLANS / f"{name}.agencies.yaml")
    got = to_json(parse_plan((PLANS / f"{name}.txt").read_text(encoding="utf-8"), directory, POLICY))
    expected = json.loads((PLANS / f"{name}.expected.json").read_text(encoding="utf-8"))
    for document in (got, expected):
        document["plan"].pop("title")
        for task in document["tasks"]:
            task.pop("title")
    assert got["plan"] == expected["plan"]
    assert [t["ref"] for t in got["tasks"]] == [t["ref"] for t in expected["tasks"]]
    for mine, theirs in zip(got["tasks"], expected["tasks"]):
        assert mine == theirs, mine["ref"]
    assert got["warnings"] == expected["warnings"]


def test_every_deadline_phrase_of_the_issue_appears_in_some_fixture():
    phrases = [t["deadline_phrase"] for name in FIXTURE_PLANS
               for t in json.loads((PLANS / f"{name}.expected.json").read_text(encoding="utf-8"))["tasks"]]
    phrases += [t.deadline_phrase for t in read_plan_file(BUNDLED_PLAN)[0].tasks]
    wanted = ["trong năm", "trong quý II năm", "quý IV, năm", "trong tháng 9 năm 2023", "trước ngày 30/6/2023",
              "trước ngày 15 tháng 7 hằng năm", "trước ngày 20/6 và ngày 20/12 hằng năm", "hàng năm", "hằng năm",
              "mỗi năm", "định kỳ hàng năm", "hằng quý", "Hàng quý, năm", "hàng tháng", "định kỳ 6 tháng",
              "hai năm một lần", "thường xuyên", "định kỳ"]
    missing = [w for w in wanted if not any(p and (p.casefold() == w.casefold() or
                                                  p.casefold().startswith(w.casefold() + " ")) for p in phrases)]
    assert missing == []


def test_the_roman_numeral_plan_keeps_its_numbering_in_refs():
    refs = [t["ref"] for t in json.loads((PLANS / "lao-cai-htx-2023-2025.expected.json").read_text())["tasks"]]
    assert refs[:3] == ["II.1-a-1", "II.1-a-2", "II.1-b"] and "III.2" in refs


def test_parsing_the_seed_on_the_command_line_gives_a_plan_file_that_loads(cli, tmp_path):
    parsed = cli.ok("plan", "parse", SEED)
    assert f"{SEED}:72: warning: 3.2.2-k:" in parsed.stderr
    path = tmp_path / "plan.yaml"
    path.write_text(parsed.stdout, encoding="utf-8")
    assert yaml.safe_load(parsed.stdout)["plan"]["horizon_end"].isoformat() == "2020-12-31"
    loaded = cli.ok("plan", "load", path)
    # No due date at the horizon's end for duties without one (823 before they stopped being invented).
    assert "133 tasks created" in loaded.stdout and "774 due dates added" in loaded.stdout


def test_the_parsers_warnings_are_in_vietnamese_by_default(cli, monkeypatch):
    monkeypatch.delenv("DONDOC_LANGUAGE")  # (this file's fixture asks for English)
    said = cli.ok("plan", "parse", SEED).stderr
    assert f"{SEED}:72: cảnh báo: 3.2.2-k: 'Định kỳ' không nêu kỳ: hiểu theo mặc định của chính sách" in said, said
    assert f"{SEED}:74: cảnh báo: 3.2.4: nêu 2 chu kỳ" in said and "cảnh báo: mục 1, 2 không nêu cơ quan chủ trì" in said
    assert "warning" not in said and " names " not in said and "taken from" not in said, said


def test_the_json_output_names_agencies_and_codes(cli):
    data = json.loads(cli.ok("plan", "parse", SEED, "--format", "json").stdout)
    task = next(t for t in data["tasks"] if t["ref"] == "3.1.12")
    assert (task["lead"], task["lead_code"], task["line"]) == ("Chi nhánh Ngân hàng Nhà nước tỉnh", "NHNN", 54)
    assert task["coordinating"] == ["Liên minh Hợp tác xã tỉnh", "Ủy ban nhân dân các huyện, thị xã"]
    assert data["plan"]["horizon_start"] == "2015-01-01" and {"line", "message"} == set(data["warnings"][0])


def test_an_agency_missing_from_the_directory_is_kept_so_that_plan_load_names_its_line(cli, tmp_path):
    agencies = PLANS / "cao-bang-cds-2021-2025.agencies.yaml"
    parsed = cli.ok("plan", "parse", PLANS / "cao-bang-cds-2021-2025.txt", "--agencies", agencies)
    assert "warning: agency 'Bưu điện tỉnh' is not in the agency directory" in parsed.stderr
    path = tmp_path / "plan.yaml"
    path.write_text(parsed.stdout, encoding="utf-8")
    refused = cli("plan", "load", path, "--agencies", agencies)
    assert refused.exit_code == 2
    assert "unknown agency code Bưu điện tỉnh" in refused.stderr and f"{path}:" in refused.stderr


def test_a_fixture_plan_with_a_complete_directory_loads(cli, tmp_path):
    agencies = PLANS / "lao-cai-htx-2023-2025.agencies.yaml"
    parsed = cli.ok("plan", "parse", PLANS / "lao-cai-htx-2023-2025.txt", "--agencies", agencies)
    path = tmp_path / "plan.yaml"
    path.write_text(parsed.stdout, encoding="utf-8")
    # 10 duties (II.2-a-2 names two cadences: two duties); the two led by the group of 5
    # (3 departments + 2 districts) fan out: 8 + 2 x 5.
    assert "18 tasks created" in cli.ok("plan", "load", path, "--agencies", agencies).stdout
