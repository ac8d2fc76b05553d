"""reply by email: the messages read from the reply mailbox, the addresses that bounced

inboundmail: one row per message read (replies, bounces, auto-replies, ...), its key (Message-ID or a
hash of the bytes) unique, written in the transaction that applied it: a message is processed once.
bouncedaddress: a focal point's address refused for good (shown on the agency page and the overview).
ix_message_message_id: a DSN that lost our return path names the bounced message by its Message-ID.

Revision ID: 0014_reply_by_email
Revises: 0013_task_product
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0014_reply_by_email'
down_revision = '0013_task_product'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'inboundmail',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column('processed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sender', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column('subject', sa.Text(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['message_id'], ['message.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
    )
    op.create_index('ix_inboundmail_message_id', 'inboundmail', ['message_id'], unique=False)
    op.create_table(
        'bouncedaddress',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column('bounced_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['message_id'], ['message.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('email'),
    )
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index('ix_message_message_id', ['message_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_message_id')
    op.drop_table('bouncedaddress')
    op.drop_index('ix_inboundmail_message_id', table_name='inboundmail')
    op.drop_table('inboundmail')
