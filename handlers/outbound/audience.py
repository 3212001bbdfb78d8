"""Who a notice reaches: ``all``, ``unit:<单位>``, ``tier:<层次>``, ``role:<角色>``, ``group:<工作群>``."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import literal, or_, select, union_all
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


KIND_LABELS = {"unit": "单位", "tier": "考评层次", "role": "角色", "group": "工作群"}
#: a notice the system addressed to people (or groups) it picked itself (reminders, personal messages) has no specs
PICKED = "系统指定的接收人"
_NAMED = {"unit": Unit, "tier": Tier, "group": WorkGroup}


def labels(session: Session, specs) -> dict[str, str]:
    """What a page shows for stored audience specs: ``all`` → 全体, ``role:unit_admin`` → 角色：单位管理员,
    ``group:人事干部群`` → 工作群：人事干部群, …; a unit, 考评层次 or 工作群 no longer found by that name is marked
    （已不存在） (a notice released now skips it). One query for the whole list; a spec that is not one stays as it is."""
    parsed = {}
    for spec in set(specs):
        try:
            parsed[spec] = parse(spec)
        except InvalidInput:
            continue
    wanted = {kind: {v for k, v in parsed.values() if k == kind} for kind in _NAMED}
    parts = [select(literal(kind).label("kind"), model.name).where(model.name.in_(names))
             for kind, model in _NAMED.items() if (names := wanted[kind])]
    found = set(session.execute(parts[0] if len(parts) == 1 else union_all(*parts)).all()) if parts else set()
    out = {spec: spec for spec in specs}
    for spec, (kind, value) in parsed.items():
        if kind == "all":
            out[spec] = "全体"
        elif kind == "role":
            out[spec] = f"角色：{ROLES.get(ROLE_BY_LABEL.get(value, ''), value)}"
        else:
            out[spec] = f"{KIND_LABELS[kind]}：{value}" + ("" if (kind, value) in found else "（已不存在）")
    return out


def label_lists(session: Session, spec_lists) -> list[list[str]]:
    """:func:`labels` for several notices' audiences at once (one query): each list of specs as its labels, and a
    notice without specs (the system picked the people) as 系统指定的接收人."""
    spec_lists = [list(specs or []) for specs in spec_lists]
    found = labels(session, [spec for specs in spec_lists for spec in specs])
    return [[found[spec] for spec in specs] or [PICKED] for specs in spec_lists]
