"""the directory lives in the database: agencies' province, identifier code (mã định danh) and aliases;
groups' aliases and members as written; focal points' phone, form of address, title, the days they
serve, an away period, and when they were last changed in the app (an import shows a conflict).

Existing agencies take the province of the plans loaded (when they all name one).

Revision ID: 0016_directory
Revises: 0015_web_sessions_limits
Create Date: 2026-12-06
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0016_directory'
down_revision = '0015_web_sessions_limits'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.add_column(sa.Column('province', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('identifier_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('aliases', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('agencygroup', schema=None) as batch_op:
        batch_op.add_column(sa.Column('aliases', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('members', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('focalpoint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('address_as', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True))
        batch_op.add_column(sa.Column('active_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('active_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('away_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('away_to', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('changed_in_app_at', sa.DateTime(timezone=True), nullable=True))
    connection = op.get_bind()
    provinces = [row[0] for row in connection.execute(sa.text(
        "SELECT DISTINCT province FROM plan WHERE province IS NOT NULL AND province <> ''"))]
    if len(provinces) == 1:
        connection.execute(sa.text("UPDATE agency SET province = :p"), dict(p=provinces[0]))


def downgrade() -> None:
    with op.batch_alter_table('focalpoint', schema=None) as batch_op:
        for name in ('changed_in_app_at', 'away_to', 'away_from', 'active_until', 'active_from', 'title',
                     'address_as', 'phone'):
            batch_op.drop_column(name)
    with op.batch_alter_table('agencygroup', schema=None) as batch_op:
        batch_op.drop_column('members')
        batch_op.drop_column('aliases')
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.drop_column('aliases')
        batch_op.drop_column('identifier_code')
        batch_op.drop_column('province')
