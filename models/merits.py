"""加扣分、负面清单与问责: events recorded for a person against the county's catalogue (policy ``[merits]``)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from .db import Base, UTCDateTime, utcnow


class MeritEvent(Base):
    """One occurrence of a catalogue item for a person. ``state``: pending (awaiting the county office) → approved |
    rejected; approved at once when the policy does not require approval; withdrawn by unit HR while pending.
    The evidence file is kept with its size, type and SHA-256; its bytes load only when served."""

    __tablename__ = "merit_events"
    __table_args__ = (Index("ix_merit_events_person", "person_id", "occurred_on"),
                      Index("ix_merit_events_unit_state", "unit_id", "state"))
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    item_code: Mapped[str] = mapped_column(String(32))
    item_name: Mapped[str] = mapped_column(String(100))  # as the catalogue named it when recorded
    occurred_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="pending")
    evidence_name: Mapped[str | None] = mapped_column(String(200))
    evidence_type: Mapped[str | None] = mapped_column(String(100))
    evidence_size: Mapped[int | None] = mapped_column(Integer)
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    evidence: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str | None] = mapped_column(Text)
