"""forms typed after a session ended, kept across the sign-in (web_draft)

Revision ID: 0021_web_drafts
Revises: 0019_task_requests
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0021_web_drafts'
down_revision = '0019_task_requests'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('browser_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('path', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('fields', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key_hash')
    )
    with op.batch_alter_table('web_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_draft_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('web_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_draft_expires_at'))
    op.drop_table('web_draft')
