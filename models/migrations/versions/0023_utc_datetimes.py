"""one convention for moments: every datetime column holds UTC (models.types.UtcDateTime).

Until now SQLite, which keeps no zone, stored each moment's wall time in the zone it was written in:
Vietnam time in most tables (the clock's moments), UTC in the tables whose code converted first
(sign-in, web sessions and limits, the scheduler's lease and runs, task requests). This rewrites the
Vietnam-time columns in UTC (seven hours earlier: Vietnam has kept UTC+07:00 since 1975), so that
every column reads back as the same instant with one rule.

PostgreSQL stored instants all along (`timestamp with time zone`): nothing moves there. A column found
without a zone (`timestamp`, e.g. altered by hand) is converted, read in the zone it was written in.

Revision ID: 0023_utc_datetimes
Revises: 0022_task_evidence
Create Date: 2026-12-06
"""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op


revision = '0023_utc_datetimes'
down_revision = '0022_task_evidence'
branch_labels = None
depends_on = None

VIETNAM = 'Asia/Ho_Chi_Minh'
UTC = 'UTC'

# Every datetime column, with the zone its wall time was written in on SQLite before this revision.
# inboundmail.sent_at kept the offset of the sender's Date header, which SQLite dropped: taken as
# Vietnam time, where the replies come from.
COLUMNS = {
    'auditentry': {'at': VIETNAM},
    'bouncedaddress': {'bounced_at': VIETNAM},
    'deliveryattempt': {'at': VIETNAM},
    'evidencefile': {'at': VIETNAM},
    'focalpoint': {'changed_in_app_at': VIETNAM},
    'inboundmail': {'processed_at': VIETNAM, 'sent_at': VIETNAM},
    'message': {'next_attempt_at': VIETNAM, 'claimed_at': VIETNAM, 'created_at': VIETNAM, 'sent_at': VIETNAM},
    'occurrence': {'updated_at': VIETNAM},
    'plan': {'loaded_at': VIETNAM},
    'plan_import': {'created_at': VIETNAM, 'loaded_at': VIETNAM},
    'rate_event': {'at': UTC},
    'reviewcycle': {'closes_at': VIETNAM, 'opened_at': VIETNAM, 'reported_at': VIETNAM},
    'reviewrequest': {'created_at': VIETNAM, 'submitted_at': VIETNAM},
    'reviewsubmission': {'submitted_at': VIETNAM},
    'reviewtoken': {'issued_at': VIETNAM, 'expires_at': VIETNAM},
    'scheduler_lease': {'acquired_at': UTC, 'renewed_at': UTC, 'expires_at': UTC},
    'scheduler_run': {'last_fire': UTC, 'finished_at': UTC},
    'signintoken': {'created_at': UTC, 'expires_at': UTC, 'used_at': UTC},
    'staffuser': {'created_at': UTC},
    'task_request': {'requested_at': UTC, 'decided_at': UTC},
    'taskcontribution': {'at': VIETNAM},
    'taskreassignment': {'at': VIETNAM, 'applied_at': VIETNAM},
    'web_draft': {'expires_at': UTC},
    'web_session': {'created_at': UTC, 'expires_at': UTC},
}

# What SQLAlchemy wrote on SQLite: 'YYYY-MM-DD HH:MM:SS' and, mostly, '.ffffff'. Anything else was
# written by hand: a value with an offset is the instant it names; one that is no moment at all stops
# the migration, and the database stays as it was.
_SQLITE_MOMENT = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]"


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == 'sqlite':
        _upgrade_sqlite(connection)
    elif connection.dialect.name == 'postgresql':
        _upgrade_postgresql(connection)


def _upgrade_sqlite(connection) -> None:
    for table, columns in COLUMNS.items():
        for column, zone in columns.items():
            c = f'"{column}"'
            plain = (f"(({c} GLOB '{_SQLITE_MOMENT}' AND length({c}) = 19) OR "
                     f"({c} GLOB '{_SQLITE_MOMENT}.[0-9]*' AND length({c}) BETWEEN 21 AND 26))")
            others = []
            for rowid, value in connection.execute(sa.text(
                    f'SELECT rowid, {c} FROM "{table}" WHERE {c} IS NOT NULL AND NOT {plain}')):
                try:
                    moment = datetime.fromisoformat(str(value))
                except ValueError:
                    raise RuntimeError(f"{table}.{column} holds {value!r}, which is not a moment: "
                                       "the database is left as it was") from None
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=ZoneInfo(zone))
                others.append((rowid, moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")))
            if zone == VIETNAM:
                _shift_sqlite(connection, table, c, "-7 hours", where=plain)
            for rowid, value in others:
                connection.execute(sa.text(f'UPDATE "{table}" SET {c} = :value WHERE rowid = :rowid'),
                                   dict(value=value, rowid=rowid))


def _shift_sqlite(connection, table: str, c: str, hours: str, *, where: str) -> None:
    """Move a column's wall times by whole hours; the seconds' fraction (from the 20th character) stays."""
    connection.execute(sa.text(
        f'UPDATE "{table}" SET {c} = strftime(\'%Y-%m-%d %H:%M:%S\', {c}, \'{hours}\') || substr({c}, 20) '
        f'WHERE {where}'))


def _upgrade_postgresql(connection) -> None:
    found = connection.execute(sa.text(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND data_type = 'timestamp without time zone'")).all()
    for table, column in found:
        zone = COLUMNS.get(table, {}).get(column)
        if zone is not None:
            connection.execute(sa.text(
                f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE timestamp with time zone '
                f'USING "{column}" AT TIME ZONE \'{zone}\''))


def downgrade() -> None:
    """Back to Vietnam time's wall time in the columns that held it, on SQLite (PostgreSQL: as it was)."""
    connection = op.get_bind()
    if connection.dialect.name != 'sqlite':
        return
    for table, columns in COLUMNS.items():
        for column, zone in columns.items():
            if zone == VIETNAM:
                _shift_sqlite(connection, table, f'"{column}"', "+7 hours", where=f'"{column}" IS NOT NULL')
