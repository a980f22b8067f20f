"""unit_lineage.team_id: the team that was at the old unit (moved to the new one, or closed into its team)

Kept so a roll-up on the tree as it stood at an earlier date counts each team at the unit it was at then.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 22:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('unit_lineage') as batch:
        batch.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_unit_lineage_team_id', 'team', ['team_id'], ['id'])
        batch.create_index('ix_unit_lineage_team_id', ['team_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('unit_lineage') as batch:
        batch.drop_index('ix_unit_lineage_team_id')
        batch.drop_constraint('fk_unit_lineage_team_id', type_='foreignkey')
        batch.drop_column('team_id')
