"""The review on its own dates in a simulation, with simulated agencies; and the commands end to end."""
import json
from datetime import date, timedelta

from docx import Document
from sqlmodel import Session, select

from dondoc.app import review_jobs
from models.audit import AuditEntry
from models.review.tables import ReviewSubmission


def simulate(context, start, end, demo=True):
    day, reviews = start, []
    while day <= end:
        reviews.append(review_jobs.run_review_day(context, day, demo_agencies=demo))
        day += timedelta(days=1)
    return reviews


def test_a_simulated_year_opens_chases_and_compiles_the_review_on_its_dates_with_labelled_simulated_agencies(
        loaded, app_context):
    simulated_2015(app_context)


def simulated_2015(app_context):
    reviews = simulate(app_context, date(2015, 10, 30), date(2015, 12, 16))
    by_day = {r.day: r for r in reviews}
    assert not by_day[date(2015, 10, 31)].opened and by_day[date(2015, 11, 1)].opened
    assert by_day[date(2015, 12, 15)].reports and all(p.endswith((".docx", ".xlsx")) for p in by_day[date(2015, 12, 15)].reports)
    assert not by_day[date(2015, 12, 16)].reports
    assert by_day[date(2015, 11, 28)].chasers == 0  # a Saturday
    with Session(app_context.engine) as session:
        subs = session.exec(select(ReviewSubmission)).all()
        late = [s for s in subs if s.late]
        assert subs and late and len(late) < len(subs)
        assert all(s.actor.startswith("simulated:") and s.channel == "simulated" for s in subs)
        assert session.exec(select(AuditEntry).where(AuditEntry.actor.startswith("simulated:"),
                                                     AuditEntry.entity == "occurrence")).first() is not None
        first_run = sorted((s.actor, s.late) for s in subs)
    docx = next(p for p in by_day[date(2015, 12, 15)].reports if p.endswith(".docx"))
    assert "SỐ LIỆU MÔ PHỎNG" in "\n".join(p.text for p in Document(docx).paragraphs)
    missing = 24 - len(subs)
    assert missing > 0  # some never answer
    return first_run


def test_the_simulated_agencies_answer_the_same_way_every_time(loaded, app_context, settings, tmp_path):
    from dondoc.app.context import AppContext
    from tests.conftest import Cli
    first = simulated_2015(app_context)
    other = settings.model_copy(update={"data_dir": tmp_path / "again", "database_url": ""})
    Cli(other).ok("plan", "load", "config/plans/bac-kan-2015-2020.yaml")
    context = AppContext(other)
    try:
        simulate(context, date(2015, 10, 30), date(2015, 12, 16))
        with Session(context.engine) as session:
            assert sorted((s.actor, s.late) for s in session.exec(select(ReviewSubmission))) == first
    finally:
        context.close()


def test_the_review_commands_run_the_flows_and_write_the_report_by_extension(loaded, tmp_path, monkeypatch):
    result = loaded.ok("review", "open", "2016", "--today", "2016-11-01")
    assert "Sơ kết năm 2016 đã mở:" in result.stdout  # Vietnamese unless DONDOC_LANGUAGE says otherwise
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")
    assert "was already open" in loaded.ok("review", "open", "2016", "--today", "2016-11-02").stdout
    loaded.ok("review", "chase", "2016", "--today", "2016-11-23")
    status = json.loads(loaded.ok("review", "status", "2016", "--today", "2016-12-01", "--format", "json").stdout)
    assert status["phase"] == "past_due" and status["counts"]["missing"] == len(status["agencies"])
    md = tmp_path / "r.md"
    loaded.ok("review", "report", "2016", "--out", md, "--today", "2016-12-15")
    text = md.read_text(encoding="utf-8")
    assert text.startswith("UBND TỈNH BẮC KẠN — LIÊN MINH HỢP TÁC XÃ") and "\n# BÁO CÁO\n" in text
    assert "**Sơ kết năm 2016 thực hiện Kế hoạch triển khai thực hiện Chương trình hành động số 19-CTr/TU" in text
    bad = loaded("review", "report", "2016", "--out", tmp_path / "r.pdf")
    assert bad.exit_code == 2 and "r.pdf: --out: the report is written as .docx, .xlsx, .md" in bad.output
    assert loaded("review", "status", "2017").exit_code == 2
    assert "outside the plan's years" in loaded("review", "open", "2021", "--today", "2021-11-01").output
