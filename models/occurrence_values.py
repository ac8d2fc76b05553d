"""The values an occurrence's kind and progress take, and the SQL conditions written on them: plain
values, importable without the tables (the command line's reads use them with models/core.py)."""
from enum import StrEnum


class OccurrenceKind(StrEnum):
    DEADLINE = "deadline"  # a date from the text, or one period of a recurring duty
    CHECKIN = "checkin"  # a duty without a deadline: its yearly report in the review (never late)
    FINAL = "final"  # no longer made: a policy date at the horizon's end was not a deadline (0012 removed them)
    WITHDRAWN = "withdrawn"  # dropped from the schedule but kept for the progress recorded on it


class Progress(StrEnum):
    """What people recorded. The reporting category is computed from it and the dates."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"


# The rows that can be late (open, with a deadline); queries must repeat it literally for SQLite to
# use the indexes (migration 0012_deadlines_only: check-ins of no-deadline duties are never late).
OVERDUE_ABLE = "progress != 'done' AND kind = 'deadline'"
DONE = "progress = 'done'"
