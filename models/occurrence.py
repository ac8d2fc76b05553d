"""Occurrences: one per due date of a task, each with its own status. And the status rules."""
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, DateTime, Index, Text, literal_column, text
from sqlmodel import Field, SQLModel, UniqueConstraint

from models.clock import local_date


class OccurrenceKind(StrEnum):
    DEADLINE = "deadline"  # a date from the text, or one period of a recurring duty
    CHECKIN = "checkin"  # a policy check-in for an undated or ongoing duty
    FINAL = "final"  # the policy's final due date (the plan horizon)
    WITHDRAWN = "withdrawn"  # dropped from the schedule but kept for the progress recorded on it


class Progress(StrEnum):
    """What people recorded. The reporting category is computed from it and the dates."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class StatusCategory(StrEnum):
    """The categories Vietnamese government progress reports use."""

    NOT_YET_DUE = "not_yet_due"
    IN_PROGRESS = "in_progress"
    OVERDUE = "overdue"
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"

    @property
    def label_vi(self) -> str:
        return _LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _LABELS[self][1]

    def label(self, language: str = "vi") -> str:
        return self.label_en if language == "en" else self.label_vi


_LABELS = {
    StatusCategory.NOT_YET_DUE: ("Chưa đến hạn", "Not yet due"),
    StatusCategory.IN_PROGRESS: ("Đang thực hiện, trong hạn", "In progress, within the deadline"),
    StatusCategory.OVERDUE: ("Quá hạn, chưa hoàn thành", "Overdue, not completed"),
    StatusCategory.DONE_ON_TIME: ("Hoàn thành đúng hạn", "Completed on time"),
    StatusCategory.DONE_LATE: ("Hoàn thành quá hạn", "Completed late"),
}


# The rows the overdue page can list; queries must repeat it literally for SQLite to use the indexes.
OVERDUE_ABLE = "progress != 'done' AND kind != 'withdrawn'"


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
        # Only the rows the overdue page can list (open, not withdrawn), narrow: its counts read them
        # by due date, or one agency's task by task (migration 0008_overdue_counts).
        Index("ix_occurrence_overdue_due", "due_date", "id", "task_id",
              sqlite_where=text(OVERDUE_ABLE), postgresql_where=text(OVERDUE_ABLE)),
        Index("ix_occurrence_overdue_task", "task_id", "due_date", "id",
              sqlite_where=text(OVERDUE_ABLE), postgresql_where=text(OVERDUE_ABLE)),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    due_date: date
    # First day of the period this occurrence covers: before it, the occurrence is "not yet due".
    starts_on: date
    kind: str = Field(default=OccurrenceKind.DEADLINE, max_length=20)
    progress: str = Field(default=Progress.OPEN, max_length=20)
    progress_percent: int | None = None
    completed_on: date | None = None
    note: str | None = Field(default=None, sa_column=Column(Text))
    updated_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))

    def status_category(self, now: datetime) -> StatusCategory:
        """Where this occurrence stands at `now`, judged by the calendar day in Vietnam.

        Done by the due date (inclusive) is on time, after it late. Not done: overdue from
        00:00 of the day after the due date; in progress from its period's first day, or as
        soon as someone records progress; before that, not yet due.
        """
        return status_category(self.due_date, self.starts_on, self.progress, self.completed_on, local_date(now))

    def days_overdue(self, now: datetime) -> int:
        """Whole days past the due date while not done; 0 otherwise."""
        if self.progress == Progress.DONE:
            return 0
        return max(0, (local_date(now) - self.due_date).days)


# An occurrence still to do, as a query condition. The constants are written into the SQL, not bound:
# SQLite reads a partial index alone (ix_occurrence_overdue_due, ix_occurrence_open_due) only when the
# query visibly implies the index's condition; with bound parameters it fetches every row from the
# table to check them (+80 ms for the late lines of the national benchmark).
NOT_DONE = Occurrence.progress != literal_column(f"'{Progress.DONE.value}'")
NOT_WITHDRAWN = Occurrence.kind != literal_column(f"'{OccurrenceKind.WITHDRAWN.value}'")


def status_category(due: date, starts_on: date, progress: str, completed_on: date | None,
                    today: date) -> StatusCategory:
    if progress == Progress.DONE:
        on = completed_on or due
        return StatusCategory.DONE_ON_TIME if on <= due else StatusCategory.DONE_LATE
    if today > due:
        return StatusCategory.OVERDUE
    if today >= starts_on or progress == Progress.IN_PROGRESS:
        return StatusCategory.IN_PROGRESS
    return StatusCategory.NOT_YET_DUE
