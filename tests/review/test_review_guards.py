"""What the review refuses: misused links, invalid inputs (each naming its field), bad files, late changes."""
import json
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from config.policy import ReminderPolicy, ReviewPolicy
from dondoc.app import review_jobs
from models.audit import AuditEntry
from models.db import transaction
from models.occurrence import Occurrence
from models.plan import Task
from models.review.rules import chaser_firing, cycle_dates, is_late, missing_list_firing
from models.review.operations import SubmissionRefused, accept_submission, find_plan, form_for, get_cycle, request_of
from models.review.tables import Channel, ReviewSubmission
from models.review.inputs import Asked, AskedTask, ReviewInvalid, validate_inputs
from models.workdays import WorkCalendar
from tests.conftest import at_vn
from tests.review_support import Browser, start_smtp


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """These tests pin the English refusals (tests/cli/test_cli_language.py checks the Vietnamese ones)."""
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")

ASKED = Asked("BA-BE", 2015, [AskedTask(1, "3.3-a/BA-BE", "Kiện toàn", date(2015, 6, 30)),
                              AskedTask(2, "3.3-d-2/BA-BE", "Quý", date(2015, 3, 31)),
                              AskedTask(3, "3.3-d-2/BA-BE", "Quý", date(2015, 6, 30))], asks_indicators=True)
GOOD = dict(cooperatives_total=10, new_established=2, operating_effectively=5, weak=1, converted_2012_law=10,
            dissolved=0, model_cooperatives=1, officers_total=4, officers_trained=4)


def errors_of(raw) -> dict[str, str]:
    with pytest.raises(ReviewInvalid) as caught:
        validate_inputs(raw, ASKED, date(2015, 11, 20))
    return {e.field: e.message for e in caught.value.errors}


@pytest.mark.parametrize("raw, field, words", [
    ({"tasks": [{"ref": "3.3-a/BA-BE", "status": "done", "completed_on": "2015-08-01", "progress": 90}]},
     "tasks[3.3-a/BA-BE].progress", "a done task is at 100"),
    ({"tasks": [{"ref": "3.3-a/BA-BE", "status": "in_progress", "progress": 120}]},
     "tasks[3.3-a/BA-BE].progress", "not between 0 and 100"),
    ({"tasks": [{"ref": "3.3-a/BA-BE", "status": "in_progress", "progress": 12.5}]},
     "tasks[3.3-a/BA-BE].progress", "not a whole number"),
    ({"tasks": [{"ref": "3.3-a/BA-BE", "status": "done"}]}, "tasks[3.3-a/BA-BE].completed_on", "missing"),
    ({"tasks": [{"ref": "3.3-a/BA-BE", "status": "done", "completed_on": "2015-12-24"}]},
     "tasks[3.3-a/BA-BE].completed_on", "in the future"),
    ({"tasks": [{"ref": "3.3-a/BA-BE", "status": "finished"}]}, "tasks[3.3-a/BA-BE].status", "not done, in_progress"),
    ({"tasks": [{"ref": "3.1.1-a", "status": "done"}]}, "tasks[3.1.1-a].ref", "not one of BA-BE's tasks"),
    ({"tasks": [{"ref": "3.3-d-2/BA-BE", "status": "done"}]}, "tasks[3.3-d-2/BA-BE].due", "several due dates"),
    ({"indicators": {**GOOD, "weak": -1}}, "indicators.weak", "negative"),
    ({"indicators": {**GOOD, "new_established": 2.5}}, "indicators.new_established", "not a whole number"),
    ({"indicators": {**GOOD, "operating_effectively": 11}}, "indicators.operating_effectively",
     "more than cooperatives_total"),
    ({"indicators": {**GOOD, "officers_trained": 5}}, "indicators.officers_trained", "more than officers_total"),
    ({"indicators": {**GOOD, "operating_effectively": 8, "weak": 3}}, "indicators.weak", "together exceed"),
    ({"indicators": {k: v for k, v in GOOD.items() if k != "dissolved"}}, "indicators.dissolved", "missing"),
    ({"agency": "NA-RI", "indicators": GOOD}, "agency", "for NA-RI, not BA-BE"),
    ({"year": 2016, "indicators": GOOD}, "year", "not the 2015 review"),
    ({"indicators": GOOD, "colour": "red"}, "colour", "unknown field"),
])
def test_each_invalid_input_is_refused_with_a_message_naming_its_field(raw, field, words):
    errors = errors_of(raw)
    assert field in errors, errors
    assert words in errors[field]


def test_valid_inputs_come_out_normalised():
    inputs = validate_inputs({"tasks": [{"ref": "3.3-d-2/BA-BE", "due": "30/06/2015", "status": "Hoàn thành",
                                         "completed_on": "2015-06-20"}], "indicators": {**GOOD, "weak": "1"}},
                             ASKED, date(2015, 11, 20))
    assert inputs.tasks[0]["occurrence_id"] == 3 and inputs.tasks[0]["status"] == "done"
    assert inputs.tasks[0]["progress"] == 100 and inputs.indicators["weak"] == 1


def test_the_cycle_dates_come_from_the_policy_unless_the_plan_sets_its_own():
    policy = ReviewPolicy()
    assert cycle_dates(2016, policy).opens_on == date(2016, 11, 1)
    assert cycle_dates(2016, policy).inputs_due == date(2016, 11, 30)
    assert cycle_dates(2016, policy).closes_at == at_vn(date(2016, 12, 16), 0)
    assert cycle_dates(2016, policy, "11-25").inputs_due == date(2016, 11, 25)
    from models.review.rules import review_inputs_due_from_text
    assert review_inputs_due_from_text(["gửi báo cáo trước ngày 30 tháng 11 hằng năm"]) == "11-30"
    assert review_inputs_due_from_text(["định kỳ hàng năm"]) is None


def test_inputs_are_late_from_the_day_after_the_deadline_in_vietnam():
    assert not is_late(at_vn(date(2015, 11, 30), 23, 59), date(2015, 11, 30))
    assert is_late(at_vn(date(2015, 12, 1), 0, 0), date(2015, 11, 30))


def test_chasers_follow_the_reminder_rhythm_on_working_days_after_the_opening():
    calendar, rhythm = WorkCalendar(), ReminderPolicy()

    def chaser(day):
        firing = chaser_firing(opens_on=date(2015, 11, 1), inputs_due=date(2015, 11, 30), today=day,
                               reminder_policy=rhythm, calendar=calendar)
        return firing and (firing.rule, firing.fire_date)

    assert chaser(date(2015, 11, 5)) is None  # 30 days before fell before the opening
    assert chaser(date(2015, 11, 23)) == ("before:7", date(2015, 11, 23))
    assert chaser(date(2015, 11, 27)) == ("before:1", date(2015, 11, 27))  # 29/11 is a Sunday
    assert chaser(date(2015, 12, 7)) == ("overdue:7", date(2015, 12, 7))
    listing = missing_list_firing(inputs_due=date(2015, 11, 30), today=date(2015, 12, 1), reminder_policy=rhythm,
                                  calendar=calendar)
    assert (listing.rule, listing.fire_date) == ("missing", date(2015, 12, 1))
    assert missing_list_firing(inputs_due=date(2015, 11, 30), today=date(2015, 11, 30), reminder_policy=rhythm,
                               calendar=calendar) is None


@pytest.fixture
def opened(loaded, settings, app_context):
    controller, box = start_smtp()
    context = app_context
    context.settings = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": controller.port})
    review_jobs.open_review(context, date(2015, 11, 2), 2015)
    yield context, box, loaded
    controller.stop()


def test_a_link_opens_only_its_own_agency_and_cannot_report_for_another(opened):
    context, box, _ = opened
    browser = Browser(context).at(date(2015, 11, 10))
    token = box.token_for("nam.hv@babe.example.org")
    page = browser.get(token)
    assert "Ủy ban nhân dân huyện Ba Bể" in page.text and "3.3-a/NA-RI" not in page.text
    values = {"task_count": "1", "task-0-ref": "3.3-a/NA-RI", "task-0-due": "2015-06-30", "task-0-status": "done",
              "task-0-completed_on": "2015-08-01"}
    refused = browser.post(token, values)
    assert refused.status_code == 422
    assert "tasks[3.3-a/NA-RI].ref: 3.3-a/NA-RI không phải nhiệm vụ của đơn vị BA-BE" in refused.text
    with Session(context.engine) as session:
        assert session.exec(select(ReviewSubmission)).all() == []


def test_accepting_a_submission_refuses_a_closed_cycle_before_reading_the_inputs_and_writes_nothing(opened):
    context, _, _ = opened
    garbage = {"tasks": "not a list", "indicators": {"weak": "many"}}
    with transaction(context.engine) as session:
        cycle = get_cycle(session, find_plan(session, None), 2015)
        request = request_of(session, cycle, "BA-BE")
        closed = at_vn(date(2015, 12, 16), 9)
        with pytest.raises(SubmissionRefused, match="the review closed on 15/12/2015"):
            accept_submission(session, form_for(session, request, closed), garbage, now=closed, actor="test",
                              channel=Channel.CLI)
        collecting = at_vn(date(2015, 11, 10), 9)
        with pytest.raises(ReviewInvalid):
            accept_submission(session, form_for(session, request, collecting), garbage, now=collecting, actor="test",
                              channel=Channel.CLI)
        assert session.exec(select(ReviewSubmission)).all() == []


def test_a_tampered_or_made_up_link_is_refused(opened):
    context, box, _ = opened
    browser = Browser(context).at(date(2015, 11, 10))
    token = box.token_for("nam.hv@babe.example.org")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert browser.get(tampered).status_code == 404
    assert "Liên kết không hợp lệ" in browser.get(tampered).text
    assert browser.get("x" * 43).status_code == 404


def test_a_link_expires_when_the_cycle_closes(opened):
    context, box, _ = opened
    token = box.token_for("nam.hv@babe.example.org")
    browser = Browser(context)
    assert browser.at(date(2015, 12, 15)).get(token).status_code == 200
    expired = browser.at(date(2015, 12, 16)).get(token)
    assert expired.status_code == 410 and "Liên kết đã hết hiệu lực" in expired.text


def test_a_form_posted_without_its_csrf_token_is_refused(opened):
    context, box, _ = opened
    browser = Browser(context).at(date(2015, 11, 10))
    token = box.token_for("nam.hv@babe.example.org")
    assert browser.post(token, {"task_count": "0", "notes": "x"}, csrf=False).status_code == 403


def test_a_resubmission_before_the_deadline_replaces_the_first_and_both_stay_in_the_audit(opened, tmp_path):
    context, _, cli = opened
    first, second = tmp_path / "a.json", tmp_path / "b.yaml"
    first.write_text(json.dumps({"tasks": [{"ref": "3.1.2-c", "status": "in_progress", "progress": 40}]}), "utf-8")
    second.write_text("tasks:\n  - ref: 3.1.2-c\n    status: done\n    completed_on: 2015-11-18\n"
                      "    result: Đã trình phương án vốn\n", "utf-8")
    cli.ok("review", "submit", "2015", "--agency", "STC", "--file", first, "--today", "2015-11-10")
    result = cli.ok("review", "submit", "2015", "--agency", "STC", "--file", second, "--today", "2015-11-20")
    assert "replaces the earlier submission" in result.stdout
    with Session(context.engine) as session:
        subs = session.exec(select(ReviewSubmission).order_by(ReviewSubmission.id)).all()
        assert [s.replaced_by_id for s in subs] == [subs[1].id, None]
        assert len(session.exec(select(AuditEntry).where(AuditEntry.entity == "review_request",
                                                         AuditEntry.field == "submission")).all()) == 2
        task = session.exec(select(Task).where(Task.ref == "3.1.2-c")).one()
        occ = session.exec(select(Occurrence).where(Occurrence.task_id == task.id)).one()
        assert occ.progress == "done" and occ.completed_on == date(2015, 11, 18)
    late = cli("review", "submit", "2015", "--agency", "STC", "--file", first, "--today", "2015-12-02")
    assert late.exit_code == 2 and "already submitted" in late.output


@pytest.mark.parametrize("name, content, expected", [
    ("bad.json", b'{"tasks": [}', "bad.json:1: malformed JSON"),
    ("bad.yaml", "tasks:\n  - ref: 3.1.2-c\n    status: done\n    completed_on: 2015-13-01\n".encode(),
     "bad.yaml:4: tasks[3.1.2-c].completed_on: '2015-13-01' is not a date"),
    ("bad.yaml", b"tasks:\n  - ref: 3.1.2-c\n    status: [\n", "bad.yaml:4: malformed YAML"),
    ("latin1.yaml", b"notes: \xd0\xe3\n", "is not UTF-8"),
    ("bad.xlsx", b"PK not really a workbook", "bad.xlsx: is not an XLSX workbook"),
    ("bad.csv", b"a,b", "--file: expected a .json, .yaml, .yml, .xlsx file"),
])
def test_a_bad_file_is_refused_with_exit_code_2_naming_file_field_and_line(opened, tmp_path, name, content, expected):
    _, _, cli = opened
    path = tmp_path / name
    path.write_bytes(content)
    result = cli("review", "submit", "2015", "--agency", "STC", "--file", path, "--today", "2015-11-10")
    assert result.exit_code == 2, result.output
    assert expected in result.output and "Traceback" not in result.output


def test_a_bad_xlsx_value_is_refused_naming_the_sheet_row_and_field(opened, tmp_path):
    _, _, cli = opened
    path = tmp_path / "ba-be.xlsx"
    cli.ok("review", "template", "2015", "--agency", "BA-BE", "--out", path, "--today", "2015-11-10")
    book = load_workbook(path)
    for row in book["Chỉ tiêu"].iter_rows(min_row=2):
        row[2].value = {**GOOD, "weak": "nhiều"}[row[0].value]
    sheet = book["Nhiệm vụ"]
    sheet["E2"], sheet["G2"] = "Đang thực hiện", 150
    book.save(path)
    result = cli("review", "submit", "2015", "--agency", "BA-BE", "--file", path, "--today", "2015-11-10")
    assert result.exit_code == 2
    assert f"{path} [Nhiệm vụ!G]:2: tasks[" in result.output and "].progress: 150 is not between 0 and 100" in result.output
    assert "[Chỉ tiêu!C]:5: indicators.weak: 'nhiều' is not a whole number" in result.output
    with Session(opened[0].engine) as session:
        assert session.exec(select(ReviewSubmission)).all() == []
