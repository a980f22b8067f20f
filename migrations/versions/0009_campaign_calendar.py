"""campaign_calendar: the province's own campaign dates and theme per year, edited in the console

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 21:10:00
"""

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('campaign_calendar',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('week_end', sa.Date(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('department_deadline', sa.Date(), nullable=True),
    sa.Column('theme_vi', sa.String(length=300), nullable=True),
    sa.Column('theme_en', sa.String(length=300), nullable=True),
    sa.Column('updated_at', bot.db.types.UtcDateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign', 'year', name='uq_campaign_calendar')
    )


def downgrade() -> None:
    op.drop_table('campaign_calendar')
