"""The tables the command line reads, as plain SQLAlchemy Core tables: the same names and columns as
the SQLModel classes (a subset of the columns), without SQLModel and its per-table pydantic models,
which cost a read command three quarters of its time (issue 23). Read-only: every write goes through
the table classes. tests/cli/test_cli_speed.py holds each column here equal, in name and type, to its class.
"""
from sqlalchemy import Boolean, Column, Date, Integer, MetaData, String, Table, Text

from models.types import UtcDateTime

metadata = MetaData()

plan = Table("plan", metadata, Column("id", Integer, primary_key=True), Column("code", String))

agency = Table(
    "agency", metadata, Column("id", Integer, primary_key=True), Column("code", String), Column("name_vi", String),
    Column("name_en", String), Column("kind", String), Column("province", String), Column("identifier_code", String))

task = Table(
    "task", metadata, Column("id", Integer, primary_key=True), Column("plan_id", Integer), Column("ref", String),
    Column("section", String), Column("title", Text), Column("source_text", Text), Column("lead_agency_id", Integer),
    Column("timing", String), Column("due_date", Date), Column("rrule", String), Column("product", Text),
    Column("retired", Boolean))

task_coordinator = Table("taskcoordinator", metadata, Column("task_id", Integer), Column("agency_id", Integer))

occurrence = Table(
    "occurrence", metadata, Column("id", Integer, primary_key=True), Column("task_id", Integer),
    Column("due_date", Date), Column("starts_on", Date), Column("original_due", Date), Column("kind", String),
    Column("progress", String), Column("progress_percent", Integer), Column("completed_on", Date),
    Column("note", Text), Column("held_by_agency_id", Integer))

audit_entry = Table(
    "auditentry", metadata, Column("id", Integer, primary_key=True), Column("at", UtcDateTime),
    Column("actor", String), Column("entity", String), Column("entity_id", Integer), Column("field", String),
    Column("old_value", Text), Column("new_value", Text), Column("note", Text))

focal_point = Table("focalpoint", metadata, Column("id", Integer, primary_key=True), Column("agency_id", Integer),
                    Column("active", Boolean))

message = Table(
    "message", metadata, Column("id", Integer, primary_key=True), Column("kind", String),
    Column("recipient_email", String), Column("recipient_name", String), Column("send_date", Date),
    Column("subject", Text), Column("message_id", String), Column("status", String), Column("attempts", Integer),
    Column("last_error", Text), Column("smtp_reply", Text))
