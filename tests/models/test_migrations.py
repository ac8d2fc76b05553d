"""Upgrading a database is all or nothing, one process at a time (SQLite: copy kept and put back)."""
import multiprocessing
import sqlite3

import pytest
from sqlalchemy import inspect, text

from models.db import alembic_config, head_revisions, make_engine, migrate
from tests.conftest import ON_POSTGRES

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="SQLite files (PostgreSQL migrates in one transaction)")
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
