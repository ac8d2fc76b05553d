"""Helpers for the bad-input tests: the 2015 review opened, a database snapshot to compare."""
import hashlib
import uuid
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from sqlalchemy import MetaData, create_engine, select as sa_select, text
from sqlmodel import Session, select

from dondoc.app import review_jobs
from models.agency import Agency
from models.db import transaction
from models.review.operations import find_plan, get_cycle, issue_token, request_of
from tests.conftest import ON_POSTGRES, PG_URL

REVIEW_YEAR = 2015
OPENED_ON = date(2015, 11, 2)
DURING = date(2015, 11, 10)


def open_review(context) -> None:
    """The 2015 review opened on 02/11/2015 (its emails go to .eml files: no SMTP server)."""
    review_jobs.open_review(context, OPENED_ON, REVIEW_YEAR, send=False)


def review_token(context, agency_code: str, *, now) -> str:
    """A fresh link token for the agency's 2015 request."""
    with transaction(context.engine) as session:
        plan = find_plan(session, None)
        cycle = get_cycle(session, plan, REVIEW_YEAR)
        request = request_of(session, cycle, agency_code)
        return issue_token(session, request, cycle, now=now, reason="test")


def snapshot(engine) -> dict[str, tuple[int, str]]:
    """Every row of every table, digested, to show that a refused input changed nothing."""
    return Snapshot(engine)()


def agency_id(engine, code: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Agency.id).where(Agency.code == code)).one()


@contextmanager
def scratch_database(folder: Path):
    """A database URL for fixtures wider than one test (conftest's `database_url` is per test): SQLite
    in `folder`, or a fresh schema in DONDOC_DATABASE_URL's PostgreSQL, dropped afterwards."""
    if not ON_POSTGRES:
        yield f"sqlite:///{folder / 'dondoc.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


class Snapshot:
    """A digest of every row of every table, to compare before and after a refused input.
    The tables are read once; each digest is one query per table."""

    def __init__(self, engine):
        self.engine = engine
        metadata = MetaData()
        metadata.reflect(engine)
        # rate_event: the limiter's own count of wrong tokens, which a refused request adds to by design
        self.tables = [t for name, t in sorted(metadata.tables.items()) if name not in ("alembic_version", "rate_event")]

    def __call__(self) -> dict[str, tuple[int, str]]:
        digests = {}
        with self.engine.connect() as connection:
            for table in self.tables:
                rows = sorted(repr(tuple(row)) for row in connection.execute(sa_select(table)))
                digests[table.name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
        return digests
