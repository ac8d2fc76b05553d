"""Extension requests, returned reports and explanation requests through `dondoc task ...`: the rules
(models/task_work.py), the emails queued in the outbox, the status, reminders and reports that follow.

Lan is the SKHDT primary focal point (Hùng its deputy), which leads 3.1.1-a (yearly, due 31/12);
Mai is BA-BE's; Alice is Alliance staff."""
import json

import pytest
from sqlmodel import Session, select

from models.accounts import add_staff_user
from models.agency import Agency, FocalPoint
from models.clock import FixedClock
from models.db import transaction
from models.occurrence import Occurrence
from models.outbox import Message
from models.plan import Task
from models.task_work import TaskRequest
from datetime import date

LAN, HUNG, ALICE = "lan.nt@skhdt.example.org", "hung.tv@skhdt.example.org", "alice@lmhtx.example.org"
MAI = "mai@babe.example.org"


@pytest.fixture(autouse=True)
def english(monkeypatch):
    """The refusals checked here are the English ones (the Vietnamese default is tests/cli/test_cli_language.py's)."""
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")



@pytest.fixture
def office(loaded, engine):
    with transaction(engine) as session:
        add_staff_user(session, email=ALICE, name="Alice Nguyễn", password="mật khẩu dài 2016", actor="test",
                       now=FixedClock.on(date(2015, 12, 1)).now())
        babe = session.exec(select(Agency).where(Agency.code == "BA-BE")).one()
        session.add(FocalPoint(agency_id=babe.id, name="Mai Hoàng", email=MAI, role="primary"))
    return loaded


def mails(engine, kind="task_work"):
    with Session(engine) as session:
        return [(m.recipient_email, m.subject) for m in session.exec(select(Message).where(Message.kind == kind)
                                                                      .order_by(Message.id))]


def occurrence(engine, ref, original):
    with Session(engine) as session:
        task = session.exec(select(Task).where(Task.ref == ref)).one()
        return session.exec(select(Occurrence).where(Occurrence.task_id == task.id,
                                                     (Occurrence.due_date == original) | (Occurrence.original_due == original))).one()


def show(cli, ref, today):
    return json.loads(cli.ok("task", "show", ref, "--today", today, "--format", "json").stdout)


def test_an_approved_extension_moves_the_due_date_in_force_and_keeps_the_original(office, engine):
    out = office.ok("task", "extend", "3.1.1-a", "--to", "2016-02-29", "--reason", "Chờ số liệu thống kê năm",
                    "--by", LAN, "--today", "2015-12-20").stdout
    assert "đề nghị gia hạn số 1" in out and "31/12/2015 → 29/02/2016" in out
    assert mails(engine) == [(ALICE, "[Đôn đốc] Đề nghị gia hạn nhiệm vụ 3.1.1-a (hạn 31/12/2015)")]
    office.ok("task", "decide", "1", "--approve", "--to", "2016-01-31", "--note", "Đồng ý một tháng",
              "--today", "2015-12-22")
    occ = occurrence(engine, "3.1.1-a", date(2015, 12, 31))
    assert (occ.due_date, occ.original_due) == (date(2016, 1, 31), date(2015, 12, 31))
    told = mails(engine)[1:]
    assert {to for to, _ in told} == {LAN, HUNG}
    assert all(subject == "[Đôn đốc] Đồng ý gia hạn nhiệm vụ 3.1.1-a đến ngày 31/01/2016" for _, subject in told)
    # Judged against the approved date: within it on 15/01/2016, overdue from 01/02/2016.
    assert show(office, "3.1.1-a", "2016-01-15")["occurrences"][0]["status"] == "open_in_time"
    assert show(office, "3.1.1-a", "2016-02-01")["occurrences"][0]["status"] == "open_overdue"
    overdue = json.loads(office.ok("overdue", "--today", "2016-01-15", "--format", "json").stdout)
    assert "3.1.1-a" not in {row["ref"] for row in overdue}
    history = show(office, "3.1.1-a", "2016-01-15")["history"]
    assert ("extension_requested", f"cli:focal:{LAN}", "Chờ số liệu thống kê năm") in {
        (h["field"], h["actor"], h["note"]) for h in history}
    assert ("due_date", "2015-12-31", "2016-01-31", "test") in {(h["field"], h["old"], h["new"], h["actor"]) for h in history}


def test_a_completion_within_the_extended_date_is_on_time(office):
    office.ok("task", "extend", "3.1.1-a", "--to", "2016-01-31", "--reason", "Chờ số liệu", "--by", LAN,
              "--today", "2015-12-20")
    office.ok("task", "decide", "1", "--approve", "--today", "2015-12-21")
    office.ok("task", "done", "3.1.1-a", "--due", "2015-12-31", "--on", "2016-01-20", "--today", "2016-01-20")
    first = show(office, "3.1.1-a", "2016-01-25")["occurrences"][0]
    assert (first["due"], first["original_due"], first["status"]) == ("2016-01-31", "2015-12-31", "done_on_time")


def test_a_focal_point_cannot_approve_their_own_extension(office, engine):
    office.ok("task", "extend", "3.1.1-a", "--to", "2016-01-31", "--reason", "Chờ số liệu", "--by", LAN,
              "--today", "2015-12-20")
    result = office("task", "decide", "1", "--approve", "--by", LAN, "--today", "2015-12-21")
    assert result.exit_code == 2 and "only staff decide on extensions" in result.output
    assert occurrence(engine, "3.1.1-a", date(2015, 12, 31)).original_due is None
    assert len(mails(engine)) == 1  # the request's, nothing for a decision not made


def test_another_agencys_focal_point_cannot_ask_to_extend_a_duty_not_theirs(office, engine):
    result = office("task", "extend", "3.1.1-a", "--to", "2016-01-31", "--reason", "x", "--by", MAI,
                    "--today", "2015-12-20")
    assert result.exit_code == 2 and "only the lead agency's focal points or staff" in result.output
    with Session(engine) as session:
        assert session.exec(select(TaskRequest)).all() == []


def test_a_refusal_needs_a_note_and_keeps_the_due_date(office, engine):
    office.ok("task", "extend", "3.1.1-a", "--to", "2016-01-31", "--reason", "Chờ số liệu", "--by", LAN,
              "--today", "2015-12-20")
    result = office("task", "decide", "1", "--refuse", "--today", "2015-12-21")
    assert result.exit_code == 2 and "a refusal needs a note" in result.output
    office.ok("task", "decide", "1", "--refuse", "--note", "Đã quá nhiều lần chậm", "--today", "2015-12-21")
    assert occurrence(engine, "3.1.1-a", date(2015, 12, 31)).due_date == date(2015, 12, 31)
    assert {s for _, s in mails(engine)[1:]} == {"[Đôn đốc] Không đồng ý gia hạn nhiệm vụ 3.1.1-a"}
    result = office("task", "decide", "1", "--approve", "--today", "2015-12-22")
    assert result.exit_code == 2 and "decided already" in result.output


def test_the_policy_caps_the_extensions_of_one_occurrence(office, settings, tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text(settings.policy_file.read_text(encoding="utf-8").replace(
        "max_extensions_per_occurrence: 2", "max_extensions_per_occurrence: 1"), encoding="utf-8")
    office.settings = settings.model_copy(update=dict(policy_file=policy))
    office.ok("task", "extend", "3.1.1-a", "--to", "2016-01-31", "--reason", "Lần một", "--today", "2015-12-20")
    office.ok("task", "decide", "1", "--approve", "--today", "2015-12-20")
    result = office("task", "extend", "3.1.1-a", "--due", "2015-12-31", "--to", "2016-02-28", "--reason", "Lần hai",
                    "--today", "2016-01-20")
    assert result.exit_code == 2 and "extended 1 times already" in result.output


def test_a_new_date_not_after_the_one_in_force_is_refused(office):
    result = office("task", "extend", "3.1.1-a", "--to", "2015-12-01", "--reason", "x", "--today", "2015-11-20")
    assert result.exit_code == 2 and "must come after the one in force (31/12/2015)" in result.output


def test_a_returned_report_opens_the_occurrence_again_and_tells_the_lead(office, engine):
    office.ok("task", "done", "3.1.1-a", "--on", "2015-12-20", "--note", "Đã trình", "--today", "2015-12-20")
    result = office("task", "return", "3.1.1-a", "--reason", "Thiếu văn bản", "--by", LAN, "--today", "2016-01-05")
    assert result.exit_code == 2 and "only staff may return" in result.output
    out = office.ok("task", "return", "3.1.1-a", "--reason", "Chưa có văn bản ban hành", "--today", "2016-01-05").stdout
    assert "đã trả lại báo cáo hoàn thành kỳ hạn 31/12/2015" in out
    shown = show(office, "3.1.1-a", "2016-01-05")
    first = shown["occurrences"][0]
    assert (first["status"], first["completed_on"], first["days_late"]) == ("open_overdue", None, 5)
    fields = [(h["field"], h["new"]) for h in shown["history"]]
    assert ("progress", "done") in fields and ("progress", "open") in fields and ("returned", None) in fields
    assert {to for to, _ in mails(engine)} == {LAN, HUNG}
    assert {s for _, s in mails(engine)} == {"[Đôn đốc] Trả lại báo cáo hoàn thành nhiệm vụ 3.1.1-a"}


def test_an_explanation_is_asked_of_a_late_duty_answered_by_its_lead_and_in_the_reports_annex(office, engine, tmp_path):
    result = office("task", "explain", "3.1.1-a", "--answer-by", "2016-01-20", "--reason", "Vì sao chậm?",
                    "--today", "2015-12-15")
    assert result.exit_code == 2 and "not late" in result.output
    office.ok("task", "explain", "3.1.1-a", "--answer-by", "2016-01-20", "--reason", "Vì sao chậm?",
              "--today", "2016-01-10")
    assert {to for to, _ in mails(engine)} == {LAN, HUNG}
    result = office("task", "answer", "3.1.1-a", "--text", "x", "--by", MAI, "--today", "2016-01-12")
    assert result.exit_code == 2
    office.ok("task", "answer", "3.1.1-a", "--text", "Chờ UBND tỉnh cho ý kiến", "--by", LAN, "--today", "2016-01-12")
    assert mails(engine)[-1] == (ALICE, "[Đôn đốc] Giải trình về nhiệm vụ 3.1.1-a")
    out = tmp_path / "q1.md"
    office.ok("report", "--period", "2016-Q1", "--out", out, "--today", "2016-01-15")
    text = out.read_text(encoding="utf-8")
    assert "Giải trình của cơ quan chủ trì về nhiệm vụ chậm" in text and "Chờ UBND tỉnh cho ý kiến" in text
    listed = json.loads(office.ok("task", "requests", "3.1.1-a", "--format", "json").stdout)
    assert [(r["kind"], r["state"]) for r in listed] == [("explanation", "answered")]


def test_the_report_counts_extended_duties_apart_and_shows_the_original_date(office, tmp_path):
    office.ok("task", "extend", "3.1.1-a", "--to", "2016-01-31", "--reason", "Chờ số liệu", "--today", "2015-12-20")
    office.ok("task", "decide", "1", "--approve", "--today", "2015-12-20")
    out = tmp_path / "2015.md"
    office.ok("report", "--period", "2015", "--out", out, "--today", "2016-01-15")
    text = out.read_text(encoding="utf-8")
    assert "Trong đó đã gia hạn" in text and "1 kỳ được gia hạn" in text
    assert "31/01/2016 (gia hạn từ 31/12/2015)" in text
    rows = json.loads(office.ok("summary", "--period", "2015", "--today", "2016-01-15", "--format", "json").stdout)
    extended = next(r for r in rows if r["name"] == "Trong đó đã gia hạn (nhiệm vụ)")
    assert extended["open_in_time"] == 1 and sum(extended[k] for k in ("done_on_time", "done_late", "open_overdue")) == 0


def test_reloading_the_plan_keeps_an_extended_occurrence(office, engine):
    office.ok("task", "extend", "3.1.1-a", "--to", "2016-01-31", "--reason", "Chờ số liệu", "--today", "2015-12-20")
    office.ok("task", "decide", "1", "--approve", "--today", "2015-12-20")
    from tests.conftest import BUNDLED_PLAN
    office.ok("plan", "load", BUNDLED_PLAN)
    with Session(engine) as session:
        task = session.exec(select(Task).where(Task.ref == "3.1.1-a")).one()
        dues = session.exec(select(Occurrence.due_date).where(Occurrence.task_id == task.id)).all()
    assert date(2016, 1, 31) in dues and date(2015, 12, 31) not in dues


def test_a_focal_point_who_reads_english_is_told_of_the_decision_in_english(office, engine):
    with transaction(engine) as session:
        lan = session.exec(select(FocalPoint).where(FocalPoint.email == LAN)).one()
        lan.language = "en"
    office.ok("task", "extend", "3.1.1-a", "--to", "2016-01-31", "--reason", "Chờ số liệu", "--by", LAN,
              "--today", "2015-12-20")
    office.ok("task", "decide", "1", "--approve", "--today", "2015-12-21")
    told = dict(mails(engine)[1:])
    assert told[LAN] == "[Follow-up] Extension of 3.1.1-a approved to 31/01/2016"
    assert told[HUNG] == "[Đôn đốc] Đồng ý gia hạn nhiệm vụ 3.1.1-a đến ngày 31/01/2016"
