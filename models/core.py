"""The tables the command line and the daily sweep read, as plain SQLAlchemy Core tables: the same names
and columns as the SQLModel classes (a subset of the columns), without SQLModel and its per-table pydantic
models, which cost a read command three quarters of its time (issue 23). Read-only: every write goes
through the table classes. tests/cli/test_cli_speed.py holds each column here equal, in name and type, to
its class, and the conditions below equal, as SQL, to models/occurrence.py's.
"""
from sqlalchemy import Boolean, Column, Date, Integer, MetaData, String, Table, Text, and_, literal_column

from models.occurrence_values import OccurrenceKind, Progress
from models.types import UtcDateTime

metadata = MetaData()

plan = Table("plan", metadata, Column("id", Integer, primary_key=True), Column("code", String), Column("title", Text))

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

focal_point = Table(
    "focalpoint", metadata, Column("id", Integer, primary_key=True), Column("agency_id", Integer),
    Column("name", String), Column("email", String), Column("role", String), Column("language", String),
    Column("active", Boolean), Column("phone", String), Column("address_as", String), Column("title", String),
    Column("active_from", Date), Column("active_until", Date), Column("away_from", Date), Column("away_to", Date))

message = Table(
    "message", metadata, Column("id", Integer, primary_key=True), Column("key", String), Column("kind", String),
    Column("recipient_email", String), Column("recipient_name", String), Column("send_date", Date),
    Column("subject", Text), Column("message_id", String), Column("status", String), Column("attempts", Integer),
    Column("next_attempt_at", UtcDateTime), Column("claimed_at", UtcDateTime), Column("claimed_by", String),
    Column("last_error", Text), Column("smtp_reply", Text))

outbox_item = Table(
    "outboxitem", metadata, Column("id", Integer, primary_key=True), Column("key", String),
    Column("recipient_email", String), Column("occurrence_id", Integer), Column("rule", String),
    Column("section", String), Column("fire_date", Date))

LEASE_NAME = "scheduler"  # the scheduler's lease (models/scheduler.py), the one row `dondoc status` reads

scheduler_lease = Table(
    "scheduler_lease", metadata, Column("name", String, primary_key=True), Column("holder", String),
    Column("expires_at", UtcDateTime))

scheduler_run = Table(
    "scheduler_run", metadata, Column("job", String, primary_key=True), Column("day", Date),
    Column("finished_at", UtcDateTime), Column("summary", String))


# An occurrence still to do, as a query condition: models/occurrence.py's NOT_DONE, HAS_DEADLINE and
# DONE_LATER_THAN on these tables (the constants written into the SQL, for SQLite's partial indexes).
NOT_DONE = occurrence.c.progress != literal_column(f"'{Progress.DONE.value}'")
HAS_DEADLINE = occurrence.c.kind == literal_column(f"'{OccurrenceKind.DEADLINE.value}'")


def DONE_LATER_THAN(today):  # noqa: N802  (named as models/occurrence.py's)
    return and_(occurrence.c.progress == literal_column(f"'{Progress.DONE.value}'"), occurrence.c.completed_on > today)
