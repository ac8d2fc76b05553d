"""truthful status: only deadlines can be late; plans carry their issue date; the review duty is known

- A duty without a deadline is never late: its yearly check-ins (kind 'checkin') leave the partial
  indexes of the rows that can be late, which now hold open rows with a deadline only
  (kind = 'deadline'). The policy's "final" due date at the horizon's end is gone: an open one
  nobody wrote on is deleted, one with something recorded on it is kept as withdrawn.
- ix_occurrence_done_on (completed_on, due_date, task_id WHERE progress = 'done'): completions by
  date, so a day asked about in the past finds what was done after it (still open on that day).
- plan.issued_on, number, issuer: the plan's issue date (no period ending before it is due), its
  số/ký hiệu and issuing body.
- task.review_role: 'inputs' for the duty a review submission completes (4.2-b), 'report' for the
  compiling body's duty (4.1-a).

Revision ID: 0012_truthful_status
Revises: 0011_task_plans
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0012_truthful_status'
down_revision = '0011_task_plans'
branch_labels = None
depends_on = None

OLD = sa.text("progress != 'done' AND kind != 'withdrawn'")
NEW = sa.text("progress != 'done' AND kind = 'deadline'")
DONE = sa.text("progress = 'done'")


def _overdue_indexes(batch_op, where) -> None:
    batch_op.create_index('ix_occurrence_overdue_due', ['due_date', 'id', 'task_id'], unique=False,
                          sqlite_where=where, postgresql_where=where)
    batch_op.create_index('ix_occurrence_overdue_task', ['task_id', 'due_date', 'id'], unique=False,
                          sqlite_where=where, postgresql_where=where)


def upgrade() -> None:
    op.execute("DELETE FROM occurrence WHERE kind = 'final' AND progress = 'open' AND note IS NULL")
    op.execute("UPDATE occurrence SET kind = 'withdrawn' WHERE kind = 'final'")
    with op.batch_alter_table('occurrence', schema=None) as batch_op:
        batch_op.drop_index('ix_occurrence_overdue_task', sqlite_where=OLD, postgresql_where=OLD)
        batch_op.drop_index('ix_occurrence_overdue_due', sqlite_where=OLD, postgresql_where=OLD)
        _overdue_indexes(batch_op, NEW)
        batch_op.create_index('ix_occurrence_done_on', ['completed_on', 'due_date', 'task_id'], unique=False,
                              sqlite_where=DONE, postgresql_where=DONE)
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issued_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('number', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('issuer', sa.String(length=255), nullable=True))
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_role', sa.String(length=20), nullable=True))
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ANALYZE ix_occurrence_overdue_due')
        op.execute('ANALYZE ix_occurrence_overdue_task')
        op.execute('ANALYZE ix_occurrence_done_on')


def downgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_column('review_role')
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_column('issuer')
        batch_op.drop_column('number')
        batch_op.drop_column('issued_on')
    with op.batch_alter_table('occurrence', schema=None) as batch_op:
        batch_op.drop_index('ix_occurrence_done_on', sqlite_where=DONE, postgresql_where=DONE)
        batch_op.drop_index('ix_occurrence_overdue_task', sqlite_where=NEW, postgresql_where=NEW)
        batch_op.drop_index('ix_occurrence_overdue_due', sqlite_where=NEW, postgresql_where=NEW)
        _overdue_indexes(batch_op, OLD)
