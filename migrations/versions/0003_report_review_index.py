"""index on report (status, unit_path, created_at): reports waiting for review per subtree

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 20:00:00
"""

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.create_index('ix_report_review', ['status', 'unit_path', 'created_at'], unique=False,
                              postgresql_ops={'unit_path': 'text_pattern_ops'})


def downgrade() -> None:
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_index('ix_report_review', postgresql_ops={'unit_path': 'text_pattern_ops'})
