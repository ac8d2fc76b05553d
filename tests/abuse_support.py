"""Helpers for the bad-input tests: the 2015 review opened, a database snapshot to compare."""
from datetime import date

from sqlalchemy import MetaData, select as sa_select
from sqlmodel import Session, select

from dondoc import review_jobs
from models.agency import Agency
from models.db import transaction
from models.review_ops import find_plan, get_cycle, issue_token, request_of

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


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of every table (sorted), to show that a refused input changed nothing."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return {name: sorted((tuple(map(repr, row)) for row in connection.execute(sa_select(table))))
                for name, table in metadata.tables.items() if name != "alembic_version"}


def agency_id(engine, code: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Agency.id).where(Agency.code == code)).one()
