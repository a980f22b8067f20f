"""org_unit.valid_from and retired_on; unit_lineage: the 2025 reorganisation kept as history

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 20:55:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('org_unit') as batch:
        batch.add_column(sa.Column('valid_from', sa.Date(), nullable=True))
        batch.add_column(sa.Column('retired_on', sa.Date(), nullable=True))
    op.create_table('unit_lineage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('old_unit_id', sa.Integer(), nullable=False),
    sa.Column('new_unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('old_parent_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['new_unit_id'], ['org_unit.id'], ),
    sa.ForeignKeyConstraint(['old_parent_id'], ['org_unit.id'], ),
    sa.ForeignKeyConstraint(['old_unit_id'], ['org_unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_unit_lineage_new', 'unit_lineage', ['new_unit_id', 'effective_on'], unique=False)
    op.create_index(op.f('ix_unit_lineage_old_unit_id'), 'unit_lineage', ['old_unit_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_unit_lineage_old_unit_id'), table_name='unit_lineage')
    op.drop_index('ix_unit_lineage_new', table_name='unit_lineage')
    op.drop_table('unit_lineage')
    with op.batch_alter_table('org_unit') as batch:
        batch.drop_column('retired_on')
        batch.drop_column('valid_from')
