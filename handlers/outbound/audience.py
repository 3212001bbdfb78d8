"""Who a notice reaches: ``all``, ``unit:<单位>``, ``tier:<层次>``, ``role:<角色>``, ``group:<工作群>``."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import Membership, Person, RoleGrant, Tier, Unit, WorkGroup
from models.org import ROLES

from handlers.errors import InvalidInput, NotFound

KINDS = ("all", "unit", "tier", "role", "group")
ROLE_BY_LABEL = {label: code for code, label in ROLES.items()} | {code: code for code in ROLES} | {"人事": "unit_admin"}


@dataclass
class Audience:
    person_ids: set[int] = field(default_factory=set)
    group_ids: set[int] = field(default_factory=set)

    def __len__(self) -> int:
        return len(self.person_ids) + len(self.group_ids)


def parse(spec: str) -> tuple[str, str]:
    spec = (spec or "").strip()
    kind, _, value = spec.partition(":")
    if spec == "all":
        return "all", ""
    if kind not in KINDS[1:] or not value.strip():
        raise InvalidInput(f"接收范围“{spec}”无效，应为 all、unit:<单位>、tier:<层次>、role:<角色> 或 group:<工作群>")
    return kind, value.strip()


def _current(session: Session):
    return (select(Membership.person_id).join(Person, Person.id == Membership.person_id)
            .where(Membership.end_on.is_(None), Person.status == "active"))


def resolve(session: Session, specs: list[str]) -> Audience:
    """The people and groups the specs name, today. Unknown names are refused, never silently skipped."""
    if not specs:
        raise InvalidInput("请至少指定一个接收范围（--to）")
    out = Audience()
    for spec in specs:
        kind, value = parse(spec)
        if kind == "group":
            gid = session.scalar(select(WorkGroup.id).where(WorkGroup.name == value))
            if gid is None:
                raise NotFound(f"找不到工作群“{value}”")
            out.group_ids.add(gid)
            continue
        q = _current(session)
        if kind == "unit":
            uid = session.scalar(select(Unit.id).where(Unit.name == value))
            if uid is None:
                raise NotFound(f"找不到单位“{value}”")
            q = q.where(Membership.unit_id == uid)
        elif kind == "tier":
            tier_ids = list(session.scalars(select(Tier.id).where(Tier.name == value)))
            if not tier_ids:
                raise NotFound(f"找不到考评层次“{value}”")
            q = q.where(Membership.tier_id.in_(tier_ids))
        elif kind == "role":
            role = ROLE_BY_LABEL.get(value)
            if role is None:
                raise InvalidInput(f"角色“{value}”无效，可选：{'、'.join(ROLES.values())}")
            if role != "staff":
                granted = select(RoleGrant.person_id).where(RoleGrant.role == role)
                cond = Membership.person_id.in_(granted)
                q = q.where(or_(cond, Membership.is_leader.is_(True)) if role == "supervisor" else cond)
                if role == "county_admin":  # county office staff may have no membership row in a unit
                    q = select(Person.id).where(Person.id.in_(granted), Person.status == "active")
        out.person_ids.update(session.scalars(q))
    return out
