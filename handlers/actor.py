"""Who is acting. Every handler takes an explicit actor; authorization is checked in handlers, once."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Membership, Person, RoleGrant

from handlers.errors import NotFound


@dataclass(frozen=True)
class Actor:
    """``ref`` is what the audit log records, e.g. ``person:A0001`` or ``system:cli``."""

    ref: str
    name: str
    person_id: int | None = None
    unit_id: int | None = None  # the unit of the person's current membership
    roles: frozenset[str] = field(default_factory=frozenset)
    admin_units: frozenset[int] = field(default_factory=frozenset)  # units where the actor is unit_admin
    supervisor_units: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_system(self) -> bool:
        return self.ref.startswith("system:")

    @property
    def is_county(self) -> bool:
        return self.is_system or "county_admin" in self.roles

    def can_admin_unit(self, unit_id: int) -> bool:
        return self.is_system or unit_id in self.admin_units

    def can_view_unit(self, unit_id: int) -> bool:
        return self.is_county or unit_id in self.admin_units


def system_actor(name: str = "cli") -> Actor:
    return Actor(ref=f"system:{name}", name="系统" if name != "cli" else "命令行")


def actor_for_person(session: Session, person_id: int) -> Actor:
    person = session.get(Person, person_id)
    if person is None or person.status != "active":
        raise NotFound("找不到该人员或其已不在职")
    membership = session.scalar(
        select(Membership).where(Membership.person_id == person_id, Membership.end_on.is_(None))
    )
    grants = session.execute(select(RoleGrant.role, RoleGrant.unit_id).where(RoleGrant.person_id == person_id)).all()
    roles = {"staff"} if membership else set()
    roles |= {g.role for g in grants}
    supervisor_units = {g.unit_id for g in grants if g.role == "supervisor" and g.unit_id}
    if membership and membership.is_leader:  # a unit's leaders score its people by default
        roles.add("supervisor")
        supervisor_units.add(membership.unit_id)
    return Actor(
        ref=f"person:{person.staff_no}",
        name=person.name,
        person_id=person.id,
        unit_id=membership.unit_id if membership else None,
        roles=frozenset(roles),
        admin_units=frozenset(g.unit_id for g in grants if g.role == "unit_admin" and g.unit_id),
        supervisor_units=frozenset(supervisor_units),
    )
