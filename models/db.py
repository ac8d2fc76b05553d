"""Engine, sessions and schema migrations (Alembic, so a plan of record survives upgrades)."""
import logging
import re
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, TypeVar

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# How long a SQLite connection waits for another one's write lock before "database is locked".
SQLITE_BUSY_TIMEOUT_SECONDS = 30
T = TypeVar("T")
log = logging.getLogger("dondoc.db")

def make_engine(url: str, *, sqlite_busy_timeout: float = SQLITE_BUSY_TIMEOUT_SECONDS) -> Engine:
    """An engine for `url`. On SQLite a connection waits up to `sqlite_busy_timeout` seconds for
    another one's write lock before "database is locked" (see retry_locked for what follows)."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": sqlite_busy_timeout})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a crash of the process loses nothing committed; only a power cut might.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={int(sqlite_busy_timeout * 1000)}")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)

def alembic_config(engine: Engine):
    from alembic.config import Config as AlembicConfig
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config

def head_revisions() -> set[str]:
    """The newest migrations' ids, read from the version files' `revision` / `down_revision` lines
    (what Alembic would find, without loading Alembic and every script: a command starts faster)."""
    revisions, parents = set(), set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = script.read_text(encoding="utf-8")
        found = re.search(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", source, re.M)
        down = re.search(r"^down_revision\s*(?::[^=]*)?=\s*(.+)$", source, re.M)
        if found:
            revisions.add(found.group(1))
        if down:
            parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    return revisions - parents

def is_current(engine: Engine) -> bool:
    """The database is at the newest schema already (no migration to run)."""
    try:
        with engine.connect() as connection:
            stamped = {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))}
    except Exception:  # noqa: BLE001 - no table yet, or any doubt: let Alembic decide
        return False
    return bool(stamped) and stamped == head_revisions()

def migrate(engine: Engine) -> None:
    """Bring the schema to the newest version (creates it on a new database). A database already at
    the newest version is left alone without loading Alembic.

    All or nothing, one process at a time: PostgreSQL runs the migrations in one transaction under an
    advisory lock. SQLite cannot undo a table rebuild half done, so its file is copied first (the
    backup API, consistent under WAL) and put back if a migration fails, under a lock file beside it;
    a second process waits, then finds the schema current."""
    if is_current(engine):
        return
    if engine.dialect.name == "sqlite":
        _migrate_sqlite(engine)
    elif engine.dialect.name == "postgresql":
        with engine.connect() as holder:
            holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            try:
                if not is_current(engine):
                    _upgrade(engine)
            finally:
                holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK_KEY})
                holder.commit()
    else:
        _upgrade(engine)

_MIGRATION_LOCK_KEY = 0x646F6E646F63  # "dondoc"

def _upgrade(engine: Engine) -> None:
    from alembic import command
    command.upgrade(alembic_config(engine), "head")

def _migrate_sqlite(engine: Engine) -> None:
    import fcntl

    path = engine.url.database
    if not path or path == ":memory:":
        _upgrade(engine)
        return
    database = Path(path)
    with open(database.with_name(database.name + ".migrating"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process migrating: wait for it
        if is_current(engine):
            return
        if not database.exists() or database.stat().st_size == 0:
            _upgrade(engine)  # a new database: nothing to keep
            return
        saved = database.with_name(database.name + ".before-migration")
        _copy_sqlite(database, saved)
        try:
            _upgrade(engine)
        except BaseException:
            engine.dispose()
            _copy_sqlite(saved, database)  # if this failed too, the copy stays for the IT officer
            saved.unlink()
            log.error("the migration failed; %s is as it was before it", database)
            raise
        saved.unlink()

def _copy_sqlite(source: Path, target: Path) -> None:
    """The whole database `source` written over `target` (SQLite's online backup: pages, WAL included)."""
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
    origin.close()
    copy.close()

@contextmanager
def transaction(engine: Engine):
    """One session, one transaction: committed if the block succeeds, else nothing is written."""
    from sqlmodel import Session  # here: a read command on models/core.py never loads SQLModel
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

def is_locked(error: BaseException) -> bool:
    """SQLite's "database is locked" / "database table is locked" (SQLITE_BUSY, SQLITE_LOCKED),
    from SQLAlchemy or from the driver itself."""
    if isinstance(error, OperationalError):
        error = error.orig
    return isinstance(error, sqlite3.OperationalError) and "is locked" in str(error)

def retry_locked(work: Callable[[], T], *, attempts: int = 5, first_wait: float = 0.1) -> T:
    """Run `work` (one whole transaction) again when SQLite says the database is locked.

    The busy timeout already waits for another writer; this covers what it does not (a lock held
    past the timeout, SQLite's deadlock avoidance). `work` must begin and end its own transaction,
    so a failed try left nothing behind. Waits 0.1, 0.2, 0.4, 0.8 s between tries.
    """
    for attempt in range(attempts):
        try:
            return work()
        except (OperationalError, sqlite3.OperationalError) as error:  # through SQLAlchemy, or the driver itself
            if not is_locked(error) or attempt == attempts - 1:
                raise
            log.debug("database is locked; trying the transaction again (%d)", attempt + 1)
            time.sleep(first_wait * 2 ** attempt)
    raise AssertionError("unreachable")
