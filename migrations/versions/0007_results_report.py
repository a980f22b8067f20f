"""report.plan and report.featured; unit_base: what the official results report needs

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 20:40:00
"""

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('report') as batch:
        batch.add_column(sa.Column('plan', sa.String(length=48), nullable=True))
        batch.add_column(sa.Column('featured', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table('unit_base',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('households', sa.Integer(), nullable=True),
    sa.Column('updated_at', bot.db.types.UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['org_unit.id'], ),
    sa.PrimaryKeyConstraint('unit_id')
    )


def downgrade() -> None:
    op.drop_table('unit_base')
    with op.batch_alter_table('report') as batch:
        batch.drop_column('featured')
        batch.drop_column('plan')
