"""objections: the unit's answer (upheld / changed with the meeting), the person's reply, the county's conclusion

Revision ID: 0012_objections_answer
Revises: 0011_merits_events
"""
import sqlalchemy as sa
from alembic import op

import models.db

revision = '0012_objections_answer'
down_revision = '0011_merits_events'
branch_labels = None
depends_on = None

COLUMNS = (
    ('answer', sa.Text), ('new_grade', lambda: sa.String(length=40)), ('meeting_on', sa.Date),
    ('meeting_attendees', sa.Text), ('answered_by', lambda: sa.String(length=64)),
    ('answered_at', lambda: models.db.UTCDateTime(timezone=True)),
    ('responded_at', lambda: models.db.UTCDateTime(timezone=True)), ('escalation_reason', sa.Text),
    ('closed_by', lambda: sa.String(length=64)), ('closed_at', lambda: models.db.UTCDateTime(timezone=True)),
    ('county_note', sa.Text),
)


def upgrade() -> None:
    with op.batch_alter_table('objections') as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('objections') as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
