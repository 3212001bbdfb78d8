"""Secondments (借调): a person of one unit working in another (the host) from one date to another.

With the policy's ``[secondment] host_evaluates``, the host unit evaluates the person for each quarter the secondment
covers for at least ``min_months`` whole months (``models.rules.leave.host_evaluates``): opening the host's cycle adds
them, opening the home unit's cycle lists them as not evaluated there with the host's name. Evaluation follows the
person: their forms are in the host's cycle. A secondment recorded after a cycle opened does not move that cycle's
evaluation (the opening is the quarter's snapshot); the answer says so.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from config.policy import Policy
from models import Cycle, Membership, Person, Tier, Unit
from models.leave import Secondment
from models.rules.calendar import quarter_bounds
from models.rules.leave import host_evaluates, secondment_reason

from handlers import audit
from handlers.identity.access import deny
from handlers.actor import Actor
from handlers.errors import Conflict, InvalidInput, NotFound


@dataclass(frozen=True)
class SecondmentRow:
    id: int
    staff_no: str
    name: str
    home_unit: str
    host_unit: str
    host_tier: str
    start_on: date
    end_on: date
    note: str
    direction: str  # out (from this unit) | in (to this unit)


def _home_unit_id(session: Session, person_id: int, on: date) -> int | None:
    return session.scalar(select(Membership.unit_id).where(
        Membership.person_id == person_id, Membership.start_on <= on,
        or_(Membership.end_on.is_(None), Membership.end_on >= on)).order_by(Membership.start_on.desc()).limit(1))


def _date(value, label: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{label}应写成 YYYY-MM-DD，例如 2026-03-01", "bad_date") from None


def record(session: Session, actor: Actor, policy: Policy, *, staff_no: str, host_unit: str, start_on, end_on,
           tier: str = "", note: str = "") -> tuple[Secondment, list[str]]:
    """Record a secondment (home unit HR, host unit HR or the county office). Returns the record and notes for the
    officer (quarters the host evaluates; cycles already open that it does not change). Audited."""
    start, end = _date(start_on, "借调开始日期"), _date(end_on, "借调结束日期")
    if end < start:
        raise InvalidInput("借调结束日期不能早于开始日期", "bad_period")
    if (end - start).days > 366 * 5:
        raise InvalidInput("借调期限不能超过 5 年，请分段登记", "bad_period")
    note = (note or "").strip()
    if len(note) > 200:
        raise InvalidInput("备注不能超过 200 个字", "note_too_long")
    person = session.scalar(select(Person).where(Person.staff_no == (staff_no or "").strip()[:32]))
    home_id = _home_unit_id(session, person.id, start) if person else None
    host = session.scalar(select(Unit).where(Unit.name == (host_unit or "").strip()[:100]))
    if person is None or home_id is None:
        raise NotFound(f"找不到人员编号 {staff_no[:32]}，或其在 {start.isoformat()} 不属于任何单位")
    if host is None:
        raise InvalidInput(f"找不到借调单位“{(host_unit or '')[:100]}”", "unknown_host")
    if not (actor.can_admin_unit(home_id) or actor.can_admin_unit(host.id)):
        raise deny(session, actor, "person", person.staff_no)
    if host.id == home_id:
        raise InvalidInput("借调单位不能是本人所在单位", "same_unit")
    tiers = dict(session.execute(select(Tier.name, Tier.id).where(Tier.unit_id == host.id)
                                 .order_by(Tier.id)).all())
    if not tiers:
        raise InvalidInput(f"{host.name}还没有考评层次，请先导入其花名册", "host_without_tiers")
    tier = (tier or "").strip()
    if not tier:  # the tier of the same name as at home, else the host's first
        home_tier = session.scalar(select(Tier.name).join(Membership, Membership.tier_id == Tier.id).where(
            Membership.person_id == person.id, Membership.unit_id == home_id).order_by(Membership.start_on.desc())
            .limit(1))
        tier = home_tier if home_tier in tiers else next(iter(tiers))
    if tier not in tiers:
        raise InvalidInput(f"{host.name}没有考评层次“{tier[:50]}”（现有：{'、'.join(tiers)}）", "unknown_tier")
    overlap = session.scalar(select(Secondment).where(Secondment.person_id == person.id, Secondment.start_on <= end,
                                                      Secondment.end_on >= start))
    if overlap is not None:
        raise Conflict(f"{person.name}在 {overlap.start_on.isoformat()} 至 {overlap.end_on.isoformat()} 已登记借调，"
                       "借调期不能重叠", "secondment_overlap")
    row = Secondment(person_id=person.id, host_unit_id=host.id, host_tier_id=tiers[tier], start_on=start, end_on=end,
                     note=note, recorded_by=actor.ref)
    session.add(row)
    session.flush()
    audit.record(session, actor, "secondment.create", "secondment", row.id, None,
                 {"staff_no": person.staff_no, "home_unit_id": home_id, "host_unit_id": host.id, "tier": tier,
                  "start_on": start, "end_on": end, "note": note})
    return row, _notes(session, policy, row, home_id, host)


def _quarters(start: date, end: date) -> list[tuple[int, int]]:
    out, y, q = [], start.year, (start.month - 1) // 3 + 1
    while quarter_bounds(y, q)[0] <= end:
        out.append((y, q))
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return out


def _notes(session: Session, policy: Policy, row: Secondment, home_id: int, host: Unit) -> list[str]:
    hosted = [(y, q) for y, q in _quarters(row.start_on, row.end_on)
              if host_evaluates(row.start_on, row.end_on, y, q, policy)]
    out = []
    if hosted:
        out.append(f"由{host.name}考核的季度：{'、'.join(f'{y}年第{q}季度' for y, q in hosted)}")
    else:
        out.append("按本县规定，借调期内各季度仍由本单位考核")
    opened = session.scalars(select(Cycle).where(Cycle.unit_id.in_((home_id, host.id)),
                                                 (Cycle.year * 4 + Cycle.quarter).in_([y * 4 + q for y, q in hosted])))
    for cycle in opened:
        out.append(f"{session.get(Unit, cycle.unit_id).name}{cycle.label}的考核已经开启，本次登记不改变该季度的考核对象"
                   "（如需调整，请联系县公务员办）")
    return out


def away(session: Session, policy: Policy, unit_id: int, person_ids: list[int], year: int, quarter: int
         ) -> dict[int, str]:
    """Members of ``unit_id`` the host evaluates this quarter: person id → the reason listing them (host's name)."""
    if not person_ids or not policy.secondment.host_evaluates:
        return {}
    start, end = quarter_bounds(year, quarter)
    rows = session.execute(select(Secondment, Unit.name).join(Unit, Unit.id == Secondment.host_unit_id).where(
        Secondment.person_id.in_(person_ids), Secondment.host_unit_id != unit_id, Secondment.start_on <= end,
        Secondment.end_on >= start)).all()
    return {s.person_id: secondment_reason(name, policy) for s, name in rows
            if host_evaluates(s.start_on, s.end_on, year, quarter, policy)}


def hosted(session: Session, policy: Policy, unit_id: int, year: int, quarter: int) -> list[Secondment]:
    """Secondments to ``unit_id`` that make it evaluate the person this quarter."""
    if not policy.secondment.host_evaluates:
        return []
    start, end = quarter_bounds(year, quarter)
    rows = session.scalars(select(Secondment).where(Secondment.host_unit_id == unit_id, Secondment.start_on <= end,
                                                    Secondment.end_on >= start).order_by(Secondment.person_id))
    return [s for s in rows if host_evaluates(s.start_on, s.end_on, year, quarter, policy)]


def unit_secondments(session: Session, actor: Actor, unit_id: int) -> list[SecondmentRow]:
    """Secondments from and to the unit (home unit HR sees where its people are; host HR whom it hosts)."""
    if not actor.can_admin_unit(unit_id):
        raise deny(session, actor, "unit", unit_id)
    rows = session.execute(select(Secondment, Person, Unit.name, Tier.name)
                           .join(Person, Person.id == Secondment.person_id)
                           .join(Unit, Unit.id == Secondment.host_unit_id).join(Tier, Tier.id == Secondment.host_tier_id)
                           .order_by(Secondment.start_on.desc())).all()
    out = []
    for s, person, host_name, tier_name in rows:
        home_id = _home_unit_id(session, person.id, s.start_on)
        if unit_id not in (home_id, s.host_unit_id):
            continue
        home = session.get(Unit, home_id).name if home_id else ""
        out.append(SecondmentRow(s.id, person.staff_no, person.name, home, host_name, tier_name, s.start_on,
                                 s.end_on, s.note, "in" if s.host_unit_id == unit_id else "out"))
    return out

