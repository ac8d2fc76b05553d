"""task plans: each task's plan (and whether it is retired) from a narrow index

The daily sweep reads which plans each Alliance takes part in: the plans of the live tasks it
coordinates (about 43,000 of them at national scale). Joined to the wide task rows (titles and source
text), PostgreSQL read the whole table to hash it (0.13 s of the national sweep); from
ix_task_id_plan_retired (id, plan_id, retired) it reads the index alone (0.07 s). At that scale SQLite
too looks each task up in it rather than in the table (0.033 -> 0.028 s).

Revision ID: 0011_task_plans
Revises: 0010_claimable_messages
Create Date: 2026-11-29
"""
from alembic import op


revision = '0011_task_plans'
down_revision = '0010_claimable_messages'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index('ix_task_id_plan_retired', ['id', 'plan_id', 'retired'], unique=False)
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ANALYZE ix_task_id_plan_retired')  # see 0007: an index without statistics is taken as selective


def downgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_id_plan_retired')
