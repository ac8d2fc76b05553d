"""Reassignment end to end without a browser: the move, its credit, its emails, the reminders and
the reports following the new lead, a plan load keeping it; the CLI's refusals. (The browser flow
is tests/web/test_part_b_browser.py.)"""
from datetime import date

import pytest
from sqlmodel import Session, select

from dondoc.app import jobs
from models.agency import Agency
from models.audit import AuditEntry
from models.occurrence import Occurrence
from models.outbox import Message
from models.plan import Task
from models.reassignment import TaskReassignment, credited_agency, split_on_move
from models.status import StatusCategory, read_facts, summarize
from tests.conftest import BUNDLED_PLAN


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """These tests pin the English refusals (tests/cli/test_cli_language.py checks the Vietnamese ones)."""
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")

LAN = "lan.nt@skhdt.example.org"  # SKHDT's primary focal point
MAI = "mai.lt@stc.example.org"  # STC's


def _digest_names(box, address, ref) -> bool:
    """Did a daily digest to `address` list `ref`?"""
    return any(ref in m.text for m in box.to(address) if m.kind == "daily")


def _task(session, ref):
    return session.exec(select(Task).where(Task.ref == ref)).one()


def _agency_id(session, code):
    return session.exec(select(Agency.id).where(Agency.code == code)).one()


def test_a_done_occurrence_keeps_the_agency_that_held_it_and_an_open_one_follows_the_duty():
    assert split_on_move("done", None, old_lead=7) == 7
    assert split_on_move("done", 3, old_lead=7) == 3, "moved twice: still the agency that did it"
    assert split_on_move("open", None, old_lead=7) is None
    assert split_on_move("in_progress", None, old_lead=7) is None
    assert credited_agency(None, 9) == 9 and credited_agency(3, 9) == 3


def test_staff_move_a_duty_open_periods_move_done_ones_stay_credited_and_both_leads_are_emailed(loaded, engine):
    loaded.ok("task", "done", "3.1.1-a", "--due", "2015-12-31", "--on", "2015-12-20", "--today", "2016-01-15")
    result = loaded.ok("task", "reassign", "3.1.1-a", "--to", "STC", "--reason", "Quyết định 12/QĐ-UBND giao STC",
                       "--today", "2016-01-15")
    assert "SKHDT → STC" in result.output and "SKHDT -> STC" in result.output and "đã áp dụng" in result.output
    with Session(engine) as session:
        task = _task(session, "3.1.1-a")
        skhdt, stc = _agency_id(session, "SKHDT"), _agency_id(session, "STC")
        assert task.lead_agency_id == stc
        held = {o.due_date: o.held_by_agency_id for o in session.exec(select(Occurrence).where(Occurrence.task_id == task.id))}
        assert held[date(2015, 12, 31)] == skhdt
        assert all(v is None for d, v in held.items() if d != date(2015, 12, 31))
        audit = session.exec(select(AuditEntry).where(AuditEntry.ref == "3.1.1-a", AuditEntry.field == "reassignment")).one()
        assert audit.actor == "test" and audit.note == "Quyết định 12/QĐ-UBND giao STC"
        emails = session.exec(select(Message).where(Message.kind == "reassignment")).all()
        to = {m.recipient_email: m.subject for m in emails}
        assert to[LAN] == "[Đôn đốc] Nhiệm vụ 3.1.1-a được điều chuyển sang Sở Tài chính"
        assert to[MAI].startswith("[Đôn đốc] Nhiệm vụ 3.1.1-a được giao cho Sở Tài chính")
        # Reports per agency: SKHDT keeps the 2015 period it completed; STC has the rest.
        by_agency = summarize(read_facts(session), date(2016, 1, 15)).by_agency
        assert by_agency["SKHDT"][StatusCategory.DONE_ON_TIME] >= 1
        skhdt_facts = read_facts(session, agency_id=skhdt)
        mine = [f for f in skhdt_facts if f.ref == "3.1.1-a"]
        assert [p.due for f in mine for p in f.periods] == [date(2015, 12, 31)]
        stc_facts = [f for f in read_facts(session, agency_id=stc) if f.ref == "3.1.1-a"]
        assert date(2015, 12, 31) not in [p.due for f in stc_facts for p in f.periods]


def test_the_next_digest_goes_to_the_new_lead_and_not_the_old_one(context, smtp, loaded):
    box, _ = smtp
    loaded.ok("task", "reassign", "3.1.1-b", "--to", "STC", "--reason", "Giao lại", "--today", "2016-01-15")
    jobs.run_reminder_day(context, date(2016, 1, 15))  # 3.1.1-b is late since 31/12/2015
    assert _digest_names(box, MAI, "3.1.1-b")
    assert not _digest_names(box, LAN, "3.1.1-b")


def test_a_reassignment_from_a_later_day_waits_for_it_and_the_daily_job_applies_it(context, smtp, loaded):
    box, _ = smtp
    result = loaded.ok("task", "reassign", "3.1.1-b", "--to", "STC", "--from", "2016-01-20", "--reason", "Từ 20/01",
                       "--today", "2016-01-15")
    assert "chờ đến ngày hiệu lực" in result.output
    jobs.run_reminder_day(context, date(2016, 1, 15))
    assert _digest_names(box, LAN, "3.1.1-b"), "until its day the old lead holds it"
    assert not _digest_names(box, MAI, "3.1.1-b")
    box.clear()
    jobs.run_reminder_day(context, date(2016, 1, 22))  # a week after the last reminder
    assert _digest_names(box, MAI, "3.1.1-b")
    assert not _digest_names(box, LAN, "3.1.1-b")
    with Session(context.engine) as session:
        row = session.exec(select(TaskReassignment)).one()
        assert row.applied_at is not None
        assert _task(session, "3.1.1-b").lead_agency_id == _agency_id(session, "STC")


def test_loading_the_plan_again_keeps_the_reassignment_and_says_so(loaded, engine):
    loaded.ok("task", "reassign", "3.1.1-a", "--to", "STC", "--coordinators", "LMHTX", "--reason", "Giao STC",
              "--today", "2016-01-15")
    result = loaded.ok("plan", "load", BUNDLED_PLAN)
    assert "3.1.1-a: kept the reassignment of 15/01/2016 (lead STC; the plan file says SKHDT)" in result.output
    with Session(engine) as session:
        task = _task(session, "3.1.1-a")
        assert task.lead_agency_id == _agency_id(session, "STC")
        from models.plan import TaskCoordinator
        assert session.exec(select(TaskCoordinator.agency_id).where(TaskCoordinator.task_id == task.id)).all() == [
            _agency_id(session, "LMHTX")]


def test_a_reassignment_without_reason_to_an_unknown_agency_or_into_the_past_is_refused_and_nothing_changes(loaded, engine):
    cases = [
        (["--to", "STC", "--reason", " "], "a reassignment needs a reason"),
        (["--to", "NOPE", "--reason", "x"], "to: no agency with code NOPE"),
        (["--to", "STC", "--reason", "x", "--from", "2016-01-01"], "before today"),
        (["--to", "SKHDT", "--reason", "x"], "nothing to change"),
        (["--reason", "x"], "say --to"),
        (["--to", "STC", "--coordinators", "STC", "--reason", "x"], "cannot both lead and coordinate"),
    ]
    for args, message in cases:
        result = loaded("task", "reassign", "3.1.1-a", *args, "--today", "2016-01-15")
        assert result.exit_code == 2 and message in result.output, (args, result.output)
        assert "Traceback" not in result.output
    with Session(engine) as session:
        assert session.exec(select(TaskReassignment)).all() == []
        assert session.exec(select(Message).where(Message.kind == "reassignment")).all() == []
        assert _task(session, "3.1.1-a").lead_agency_id == _agency_id(session, "SKHDT")


def test_a_coordinating_agency_adds_a_contribution_and_another_agency_cannot(loaded, engine):
    ok = loaded.ok("task", "contribute", "3.1.1-a", "--agency", "LMHTX", "--note", "Đã góp ý dự thảo",
                   "--today", "2016-01-15")
    assert "đã ghi nhận ý kiến phối hợp của LMHTX" in ok.output
    refused = loaded("task", "contribute", "3.1.1-a", "--agency", "STC", "--note", "x", "--today", "2016-01-15")
    assert refused.exit_code == 2 and "STC does not coordinate 3.1.1-a" in refused.output
    with Session(engine) as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.field == "contribution")).all()
        assert [(e.new_value, e.note) for e in entries] == [("LMHTX", "Đã góp ý dự thảo")]


def test_a_completion_returned_after_the_duty_moved_is_the_new_leads_to_redo_and_counts_for_it(loaded, engine):
    loaded.ok("task", "done", "3.1.1-a", "--due", "2015-12-31", "--on", "2015-12-20", "--today", "2016-01-15")
    loaded.ok("task", "reassign", "3.1.1-a", "--to", "STC", "--reason", "Giao STC", "--today", "2016-01-15")
    loaded.ok("task", "return", "3.1.1-a", "--due", "2015-12-31", "--reason", "Chưa có văn bản", "--today", "2016-01-18")
    with Session(engine) as session:
        task = _task(session, "3.1.1-a")
        occ = session.exec(select(Occurrence).where(Occurrence.task_id == task.id,
                                                    Occurrence.due_date == date(2015, 12, 31))).one()
        assert occ.progress == "open" and occ.held_by_agency_id is None
        stc = [f for f in read_facts(session, agency_id=_agency_id(session, "STC")) if f.ref == "3.1.1-a"]
        assert date(2015, 12, 31) in [p.due for f in stc for p in f.periods]
        assert not [f for f in read_facts(session, agency_id=_agency_id(session, "SKHDT")) if f.ref == "3.1.1-a"]
        assert session.exec(select(AuditEntry).where(AuditEntry.field == "held_by_agency_id")).one().note == \
            "Chưa có văn bản"
