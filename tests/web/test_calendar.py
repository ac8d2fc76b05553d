"""The iCalendar feed: every occurrence of the agency's tasks an all-day event, RFC 5545 text."""
from datetime import timedelta

from sqlmodel import Session, select

from dondoc.web.calendar import calendar_url, feed_token
import icalendar

from dondoc.web.ical import Event, calendar
from models.agency import Agency
from models.occurrence import Occurrence
from models.plan import Task
from tests.web.conftest import TODAY
from models.clock import FixedClock


def test_a_calendar_reads_back_with_its_dates_names_and_punctuation():
    event = Event(uid="x@dondoc", day=TODAY, summary="Hạn 3.1.1-a: Kế hoạch, năm; 2016",
                  description="Dòng 1\nDòng 2 " + "dài " * 40, categories="Chưa hoàn thành, trong hạn")
    text = calendar([event], name="Lịch", stamp=FixedClock.on(TODAY).now())
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    assert "SUMMARY:Hạn 3.1.1-a: Kế hoạch\\, năm\\; 2016\r\n" in text
    assert "DTSTART;VALUE=DATE:20160115\r\n" in text and "DTSTAMP:20160115T010000Z\r\n" in text
    (read,) = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert read.decoded("dtstart") == TODAY and read.decoded("dtend") == TODAY + timedelta(days=1)
    assert str(read["summary"]) == event.summary and str(read["description"]) == event.description
    assert [str(c) for c in read["categories"].cats] == ["Chưa hoàn thành, trong hạn"]


def test_long_lines_fold_at_75_octets_without_splitting_a_character():
    event = Event(uid="x@dondoc", day=TODAY, summary="Kiện toàn Ban Chỉ đạo phát triển kinh tế tập thể cấp huyện; " * 4)
    text = calendar([event], name="Lịch", stamp=FixedClock.on(TODAY).now())
    raw = text.encode("utf-8").split(b"\r\n")
    assert all(len(piece) <= 75 for piece in raw)
    for piece in raw:
        piece.decode("utf-8")  # a split character would not decode
    assert str(icalendar.Calendar.from_ical(text).walk("VEVENT")[0]["summary"]) == event.summary


def test_the_feed_has_one_event_per_occurrence_of_the_agencys_tasks(bob, visitor, web_context):
    with Session(web_context.engine) as session:
        agency = session.exec(select(Agency).where(Agency.code == "SKHDT")).one()
        expected = session.exec(select(Occurrence.id).join(Task).where(Task.lead_agency_id == agency.id)).all()
    url = calendar_url(web_context.settings, "SKHDT")
    assert url in bob.get("/agencies/SKHDT").text
    response = visitor.get(url.removeprefix("http://testserver"))
    assert response.headers["content-type"].startswith("text/calendar")
    events = icalendar.Calendar.from_ical(response.text).walk("VEVENT")
    assert len(events) == len(expected)
    assert {str(event["uid"]) for event in events} == {f"occurrence-{i}@testserver" for i in expected}
    assert any(str(event["summary"]).startswith("Hạn 3.1.1-a: Xây dựng Kế hoạch") for event in events)
    assert all(len(raw.encode()) <= 75 for raw in response.text.split("\r\n"))


def test_the_secret_differs_per_agency_and_per_secret_key(web_context):
    settings = web_context.settings
    assert feed_token(settings, "SKHDT") != feed_token(settings, "BA-BE")
    other = settings.model_copy(update=dict(secret_key="another secret"))
    assert feed_token(settings, "SKHDT") != feed_token(other, "SKHDT")
    assert len(feed_token(settings, "SKHDT")) * 4 >= 128
