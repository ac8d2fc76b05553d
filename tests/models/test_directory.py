"""The agency directory in the database: import (differences, conflicts with changes made in the app,
--apply, --overwrite), export, people changed from the CLI with who and why, effective dates, deputy
cover, and the rule that no agency leading live tasks is left with nobody to remind."""
import json
from datetime import date, timedelta

import yaml
from sqlmodel import Session, select

from config import CONFIG_DIR
from dondoc.app import jobs
from models.agency import Agency, FocalPoint
from models.audit import AuditEntry
from models.directory import Duty, serving
from tests.conftest import AGENCIES, BUNDLED_PLAN

LAN, HUNG, HEAD = "lan.nt@skhdt.example.org", "hung.tv@skhdt.example.org", "giamdoc@skhdt.example.org"
HANG = "hang.dt@skhdt.example.org"


def person(engine, email):
    with Session(engine) as session:
        return session.exec(select(FocalPoint).where(FocalPoint.email == email)).one()


def without(path, tmp_path, email):
    """A copy of the directory file with one person left out."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for agency in data["agencies"]:
        agency["focal_points"] = [fp for fp in agency.get("focal_points", []) if fp["email"] != email]
    copy = tmp_path / "agencies-edited.yaml"
    copy.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return copy


def test_it_shows_a_conflict_and_changes_nothing_when_a_yaml_removes_a_person_changed_in_the_app(loaded, engine, tmp_path):
    loaded.ok("people", "edit", HUNG, "--phone", "0209 3870 123", "--address-as", "ông",
              "--reason", "anh Hùng báo số máy mới", "--today", "2016-01-15")
    edited = without(AGENCIES, tmp_path, HUNG)
    before = person(engine, HUNG)
    with Session(engine) as session:
        audit_rows = len(session.exec(select(AuditEntry)).all())

    shown = loaded.ok("agencies", "import", edited)
    assert "CONFLICT" in shown.output and "removed person SKHDT: Trần Văn Hùng <hung.tv@skhdt.example.org>" in shown.output
    assert "Nothing changed" in shown.output
    as_json = json.loads(loaded.ok("agencies", "import", edited, "--format", "json").output)
    assert [(d["action"], d["who"], d["conflict"]) for d in as_json] == [
        ("removed", "Trần Văn Hùng <hung.tv@skhdt.example.org>", True)]
    after = person(engine, HUNG)
    assert (after.active, after.phone, after.address_as) == (True, "0209 3870 123", "ông") == (
        before.active, before.phone, before.address_as)
    with Session(engine) as session:
        assert len(session.exec(select(AuditEntry)).all()) == audit_rows  # not a word written

    # --apply applies the rest and still leaves the app's change alone; --overwrite undoes it.
    applied = loaded.ok("agencies", "import", edited, "--apply", "--reason", "danh bạ tháng 1")
    assert "1 conflicts left as changed in the app" in applied.output
    assert person(engine, HUNG).active
    loaded.ok("agencies", "import", edited, "--apply", "--overwrite", "--reason", "anh Hùng nghỉ hưu")
    assert not person(engine, HUNG).active
    with Session(engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.entity_id == after.id,
                                                      AuditEntry.entity == "focal_point",
                                                      AuditEntry.field == "active")).one()
    assert (entry.old_value, entry.new_value, entry.actor) == ("True", "False", "test")
    assert entry.note == "import agencies-edited.yaml: anh Hùng nghỉ hưu"


def test_it_names_each_difference_of_an_import_and_applies_only_with_apply(loaded, engine, tmp_path):
    data = yaml.safe_load(AGENCIES.read_text(encoding="utf-8"))
    skhdt = next(a for a in data["agencies"] if a["code"] == "SKHDT")
    skhdt["identifier_code"] = "000.00.13.H06"
    skhdt["focal_points"][0]["email"] = "lan.nguyen@skhdt.example.org"  # a new address: one added, one removed
    skhdt["focal_points"].append({"name": "Vi Thị Nga", "email": "nga.vt@skhdt.example.org", "role": "deputy",
                                  "phone": "0912 345 678", "address_as": "bà"})
    data["agencies"].append({"code": "SYT", "name_vi": "Sở Y tế", "name_en": "Department of Health",
                             "kind": "department"})
    edited = tmp_path / "agencies.yaml"
    edited.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    shown = loaded.ok("agencies", "import", edited).output
    for line in ("changed agency SKHDT: Sở Kế hoạch và Đầu tư (identifier_code: — → 000.00.13.H06)",
                 "added person SKHDT: Nguyễn Thị Lan <lan.nguyen@skhdt.example.org>",
                 "added person SKHDT: Vi Thị Nga <nga.vt@skhdt.example.org>",
                 "removed person SKHDT: Nguyễn Thị Lan <lan.nt@skhdt.example.org>",
                 "added agency SYT: Sở Y tế"):
        assert line in shown
    with Session(engine) as session:
        assert session.exec(select(Agency).where(Agency.code == "SYT")).first() is None

    loaded.ok("agencies", "import", edited, "--apply", "--reason", "danh bạ mới")
    assert not person(engine, LAN).active and person(engine, "nga.vt@skhdt.example.org").address_as == "bà"
    exported = tmp_path / "export.yaml"
    loaded.ok("agencies", "export", "--out", exported)
    again = yaml.safe_load(exported.read_text(encoding="utf-8"))
    skhdt = next(a for a in again["agencies"] if a["code"] == "SKHDT")
    assert skhdt["identifier_code"] == "000.00.13.H06" and skhdt["province"] == "Bắc Kạn"
    assert any({"name": "Nguyễn Thị Lan", "email": LAN, "role": "primary", "active": False}.items() <= fp.items()
               for fp in skhdt["focal_points"])
    # The export is the directory: importing it changes nothing.
    assert "Không có khác biệt" in loaded.ok("agencies", "import", exported).output
    # And plan load no longer touches the directory.
    loaded_again = loaded.ok("plan", "load", BUNDLED_PLAN).output
    assert "Danh bạ cơ quan" not in loaded_again and "Agency directory" not in loaded_again
    assert not person(engine, LAN).active


def test_it_refuses_a_bad_directory_file_naming_the_line(loaded, tmp_path, monkeypatch):
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")  # the English message is the one checked here
    bad = tmp_path / "bad.yaml"
    bad.write_text("agencies:\n  - code: SKHDT\n    name_vi: Sở\n    name_en: Dept\n    kind: department\n"
                   "    identifier_code: 'not a code'\n", encoding="utf-8")
    result = loaded("agencies", "import", bad, "--apply")
    assert result.exit_code == 2 and "bad.yaml:6: agency SKHDT: identifier_code: 'not a code' is not an identifier code" in result.output
    assert "Traceback" not in result.output


def test_it_replaces_a_focal_point_from_a_day_and_the_audit_says_who_and_why(loaded, engine):
    out = loaded.ok("people", "replace", LAN, "--name", "Đỗ Thị Hằng", "--email", HANG, "--address-as", "bà",
                    "--from", "2016-02-01", "--reason", "chị Lan chuyển công tác", "--today", "2016-01-15").output
    assert "replaces Nguyễn Thị Lan" in out and "from 01/02/2016" in out
    lan, hang = person(engine, LAN), person(engine, HANG)
    assert lan.active and lan.active_until == date(2016, 1, 31) and hang.active_from == date(2016, 2, 1)
    before = {d.email for d in jobs.plan_reminders(loaded_context(loaded), date(2016, 1, 29)).digests}
    after = {d.email for d in jobs.plan_reminders(loaded_context(loaded), date(2016, 2, 1)).digests}
    assert LAN in before and HANG not in before
    assert HANG in after and LAN not in after
    history = loaded.ok("people", "history", "SKHDT", "--format", "json").output
    rows = json.loads(history)
    assert {"actor": "test", "field": "replaces", "old": LAN, "new": HANG,
            "why": "chị Lan chuyển công tác (từ ngày 01/02/2016)"}.items() <= {
        k: v for row in rows if row["field"] == "replaces" for k, v in row.items()}.items()


def loaded_context(cli):
    from dondoc.app.context import AppContext
    return AppContext(cli.settings)


def test_it_never_leaves_an_agency_leading_live_tasks_with_nobody(loaded, engine):
    result = loaded("people", "deactivate", "minh.lv@sgtvt.example.org", "--reason", "nghỉ việc", "--today", "2016-01-15")
    assert result.exit_code == 2
    assert "SGTVT" in result.output and "3.1.5-a" in result.output and "không còn ai nhận nhắc việc" in result.output
    assert person(engine, "minh.lv@sgtvt.example.org").active
    # With the head left, the head is named as the fallback and reads the reminders.
    loaded.ok("people", "deactivate", HUNG, "--reason", "nghỉ hưu", "--today", "2016-01-15")
    result = loaded.ok("people", "deactivate", LAN, "--reason", "chuyển công tác", "--today", "2016-01-15")
    assert "cảnh báo: SKHDT: chỉ còn thủ trưởng" in result.output and "giamdoc@skhdt.example.org" in result.output
    assert "(thủ trưởng nhận thay)" in result.output and "fallback" not in result.output
    show = loaded.ok("agencies", "show", "SKHDT", "--today", "2016-01-15", "--format", "json").output
    head = next(row for row in json.loads(show) if row["email"] == HEAD)
    assert head["receives_today"] == "reminders (head as fallback)"
    assert HEAD in {d.email for d in jobs.plan_reminders(loaded_context(loaded), date(2016, 1, 15)).digests}
    # A reason is required.
    assert loaded("people", "edit", HEAD, "--phone", "0209 111 222", "--reason", " ").exit_code == 2


def test_it_sends_three_days_of_digests_to_the_deputy_while_the_primary_is_away(settings, cli, engine, tmp_path):
    policy = yaml.safe_load((CONFIG_DIR / "policy.yaml").read_text(encoding="utf-8"))
    policy["reminders"]["deputies"] = "when_covering"
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
    cli.settings = settings.model_copy(update={"policy_file": policy_file})
    cli.ok("plan", "load", BUNDLED_PLAN)
    cli.ok("people", "away", LAN, "--from", "2016-01-13", "--to", "2016-01-15", "--reason", "chị Lan đi tập huấn",
           "--today", "2016-01-11")
    context = loaded_context(cli)
    days = [date(2016, 1, 11) + timedelta(days=n) for n in range(12)]  # two working weeks
    readers = {}
    for day in days:
        planned = jobs.plan_reminders(context, day)
        if planned.working_day:
            readers[day] = {d.email for d in planned.digests} & {LAN, HUNG}
    context.close()
    away = {date(2016, 1, 13), date(2016, 1, 14), date(2016, 1, 15)}
    assert len(readers) == 10
    for day, who in readers.items():
        assert who == ({HUNG} if day in away else {LAN}), day
    show = cli.ok("agencies", "show", "SKHDT", "--today", "2016-01-14", "--format", "json").output
    states = {row["email"]: (row["state"], row["receives_today"]) for row in json.loads(show)}
    assert states[LAN] == ("away until 15/01/2016", "—") and states[HUNG] == ("active", "reminders")


def test_the_serving_rule_is_a_function_of_the_day():
    rows = [Duty("lan", "primary", None, None, date(2016, 1, 13), date(2016, 1, 15)),
            Duty("hung", "deputy", None, None, None, None),
            Duty("quang", "head", None, None, None, None),
            Duty("hang", "primary", date(2016, 2, 1), None, None, None)]

    def names(day, deputies="always"):
        readers, heads, fallback = serving(rows, day, deputies=deputies)
        return [r.person for r in readers], [r.person for r in heads], fallback

    assert names(date(2016, 1, 12)) == (["lan", "hung"], ["quang"], False)
    assert names(date(2016, 1, 12), "when_covering") == (["lan"], ["quang"], False)
    assert names(date(2016, 1, 14), "when_covering") == (["hung"], ["quang"], False)
    assert names(date(2016, 2, 1), "when_covering") == (["lan", "hang"], ["quang"], False)
    assert serving(rows[2:3], date(2016, 1, 14)) == ([rows[2]], [], True)


def test_tasks_and_overdue_take_a_plan_filter_and_show_the_plan(loaded, monkeypatch):
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")  # the English message is the one checked here
    every = json.loads(loaded.ok("tasks", "--plan", "BK-KTTT-2015-2020", "--format", "json").output)
    assert len(every) == 147 and {row["plan"] for row in every} == {"BK-KTTT-2015-2020"}
    late = json.loads(loaded.ok("overdue", "--plan", "BK-KTTT-2015-2020", "--today", "2016-01-15",
                                "--format", "json").output)
    assert late and {row["plan"] for row in late} == {"BK-KTTT-2015-2020"}
    unknown = loaded("overdue", "--plan", "HA-GIANG-2020")
    assert unknown.exit_code == 2 and "no plan with code HA-GIANG-2020" in unknown.output


def test_the_migration_gives_existing_agencies_their_plans_province(database_url):
    from alembic import command
    from sqlalchemy import create_engine, text

    from models.db import alembic_config

    engine = create_engine(database_url)
    try:
        command.upgrade(alembic_config(engine), "0014_reply_by_email")
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO agency (code, name_vi, name_en, kind) "
                                    "VALUES ('SKHDT', 'Sở Kế hoạch và Đầu tư', 'Planning', 'department')"))
            connection.execute(text(
                "INSERT INTO plan (code, title, province, horizon_start, horizon_end, source, loaded_at) VALUES "
                "('BK', 'Kế hoạch', 'Bắc Kạn', '2015-01-01', '2020-12-31', '', '2015-01-01 00:00:00+07')"))
        command.upgrade(alembic_config(engine), "head")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT province, identifier_code FROM agency")).one() == ("Bắc Kạn", None)
    finally:
        engine.dispose()


def test_plan_load_warns_when_a_plan_names_another_provinces_agency(loaded, engine, monkeypatch):
    from models.db import transaction
    with transaction(engine) as session:
        session.exec(select(Agency).where(Agency.code == "SKHDT")).one().province = "Hà Giang"
    result = loaded.ok("plan", "load", BUNDLED_PLAN)
    assert "cảnh báo: kế hoạch của Bắc Kạn nhưng cơ quan chủ trì SKHDT thuộc Hà Giang" in result.stderr
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")
    result = loaded.ok("plan", "load", BUNDLED_PLAN)
    assert "warning: the plan is Bắc Kạn's but its lead SKHDT belongs to Hà Giang" in result.stderr


def test_the_head_as_fallback_warning_is_in_english_when_asked(loaded, monkeypatch):
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")
    loaded.ok("people", "deactivate", HUNG, "--reason", "retired", "--today", "2016-01-15")
    result = loaded.ok("people", "deactivate", LAN, "--reason", "moved", "--today", "2016-01-15")
    assert "warning: SKHDT: only the head, " in result.output and "(the head as fallback)" in result.output
    assert "thủ trưởng" not in result.output
