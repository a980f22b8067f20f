"""link codes wait for the member's confirmation; wrong invite codes are counted per source address too

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('link_code', schema=None) as batch_op:
        batch_op.add_column(sa.Column('candidate_channel', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('candidate_id', sa.String(length=64), nullable=True))
    with op.batch_alter_table('invite_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_invite_attempt_source', ['source', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('invite_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_invite_attempt_source')
        batch_op.drop_column('source')
    with op.batch_alter_table('link_code', schema=None) as batch_op:
        batch_op.drop_column('candidate_id')
        batch_op.drop_column('candidate_channel')
