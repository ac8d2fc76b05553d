"""task product and plan imports: what a duty delivers ("Sản phẩm" of an annex table), and the
drafts of the guided import (a parsed plan under review, until it is loaded)

Revision ID: 0013_task_product
Revises: 0012_truthful_status
Create Date: 2026-12-06
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0013_task_product'
down_revision = '0012_truthful_status'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('product', sa.Text(), nullable=True))
    op.create_table(
        'plan_import',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('draft', sa.Text(), nullable=False),
        sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('plan_code', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    )


def downgrade() -> None:
    op.drop_table('plan_import')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_column('product')
