"""merits: 加扣分、负面清单与问责 events with their evidence file; the quarter's adjustment kept on the evaluation

Revision ID: 0011_merits_events
Revises: 0010_leave_records_secondments
"""
import sqlalchemy as sa
from alembic import op

from models.db import UTCDateTime

revision = '0011_merits_events'
down_revision = '0010_leave_records_secondments'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'merit_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('item_code', sa.String(length=32), nullable=False),
        sa.Column('item_name', sa.String(length=100), nullable=False),
        sa.Column('occurred_on', sa.Date(), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('evidence_name', sa.String(length=200), nullable=True),
        sa.Column('evidence_type', sa.String(length=100), nullable=True),
        sa.Column('evidence_size', sa.Integer(), nullable=True),
        sa.Column('evidence_sha256', sa.String(length=64), nullable=True),
        sa.Column('evidence', sa.LargeBinary(), nullable=True),
        sa.Column('recorded_by', sa.String(length=64), nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column('reviewed_by', sa.String(length=64), nullable=True),
        sa.Column("reviewed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column('review_note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_merit_events_person_id_people')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_merit_events_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_merit_events')),
    )
    op.create_index('ix_merit_events_person', 'merit_events', ['person_id', 'occurred_on'])
    op.create_index('ix_merit_events_unit_state', 'merit_events', ['unit_id', 'state'])
    op.add_column('evaluations', sa.Column('merit_adjustment', sa.Float(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('evaluations') as batch:
        batch.drop_column('merit_adjustment')
    op.drop_index('ix_merit_events_unit_state', table_name='merit_events')
    op.drop_index('ix_merit_events_person', table_name='merit_events')
    op.drop_table('merit_events')
