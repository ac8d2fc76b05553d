"""Extension requests, returned reports and explanation requests (models/task_work.py): the
task_request table, and each occurrence's original due date, kept when an extension moves its due
date in force (the column the overdue partial indexes are on, so they serve the queries unchanged).

Revision ID: 0019_task_requests
Revises: 0016_directory
Create Date: 2026-12-06
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0019_task_requests'
down_revision = '0016_directory'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('occurrence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('original_due', sa.Date(), nullable=True))
    op.create_table(
        'task_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('occurrence_id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('due_then', sa.Date(), nullable=False),
        sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('requested_email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('asked_due', sa.Date(), nullable=True),
        sa.Column('granted_due', sa.Date(), nullable=True),
        sa.Column('answer_by', sa.Date(), nullable=True),
        sa.Column('returned_completed_on', sa.Date(), nullable=True),
        sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decision_note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['occurrence_id'], ['occurrence.id']),
        sa.ForeignKeyConstraint(['task_id'], ['task.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_task_request_occurrence_id', 'task_request', ['occurrence_id'])
    op.create_index('ix_task_request_task', 'task_request', ['task_id', 'id'])
    op.create_index('ix_task_request_kind_state', 'task_request', ['kind', 'state'])


def downgrade() -> None:
    op.drop_index('ix_task_request_kind_state', table_name='task_request')
    op.drop_index('ix_task_request_task', table_name='task_request')
    op.drop_index('ix_task_request_occurrence_id', table_name='task_request')
    op.drop_table('task_request')
    with op.batch_alter_table('occurrence', schema=None) as batch_op:
        batch_op.drop_column('original_due')
