"""Recording completion and progress, always through the append-only audit."""
import json

import pytest
from sqlmodel import Session, select

from models.audit import AuditEntry, AuditIsAppendOnly


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """These tests pin the English refusals (tests/cli/test_cli_language.py checks the Vietnamese ones)."""
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")


def test_a_fanned_out_duty_needs_the_agency_share_named(loaded):
    result = loaded("task", "done", "3.3-a", "--on", "2015-06-01")
    assert result.exit_code == 2
    assert "3.3-a/BA-BE" in result.output


def test_done_picks_the_earliest_open_occurrence_and_records_it_in_the_audit(loaded):
    loaded.ok("task", "done", "3.1.1-a", "--on", "2015-12-20", "--note", "Kế hoạch năm 2016 đã trình")
    shown = json.loads(loaded.ok("task", "show", "3.1.1-a", "--today", "2016-01-15", "--format", "json").stdout)
    first = shown["occurrences"][0]
    assert (first["due"], first["status"], first["note"]) == ("2015-12-31", "done_on_time", "Kế hoạch năm 2016 đã trình")
    fields = {(h["field"], h["new"]) for h in shown["history"]}
    assert ("progress", "done") in fields and ("completed_on", "2015-12-20") in fields
    assert all(h["actor"] == "test" for h in shown["history"] if h["field"] == "progress")


def test_done_for_a_named_due_date(loaded):
    loaded.ok("task", "done", "3.3-d-2/NA-RI", "--due", "2015-09-30", "--on", "2015-10-02")
    shown = json.loads(loaded.ok("task", "show", "3.3-d-2/NA-RI", "--today", "2016-01-15", "--format", "json").stdout)
    by_due = {o["due"]: o["status"] for o in shown["occurrences"]}
    assert by_due["2015-09-30"] == "done_late"
    assert by_due["2015-06-30"] == "open_overdue"


def test_a_due_date_the_task_lacks_is_refused_with_its_real_dates(loaded):
    result = loaded("task", "done", "3.1.1-b", "--due", "2016-03-01", "--on", "2016-03-01")
    assert result.exit_code == 2
    assert "31/12/2015" in result.output


def test_progress_is_recorded_with_its_percentage(loaded):
    loaded.ok("task", "progress", "3.1.1-b", "--percent", "40", "--note", "Đang xây dựng dự thảo cơ chế")
    shown = json.loads(loaded.ok("task", "show", "3.1.1-b", "--today", "2015-05-01", "--format", "json").stdout)
    assert shown["occurrences"][0]["percent"] == 40
    assert shown["occurrences"][0]["status"] == "open_in_time"


def test_a_percentage_above_100_is_refused(loaded):
    result = loaded("task", "progress", "3.1.10", "--percent", "140")
    assert result.exit_code == 2 and "between 0 and 100" in result.output


def test_an_unknown_ref_is_refused(loaded):
    result = loaded("task", "done", "9.9.9", "--on", "2016-01-01")
    assert result.exit_code == 2 and "no task with ref 9.9.9" in result.output


def test_audit_entries_can_be_neither_changed_nor_deleted(loaded, engine):
    with Session(engine) as session:
        entry = session.exec(select(AuditEntry)).first()
        entry.note = "rewritten"
        with pytest.raises(AuditIsAppendOnly):
            session.commit()
        session.rollback()
        session.delete(session.exec(select(AuditEntry)).first())
        with pytest.raises(AuditIsAppendOnly):
            session.commit()
