"""flow: the supervisor's recorded reason for scoring a person whose summary was not submitted

Revision ID: 0006_flow_no_summary_note
Revises: 0005_results
"""
from alembic import op
import sqlalchemy as sa

revision = '0006_flow_no_summary_note'
down_revision = '0006_msgs_notice_send_time'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('evaluations', sa.Column('no_summary_note', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('evaluations') as batch:
        batch.drop_column('no_summary_note')
