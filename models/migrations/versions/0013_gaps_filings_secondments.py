"""filings: a results filing whose grades changed after it was filed (结果已变更，需更正备案) and earlier submissions;
secondments: ended early (提前结束) with the reason

Revision ID: 0013_gaps
Revises: 0012_objections_answer
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import models.db

revision = '0013_gaps'
down_revision = '0012_objections_answer'
branch_labels = None
depends_on = None


def _json():
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('filings') as batch:
        batch.add_column(sa.Column('changed_at', models.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('changes', _json(), nullable=True))
        batch.add_column(sa.Column('history', _json(), nullable=True))
    with op.batch_alter_table('secondments') as batch:
        batch.add_column(sa.Column('ended_at', models.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('ended_by', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('end_reason', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('secondments') as batch:
        batch.drop_column('end_reason')
        batch.drop_column('ended_by')
        batch.drop_column('ended_at')
    with op.batch_alter_table('filings') as batch:
        batch.drop_column('history')
        batch.drop_column('changes')
        batch.drop_column('changed_at')
