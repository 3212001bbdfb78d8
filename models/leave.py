"""Leave days per person and quarter (请假天数), and secondments (借调) to another unit."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    Float,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, UTCDateTime, utcnow
from .org import Person, Tier, Unit


class LeaveRecord(Base):
    """The leave days a person took in a quarter, as unit HR recorded them (import, console, API, WeCom)."""

    __tablename__ = "leave_records"
    __table_args__ = (UniqueConstraint("person_id", "year", "quarter"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    year: Mapped[int] = mapped_column(SmallInteger)
    quarter: Mapped[int] = mapped_column(SmallInteger)
    days: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16), default="console")  # import | console | api | wecom
    note: Mapped[str] = mapped_column(String(200), default="")
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    person: Mapped[Person] = relationship()


class Secondment(Base):
    """A person seconded (借调) from their unit to ``host_unit`` from ``start_on`` to ``end_on`` (inclusive)."""

    __tablename__ = "secondments"
    __table_args__ = (Index("ix_secondments_host", "host_unit_id", "start_on", "end_on"),
                      Index("ix_secondments_person", "person_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    host_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    host_tier_id: Mapped[int] = mapped_column(ForeignKey("tiers.id"))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(200), default="")
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # ended early (提前结束): end_on is then the day it ended; the planned end is in the audit log
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by: Mapped[str | None] = mapped_column(String(64))
    end_reason: Mapped[str | None] = mapped_column(String(200))

    person: Mapped[Person] = relationship()
    host_unit: Mapped[Unit] = relationship()
    host_tier: Mapped[Tier] = relationship()
