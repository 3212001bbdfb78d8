"""evaluations, summaries: covering indexes for the county board's count (issue 12: province-size board < 300 ms)

Revision ID: 0015_board
Revises: 0014_annual
"""
import sqlalchemy as sa
from alembic import op

revision = '0015_board'
down_revision = '0014_annual'
branch_labels = None
depends_on = None

SUBMITTED = "state IN ('submitted', 'locked')"


def upgrade() -> None:
    op.create_index('ix_evaluations_progress', 'evaluations',
                    ['cycle_id', 'person_id', 'tier_id', 'state', 'not_graded_reason'], unique=False)
    op.create_index('ix_summaries_submitted', 'summaries', ['cycle_id', 'person_id'], unique=False,
                    postgresql_where=sa.text(SUBMITTED), sqlite_where=sa.text(SUBMITTED))


def downgrade() -> None:
    op.drop_index('ix_summaries_submitted', table_name='summaries')
    op.drop_index('ix_evaluations_progress', table_name='evaluations')
