"""`dondoc plan load`: idempotent, updates in place with audit, refuses bad files whole."""
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from models import AuditEntry, Occurrence, Task
from tests.conftest import BUNDLED_PLAN


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """These tests pin the English refusals (tests/cli/test_cli_language.py checks the Vietnamese ones)."""
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")


def counts(engine):
    with Session(engine) as session:
        return tuple(session.exec(select(func.count()).select_from(model)).one() for model in (Task, Occurrence, AuditEntry))


def edited_plan(tmp_path: Path, old: str, new: str, count: int = 1) -> Path:
    text = BUNDLED_PLAN.read_text(encoding="utf-8")
    assert text.count(old) >= count, old
    path = tmp_path / "plan.yaml"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return path


def test_loading_the_same_plan_twice_changes_nothing(loaded, engine):
    before = counts(engine)
    result = loaded.ok("plan", "load", BUNDLED_PLAN)
    assert "nothing changed" in result.stdout
    assert counts(engine) == before


def test_an_edited_due_date_updates_the_task_in_place_and_is_audited(loaded, engine, tmp_path):
    path = edited_plan(tmp_path, "  due: 2015-12-31\n  deadline_phrase: trong năm 2015\n",
                       "  due: 2016-03-31\n  deadline_phrase: trong năm 2015\n")
    tasks_before = counts(engine)[0]
    loaded.ok("plan", "load", path)
    assert counts(engine)[0] == tasks_before
    with Session(engine) as session:
        task = session.exec(select(Task).where(Task.ref == "3.1.1-b")).one()
        assert task.due_date.isoformat() == "2016-03-31"
        dues = [o.due_date.isoformat() for o in session.exec(select(Occurrence).where(Occurrence.task_id == task.id))]
        assert dues == ["2016-03-31"]
        changes = session.exec(select(AuditEntry).where(AuditEntry.ref == "3.1.1-b", AuditEntry.field == "due_date")).all()
        assert [(c.old_value, c.new_value) for c in changes] == [("2015-12-31", "2016-03-31")]


def test_a_schedule_change_keeps_an_occurrence_that_has_recorded_progress(loaded, engine, tmp_path):
    loaded.ok("task", "progress", "3.1.1-b", "--percent", "50")
    path = edited_plan(tmp_path, "  due: 2015-12-31\n  deadline_phrase: trong năm 2015\n",
                       "  due: 2016-03-31\n  deadline_phrase: trong năm 2015\n")
    loaded.ok("plan", "load", path)
    with Session(engine) as session:
        task = session.exec(select(Task).where(Task.ref == "3.1.1-b")).one()
        kinds = {o.due_date.isoformat(): o.kind for o in session.exec(select(Occurrence).where(Occurrence.task_id == task.id))}
        assert kinds == {"2015-12-31": "withdrawn", "2016-03-31": "deadline"}
    before = counts(engine)
    loaded.ok("plan", "load", path)
    assert counts(engine) == before, "reloading the edited file changes nothing more"


def test_a_task_removed_from_the_file_is_retired_not_deleted(loaded, engine, tmp_path):
    text = BUNDLED_PLAN.read_text(encoding="utf-8")
    start = text.index("- ref: 3.1.6\n")
    end = text.index("- ref: 3.1.7-a\n")
    path = tmp_path / "plan.yaml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    loaded.ok("plan", "load", path)
    with Session(engine) as session:
        task = session.exec(select(Task).where(Task.ref == "3.1.6")).one()
        assert task.retired
    assert "3.1.6" not in loaded.ok("tasks", "--format", "json").stdout


BAD_FILES = {
    "malformed YAML": ("  lead: SKHDT\n", "  lead: [SKHDT\n", "malformed YAML"),
    "an unknown agency code": ("  lead: STC\n", "  lead: SO-KHONG-CO\n", "unknown agency code SO-KHONG-CO"),
    "an invalid date": ("  due: 2015-06-30\n", "  due: 2015-02-30\n", "due"),
    "an invalid RRULE": ("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1", "FREQ=SOMETIMES", "not a valid RRULE"),
    "a one-off task without a date": ("  timing: one-off\n  due: 2015-06-30\n", "  timing: one-off\n", "needs a due date"),
}


@pytest.mark.parametrize("old,new,message", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_plan_file_is_refused_with_file_line_and_reason_and_nothing_written(cli, settings, tmp_path, old, new, message):
    path = edited_plan(tmp_path, old, new)
    original = BUNDLED_PLAN.read_text(encoding="utf-8")
    changed_line = original[: original.index(old)].count("\n") + 1
    entry_line = original[: original.index(old)].rindex("- ref:")
    entry_line = original[:entry_line].count("\n") + 1
    result = cli("plan", "load", path)
    assert result.exit_code == 2, result.output
    assert str(path) in result.output and message in result.output
    reported = int(result.output.split(str(path) + ":")[1].split(":")[0])
    assert entry_line <= reported <= changed_line + 1, f"line {reported} is not within the bad entry: {result.output}"
    assert "Traceback" not in result.output
    from dondoc.app.context import AppContext
    context = AppContext(settings)
    assert counts(context.engine) == (0, 0, 0), "nothing was written"
    context.close()


def test_a_duplicate_ref_is_refused_naming_both_lines(cli, tmp_path):
    path = edited_plan(tmp_path, "- ref: 3.1.1-b\n", "- ref: 3.1.1-a\n")
    result = cli("plan", "load", path)
    assert result.exit_code == 2
    assert "duplicate ref 3.1.1-a (first at line" in result.output


def test_a_file_that_is_not_utf8_is_refused(cli, tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_bytes(BUNDLED_PLAN.read_text(encoding="utf-8").encode("utf-16"))
    result = cli("plan", "load", path)
    assert result.exit_code == 2
    assert "is not UTF-8" in result.output


def test_a_missing_file_is_refused(cli, tmp_path):
    result = cli("plan", "load", tmp_path / "nope.yaml")
    assert result.exit_code == 2 and "cannot read the file" in result.output


def test_a_bad_row_late_in_the_file_leaves_the_database_untouched(loaded, engine, tmp_path):
    """One transaction: the valid first part of a bad file is not written either."""
    before = counts(engine)
    path = edited_plan(tmp_path, "  lead: BCD\n", "  lead: KHONG-CO\n")
    text = path.read_text(encoding="utf-8").replace("  due: 2015-12-31\n  deadline_phrase: trong năm 2015\n",
                                                     "  due: 2016-12-31\n  deadline_phrase: trong năm 2015\n", 1)
    path.write_text(text, encoding="utf-8")
    assert loaded("plan", "load", path).exit_code == 2
    assert counts(engine) == before


def test_a_lead_with_no_focal_point_is_named_in_a_warning_and_the_plan_still_loads(cli, tmp_path, monkeypatch):
    directory = (Path(__file__).parents[2] / "config" / "agencies.yaml").read_text(encoding="utf-8")
    placeholder = "      - {name: Đầu mối các Trường chuyên nghiệp (chưa cử), email: daumoi@truongcn.example.org, role: primary}\n"
    assert placeholder in directory
    agencies = tmp_path / "agencies.yaml"
    agencies.write_text(directory.replace(placeholder, "").replace(
        "    kind: other\n    focal_points:\n  - code: TT-DAY-NGHE", "    kind: other\n  - code: TT-DAY-NGHE"),
        encoding="utf-8")
    result = cli.ok("plan", "load", BUNDLED_PLAN, "--agencies", agencies)
    assert "147 tasks created" in result.stdout
    assert "warning: TRUONG-CN leads 2 task(s) (3.1.14-a/TRUONG-CN, 3.1.14-b/TRUONG-CN) but has no active focal point" \
        in result.stderr
    monkeypatch.delenv("DONDOC_LANGUAGE")  # loaded again, nothing changes, the warning stays: in Vietnamese by default
    result = cli.ok("plan", "load", BUNDLED_PLAN, "--agencies", agencies)
    assert "cảnh báo: TRUONG-CN chủ trì 2 nhiệm vụ (3.1.14-a/TRUONG-CN, 3.1.14-b/TRUONG-CN) nhưng không có đầu mối " \
        "nào đang hoạt động" in result.stderr
    assert "Kế hoạch BK-KTTT-2015-2020: đã cập nhật sẵn, không có gì thay đổi." in result.stdout


def test_the_bundled_directory_leaves_no_lead_without_a_focal_point(loaded):
    assert "warning" not in loaded.ok("plan", "load", BUNDLED_PLAN).stderr
