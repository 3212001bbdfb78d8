"""leave: leave days per person and quarter; secondments (借调)

Revision ID: 0010_leave_records_secondments
Revises: 0009_signoff_results_signoff
"""
from alembic import op
import sqlalchemy as sa

from models.db import UTCDateTime

revision = '0010_leave_records_secondments'
down_revision = '0009_signoff_results_signoff'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'leave_records',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.SmallInteger(), nullable=False),
        sa.Column('quarter', sa.SmallInteger(), nullable=False),
        sa.Column('days', sa.Float(), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=False),
        sa.Column('updated_by', sa.String(length=64), nullable=False),
        sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_leave_records_person_id_people')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_leave_records')),
        sa.UniqueConstraint('person_id', 'year', 'quarter', name=op.f('uq_leave_records_person_id_year_quarter')),
    )
    op.create_table(
        'secondments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('host_unit_id', sa.Integer(), nullable=False),
        sa.Column('host_tier_id', sa.Integer(), nullable=False),
        sa.Column('start_on', sa.Date(), nullable=False),
        sa.Column('end_on', sa.Date(), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=False),
        sa.Column('recorded_by', sa.String(length=64), nullable=False),
        sa.Column('recorded_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_secondments_person_id_people')),
        sa.ForeignKeyConstraint(['host_unit_id'], ['units.id'], name=op.f('fk_secondments_host_unit_id_units')),
        sa.ForeignKeyConstraint(['host_tier_id'], ['tiers.id'], name=op.f('fk_secondments_host_tier_id_tiers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_secondments')),
    )
    op.create_index('ix_secondments_host', 'secondments', ['host_unit_id', 'start_on', 'end_on'])
    op.create_index('ix_secondments_person', 'secondments', ['person_id'])


def downgrade() -> None:
    op.drop_index('ix_secondments_person', table_name='secondments')
    op.drop_index('ix_secondments_host', table_name='secondments')
    op.drop_table('secondments')
    op.drop_table('leave_records')
