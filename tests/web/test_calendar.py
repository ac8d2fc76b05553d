"""The iCalendar feed: every occurrence of the agency's tasks an all-day event, RFC 5545 text."""
from sqlmodel import Session, select

from dondoc.web.calendar import calendar_url, feed_token
from dondoc.web.ical import Event, calendar, escape_text, fold, unfold
from models.agency import Agency
from models.occurrence import Occurrence
from models.plan import Task
from tests.web.conftest import TODAY
from models.clock import FixedClock


def test_text_values_are_escaped():
    assert escape_text("a;b,c\\d\ne") == "a\\;b\\,c\\\\d\\ne"


def test_long_lines_fold_at_75_octets_without_splitting_a_character():
    line = "SUMMARY:" + "Kiện toàn Ban Chỉ đạo phát triển kinh tế tập thể cấp huyện; " * 4
    folded = fold(line)
    pieces = folded.split("\r\n")
    assert len(pieces) > 1
    assert all(len(p.encode("utf-8")) <= 75 for p in pieces)
    assert all(p.startswith(" ") for p in pieces[1:])
    assert folded.replace("\r\n ", "") == line


def test_a_calendar_round_trips_through_unfolding():
    event = Event(uid="x@dondoc", day=TODAY, summary="Hạn 3.1.1-a: Kế hoạch, năm; 2016",
                  description="Dòng 1\nDòng 2 " + "dài " * 40)
    text = calendar([event], name="Lịch", stamp=FixedClock.on(TODAY).now())
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    lines = unfold(text)
    assert "DTSTART;VALUE=DATE:20160115" in lines and "DTEND;VALUE=DATE:20160116" in lines
    assert "SUMMARY:Hạn 3.1.1-a: Kế hoạch\\, năm\\; 2016" in lines
    assert "DTSTAMP:20160115T010000Z" in lines


def test_the_feed_has_one_event_per_occurrence_of_the_agencys_tasks(bob, visitor, web_context):
    with Session(web_context.engine) as session:
        agency = session.exec(select(Agency).where(Agency.code == "SKHDT")).one()
        expected = session.exec(select(Occurrence.id).join(Task).where(Task.lead_agency_id == agency.id)).all()
    url = calendar_url(web_context.settings, "SKHDT")
    assert url in bob.get("/agencies/SKHDT").text
    response = visitor.get(url.removeprefix("http://testserver"))
    assert response.headers["content-type"].startswith("text/calendar")
    lines = unfold(response.text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    uids = {line.split(":", 1)[1] for line in lines if line.startswith("UID:")}
    assert uids == {f"occurrence-{i}@testserver" for i in expected}
    assert lines.count("BEGIN:VEVENT") == len(expected)
    assert any(line.startswith("SUMMARY:Hạn 3.1.1-a: Xây dựng Kế hoạch") for line in lines)
    assert all(len(raw.encode()) <= 75 for raw in response.text.split("\r\n"))


def test_the_secret_differs_per_agency_and_per_secret_key(web_context):
    settings = web_context.settings
    assert feed_token(settings, "SKHDT") != feed_token(settings, "BA-BE")
    other = settings.model_copy(update=dict(secret_key="another secret"))
    assert feed_token(settings, "SKHDT") != feed_token(other, "SKHDT")
    assert len(feed_token(settings, "SKHDT")) * 4 >= 128
