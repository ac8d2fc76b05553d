"""The one column type for moments: stored in UTC, read back aware in UTC, on SQLite and PostgreSQL.

dondoc keeps one convention in storage: every moment is an instant, kept in UTC. Zones are the
edges' business: the clock hands out aware moments, and Vietnam time (`models.clock.vn_time`,
`local_date`) is applied only where a person reads or types a time.

- PostgreSQL: `timestamp with time zone`, which stores the instant; read back, it is put in UTC
  whatever the session's TimeZone.
- SQLite (no zone type): the UTC wall time as text in SQLAlchemy's format
  (`2026-12-06 01:00:00.000000`), so text order is time order and SQL comparisons with bound
  moments (converted the same way) hold; read back, it is marked UTC.

A naive datetime is refused on the way in: its zone would be a guess, and a forgotten conversion
should fail where it happens (in the tests), not shift a deadline by seven hours.
"""
from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class NaiveDatetimeError(ValueError):
    """A moment without a zone was about to be stored."""


class UtcDateTime(TypeDecorator):
    """An aware moment, stored in UTC; always read back as an aware datetime in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"a moment must be a datetime, not {type(value).__name__} ({value!r})")
        if value.tzinfo is None or value.utcoffset() is None:
            raise NaiveDatetimeError(f"a moment without a zone cannot be stored ({value.isoformat()}): "
                                     "give it its zone (the clock's moments have one)")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
