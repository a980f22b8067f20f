"""shared_state: media links and web chat messages in the database, so any process serves them

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 22:40:00
"""

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('media_link',
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('path', sa.String(length=1000), nullable=False),
    sa.Column('expires_at', bot.db.types.UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('token')
    )
    op.create_index(op.f('ix_media_link_expires_at'), 'media_link', ['expires_at'], unique=False)
    op.create_index(op.f('ix_media_link_path'), 'media_link', ['path'], unique=False)
    op.create_table('web_frame',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat', sa.String(length=64), nullable=False),
    sa.Column('frame', sa.JSON(), nullable=False),
    sa.Column('created_at', bot.db.types.UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_web_frame_chat'), 'web_frame', ['chat'], unique=False)
    op.create_index(op.f('ix_web_frame_created_at'), 'web_frame', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_web_frame_created_at'), table_name='web_frame')
    op.drop_index(op.f('ix_web_frame_chat'), table_name='web_frame')
    op.drop_table('web_frame')
    op.drop_index(op.f('ix_media_link_path'), table_name='media_link')
    op.drop_index(op.f('ix_media_link_expires_at'), table_name='media_link')
    op.drop_table('media_link')
