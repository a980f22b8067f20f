"""rollup_year, rollup_year_count, rollup_month: report totals kept by triggers on `report`, backfilled

A year's roll-up reads these few thousand rows instead of every report (bot/db/rollup_totals.py);
the triggers come from bot/db/rollup_triggers.py, the same ones `create_all` installs.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 23:00:00
"""

import sqlalchemy as sa
from alembic import op

import bot.db.types
from bot.db import rollup_triggers

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rollup_year',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=400), nullable=False),
    sa.Column('type_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reports', sa.Integer(), nullable=False),
    sa.Column('people', sa.BigInteger(), nullable=False),
    sa.Column('people_n', sa.Integer(), nullable=False),
    sa.Column('first_at', bot.db.types.UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('year', 'team_id', 'unit_path', 'type_id', 'status'),
    sqlite_with_rowid=False
    )
    op.create_table('rollup_year_count',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=400), nullable=False),
    sa.Column('type_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('count_id', sa.String(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', 'unit_path', 'type_id', 'status', 'count_id'),
    sqlite_with_rowid=False
    )
    op.create_table('rollup_month',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=400), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reports', sa.Integer(), nullable=False),
    sa.Column('people', sa.BigInteger(), nullable=False),
    sa.Column('people_n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', 'month', 'unit_path', 'status'),
    sqlite_with_rowid=False
    )
    bind = op.get_bind()
    rollup_triggers.backfill(bind)
    rollup_triggers.install(bind)


def downgrade() -> None:
    rollup_triggers.uninstall(op.get_bind())
    op.drop_table('rollup_month')
    op.drop_table('rollup_year_count')
    op.drop_table('rollup_year')
