"""The overdue page lists one row per duty: its missed periods folded into the row (named as the digest
emails name them), the oldest's days late, the last reminder sent about it, whether its agency's head was
told, and the last update recorded; totals count duties and periods, and paging and sorting move whole
duties. On the Bắc Kạn plan on 15/01/2016 (tests/web/conftest.py)."""
import re
from datetime import date

import pytest
from sqlalchemy import event, text
from tests.web.test_overdue_counts import _plans as _page_plans
from sqlmodel import Session

from dondoc.app import jobs
from models.clock import FixedClock
from models.dashboard import OverdueFilter, overdue_all, overdue_duty_page
from models.db import transaction
from models.updates import record_progress
from tests.conftest import ON_POSTGRES
from tests.web.conftest import CAROL, TODAY

NOW = FixedClock.on(TODAY).now()
REF = "3.3-d-2/BA-BE"


def _row(page: str, ref: str) -> str:
    rows = [row for row in re.findall(r"<tr>(.*?)</tr>", page.split('id="overdue"', 1)[1], re.S)
            if f">{ref}</a>" in row]
    assert len(rows) == 1, f"{ref} is listed {len(rows)} times"
    return rows[0]


def _cell(row: str, css: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", row.split(f'class="{css}">', 1)[1].split("</td>", 1)[0])).strip()


def _duties(web_context):
    with Session(web_context.engine) as session:
        return overdue_duty_page(session, now=NOW, flt=OverdueFilter(), page_size=10 ** 6).items


def test_a_duty_late_for_four_periods_is_one_row_naming_its_four_periods(alice):
    on_the_day = _row(alice.get(f"/overdue?q={REF}").text, REF)  # 15/01/2016: three quarters missed
    assert "3 kỳ quá hạn: Quý II/2015 (199 ngày), Quý III/2015, Quý IV/2015<" in on_the_day
    day = date(2016, 4, 15)  # late since 30/06/2015, quarterly: four quarters missed
    row = _row(alice.get(f"/overdue?today={day}").text, REF)
    late = (day - date(2015, 6, 30)).days
    assert f"4 kỳ quá hạn: Quý II/2015 ({late} ngày), Quý III/2015, Quý IV/2015, Quý I/2016<" in row
    assert f'data-label="Số ngày quá hạn">{late}<' in row and ">30/06/2015<" in row


def test_the_row_shows_the_last_reminder_whether_the_head_was_told_and_the_last_update(alice, web_context):
    before = _row(alice.get("/overdue").text, REF)
    assert _cell(before, "reminded") == "chưa nhắc · chưa báo thủ trưởng"
    assert _cell(before, "updated") == "chưa cập nhật"

    report = jobs.run_reminder_day(web_context, TODAY)  # the day's digests, the head's escalation among them
    assert report.sent > 0 and not report.errors
    with transaction(web_context.engine) as session:
        record_progress(session, ref=REF, percent=40, note="Đang tổng hợp số liệu quý", at=NOW,
                        actor=f"web:focal:{CAROL[0]}")
    after = _row(alice.get("/overdue").text, REF)
    assert _cell(after, "reminded") == "15/01/2016 · đã báo thủ trưởng 15/01/2016"
    assert _cell(after, "updated") == f"15/01/2016 08:00, {CAROL[1]} (đầu mối của đơn vị)"
    assert "Tiến độ (Quý II/2015): 40% Đang tổng hợp số liệu quý" in after

    # The agencies with no head on file (Pác Nặm, ...): reminded, no head told.
    pac_nam = _row(alice.get("/overdue").text, "3.3-d-2/PAC-NAM")
    assert _cell(pac_nam, "reminded") == "15/01/2016 · chưa báo thủ trưởng"
    assert {d.ref: d.head_told for d in _duties(web_context) if d.ref.startswith("3.3-d-2/")} == {
        "3.3-d-2/TX-BAC-KAN": TODAY, "3.3-d-2/BA-BE": TODAY, "3.3-d-2/BACH-THONG": None, "3.3-d-2/CHO-DON": None,
        "3.3-d-2/CHO-MOI": None, "3.3-d-2/NA-RI": None, "3.3-d-2/NGAN-SON": None, "3.3-d-2/PAC-NAM": None}


def test_the_totals_count_duties_and_periods_and_the_pages_hold_every_duty_once(alice, web_context):
    with Session(web_context.engine) as session:
        for sort in ("due", "-due", "agency"):
            flt = OverdueFilter(sort=sort)
            periods = overdue_all(session, now=NOW, flt=flt)
            everything = overdue_duty_page(session, now=NOW, flt=flt, page_size=10 ** 6)
            assert everything.periods == len(periods) and everything.total == len({p.ref for p in periods})
            assert sorted(p.occurrence_id for d in everything.items for p in d.periods) == \
                sorted(p.occurrence_id for p in periods)
            paged = []
            first = overdue_duty_page(session, now=NOW, flt=flt, page=1, page_size=7)
            for n in range(1, first.pages + 1):
                paged += [d.task_id for d in overdue_duty_page(session, now=NOW, flt=flt, page=n, page_size=7).items]
            assert paged == [d.task_id for d in everything.items], sort
            keys = {"due": lambda d: (d.due, d.task_id), "-due": lambda d: (-d.due.toordinal(), -d.task_id),
                    "agency": lambda d: (d.agency_code, d.due, d.task_id)}[sort]
            assert [d.task_id for d in everything.items] == [d.task_id for d in sorted(everything.items, key=keys)]
            assert all(d.days_overdue == (TODAY - d.periods[0].due).days == max(p.days_overdue for p in d.periods)
                       for d in everything.items)
    page = alice.get("/overdue").text
    assert f'<strong id="total">{everything.total}</strong> nhiệm vụ' in page
    assert f'(<strong id="periods">{everything.periods}</strong> kỳ) quá hạn' in page


def _plans(engine, flt: OverdueFilter) -> list[str]:
    """SQLite's query plan of every statement the duty page runs for this filter."""
    return _page_plans(engine, flt, overdue_duty_page)


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's plans; PostgreSQL's planner takes a tiny test table whole")
def test_the_duty_page_groups_the_open_rows_from_the_overdue_indexes_and_never_reads_a_whole_table(web_context):
    with web_context.engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    for flt in (OverdueFilter(), OverdueFilter(sort="agency"), OverdueFilter(sort="-due"), OverdueFilter(agency="SKHDT"),
                OverdueFilter(district="*", section="3.3"), OverdueFilter(q="Ba Bể")):
        plans = _plans(web_context.engine, flt)
        assert any("ix_occurrence_overdue" in plan for plan in plans), plans
        for plan in plans:
            assert "SCAN task" not in plan, plan
            assert "SCAN occurrence" not in plan.replace("SCAN occurrence USING COVERING INDEX ix_occurrence_overdue", ""), plan


def test_a_page_past_the_end_shows_the_last_page_of_duties_and_an_empty_list_counts_nothing(web_context):
    with Session(web_context.engine) as session:
        everything = overdue_duty_page(session, now=NOW, flt=OverdueFilter(), page_size=10 ** 6)
        last = overdue_duty_page(session, now=NOW, flt=OverdueFilter(), page=10 ** 6, page_size=7)
        assert (last.page, last.total, last.periods) == (last.pages, everything.total, everything.periods)
        assert [d.task_id for d in last.items] == [d.task_id for d in everything.items][(last.pages - 1) * 7:]
        nothing = overdue_duty_page(session, now=NOW, flt=OverdueFilter(min_days=100000), page=3)
        assert (nothing.items, nothing.total, nothing.periods, nothing.page, nothing.pages) == ([], 0, 0, 1, 1)
