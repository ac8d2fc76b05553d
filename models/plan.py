"""Plans and their tasks: one task per responsibility, with an owner and a timing."""
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel, UniqueConstraint
import models.schema  # noqa: F401,E402  (every table loaded before the ORM's first query)

from models.types import UtcDateTime


class Timing(StrEnum):
    ONE_OFF = "one-off"
    RECURRING = "recurring"
    ONGOING = "ongoing"  # "thường xuyên": no deadline; reported on in each year's review
    UNDATED = "undated"  # no date in the text: no deadline; reported on in each year's review


class DateSource(StrEnum):
    TEXT = "text"
    POLICY = "policy"
    MANUAL = "manual"


class Plan(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=80)
    title: str = Field(sa_column=Column(Text, nullable=False))
    province: str = ""
    horizon_start: date
    horizon_end: date
    source: str = ""
    # The day the plan was issued: no period that ended before it is due (0012).
    issued_on: date | None = None
    number: str | None = Field(default=None, max_length=80)  # số/ký hiệu, e.g. 85/KH-UBND
    issuer: str | None = Field(default=None, max_length=255)  # the issuing body
    # The annual review's input deadline as MM-DD when the plan sets its own (else the policy's).
    review_inputs_due: str | None = Field(default=None, max_length=5)
    loaded_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))


class Task(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("plan_id", "ref"),
        # The retired tasks (the overdue page leaves them out) and the sections of the live ones,
        # without reading every task (migration 0007_overdue_page).
        Index("ix_task_retired_section", "retired", "section"),
        # Each task's lead agency from a narrow index (the overdue page's counts per agency).
        Index("ix_task_id_lead", "id", "lead_agency_id"),
        # The live tasks of some agencies and sections from the index, not the wide rows (0008_overdue_counts).
        Index("ix_task_lead_retired_section", "lead_agency_id", "retired", "section", "id"),
        # Each live task's plan from a narrow index (the sweep's plans of each Alliance, 0011_task_plans).
        Index("ix_task_id_plan_retired", "id", "plan_id", "retired"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    # As users quote it: 3.1.1-a, 3.1.6, 3.3-d-1; a fanned-out task adds /<agency code>.
    ref: str = Field(max_length=80)
    section: str = Field(max_length=40)
    title: str = Field(sa_column=Column(Text, nullable=False))
    source_text: str = Field(sa_column=Column(Text, nullable=False))
    lead_agency_id: int = Field(foreign_key="agency.id", index=True)
    # The group the plan named as lead, when this task is one member's share of it.
    lead_group_code: str | None = Field(default=None, max_length=40)
    timing: str = Field(max_length=20)
    due_date: date | None = None
    rrule: str | None = None
    anchor: date | None = None
    date_source: str = Field(default=DateSource.TEXT, max_length=20)
    deadline_phrase: str | None = None
    # Its part in the annual review: "inputs" (sending the agency's review, completed by the submission)
    # or "report" (compiling it); None for every other duty.
    review_role: str | None = Field(default=None, max_length=20)
    # What the duty delivers ("Sản phẩm" of an annex table: a decision, a report, a model).
    product: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # A task dropped from the plan file is retired, never deleted: its history stays.
    retired: bool = False


class TaskCoordinator(SQLModel, table=True):
    """An agency the plan tells to coordinate ("phối hợp với") on a task."""

    task_id: int = Field(foreign_key="task.id", primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", primary_key=True, index=True)
