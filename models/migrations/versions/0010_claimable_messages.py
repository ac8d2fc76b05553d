"""claimable messages: a partial index of the messages a dispatcher may claim, in id order

The dispatcher claims the first `batch` due messages in id order. ix_message_status_next (status,
next_attempt_at) answered that with two bitmap scans (queued, sending) and a sort; on PostgreSQL each
message leaves a dead entry in it for every version it had (queued, sending), and a bitmap scan never
marks them dead, so without VACUUM every claim visited the heap for every message ever queued (38 ms
a claim after 8,000 messages, growing with each day's digests). ix_message_claimable holds only the
rows in a claimable state, keyed by id: the claim reads it from where the previous batch ended
(id > the last one claimed), so what it scans is the rest of the queue, not the history.

It replaces ix_message_status_next, which nothing else reads (the staff outbox page counts every
status over the whole table and lists by id); one index fewer to update on every attempt.

Revision ID: 0010_claimable_messages
Revises: 0009_mime_only
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_claimable_messages'
down_revision = '0009_mime_only'
branch_labels = None
depends_on = None

CLAIMABLE = sa.text("status IN ('queued', 'sending')")


def upgrade() -> None:
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_status_next')
        batch_op.create_index('ix_message_claimable', ['id'], unique=False,
                              sqlite_where=CLAIMABLE, postgresql_where=CLAIMABLE)
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ANALYZE ix_message_claimable')  # see 0007: an index without statistics is taken as selective


def downgrade() -> None:
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_claimable', sqlite_where=CLAIMABLE, postgresql_where=CLAIMABLE)
        batch_op.create_index('ix_message_status_next', ['status', 'next_attempt_at'], unique=False)
