"""console accounts, sign-in tokens and attempts, audit log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 19:50:00
"""

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('console_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', bot.db.types.UtcDateTime(), nullable=False),
    sa.Column('last_signin_at', bot.db.types.UtcDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['org_unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email'),
    sa.UniqueConstraint('member_id')
    )
    with op.batch_alter_table('console_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_account_unit_id'), ['unit_id'], unique=False)

    op.create_table('signin_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', bot.db.types.UtcDateTime(), nullable=False),
    sa.Column('used_at', bot.db.types.UtcDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['console_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('signin_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signin_token_account_id'), ['account_id'], unique=False)

    op.create_table('signin_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('at', bot.db.types.UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['console_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('signin_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_signin_attempt_account', ['account_id', 'at'], unique=False)
        batch_op.create_index('ix_signin_attempt_address', ['address', 'at'], unique=False)

    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', bot.db.types.UtcDateTime(), nullable=False),
    sa.Column('actor_account_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=80), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=False),
    sa.Column('unit_path', sa.String(length=400), nullable=True),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['actor_account_id'], ['console_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entry_at', ['at'], unique=False)
        batch_op.create_index('ix_audit_entry_unit_path', ['unit_path'], unique=False, postgresql_ops={'unit_path': 'text_pattern_ops'})


def downgrade() -> None:
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entry_unit_path', postgresql_ops={'unit_path': 'text_pattern_ops'})
        batch_op.drop_index('ix_audit_entry_at')

    op.drop_table('audit_entry')
    with op.batch_alter_table('signin_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_signin_attempt_address')
        batch_op.drop_index('ix_signin_attempt_account')

    op.drop_table('signin_attempt')
    with op.batch_alter_table('signin_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signin_token_account_id'))

    op.drop_table('signin_token')
    with op.batch_alter_table('console_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_account_unit_id'))

    op.drop_table('console_account')
