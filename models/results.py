"""Uses of results and the county office's oversight: talk records and spot checks (抽查)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, JSONType, UTCDateTime, utcnow


class TalkRecord(Base):
    """谈话提醒 held: who talked with whom about which quarter, and when."""

    __tablename__ = "talk_records"
    __table_args__ = (UniqueConstraint("person_id", "year", "quarter"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    year: Mapped[int] = mapped_column(SmallInteger)
    quarter: Mapped[int] = mapped_column(SmallInteger)
    held_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    held_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SpotCheck(Base):
    """One 抽查: the seed makes the sample reproducible; ``sample`` is what was drawn."""

    __tablename__ = "spot_checks"
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger)
    quarter: Mapped[int] = mapped_column(SmallInteger)
    seed: Mapped[int] = mapped_column(Integer)
    units: Mapped[int] = mapped_column(Integer)
    people_per_unit: Mapped[int] = mapped_column(Integer)
    sample: Mapped[list] = mapped_column(JSONType, default=list)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SpotFinding(Base):
    __tablename__ = "spot_findings"
    id: Mapped[int] = mapped_column(primary_key=True)
    spot_check_id: Mapped[int] = mapped_column(ForeignKey("spot_checks.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    text: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AnnualResult(Base):
    """年度考核等次 as the unit recorded it for one person and year, from the quarters' roll-up (within what the
    rules allow). ``grade`` is the grade in force; ``decided_grade`` the one first recorded (a 复核 that changes the
    grade replaces ``grade`` and the objection keeps both). ``fed_back_at``: when the person was told (the law's
    30 days for a 复核 request run from then)."""

    __tablename__ = "annual_results"
    __table_args__ = (UniqueConstraint("person_id", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    year: Mapped[int] = mapped_column(SmallInteger)
    grade: Mapped[str] = mapped_column(String(16))
    decided_grade: Mapped[str] = mapped_column(String(16))
    suggested_grade: Mapped[str] = mapped_column(String(16))  # the roll-up's highest allowed (or forced) grade
    note: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    fed_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
