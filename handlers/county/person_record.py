"""One person's record for the county office's drill-down (and unit HR for its own unit): the year's four
quarters and, for one quarter, the evaluation and the 登记表 summary as filed."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from config.policy import Policy
from models import Cycle, Evaluation, Objection, Person, Summary, Tier, Unit
from models.rules import states
from models.rules.calendar import format_local

from handlers.actor import Actor
from handlers.errors import NotFound
from handlers.identity.scope import check_period


def person_year(session: Session, actor: Actor, policy: Policy, staff_no: str, year: int, quarter: int) -> dict:
    """The person's quarters of ``year`` the actor may see, and the details of ``quarter``. Out of scope and
    unknown look the same (404)."""
    check_period(year, quarter)
    person = session.scalar(select(Person).where(Person.staff_no == staff_no))
    missing = NotFound(f"找不到人员 {staff_no} 在 {year} 年的考核")
    if person is None:
        raise missing
    sup = aliased(Person)
    rows = session.execute(
        select(Evaluation, Cycle, Unit.name, Tier.name, sup.name, Summary)
        .join(Cycle, Cycle.id == Evaluation.cycle_id).join(Unit, Unit.id == Cycle.unit_id)
        .join(Tier, Tier.id == Evaluation.tier_id).outerjoin(sup, sup.id == Evaluation.supervisor_id)
        .outerjoin(Summary, (Summary.cycle_id == Evaluation.cycle_id) & (Summary.person_id == Evaluation.person_id))
        .where(Evaluation.person_id == person.id, Cycle.year == year).order_by(Cycle.quarter)).all()
    rows = [r for r in rows if actor.can_view_unit(r[1].unit_id)]
    if not rows:
        raise missing
    quarters: list[dict | None] = [None] * 4
    detail = None
    # A grade changed on objection (复核): the history shows the grade first decided and the one in force.
    regraded = {o.evaluation_id: o for o in session.scalars(select(Objection).where(
        Objection.evaluation_id.in_([r[0].id for r in rows]), Objection.new_grade.is_not(None))
        .order_by(Objection.id))}
    for e, c, unit, tier, sup_name, summary in rows:
        decided = e.state in ("decided", "published")
        o = regraded.get(e.id)
        item = {"quarter": c.quarter, "unit": unit, "tier": tier, "step": states.CYCLE.label(c.state),
                "state": states.EVALUATION.label(e.state), "total": e.total, "suggested_grade": e.suggested_grade,
                "final_grade": e.final_grade if decided else None, "not_graded_reason": e.not_graded_reason,
                "supervisor": sup_name, "post": e.post,
                "grade_history": f"原定“{o.grade}”，经异议复核（{o.meeting_on.isoformat()} 党委(党组)会议）改为"
                                 f"“{o.new_grade}”" if o else "",
                "summary_state": states.SUMMARY.label(summary.state) if summary else "未开始"}
        quarters[c.quarter - 1] = item
        if c.quarter == quarter:
            detail = {**item, "paragraphs": list(summary.paragraphs or []) if summary else [],
                      "submitted_at": format_local(summary.submitted_at, policy) if summary else "",
                      "scored_at": format_local(e.submitted_at, policy)}
    return {"staff_no": person.staff_no, "name": person.name, "year": year, "quarter": quarter,
            "quarters": quarters, "detail": detail}
