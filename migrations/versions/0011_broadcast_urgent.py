"""broadcast_urgent: an urgent broadcast is sent through the quiet hours (the sender holds the others)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 21:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('broadcast') as batch:
        batch.add_column(sa.Column('urgent', sa.Boolean(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('broadcast') as batch:
        batch.drop_column('urgent')
