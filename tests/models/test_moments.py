"""Moments in storage: one column type (models.types.UtcDateTime), UTC in, aware UTC out, on both databases."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import StatementError
from sqlmodel import Session, select

from models.audit import AuditEntry, record
from models.clock import VN_TZ, local_date, vn_time
from models.db import migrate
from models.types import NaiveDatetimeError


def _entry(session, at) -> None:
    record(session, at=at, actor="test", entity="occurrence", entity_id=1, field="note", new="x")


def test_a_moment_written_in_vietnam_time_reads_back_as_the_same_instant_in_utc(engine):
    written = datetime(2026, 1, 1, 3, 0, 0, 123456, tzinfo=VN_TZ)  # still 2025 in UTC
    with Session(engine) as session:
        _entry(session, written)
        session.commit()
    with Session(engine) as session:
        read = session.exec(select(AuditEntry.at)).one()
    assert read == written
    assert read.tzinfo is timezone.utc and read == datetime(2025, 12, 31, 20, 0, 0, 123456, tzinfo=timezone.utc)
    assert local_date(read).isoformat() == "2026-01-01" and f"{vn_time(read):%H:%M %d/%m/%Y}" == "03:00 01/01/2026"


def test_a_naive_moment_is_refused_and_nothing_is_written(engine):
    with Session(engine) as session:
        _entry(session, datetime(2026, 1, 1, 8, 0))
        with pytest.raises(StatementError) as refused:
            session.commit()
    assert isinstance(refused.value.orig, NaiveDatetimeError)
    assert "2026-01-01T08:00:00" in str(refused.value)
    with Session(engine) as session:
        assert session.exec(select(AuditEntry)).all() == []


def test_moments_compare_in_sql_by_instant_whatever_zone_they_were_given_in(engine):
    with Session(engine) as session:
        _entry(session, datetime(2026, 3, 1, 8, 30, tzinfo=VN_TZ))
        _entry(session, datetime(2026, 3, 1, 2, 0, tzinfo=timezone.utc))  # 09:00 in Vietnam: later
        session.commit()
        later = lambda moment: session.exec(select(AuditEntry.id).where(AuditEntry.at > moment)  # noqa: E731
                                            .order_by(AuditEntry.id)).all()
        assert later(datetime(2026, 3, 1, 1, 45, tzinfo=timezone.utc)) == [2]
        assert later(datetime(2026, 3, 1, 8, 29, tzinfo=VN_TZ)) == [1, 2]
        assert session.exec(select(AuditEntry.at).order_by(AuditEntry.at.desc())).first() == \
            datetime(2026, 3, 1, 9, 0, tzinfo=VN_TZ)


def test_moments_read_back_in_utc_whatever_the_postgresql_session_zone(database_url):
    from models.db import make_engine

    engine = make_engine(database_url)
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's session zone")
    migrate(engine)

    @event.listens_for(engine, "connect")
    def _vietnam_session(dbapi_connection, _record):
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'Asia/Ho_Chi_Minh'")

    engine.dispose()
    with Session(engine) as session:
        assert session.execute(text("SHOW TIME ZONE")).scalar() == "Asia/Ho_Chi_Minh"
        _entry(session, datetime(2026, 3, 1, 1, 30, tzinfo=timezone.utc))
        session.commit()
        read = session.exec(select(AuditEntry.at)).one()
    assert read.utcoffset() == timedelta(0) and read == datetime(2026, 3, 1, 8, 30, tzinfo=VN_TZ)
    engine.dispose()
