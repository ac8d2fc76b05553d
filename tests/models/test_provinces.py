"""Two provinces' directories in one database: Bắc Kạn's (loaded with its plan) and Cao Bằng's, whose
file uses the same codes (SKHDT, STC, UBND-HUYEN). A plan is matched against its own province's
directory only; what it cannot match is listed with what to do; neither import clobbers the other."""
import json

import pytest
from sqlmodel import Session, select

from models.agency import Agency, FocalPoint
from models.audit import AuditEntry
from models.db import make_engine
from tests.conftest import FIXTURES

PLANS = FIXTURES / "plans"
CAO_BANG_PLAN = PLANS / "cao-bang-cds-2021-2025.txt"
CAO_BANG_DIRECTORY = PLANS / "cao-bang-cds-2021-2025.agencies.yaml"
SEED = PLANS / "bac-kan-2015-2020.txt"


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """These tests pin the English refusals (DONDOC_LANGUAGE=en; Vietnamese is the default)."""
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")


def _agency(cli, code: str) -> Agency:
    engine = make_engine(cli.settings.database_url)
    try:
        with Session(engine) as session:
            agency = session.exec(select(Agency).where(Agency.code == code)).first()
            people = session.exec(select(FocalPoint).where(FocalPoint.agency_id == agency.id)).all() if agency else []
            return agency, len(people)
    finally:
        engine.dispose()


def _names(data: dict) -> dict:
    """Every agency name the parsed plan holds (leads and coordinators), with the code it matched."""
    names = {}
    for task in data["tasks"]:
        names[task["lead"]] = task["lead_code"]
        names.update(zip(task["coordinating"], task["coordinating_codes"]))
    names.pop(None, None)
    return names


def test_another_provinces_plan_does_not_match_bac_kans_agencies_and_lists_them(loaded):
    parsed = loaded.ok("plan", "parse", CAO_BANG_PLAN, "--format", "json")
    data = json.loads(parsed.stdout)
    assert data["plan"]["province"] == "Cao Bằng"
    names = _names(data)
    assert names["Sở Kế hoạch và Đầu tư"] is None  # not Bắc Kạn's SKHDT
    assert names["Sở Tài chính"] is None and all(code is None for code in names.values()), names
    listed = next(line for line in parsed.stderr.splitlines() if "agency names are not in Cao Bằng's directory" in line)
    assert "Sở Kế hoạch và Đầu tư" in listed and "Sở Tài chính" in listed
    assert "dondoc agencies import FILE --apply" in listed and "--add" in listed


def test_the_same_plan_still_matches_its_own_provinces_agencies(loaded):
    data = json.loads(loaded.ok("plan", "parse", SEED, "--format", "json").stdout)
    task = next(t for t in data["tasks"] if t["ref"] == "3.1.12")
    assert task["lead_code"] == "NHNN" and data["plan"]["province"] == "Bắc Kạn"


def test_a_second_provinces_directory_with_the_same_codes_is_refused_then_imported_with_a_prefix(loaded):
    before, people_before = _agency(loaded, "SKHDT")
    refused = loaded("agencies", "import", CAO_BANG_DIRECTORY, "--province", "Cao Bằng", "--apply",
                     "--reason", "danh bạ Cao Bằng")
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert "SKHDT (Sở Kế hoạch và Đầu tư, Bắc Kạn)" in refused.output and "--prefix" in refused.output
    assert "UBND-HUYEN" in refused.output  # Bắc Kạn's group of districts too

    shown = loaded.ok("agencies", "import", CAO_BANG_DIRECTORY, "--province", "Cao Bằng", "--prefix", "CB-").stdout
    assert "added agency CB-SKHDT: Sở Kế hoạch và Đầu tư" in shown
    assert "kept agency" not in shown  # Bắc Kạn's agencies are not this file's business
    loaded.ok("agencies", "import", CAO_BANG_DIRECTORY, "--province", "Cao Bằng", "--prefix", "CB-", "--apply",
              "--reason", "danh bạ Cao Bằng")

    after, people_after = _agency(loaded, "SKHDT")
    assert (after.name_vi, after.province, people_after) == (before.name_vi, "Bắc Kạn", people_before)
    theirs, _ = _agency(loaded, "CB-SKHDT")
    assert (theirs.name_vi, theirs.province) == ("Sở Kế hoạch và Đầu tư", "Cao Bằng")

    cao_bang = json.loads(loaded.ok("agencies", "list", "--province", "tỉnh CAO BẰNG", "--format", "json").stdout)
    assert {"CB-SKHDT", "CB-STC", "CB-TP-CAO-BANG"} <= {a["code"] for a in cao_bang}
    assert all(a["province"] == "Cao Bằng" for a in cao_bang)
    bac_kan = json.loads(loaded.ok("agencies", "list", "--province", "Bắc Kạn", "--format", "json").stdout)
    assert "SKHDT" in {a["code"] for a in bac_kan} and not any(a["code"].startswith("CB-") for a in bac_kan)
    exported = loaded.ok("agencies", "export", "--province", "Cao Bằng").stdout
    assert "code: CB-SKHDT" in exported and "code: CB-UBND-HUYEN" in exported and "code: SKHDT\n" not in exported
    assert "code: UBND-HUYEN\n" in loaded.ok("agencies", "export", "--province", "Bắc Kạn").stdout
    unknown = loaded("agencies", "list", "--province", "Hà Giang")
    assert unknown.exit_code == 2 and "Bắc Kạn" in unknown.output and "Cao Bằng" in unknown.output

    # Now the Cao Bằng plan matches Cao Bằng's agencies, and only what its directory lacks is listed.
    parsed = loaded.ok("plan", "parse", CAO_BANG_PLAN, "--format", "json")
    names = _names(json.loads(parsed.stdout))
    assert names["Sở Kế hoạch và Đầu tư"] == "CB-SKHDT" and names["Sở Tài chính"] == "CB-STC"
    assert "2 agency names are not in Cao Bằng's directory: Bưu điện tỉnh; Viễn thông Cao Bằng" in parsed.stderr
    # And the Bắc Kạn plan still matches Bắc Kạn's.
    seed = json.loads(loaded.ok("plan", "parse", SEED, "--format", "json").stdout)
    assert not any((t["lead_code"] or "").startswith("CB-") for t in seed["tasks"])


def test_the_guided_import_adds_a_missing_agency_to_the_plans_province_in_the_database(loaded, tmp_path):
    loaded.ok("agencies", "import", CAO_BANG_DIRECTORY, "--province", "Cao Bằng", "--prefix", "CB-", "--apply",
              "--reason", "danh bạ Cao Bằng")
    refused = loaded("plan", "import", CAO_BANG_PLAN)
    assert refused.exit_code == 2 and "Bưu điện tỉnh" in refused.stderr and "Cao Bằng's directory" in refused.stderr
    taken = loaded("plan", "import", CAO_BANG_PLAN, "--add", "Bưu điện tỉnh=SKHDT", "--yes")
    assert taken.exit_code == 2 and "SKHDT is already Bắc Kạn's" in taken.output
    result = loaded.ok("plan", "import", CAO_BANG_PLAN, "--add", "Bưu điện tỉnh=CB-BDT:other:Provincial Post",
                       "--add", "Viễn thông Cao Bằng=CB-VNPT:other", "--yes")
    assert "tasks created" in result.stdout
    added, _ = _agency(loaded, "CB-BDT")
    assert (added.name_vi, added.name_en, added.kind, added.province) == (
        "Bưu điện tỉnh", "Provincial Post", "other", "Cao Bằng")
    engine = make_engine(loaded.settings.database_url)
    try:
        with Session(engine) as session:
            audit = session.exec(select(AuditEntry).where(AuditEntry.entity == "agency",
                                                          AuditEntry.entity_id == added.id)).one()
    finally:
        engine.dispose()
    assert audit.field == "created" and "guided import" in audit.note
    tasks = json.loads(loaded.ok("tasks", "--format", "json").stdout)
    assert any("CB-BDT" in t["coordinating"] for t in tasks)  # the new agency is named by the plan's duties
    cao_bang = [t for t in tasks if t["plan"] != "BK-KTTT-2015-2020"]
    assert cao_bang and not any("SKHDT" in t["coordinating"] or t["lead"] == "SKHDT" for t in cao_bang)


def test_an_identifier_code_must_have_the_shape_of_decision_20_2020_and_is_exported(loaded, tmp_path):
    base = ("agencies:\n  - code: CB-SNN\n    name_vi: Sở Nông nghiệp và Phát triển nông thôn\n"
            "    name_en: Department of Agriculture\n    kind: department\n    province: Cao Bằng\n")
    for bad in ("000.00.31", "0.0.31.H06", "000.00.31.h06", "000.00.31.106", "000.00.31.H06.1"):
        path = tmp_path / "bad.yaml"
        path.write_text(base + f"    identifier_code: '{bad}'\n", encoding="utf-8")
        refused = loaded("agencies", "import", path, "--apply", "--reason", "mã định danh")
        assert refused.exit_code == 2 and f"bad.yaml:7: agency CB-SNN: identifier_code: '{bad}' is not an identifier " \
            "code (mã định danh of Decision 20/2020/QĐ-TTg" in refused.output, (bad, refused.output)
        assert "Traceback" not in refused.output
    good = tmp_path / "good.yaml"
    good.write_text(base + "    identifier_code: 000.00.12.H03\n", encoding="utf-8")
    loaded.ok("agencies", "import", good, "--apply", "--reason", "mã định danh")
    listed = loaded.ok("agencies", "list", "--province", "Cao Bằng", "--format", "csv").stdout
    assert "CB-SNN" in listed and "000.00.12.H03" in listed
    exported = loaded.ok("agencies", "export").stdout
    assert "identifier_code: 000.00.12.H03" in exported


def test_an_agencys_identifier_code_is_set_on_the_command_line_checked_and_audited(loaded):
    refused = loaded("agencies", "edit", "STC", "--identifier-code", "12.H06", "--reason", "mã định danh")
    assert refused.exit_code == 2 and "'12.H06' is not an identifier code" in refused.output
    assert "Traceback" not in refused.output
    assert "changed identifier_code" in loaded.ok("agencies", "edit", "STC", "--identifier-code", "000.00.12.H06",
                                                  "--reason", "mã định danh theo QĐ 20/2020").stdout
    assert "mã định danh 000.00.12.H06" in loaded.ok("agencies", "show", "STC").stdout
    assert "nothing changed" in loaded.ok("agencies", "edit", "STC", "--identifier-code", "000.00.12.H06",
                                          "--reason", "again").stdout
    history = loaded.ok("people", "history", "STC").stdout
    assert "000.00.12.H06" in history and "mã định danh theo QĐ 20/2020" in history
