"""signoff: the person's sign-off of a published result (本人签署意见) and objections (异议)

Revision ID: 0009_signoff_results_signoff
Revises: 0006_flow_no_summary_note
"""
import sqlalchemy as sa
from alembic import op

import models.db

revision = '0009_signoff_results_signoff'
down_revision = '0006_flow_no_summary_note'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('cycles', sa.Column('published_at', models.db.UTCDateTime(timezone=True), nullable=True))
    op.add_column('cycles', sa.Column('publication', sa.SmallInteger(), server_default='0', nullable=False))
    op.create_table('result_signoffs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('publication', sa.SmallInteger(), nullable=False),
    sa.Column('choice', sa.String(length=8), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('signed_at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluations.id'], name=op.f('fk_result_signoffs_evaluation_id_evaluations')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_result_signoffs_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_result_signoffs')),
    sa.UniqueConstraint('evaluation_id', 'publication', name=op.f('uq_result_signoffs_evaluation_id_publication'))
    )
    op.create_index(op.f('ix_result_signoffs_person_id'), 'result_signoffs', ['person_id'], unique=False)
    op.create_table('objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('publication', sa.SmallInteger(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('grade', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('attachment_name', sa.String(length=200), nullable=True),
    sa.Column('attachment_type', sa.String(length=64), nullable=True),
    sa.Column('attachment', sa.LargeBinary(), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('created_at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answer_due', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_objections_cycle_id_cycles')),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluations.id'], name=op.f('fk_objections_evaluation_id_evaluations')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_objections_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objections')),
    sa.UniqueConstraint('evaluation_id', 'publication', name=op.f('uq_objections_evaluation_id_publication'))
    )
    op.create_index('ix_objections_cycle_state', 'objections', ['cycle_id', 'state'], unique=False)
    op.create_index(op.f('ix_objections_person_id'), 'objections', ['person_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_objections_person_id'), table_name='objections')
    op.drop_index('ix_objections_cycle_state', table_name='objections')
    op.drop_table('objections')
    op.drop_index(op.f('ix_result_signoffs_person_id'), table_name='result_signoffs')
    op.drop_table('result_signoffs')
    with op.batch_alter_table('cycles') as batch:
        batch.drop_column('publication')
        batch.drop_column('published_at')
