"""Upgrading a database is all or nothing, one process at a time (SQLite: copy kept and put back), and
keeps what it holds (the moments of 0023_utc_datetimes read back as the same instants)."""
import importlib.util
import multiprocessing
import sqlite3
from datetime import datetime, timezone

import pytest
from sqlalchemy import inspect, text
from sqlmodel import Session, select

from models.clock import VN_TZ
from models.db import MIGRATIONS_DIR, alembic_config, head_revisions, make_engine, migrate
from tests.conftest import ON_POSTGRES

sqlite_files = pytest.mark.skipif(ON_POSTGRES, reason="SQLite files (PostgreSQL migrates in one transaction)")
BEFORE = "0021_web_drafts"  # the revision before 0022_task_evidence, which rebuilds the occurrence table


def _database_at(path, revision: str):
    from alembic import command
    engine = make_engine(f"sqlite:///{path}")
    command.upgrade(alembic_config(engine), revision)
    engine.dispose()
    return engine


def _tables(path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


@sqlite_files
def test_a_migration_that_fails_halfway_leaves_the_database_as_it_was(tmp_path):
    path = tmp_path / "dondoc.db"
    engine = _database_at(path, BEFORE)
    with sqlite3.connect(path) as connection:  # in the way of the migration's third step
        connection.execute("CREATE TABLE evidencefile (id INTEGER PRIMARY KEY, left_here TEXT)")
    before = _tables(path)

    with pytest.raises(Exception, match="evidencefile"):
        migrate(engine)

    assert _tables(path) == before  # no taskreassignment, no _alembic_tmp_occurrence
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [(BEFORE,)]
        columns = {row[1] for row in connection.execute("PRAGMA table_info(occurrence)")}
        assert "held_by_agency_id" not in columns
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert not list(tmp_path.glob("*.before-migration"))


def _migrate_in_another_process(url: str) -> None:
    migrate(make_engine(url))


@sqlite_files
def test_two_processes_upgrading_one_database_at_once_both_succeed(tmp_path):
    path = tmp_path / "dondoc.db"
    _database_at(path, BEFORE)
    url = f"sqlite:///{path}"
    spawn = multiprocessing.get_context("spawn")
    workers = [spawn.Process(target=_migrate_in_another_process, args=(url,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [worker.exitcode for worker in workers] == [0, 0]
    engine = make_engine(url)
    with engine.connect() as connection:
        assert {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))} == head_revisions()
    assert "held_by_agency_id" in {c["name"] for c in inspect(engine).get_columns("occurrence")}


# --- 0023_utc_datetimes: one convention for moments ----------------------------------------------

UTC_DATETIMES = "0023_utc_datetimes"


def _revision_module(name: str):
    spec = importlib.util.spec_from_file_location(name, MIGRATIONS_DIR / "versions" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _at_revision(url: str, revision: str):
    from alembic import command
    engine = make_engine(url)
    command.upgrade(alembic_config(engine), revision)
    return engine


def _vn(*fields) -> datetime:
    return datetime(*fields, tzinfo=VN_TZ)


def _utc(*fields) -> datetime:
    return datetime(*fields, tzinfo=timezone.utc)


# Rows as the code before 0023 wrote them. On SQLite each column kept the wall time of the zone its
# code wrote in (Vietnam time here, UTC in sign-in tokens and the scheduler's runs); on PostgreSQL
# `timestamp with time zone` kept the instant itself.
AUDIT_AT = [_vn(2026, 3, 1, 8, 30), _vn(2026, 1, 1, 3, 0, 0, 123456)]  # the second: another day and year in UTC
TOKEN_CREATED, TOKEN_EXPIRES = _utc(2026, 3, 1, 1, 30), _utc(2026, 3, 1, 2, 0)
LAST_FIRE = _utc(2026, 2, 28, 21, 0)  # 04:00 on 01/03 in Vietnam
PLAN_LOADED, CYCLE_CLOSES, CYCLE_OPENED = _vn(2026, 3, 1, 0, 15), _vn(2026, 12, 16), _vn(2026, 11, 2, 8)


def _stored(moment: datetime, on_sqlite: bool, zone) -> str:
    """A moment as the database held it before 0023."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S.%f") if on_sqlite else moment.isoformat()


def _write_rows_before_0023(engine) -> None:
    sqlite_ = engine.dialect.name == "sqlite"
    vn = lambda moment: _stored(moment, sqlite_, VN_TZ)  # noqa: E731
    utc = lambda moment: _stored(moment, sqlite_, timezone.utc)  # noqa: E731
    with engine.begin() as connection:
        for number, at in enumerate(AUDIT_AT, start=1):
            connection.execute(text("INSERT INTO auditentry (id, at, actor, entity, field) "
                                    "VALUES (:id, :at, 'test', 'occurrence', 'note')"), dict(id=number, at=vn(at)))
        connection.execute(text("INSERT INTO signintoken (id, token_hash, email, created_at, expires_at, used_at) "
                                "VALUES (1, 'h', 'a@example.vn', :created, :expires, NULL)"),
                           dict(created=utc(TOKEN_CREATED), expires=utc(TOKEN_EXPIRES)))
        connection.execute(text("INSERT INTO scheduler_run (job, last_fire, day, finished_at, summary) "
                                "VALUES ('send-reminders', :fire, '2026-03-01', :fire, '')"), dict(fire=utc(LAST_FIRE)))
        connection.execute(text("INSERT INTO plan (id, code, title, province, horizon_start, horizon_end, source, "
                                "loaded_at) VALUES (1, 'P', 'P', 'Bắc Kạn', '2015-01-01', '2020-12-31', 'p.yaml', :at)"),
                           dict(at=vn(PLAN_LOADED)))
        connection.execute(text("INSERT INTO reviewcycle (id, plan_id, year, opens_on, inputs_due, report_due, "
                                "closes_at, status, opened_at, reported_at) VALUES (1, 1, 2026, '2026-11-02', "
                                "'2026-11-30', '2026-12-15', :closes, 'open', :opened, NULL)"),
                           dict(closes=vn(CYCLE_CLOSES), opened=vn(CYCLE_OPENED)))


def _assert_same_instants(engine) -> None:
    from models.accounts import SignInToken
    from models.audit import AuditEntry
    from models.plan import Plan
    from models.review.tables import ReviewCycle
    from models.scheduler import SchedulerRun

    with Session(engine) as session:
        audit = [row.at for row in session.exec(select(AuditEntry).order_by(AuditEntry.id))]
        token = session.exec(select(SignInToken)).one()
        run = session.exec(select(SchedulerRun)).one()
        plan, cycle = session.exec(select(Plan)).one(), session.exec(select(ReviewCycle)).one()
    assert audit == AUDIT_AT
    assert (token.created_at, token.expires_at, token.used_at) == (TOKEN_CREATED, TOKEN_EXPIRES, None)
    assert (run.last_fire, run.finished_at) == (LAST_FIRE, LAST_FIRE)
    assert (plan.loaded_at, cycle.closes_at, cycle.opened_at, cycle.reported_at) == \
        (PLAN_LOADED, CYCLE_CLOSES, CYCLE_OPENED, None)
    read = [*audit, token.created_at, token.expires_at, run.last_fire, plan.loaded_at, cycle.closes_at]
    assert {moment.utcoffset() for moment in read} == {timezone.utc.utcoffset(None)}
    with Session(engine) as session:  # compared in SQL with a moment in another zone, as the code does
        assert session.exec(select(AuditEntry.id).where(AuditEntry.at < _utc(2026, 3, 1, 1, 31))
                            .order_by(AuditEntry.id)).all() == [1, 2]
        assert session.exec(select(AuditEntry.id).where(AuditEntry.at < _vn(2026, 3, 1, 8, 29))).all() == [2]


def test_the_utc_migration_keeps_every_moment_the_same_instant(database_url):
    engine = _at_revision(database_url, "0022_task_evidence")
    _write_rows_before_0023(engine)

    migrate(engine)

    with engine.connect() as connection:
        assert {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))} == head_revisions()
    _assert_same_instants(engine)
    if engine.dialect.name == "sqlite":  # stored as UTC's wall time, in the format SQLAlchemy writes
        with engine.connect() as connection:
            assert connection.execute(text("SELECT at FROM auditentry ORDER BY id")).scalars().all() == [
                "2026-03-01 01:30:00.000000", "2025-12-31 20:00:00.123456"]
            assert connection.execute(text("SELECT created_at FROM signintoken")).scalar() == "2026-03-01 01:30:00.000000"
    engine.dispose()


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's column types")
def test_the_utc_migration_gives_a_postgresql_column_without_a_zone_its_zone_back(database_url):
    engine = _at_revision(database_url, "0022_task_evidence")
    _write_rows_before_0023(engine)
    with engine.begin() as connection:  # a column altered by hand: Vietnam's wall times, no zone
        connection.execute(text("ALTER TABLE auditentry ALTER COLUMN at TYPE timestamp without time zone "
                                "USING at AT TIME ZONE 'Asia/Ho_Chi_Minh'"))

    migrate(engine)

    assert [c["type"].timezone for c in inspect(engine).get_columns("auditentry") if c["name"] == "at"] == [True]
    _assert_same_instants(engine)
    engine.dispose()


@sqlite_files
def test_the_utc_migration_reads_a_moment_written_with_its_offset_as_the_instant_it_names(tmp_path):
    engine = _at_revision(f"sqlite:///{tmp_path / 'dondoc.db'}", "0022_task_evidence")
    _write_rows_before_0023(engine)
    with engine.begin() as connection:  # by hand, not by dondoc: the offset is there to read
        connection.execute(text("UPDATE plan SET loaded_at = '2026-03-01 00:15:00+07'"))
        connection.execute(text("UPDATE signintoken SET expires_at = '2026-03-01T09:00:00+07:00'"))

    migrate(engine)

    _assert_same_instants(engine)
    engine.dispose()


@sqlite_files
def test_the_utc_migration_stops_at_a_value_that_is_no_moment_and_changes_nothing(tmp_path):
    path = tmp_path / "dondoc.db"
    engine = _at_revision(f"sqlite:///{path}", "0022_task_evidence")
    _write_rows_before_0023(engine)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO auditentry (id, at, actor, entity, field) "
                                "VALUES (3, 'hôm qua', 'someone', 'occurrence', 'note')"))
    engine.dispose()

    with pytest.raises(RuntimeError, match="auditentry.at holds 'hôm qua', which is not a moment"):
        migrate(engine)

    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [("0022_task_evidence",)]
        assert connection.execute("SELECT at FROM auditentry ORDER BY id").fetchall() == [
            ("2026-03-01 08:30:00.000000",), ("2026-01-01 03:00:00.123456",), ("hôm qua",)]
    assert not list(tmp_path.glob("*.before-migration"))


@sqlite_files
def test_the_utc_migration_names_every_datetime_column_there_was(tmp_path):
    engine = _at_revision(f"sqlite:///{tmp_path / 'dondoc.db'}", "0022_task_evidence")
    inspector = inspect(engine)
    found = {(table, column["name"]) for table in inspector.get_table_names()
             for column in inspector.get_columns(table) if str(column["type"]) == "DATETIME"}
    listed = {(table, column) for table, columns in _revision_module(UTC_DATETIMES).COLUMNS.items() for column in columns}
    assert found == listed
    engine.dispose()
