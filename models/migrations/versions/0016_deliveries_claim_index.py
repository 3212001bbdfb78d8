"""deliveries: a partial index on the claim token (only rows in flight), for the claim's read-back and the heartbeat

Revision ID: 0016_claim
Revises: 0015_board
"""
import sqlalchemy as sa
from alembic import op

revision = '0016_claim'
down_revision = '0015_board'
branch_labels = None
depends_on = None

IN_FLIGHT = "claim IS NOT NULL"


def upgrade() -> None:
    op.create_index('ix_deliveries_claim', 'deliveries', ['claim'], unique=False,
                    postgresql_where=sa.text(IN_FLIGHT), sqlite_where=sa.text(IN_FLIGHT))


def downgrade() -> None:
    op.drop_index('ix_deliveries_claim', table_name='deliveries')
