"""Occurrences: one per due date of a task (a period of a recurring duty, or a no-deadline duty's
yearly check-in). What they mean on a given day is computed in models/status.py."""
from datetime import date, datetime

from sqlalchemy import Column, Index, Text, and_, literal_column, or_, select, text
from sqlmodel import Field, SQLModel, UniqueConstraint
import models.schema  # noqa: F401,E402  (every table loaded before the ORM's first query)

from models.clock import local_date
from models.occurrence_values import DONE, OVERDUE_ABLE, OccurrenceKind, Progress  # noqa: F401  (their home before)
from models.types import UtcDateTime


class Occurrence(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("task_id", "due_date"),
        # The overdue list reads open rows by due date. A plain (due_date) index makes SQLite
        # slower (its planner picks it for the whole table); a partial one on open rows does not.
        # kind and task_id make it covering: the web's overdue page counts and pages 1M rows from
        # the index alone (migration 0003_web); id right after due_date gives the page's order
        # (due_date, id) straight from the index (migration 0007_overdue_page).
        Index(
            "ix_occurrence_open_due", "due_date", "id", "kind", "task_id",
            sqlite_where=text("progress != 'done'"), postgresql_where=text("progress != 'done'"),
        ),
        # Only the rows that can be late (open, with a deadline), narrow: the overdue page's counts read
        # them by due date, or one agency's task by task (migrations 0008_overdue_counts, 0012).
        Index("ix_occurrence_overdue_due", "due_date", "id", "task_id",
              sqlite_where=text(OVERDUE_ABLE), postgresql_where=text(OVERDUE_ABLE)),
        Index("ix_occurrence_overdue_task", "task_id", "due_date", "id",
              sqlite_where=text(OVERDUE_ABLE), postgresql_where=text(OVERDUE_ABLE)),
        # Completions by their date: what was done after a day asked about still counts as open on
        # it (0012). Empty of such rows in normal use, so the check costs one index probe.
        Index("ix_occurrence_done_on", "completed_on", "due_date", "task_id",
              sqlite_where=text(DONE), postgresql_where=text(DONE)),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    due_date: date
    # First day of the period this occurrence covers: before it, the occurrence is "not yet due".
    starts_on: date
    # The due date the plan gave, kept when an extension moved `due_date` (the date in force, which every
    # status rule, reminder and overdue query reads): set on the first approved extension (0019).
    original_due: date | None = None
    kind: str = Field(default=OccurrenceKind.DEADLINE, max_length=20)
    progress: str = Field(default=Progress.OPEN, max_length=20)
    progress_percent: int | None = None
    completed_on: date | None = None
    note: str | None = Field(default=None, sa_column=Column(Text))
    updated_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    # Set when its duty moved to another lead after this occurrence was done: it stays credited to the
    # agency that did it (models/reassignment.py). None: the task's lead (0022_task_evidence).
    held_by_agency_id: int | None = Field(default=None, foreign_key="agency.id")

    def status_category(self, now: datetime):
        """Where this occurrence stands at `now`, judged by the calendar day in Vietnam (the rule:
        models.status.period_status)."""
        from models.status import occurrence_status
        return occurrence_status(self, local_date(now))

    def days_overdue(self, now: datetime) -> int:
        """Whole days past its deadline while not done by the day of `now`; 0 for no-deadline duties."""
        from models.status import occurrence_days_late
        return occurrence_days_late(self, local_date(now))


# An occurrence still to do, as a query condition. The constants are written into the SQL, not bound:
# SQLite reads a partial index alone (ix_occurrence_overdue_due, ix_occurrence_open_due) only when the
# query visibly implies the index's condition; with bound parameters it fetches every row from the
# table to check them (+80 ms for the late lines of the national benchmark).
NOT_DONE = Occurrence.progress != literal_column(f"'{Progress.DONE.value}'")
HAS_DEADLINE = Occurrence.kind == literal_column(f"'{OccurrenceKind.DEADLINE.value}'")
DONE_LATER_THAN = lambda today: and_(Occurrence.progress == literal_column(f"'{Progress.DONE.value}'"),  # noqa: E731
                                     Occurrence.completed_on > today)


def open_as_of(session, today: date):
    """The condition "not done by `today`" for a query. A completion dated after `today` leaves its
    occurrence open on that day. Such rows exist only when a past day is asked about; when there are
    none (one probe of ix_occurrence_done_on), the plain NOT_DONE keeps the partial indexes usable."""
    later = session.execute(select(Occurrence.id).where(DONE_LATER_THAN(today)).limit(1)).first()
    return or_(NOT_DONE, DONE_LATER_THAN(today)) if later else NOT_DONE
