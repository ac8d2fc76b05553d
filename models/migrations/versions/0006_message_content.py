"""message content apart from the delivery state: messagecontent(message_id, text_body, html_body, raw)

The dispatcher updates a message's row on every claim and attempt; SQLite rewrites the whole row
each time, and with the bodies and MIME bytes that was tens of KiB per update.

Revision ID: 0006_message_content
Revises: 0005_scheduler
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_message_content'
down_revision = '0005_scheduler'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('messagecontent',
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('text_body', sa.Text(), nullable=False),
    sa.Column('html_body', sa.Text(), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], ),
    sa.PrimaryKeyConstraint('message_id')
    )
    op.execute("INSERT INTO messagecontent (message_id, text_body, html_body, raw) "
               "SELECT id, text_body, html_body, raw FROM message")
    # Plain ALTER TABLE (SQLite >= 3.35): batch mode would copy and drop `message`, which the
    # foreign keys of other tables forbid.
    for column in ('raw', 'html_body', 'text_body'):
        op.execute(f"ALTER TABLE message DROP COLUMN {column}")


def downgrade() -> None:
    op.add_column('message', sa.Column('text_body', sa.Text(), nullable=False, server_default=''))
    op.add_column('message', sa.Column('html_body', sa.Text(), nullable=False, server_default=''))
    op.add_column('message', sa.Column('raw', sa.LargeBinary(), nullable=False, server_default=sa.text("''")))
    op.execute("UPDATE message SET text_body = (SELECT c.text_body FROM messagecontent c WHERE c.message_id = message.id), "
               "html_body = (SELECT c.html_body FROM messagecontent c WHERE c.message_id = message.id), "
               "raw = (SELECT c.raw FROM messagecontent c WHERE c.message_id = message.id)")
    op.drop_table('messagecontent')
