"""notices resolve their audience at send time; push facts; deliveries to unbound people are their own state

Revision ID: 0006_msgs_notice_send_time
Revises: 0005_results
"""
from alembic import op
import sqlalchemy as sa
import models.db
from sqlalchemy.dialects import postgresql

revision = '0006_msgs_notice_send_time'
down_revision = '0006_outage_chat_dialogs'
branch_labels = None
depends_on = None

UNBOUND = "未绑定微信，无法送达"


def upgrade() -> None:
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resolved_at', models.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column(
            'facts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
    notices = sa.table('notices', sa.column('id'), sa.column('state'), sa.column('created_at'),
                       sa.column('resolved_at'), sa.column('facts', sa.JSON()))
    deliveries = sa.table('deliveries', sa.column('notice_id'), sa.column('state'), sa.column('error'))
    # Existing notices already have their rows (they were resolved at creation); drafts have none yet.
    op.execute(notices.update().where(notices.c.state != 'draft').values(resolved_at=notices.c.created_at))
    op.execute(notices.update().values(facts={}))
    op.execute(deliveries.update().where(deliveries.c.state == 'failed', deliveries.c.error == UNBOUND)
               .values(state='unbound'))
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.alter_column('facts', nullable=False)


def downgrade() -> None:
    deliveries = sa.table('deliveries', sa.column('state'))
    op.execute(deliveries.update().where(deliveries.c.state == 'unbound').values(state='failed'))
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_column('facts')
        batch_op.drop_column('resolved_at')
