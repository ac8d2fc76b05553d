"""The annual review's tables (plan section 4.2): one cycle per plan and year, a request per reporting
agency, its links, its submissions and the indicator values they carry. The rules about them are in
models/review/rules.py.

A request is reached through links: each email carries its own unguessable token
(`secrets.token_urlsafe(32)`, 256 bits); only its SHA-256 is stored, and every link of a cycle
expires when the cycle closes.
"""
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel, UniqueConstraint
import models.schema  # noqa: F401,E402  (every table loaded before the ORM's first query)

from models.review.rules import is_closed
from models.types import UtcDateTime

class CycleStatus(StrEnum):
    OPEN = "open"
    REPORTED = "reported"  # the compiled report was written (it may be compiled again)


class Channel(StrEnum):
    WEB = "web"
    CLI = "cli"
    XLSX = "xlsx"
    SIMULATED = "simulated"  # `dondoc simulate --demo-agencies`: not real data


class ReviewCycle(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("plan_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    year: int
    opens_on: date
    inputs_due: date
    report_due: date
    # Links stop working and inputs are refused from this moment.
    closes_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    status: str = Field(default=CycleStatus.OPEN, max_length=20)
    opened_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    reported_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))

    def is_closed(self, now: datetime) -> bool:
        return is_closed(self.closes_at, now)


class ReviewRequest(SQLModel, table=True):
    """What one agency is asked for in one cycle."""

    __table_args__ = (UniqueConstraint("cycle_id", "agency_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="reviewcycle.id", index=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    asks_indicators: bool = False  # districts and the Alliance report the section-1.3 indicators
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    # The latest accepted submission, and whether the agency's inputs came after the deadline.
    submitted_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    late: bool = False


class ReviewToken(SQLModel, table=True):
    """One link to a request (each email has its own); only the token's SHA-256 is kept."""

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="reviewrequest.id", index=True)
    token_hash: str = Field(unique=True, max_length=64)
    issued_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    reason: str = Field(max_length=40)  # request, chaser:before:7, chaser:overdue:7, ...


class ReviewSubmission(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="reviewrequest.id", index=True)
    submitted_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    channel: str = Field(max_length=20)
    actor: str = Field(max_length=120)
    late: bool = False
    # The validated inputs: {"tasks": [...], "indicators": {...}, "notes": "..."}.
    payload: dict = Field(sa_column=Column(JSON, nullable=False))
    source_name: str | None = Field(default=None, max_length=255)  # the file it came from
    replaced_by_id: int | None = Field(default=None, foreign_key="reviewsubmission.id")
    note: str | None = Field(default=None, sa_column=Column(Text))


class IndicatorValue(SQLModel, table=True):
    """One section-1.3 indicator as one agency reported it for one year (kept per submission)."""

    __table_args__ = (UniqueConstraint("submission_id", "indicator"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="reviewsubmission.id", index=True)
    cycle_id: int = Field(foreign_key="reviewcycle.id", index=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    indicator: str = Field(max_length=40)
    value: int
