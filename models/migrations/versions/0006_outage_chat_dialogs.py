"""outage: the chat's dialog state in the database (Redis only caches it)

Revision ID: 0006_outage_chat_dialogs
Revises: 0005_results
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa
import models.db

revision = '0006_outage_chat_dialogs'
down_revision = '0005_results'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('chat_dialogs',
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('expires_at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('openid', name=op.f('pk_chat_dialogs'))
    )


def downgrade() -> None:
    op.drop_table('chat_dialogs')
