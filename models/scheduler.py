"""The scheduler service's two tables and their rules: the lease that lets one scheduler per database
run, and the record of the last run of each scheduled job (what makes catch-up exact).

Lease times are wall-clock times (a lease is about a process that may have died); run records hold the
application's time (the fire time a job ran for). Both are moments (models.types.UtcDateTime: stored
and read back in UTC). Functions take `now` from the caller: no hidden clock.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Column, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel
import models.schema  # noqa: F401,E402  (every table loaded before the ORM's first query)

from models.core import LEASE_NAME  # noqa: F401  (also `dondoc status`'s, which reads the lease without this module)
from models.types import UtcDateTime


class SchedulerLease(SQLModel, table=True):
    """Who runs the scheduler on this database, until when (renewed while it lives)."""

    __tablename__ = "scheduler_lease"
    name: str = Field(primary_key=True, max_length=40)
    holder: str = Field(max_length=200)
    acquired_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    renewed_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))


class SchedulerRun(SQLModel, table=True):
    """The last time a scheduled job ran to the end: the fire time it ran for and its day."""

    __tablename__ = "scheduler_run"
    job: str = Field(primary_key=True, max_length=60)
    last_fire: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    day: date
    finished_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    summary: str = Field(default="", max_length=500)


# --- the lease ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Lease:
    holder: str
    acquired_at: datetime
    renewed_at: datetime
    expires_at: datetime


class LeaseHeld(Exception):
    """Another live scheduler holds the lease on this database."""

    def __init__(self, lease: Lease):
        self.lease = lease
        super().__init__(f"another scheduler holds this database: {lease.holder} "
                         f"(since {lease.acquired_at:%d/%m/%Y %H:%M} UTC; its lease runs until "
                         f"{lease.expires_at:%d/%m/%Y %H:%M:%S} UTC unless renewed)")


class LeaseLost(Exception):
    """Our lease expired and another scheduler took it over (this process was frozen too long)."""


def current_lease(engine: Engine, name: str = LEASE_NAME) -> Lease | None:
    with engine.connect() as connection:
        row = connection.execute(select(SchedulerLease.holder, SchedulerLease.acquired_at, SchedulerLease.renewed_at,
                                        SchedulerLease.expires_at).where(SchedulerLease.name == name)).first()
    if row is None:
        return None
    return Lease(row.holder, row.acquired_at, row.renewed_at, row.expires_at)


def acquire_lease(engine: Engine, *, holder: str, now: datetime, ttl: timedelta, name: str = LEASE_NAME) -> Lease:
    """Take the lease if nobody holds it, if its holder's lease expired, or if it is already ours:
    one compare-and-set statement (insert, or on conflict update only where expired or same holder).
    Raises LeaseHeld naming the live holder otherwise."""
    values = dict(name=name, holder=holder, acquired_at=now, renewed_at=now, expires_at=now + ttl)
    dialect = engine.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise RuntimeError(f"no lease statement for {dialect}")
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(SchedulerLease)
    table = SchedulerLease.__table__
    statement = insert.values(**values).on_conflict_do_update(
        index_elements=[table.c.name],
        set_=dict(holder=insert.excluded.holder, acquired_at=insert.excluded.acquired_at,
                  renewed_at=insert.excluded.renewed_at, expires_at=insert.excluded.expires_at),
        where=(table.c.expires_at < insert.excluded.renewed_at) | (table.c.holder == insert.excluded.holder),
    )
    with engine.begin() as connection:
        connection.execute(statement)
    lease = current_lease(engine, name)
    if lease is None or lease.holder != holder:
        raise LeaseHeld(lease)
    return lease


def renew_lease(engine: Engine, *, holder: str, now: datetime, ttl: timedelta, name: str = LEASE_NAME) -> datetime:
    """Push our lease's expiry on; LeaseLost if it is no longer ours."""
    with engine.begin() as connection:
        changed = connection.execute(update(SchedulerLease)
                                     .where(SchedulerLease.name == name, SchedulerLease.holder == holder)
                                     .values(renewed_at=now, expires_at=now + ttl)).rowcount
    if changed != 1:
        raise LeaseLost(f"the scheduler lease is no longer held by {holder}")
    return now + ttl


def release_lease(engine: Engine, *, holder: str, name: str = LEASE_NAME) -> bool:
    """Give the lease up (clean shutdown). Only ours: True if we held it."""
    with engine.begin() as connection:
        return connection.execute(delete(SchedulerLease).where(SchedulerLease.name == name,
                                                              SchedulerLease.holder == holder)).rowcount == 1


# --- run records -------------------------------------------------------------------------------

def last_runs(engine: Engine) -> dict[str, SchedulerRun]:
    with engine.connect() as connection:
        rows = connection.execute(select(SchedulerRun)).all()
    return {r.job: SchedulerRun(job=r.job, last_fire=r.last_fire, day=r.day,
                                finished_at=r.finished_at, summary=r.summary) for r in rows}


def last_fire(engine: Engine, job: str) -> datetime | None:
    with engine.connect() as connection:
        value = connection.execute(select(SchedulerRun.last_fire).where(SchedulerRun.job == job)).scalar()
    return value


def record_run(engine: Engine, *, job: str, fire: datetime, day: date, finished_at: datetime, summary: str = "") -> bool:
    """Record that `job` ran for the fire time `fire`, only moving forward (compare-and-set): False
    when a run for this fire time or a later one was already recorded."""
    values = dict(last_fire=fire, day=day, finished_at=finished_at, summary=summary[:500])
    with engine.begin() as connection:
        changed = connection.execute(update(SchedulerRun).where(SchedulerRun.job == job, SchedulerRun.last_fire < fire)
                                     .values(**values)).rowcount
        if changed:
            return True
        exists = connection.execute(select(SchedulerRun.job).where(SchedulerRun.job == job)).first()
        if exists:
            return False
        connection.execute(SchedulerRun.__table__.insert().values(job=job, **values))
        return True
