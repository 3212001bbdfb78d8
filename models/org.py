"""Organisation and people: county → units → sections and tiers; people with membership history."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, UTCDateTime, utcnow

UNIT_KINDS = ("机关", "乡镇")
STAFFING_TYPES = ("行政编制", "参公事业编制", "事业编制", "其他")
PERSON_STATUSES = {"active": "在职", "retired": "退休", "left": "调离/离职"}
CHANGE_KINDS = {
    "hire": "新录用/调入",
    "transfer": "单位调动",
    "promotion": "层次变动",
    "post_change": "岗位/股室变动",
    "leave": "请假",
    "return": "销假返岗",
    "retire": "退休",
    "exit": "调离/离职",
    "update": "信息更正",
}
ROLES = {
    "staff": "公务员",
    "supervisor": "分管领导",
    "unit_admin": "单位管理员",
    "county_admin": "县公务员办",
}


class County(Base):
    __tablename__ = "counties"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)


class Unit(Base):
    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("county_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("counties.id"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(8), default="机关")
    county: Mapped[County] = relationship()


class Section(Base):
    __tablename__ = "sections"
    __table_args__ = (UniqueConstraint("unit_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    name: Mapped[str] = mapped_column(String(100))


class Tier(Base):
    """An evaluation group inside a unit (中层干部 / 一般干事; 包村 / 机关 / 站所): each has its own 好 quota."""

    __tablename__ = "tiers"
    __table_args__ = (UniqueConstraint("unit_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    name: Mapped[str] = mapped_column(String(50))


class Person(Base):
    __tablename__ = "people"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_no: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    staffing_type: Mapped[str] = mapped_column(String(16), default="行政编制")
    hired_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="person", order_by="Membership.start_on", foreign_keys="Membership.person_id"
    )

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 11 else "*" * max(len(phone) - 2, 0) + phone[-2:]


class Membership(Base):
    """Where a person belongs from ``start_on`` to ``end_on`` (inclusive; open when None).

    History is never rewritten: a change closes the current row and opens a new one, so the roster of
    any past quarter can be rebuilt and the quarterly change list (异动) derived.
    """

    __tablename__ = "memberships"
    __table_args__ = (
        Index("ix_memberships_person_current", "person_id", "end_on"),
        Index("ix_memberships_unit_period", "unit_id", "start_on", "end_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    section_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id"))
    tier_id: Mapped[int] = mapped_column(ForeignKey("tiers.id"))
    post: Mapped[str] = mapped_column(String(100), default="")
    rank: Mapped[str] = mapped_column(String(50), default="")
    is_leader: Mapped[bool] = mapped_column(Boolean, default=False)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    on_leave: Mapped[bool] = mapped_column(Boolean, default=False)
    change: Mapped[str] = mapped_column(String(16), default="hire")
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)

    person: Mapped[Person] = relationship(back_populates="memberships", foreign_keys=[person_id])
    unit: Mapped[Unit] = relationship()
    section: Mapped[Section | None] = relationship()
    tier: Mapped[Tier] = relationship()
    supervisor: Mapped[Person | None] = relationship(foreign_keys=[supervisor_id])


class RoleGrant(Base):
    """Roles beyond 公务员 (everyone with a membership is staff): supervisor, unit_admin, county_admin."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("person_id", "role", "unit_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    role: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
