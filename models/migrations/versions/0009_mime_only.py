"""a message's content is its MIME bytes only: messagecontent loses text_body and html_body

Both bodies are inside the MIME message as sent; the HTML copy was never read, and the text one only
by the outbox page, which now reads it from the MIME. About a third less written per message.

Revision ID: 0009_mime_only
Revises: 0008_overdue_counts
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_mime_only'
down_revision = '0008_overdue_counts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE (SQLite >= 3.35), as in 0006: nothing references these columns.
    for column in ('html_body', 'text_body'):
        op.execute(f"ALTER TABLE messagecontent DROP COLUMN {column}")


def downgrade() -> None:
    from notifications.outbox import bodies_of

    op.add_column('messagecontent', sa.Column('text_body', sa.Text(), nullable=False, server_default=''))
    op.add_column('messagecontent', sa.Column('html_body', sa.Text(), nullable=False, server_default=''))
    connection = op.get_bind()
    content = sa.table('messagecontent', sa.column('message_id', sa.Integer), sa.column('raw', sa.LargeBinary),
                       sa.column('text_body', sa.Text), sa.column('html_body', sa.Text))
    for message_id, raw in connection.execute(sa.select(content.c.message_id, content.c.raw)).all():
        text, html = bodies_of(raw)
        connection.execute(content.update().where(content.c.message_id == message_id)
                           .values(text_body=text, html_body=html))
