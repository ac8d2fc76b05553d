"""web sessions and rate-limit events in the database (revocable sessions; limits across processes)

Revision ID: 0015_web_sessions_limits
Revises: 0014_reply_by_email
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0015_web_sessions_limits'
down_revision = '0014_reply_by_email'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_session_email'), ['email'], unique=False)

    op.create_table('rate_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bucket', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('rate_event', schema=None) as batch_op:
        batch_op.create_index('ix_rate_event_bucket_key_at', ['bucket', 'key', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_rate_event_at'), ['at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rate_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_event_at'))
        batch_op.drop_index('ix_rate_event_bucket_key_at')
    op.drop_table('rate_event')
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_session_email'))
    op.drop_table('web_session')
