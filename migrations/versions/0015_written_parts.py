"""written_part: a unit's difficulties and recommendations for a period, answered and worded in the console

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 22:45:00
"""

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('written_part',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('answer', sa.String(length=2000), nullable=False),
    sa.Column('answered_by', sa.String(length=80), nullable=False),
    sa.Column('answered_at', bot.db.types.UtcDateTime(), nullable=True),
    sa.Column('wording', sa.String(length=2000), nullable=True),
    sa.Column('worded_by', sa.String(length=80), nullable=True),
    sa.Column('worded_at', bot.db.types.UtcDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['unit_id'], ['org_unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('unit_id', 'period', 'kind', name='uq_written_part')
    )
    op.create_index(op.f('ix_written_part_unit_id'), 'written_part', ['unit_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_written_part_unit_id'), table_name='written_part')
    op.drop_table('written_part')
