"""overdue page: the open-rows index also orders by id; tasks indexed by (retired, section)

The overdue page orders by (due_date, id): with id right after due_date in the partial index, a page
is read from the index in order (no sort of every row falling due on the same days). The
(retired, section) index answers "the retired tasks" (the page's NOT IN) and the section list
(a loose index scan) without reading the whole task table. (id, lead_agency_id) gives the lead
agency of each open row's task (the agency sort's counts) without reading the wide task rows.

Revision ID: 0007_overdue_page
Revises: 0006_message_content
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_overdue_page'
down_revision = '0006_message_content'
branch_labels = None
depends_on = None

OPEN = sa.text("progress != 'done'")


def upgrade() -> None:
    with op.batch_alter_table('occurrence', schema=None) as batch_op:
        batch_op.drop_index('ix_occurrence_open_due', sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.create_index('ix_occurrence_open_due', ['due_date', 'id', 'kind', 'task_id'], unique=False,
                              sqlite_where=OPEN, postgresql_where=OPEN)
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index('ix_task_retired_section', ['retired', 'section'], unique=False)
        batch_op.create_index('ix_task_id_lead', ['id', 'lead_agency_id'], unique=False)
    if op.get_bind().dialect.name == 'sqlite':
        # Statistics for the new indexes only: where the database was analyzed before, an index without
        # them is taken as selective and "retired = 0" would walk every task (PostgreSQL has column stats).
        op.execute('ANALYZE ix_task_retired_section')
        op.execute('ANALYZE ix_occurrence_open_due')
        op.execute('ANALYZE ix_task_id_lead')


def downgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_id_lead')
        batch_op.drop_index('ix_task_retired_section')
    with op.batch_alter_table('occurrence', schema=None) as batch_op:
        batch_op.drop_index('ix_occurrence_open_due', sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.create_index('ix_occurrence_open_due', ['due_date', 'kind', 'task_id'], unique=False,
                              sqlite_where=OPEN, postgresql_where=OPEN)
