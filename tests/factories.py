"""Small factories that build just enough data for a test to read like its behaviour."""
from __future__ import annotations

import itertools
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import County, Membership, Person, RoleGrant, Section, Tier, Unit

_seq = itertools.count(1)


def county(session: Session, name: str = "衡阳县") -> County:
    c = session.query(County).filter_by(name=name).one_or_none()
    if c is None:
        c = County(name=name)
        session.add(c)
        session.flush()
    return c


def unit(session: Session, name: str = "县财政局", kind: str = "机关", tiers=("中层干部", "一般干事")) -> Unit:
    u = Unit(county_id=county(session).id, name=name, kind=kind)
    session.add(u)
    session.flush()
    for t in tiers:
        session.add(Tier(unit_id=u.id, name=t))
    session.flush()
    return u


def tier(session: Session, u: Unit, name: str) -> Tier:
    return session.query(Tier).filter_by(unit_id=u.id, name=name).one()


def section(session: Session, u: Unit, name: str) -> Section:
    s = Section(unit_id=u.id, name=name)
    session.add(s)
    session.flush()
    return s


def person(
    session: Session, u: Unit, tier_name: str = "一般干事", *, name: str | None = None, staff_no: str | None = None,
    leader: bool = False, supervisor: Person | None = None, hired_on: date = date(2010, 1, 1),
    start_on: date = date(2020, 1, 1), section_: Section | None = None, roles: tuple[str, ...] = (),
    on_leave: bool = False, post: str = "综合文秘",
) -> Person:
    n = next(_seq)
    p = Person(staff_no=staff_no or f"T{n:05d}", name=name or f"测试{n}", phone=f"138{n:08d}", hired_on=hired_on)
    session.add(p)
    session.flush()
    session.add(Membership(person_id=p.id, unit_id=u.id, tier_id=tier(session, u, tier_name).id, post=post,
                           is_leader=leader, supervisor_id=supervisor.id if supervisor else None,
                           section_id=section_.id if section_ else None, start_on=start_on, on_leave=on_leave,
                           change="hire"))
    for role in roles:
        session.add(RoleGrant(person_id=p.id, role=role, unit_id=None if role == "county_admin" else u.id))
    session.flush()
    return p


def excuse_missing_summaries(session: Session, cycle, note: str = "测试：未交小结，照常评分") -> None:
    """Record, as a supervisor would, why people without a submitted summary are scored anyway (the policy's
    ``missing_summary.allow_score``), so tests about scoring need not write summaries first."""
    from models import Evaluation

    for e in session.scalars(select(Evaluation).where(Evaluation.cycle_id == cycle.id)):
        e.no_summary_note = note
    session.flush()
