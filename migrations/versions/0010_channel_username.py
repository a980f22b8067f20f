"""channel_username: a channel account's messenger username (Telegram @name, lower-cased), for signing in by it

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 21:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('channel_account') as batch:
        batch.add_column(sa.Column('username', sa.String(length=64), nullable=True))
        batch.create_index('ix_channel_account_username', ['username'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('channel_account') as batch:
        batch.drop_index('ix_channel_account_username')
        batch.drop_column('username')
