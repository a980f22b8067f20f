"""dead_letter: stored events and messages that failed again and again, set aside with their error

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 20:45:00
"""

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dead_letter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('ref', sa.Integer(), nullable=False),
    sa.Column('summary', sa.String(length=120), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=300), nullable=False),
    sa.Column('first_failed_at', bot.db.types.UtcDateTime(), nullable=False),
    sa.Column('last_failed_at', bot.db.types.UtcDateTime(), nullable=False),
    sa.Column('dead_at', bot.db.types.UtcDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source', 'ref', name='uq_dead_letter')
    )
    op.create_index(op.f('ix_dead_letter_dead_at'), 'dead_letter', ['dead_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_dead_letter_dead_at'), table_name='dead_letter')
    op.drop_table('dead_letter')
