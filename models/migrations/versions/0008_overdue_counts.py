"""overdue counts: narrow partial indexes of the overdue-able rows; a covering index of tasks by lead

The overdue page counts every row it lists (~75,000 at national scale). The rows it can list are open
(progress != 'done') and not withdrawn; two partial indexes hold exactly those, and only the columns
the page needs:

- ix_occurrence_overdue_due (due_date, id, task_id): the count and the page in due order. A quarter
  of the size of ix_occurrence_open_due (kind, a text column, is in its WHERE instead), so PostgreSQL
  counts from it with an index-only scan where it chose a sequential scan of the whole table (its
  estimate of the open past rows is 4x too high: progress and due_date are correlated).
- ix_occurrence_overdue_task (task_id, due_date, id): one agency's rows, task by task, without
  reading the table (the sort by agency counts agency after agency, only as far as the page).
- ix_task_lead_retired_section (lead_agency_id, retired, section, id): the tasks chosen by agency
  kind and section (district=*&section=3.3) from the index, not from the wide task rows.

Revision ID: 0008_overdue_counts
Revises: 0007_overdue_page
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_overdue_counts'
down_revision = '0007_overdue_page'
branch_labels = None
depends_on = None

OVERDUE_ABLE = sa.text("progress != 'done' AND kind != 'withdrawn'")


def upgrade() -> None:
    with op.batch_alter_table('occurrence', schema=None) as batch_op:
        batch_op.create_index('ix_occurrence_overdue_due', ['due_date', 'id', 'task_id'], unique=False,
                              sqlite_where=OVERDUE_ABLE, postgresql_where=OVERDUE_ABLE)
        batch_op.create_index('ix_occurrence_overdue_task', ['task_id', 'due_date', 'id'], unique=False,
                              sqlite_where=OVERDUE_ABLE, postgresql_where=OVERDUE_ABLE)
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index('ix_task_lead_retired_section', ['lead_agency_id', 'retired', 'section', 'id'],
                              unique=False)
    if op.get_bind().dialect.name == 'sqlite':
        # Statistics for the new indexes only (see 0007: an index without them is taken as selective).
        op.execute('ANALYZE ix_occurrence_overdue_due')
        op.execute('ANALYZE ix_occurrence_overdue_task')
        op.execute('ANALYZE ix_task_lead_retired_section')


def downgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_lead_retired_section')
    with op.batch_alter_table('occurrence', schema=None) as batch_op:
        batch_op.drop_index('ix_occurrence_overdue_task', sqlite_where=OVERDUE_ABLE, postgresql_where=OVERDUE_ABLE)
        batch_op.drop_index('ix_occurrence_overdue_due', sqlite_where=OVERDUE_ABLE, postgresql_where=OVERDUE_ABLE)
