"""annual results: the unit's recorded 年度考核等次 per person and year (fed back, objectable under the law); an
objection may be a quarter's (evaluation + cycle) or a year's (annual_result)

Revision ID: 0014_annual
Revises: 0013_gaps
"""
import sqlalchemy as sa
from alembic import op

from models.db import UTCDateTime

revision = '0014_annual'
down_revision = '0013_gaps'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'annual_results',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.SmallInteger(), nullable=False),
        sa.Column('grade', sa.String(length=16), nullable=False),
        sa.Column('decided_grade', sa.String(length=16), nullable=False),
        sa.Column('suggested_grade', sa.String(length=16), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('decided_by', sa.String(length=64), nullable=False),
        sa.Column('decided_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('fed_back_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_annual_results_person_id_people')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_annual_results_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_annual_results')),
        sa.UniqueConstraint('person_id', 'year', name=op.f('uq_annual_results_person_id_year')),
    )
    op.create_index(op.f('ix_annual_results_unit_id'), 'annual_results', ['unit_id'])
    with op.batch_alter_table('objections') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=8), server_default='quarter', nullable=False))
        batch.add_column(sa.Column('annual_result_id', sa.Integer(), nullable=True))
        batch.alter_column('evaluation_id', existing_type=sa.Integer(), nullable=True)
        batch.alter_column('cycle_id', existing_type=sa.Integer(), nullable=True)
        batch.create_foreign_key(op.f('fk_objections_annual_result_id_annual_results'), 'annual_results',
                                 ['annual_result_id'], ['id'])
        batch.create_unique_constraint(op.f('uq_objections_annual_result_id'), ['annual_result_id'])


def downgrade() -> None:
    op.execute("DELETE FROM objections WHERE kind = 'annual'")
    with op.batch_alter_table('objections') as batch:
        batch.drop_constraint(op.f('uq_objections_annual_result_id'), type_='unique')
        batch.drop_constraint(op.f('fk_objections_annual_result_id_annual_results'), type_='foreignkey')
        batch.alter_column('cycle_id', existing_type=sa.Integer(), nullable=False)
        batch.alter_column('evaluation_id', existing_type=sa.Integer(), nullable=False)
        batch.drop_column('annual_result_id')
        batch.drop_column('kind')
    op.drop_index(op.f('ix_annual_results_unit_id'), table_name='annual_results')
    op.drop_table('annual_results')
