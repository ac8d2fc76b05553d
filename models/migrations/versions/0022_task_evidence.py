"""the work itself, part B: reassignment (task_reassignment, occurrence.held_by_agency_id: a done
occurrence stays credited to the agency that did it), evidence files (evidencefile), coordinators'
contributions (taskcontribution).

Revision ID: 0022_task_evidence
Revises: 0021_web_drafts
Create Date: 2026-12-06
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0022_task_evidence'
down_revision = '0021_web_drafts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'taskreassignment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('effective_on', sa.Date(), nullable=False),
        sa.Column('from_agency_id', sa.Integer(), nullable=False),
        sa.Column('to_agency_id', sa.Integer(), nullable=False),
        sa.Column('coordinators_before', sa.Text(), nullable=False, server_default=''),
        sa.Column('coordinators_after', sa.Text(), nullable=False, server_default=''),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['task_id'], ['task.id']),
        sa.ForeignKeyConstraint(['from_agency_id'], ['agency.id']),
        sa.ForeignKeyConstraint(['to_agency_id'], ['agency.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_taskreassignment_task_id', 'taskreassignment', ['task_id'])
    with op.batch_alter_table('occurrence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_by_agency_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_occurrence_held_by_agency_id', 'agency', ['held_by_agency_id'], ['id'])
    op.create_table(
        'evidencefile',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('occurrence_id', sa.Integer(), nullable=True),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('media_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['task_id'], ['task.id']),
        sa.ForeignKeyConstraint(['occurrence_id'], ['occurrence.id']),
        sa.ForeignKeyConstraint(['agency_id'], ['agency.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    for column in ('task_id', 'occurrence_id', 'agency_id', 'sha256'):
        op.create_index(f'ix_evidencefile_{column}', 'evidencefile', [column])
    op.create_table(
        'taskcontribution',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['task_id'], ['task.id']),
        sa.ForeignKeyConstraint(['agency_id'], ['agency.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_taskcontribution_task_id', 'taskcontribution', ['task_id'])
    op.create_index('ix_taskcontribution_agency_id', 'taskcontribution', ['agency_id'])


def downgrade() -> None:
    op.drop_table('taskcontribution')
    op.drop_table('evidencefile')
    with op.batch_alter_table('occurrence', schema=None) as batch_op:
        batch_op.drop_constraint('fk_occurrence_held_by_agency_id', type_='foreignkey')
        batch_op.drop_column('held_by_agency_id')
    op.drop_table('taskreassignment')
