"""What unit HR reads on the console: its units, the current roster, the unit's cycles, the people of a cycle
with their scorer, who has not bound WeChat, and the unit's filings. Every function checks that the actor
administers the unit (another unit's objects answer 404 and the denial is audited, see ``access``).

Lists are one unit's (hundreds of rows at most); the console pages, sorts and filters them on the server.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from config.policy import Policy
from models import Cycle, Evaluation, Filing, Membership, Person, Section, Summary, Tier, Unit, WeChatBinding
from models.cycle import period_label
from models.rules import states
from models.rules.calendar import format_local

from handlers.identity.access import cycle_for_admin, deny, filing_for_viewer, unit_for_admin
from handlers import audit
from handlers.actor import Actor
from handlers.identity.roster_format import STATUS_LABELS


def my_units(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """The units the actor administers, by name."""
    if not actor.admin_units:
        return []
    return [(u.id, u.name) for u in session.scalars(select(Unit).where(Unit.id.in_(sorted(actor.admin_units)))
                                                    .order_by(Unit.name))]


def unit_name(session: Session, actor: Actor, unit_id: int) -> str:
    unit_for_admin(session, actor, unit_id)
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise deny(session, actor, "unit", unit_id)
    return unit.name


def _bound():
    return exists().where(WeChatBinding.person_id == Person.id)


def roster(session: Session, actor: Actor, unit_id: int) -> list[dict]:
    """The unit's current members (one row each)."""
    unit_for_admin(session, actor, unit_id)
    sup = aliased(Person)
    rows = session.execute(
        select(Person, Membership, Tier.name, Section.name, sup.staff_no, sup.name, _bound())
        .join(Membership, (Membership.person_id == Person.id) & Membership.end_on.is_(None))
        .join(Tier, Tier.id == Membership.tier_id).outerjoin(Section, Section.id == Membership.section_id)
        .outerjoin(sup, sup.id == Membership.supervisor_id)
        .where(Membership.unit_id == unit_id)).all()
    return [{"staff_no": p.staff_no, "name": p.name, "tier": tier, "section": section or "", "post": m.post,
             "rank": m.rank, "leader": "是" if m.is_leader else "", "supervisor": f"{sup_name}（{sup_no}）" if sup_no
             else "", "status": STATUS_LABELS.get("leave" if m.on_leave else p.status, "在职"),
             "bound": "已绑定" if bound else "未绑定", "since": m.start_on.isoformat()}
            for p, m, tier, section, sup_no, sup_name, bound in rows]


def unbound_people(session: Session, actor: Actor, unit_id: int) -> list[dict]:
    """Active members who have not bound any WeChat (Official Account or Mini Program)."""
    return [r for r in roster(session, actor, unit_id) if r["bound"] == "未绑定"]


@dataclass(frozen=True)
class CycleRow:
    id: int
    year: int
    quarter: int
    label: str
    state: str
    state_label: str
    summary_due: str
    scoring_due: str
    decision_due: str
    filing_due: str
    publicity_ends: str


def cycle_row(cycle: Cycle, policy: Policy) -> CycleRow:
    def at(value) -> str:
        return format_local(value, policy) if value else "—"

    return CycleRow(cycle.id, cycle.year, cycle.quarter, cycle.label, cycle.state, states.CYCLE.label(cycle.state),
                    at(cycle.summary_due), at(cycle.scoring_due), at(cycle.decision_due), at(cycle.filing_due),
                    at(cycle.publicity_ends))


def unit_cycles(session: Session, actor: Actor, policy: Policy, unit_id: int) -> list[CycleRow]:
    unit_for_admin(session, actor, unit_id)
    return [cycle_row(c, policy) for c in session.scalars(
        select(Cycle).where(Cycle.unit_id == unit_id).order_by(Cycle.year.desc(), Cycle.quarter.desc()))]


def cycle_for_unit_admin(session: Session, actor: Actor, policy: Policy, cycle_id: int) -> tuple[CycleRow, int, str]:
    """``(the cycle's row, its unit id, its unit name)`` for the unit's HR."""
    cycle = cycle_for_admin(session, actor, cycle_id)
    return cycle_row(cycle, policy), cycle.unit_id, session.get(Unit, cycle.unit_id).name


def cycle_people(session: Session, actor: Actor, cycle_id: int) -> list[dict]:
    """Each evaluatee of the cycle: tier, post, summary and evaluation state, scorer, grade."""
    cycle = cycle_for_admin(session, actor, cycle_id)
    sup = aliased(Person)
    rows = session.execute(
        select(Evaluation, Person.staff_no, Person.name, Tier.name, sup.staff_no, sup.name, Summary.state)
        .join(Person, Person.id == Evaluation.person_id).join(Tier, Tier.id == Evaluation.tier_id)
        .outerjoin(sup, sup.id == Evaluation.supervisor_id)
        .outerjoin(Summary, (Summary.cycle_id == Evaluation.cycle_id) & (Summary.person_id == Evaluation.person_id))
        .where(Evaluation.cycle_id == cycle.id)).all()
    return [{"evaluation_id": e.id, "staff_no": staff_no, "name": name, "tier": tier, "post": e.post,
             "summary": states.SUMMARY.label(s_state) if s_state else "未开始",
             "state": states.EVALUATION.label(e.state), "supervisor_no": sup_no or "",
             "supervisor": f"{sup_name}（{sup_no}）" if sup_no else "未指定", "total": e.total,
             "grade": e.final_grade or "", "not_graded": e.not_graded_reason or ""}
            for e, staff_no, name, tier, sup_no, sup_name, s_state in rows]


FILING_KINDS = {"annual_plan": "年初方案及人员", "changes": "人员异动", "results": "结果一览表"}


def _filing_row(f: Filing, unit: str, policy: Policy) -> dict:
    from handlers.quarter.publishing import changed_view

    return {"id": f.id, "kind": f.kind, "kind_label": FILING_KINDS.get(f.kind, f.kind), "unit": unit,
            "period": period_label(f.year, f.quarter), "year": f.year,
            "quarter": f.quarter, "state": f.state, "state_label": states.FILING.label(f.state),
            "submitted_at": format_local(f.submitted_at, policy), "submitted_by": f.submitted_by,
            "reviewed_at": format_local(f.reviewed_at, policy) if f.reviewed_at else "",
            "return_reason": f.return_reason or "", **changed_view(f, policy)}


def unit_filings(session: Session, actor: Actor, policy: Policy, unit_id: int) -> list[dict]:
    unit = unit_name(session, actor, unit_id)
    return [_filing_row(f, unit, policy) for f in session.scalars(
        select(Filing).where(Filing.unit_id == unit_id).order_by(Filing.submitted_at.desc(), Filing.id.desc()))]


def filing_detail(session: Session, actor: Actor, policy: Policy, filing_id: int) -> dict:
    """One filing with its snapshot, for unit HR of its unit and the county office (others: 404)."""
    filing = filing_for_viewer(session, actor, filing_id)
    view = {**_filing_row(filing, session.get(Unit, filing.unit_id).name, policy), "payload": filing.payload}
    return audit.with_names(session, view, "submitted_by")


def results_filing(session: Session, actor: Actor, policy: Policy, cycle_id: int) -> dict | None:
    """The cycle's 结果一览表 filing (state and, when returned, the county's reason), or ``None``."""
    cycle = cycle_for_admin(session, actor, cycle_id)
    filing = session.scalar(select(Filing).where(Filing.kind == "results", Filing.unit_id == cycle.unit_id,
                                                 Filing.year == cycle.year, Filing.quarter == cycle.quarter))
    return _filing_row(filing, "", policy) if filing else None


def assign_in_cycle(session: Session, actor: Actor, policy, cycle_id: int, evaluation_id: int, staff_no: str) -> None:
    """Unit HR names who scores one evaluatee of the cycle: a current member of the cycle's unit."""
    from handlers.quarter.cycles import assign_supervisor
    from handlers.errors import InvalidInput

    cycle = cycle_for_admin(session, actor, cycle_id)
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is None or evaluation.cycle_id != cycle.id:
        raise deny(session, actor, "evaluation", evaluation_id)
    if not staff_no:
        raise InvalidInput("请填写评鉴人的人员编号", "supervisor_required")
    member = session.scalar(select(Person.id).join(Membership, Membership.person_id == Person.id)
                            .where(Person.staff_no == staff_no, Person.status == "active",
                                   Membership.end_on.is_(None), Membership.unit_id == cycle.unit_id))
    if member is None:
        raise InvalidInput(f"人员编号 {staff_no} 不是本单位的在职人员，评鉴人应为本单位人员", "supervisor_not_member")
    assign_supervisor(session, actor, evaluation_id, staff_no, policy)
