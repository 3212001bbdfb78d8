"""Step 4 — the party committee's decision, recorded by unit HR: the meeting and each person's final grade.

A decision that would break a tier's 好 quota is refused with the tier and the numbers; the overview shows the
remaining quota per tier while deciding, and who is not graded with the reason.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.policy import Policy
from models import CommitteeDecision, Cycle, Evaluation, Person, Tier, Unit, utcnow
from models.rules import states
from models.rules.merits import allowed_grades, check_grade
from models.rules.quota import check_quotas
from models.rules.scoring import RuleViolation

from handlers import audit

from handlers.quarter import merits
from handlers.identity.access import cycle_for_admin, cycle_for_viewer, deny
from handlers.actor import Actor
from handlers.errors import Conflict, InvalidInput, from_rule


@dataclass
class TierOverview:
    tier: str
    size: int
    quota: int
    used: int
    remaining: int
    people: list[dict] = field(default_factory=list)
    pooled_with: list[str] = field(default_factory=list)  # the tiers sharing this quota (empty: its own quota)


@dataclass
class DecisionOverview:
    cycle_id: int
    cycle_label: str
    state: str
    meeting: dict | None
    tiers: list[TierOverview]
    not_graded: list[dict]
    notes: list[str]
    undecided: int


def rows_of(session: Session, cycle: Cycle):
    return session.execute(
        select(Evaluation, Person.staff_no, Person.name, Tier.name).join(Person, Person.id == Evaluation.person_id)
        .join(Tier, Tier.id == Evaluation.tier_id).where(Evaluation.cycle_id == cycle.id)
        .order_by(Tier.name, Person.staff_no)).all()


def overview(session: Session, actor: Actor, policy: Policy, cycle_id: int) -> DecisionOverview:
    cycle = cycle_for_viewer(session, actor, cycle_id)
    if not actor.can_view_unit(cycle.unit_id):  # supervisors see their own people through the scoring list
        raise deny(session, actor, "cycle", cycle_id, "decision_view")
    rows = rows_of(session, cycle)
    effects = merits.quarter_effects(session, [e.person_id for e, *_ in rows], cycle.year, cycle.quarter, policy) \
        if policy.merits.items else {}
    by_tier: dict[str, list] = {}
    not_graded = []
    for e, staff_no, name, tier in rows:
        if e.not_graded_reason:
            not_graded.append({"evaluation_id": e.id, "staff_no": staff_no, "name": name, "tier": tier,
                               "reason": e.not_graded_reason})
            continue
        by_tier.setdefault(tier, []).append((e, staff_no, name))
    # The quota is counted on everybody to be graded in the tier, decided or not yet (pooled as the policy says).
    report = check_quotas({t: [e.final_grade or "" for e, _, _ in people] for t, people in by_tier.items()}, policy)
    tiers = []
    for t, people in by_tier.items():
        group = report.for_tier(t)
        tiers.append(TierOverview(t, len(people), group.quota, group.used, group.remaining, [
            {"evaluation_id": e.id, "staff_no": s, "name": n, "state": e.state,
             "state_label": states.EVALUATION.label(e.state), "total": e.total, "suggested_grade": e.suggested_grade,
             "final_grade": e.final_grade, **_screen(effects.get(e.person_id), policy)}
            for e, s, n in sorted(people, key=lambda p: (p[0].total is None, -(p[0].total or 0), p[1]))], list(group.members) if len(group.members) > 1 else []))
    meeting = session.scalar(select(CommitteeDecision).where(CommitteeDecision.cycle_id == cycle.id))
    undecided = sum(1 for people in by_tier.values() for e, _, _ in people if not e.final_grade)
    return DecisionOverview(
        cycle.id, cycle.label, cycle.state,
        {"meeting_on": meeting.meeting_on.isoformat(), "attendees": meeting.attendees, "note": meeting.note,
         "recorded_by": meeting.recorded_by} if meeting else None,
        tiers, not_graded, list(report.notes), undecided)


def _screen(effects: merits.QuarterEffects | None, policy: Policy) -> dict:
    """What the committee's screen shows for one person: the applied 加扣分 and the grades an item forbids."""
    if effects is None:
        return {"adjustments": [], "blocks": [], "allowed_grades": list(policy.grades)}
    return {"adjustments": effects.lines, "blocks": effects.block_dicts,
            "allowed_grades": list(allowed_grades(effects.blocks, policy))}


@dataclass(frozen=True)
class CycleToDecide:
    cycle_id: int
    unit: str
    label: str
    state: str
    state_label: str


def cycles_to_decide(session: Session, actor: Actor) -> list[CycleToDecide]:
    """The latest cycle of each unit the actor administers (unit HR enters the committee's decision)."""
    if not actor.admin_units:
        return []
    latest = (select(Cycle.unit_id, func.max(Cycle.year * 10 + Cycle.quarter).label("yq"))
              .where(Cycle.unit_id.in_(sorted(actor.admin_units))).group_by(Cycle.unit_id).subquery())
    rows = session.execute(
        select(Cycle, Unit.name).join(Unit, Unit.id == Cycle.unit_id)
        .join(latest, (latest.c.unit_id == Cycle.unit_id) & (latest.c.yq == Cycle.year * 10 + Cycle.quarter))
        .order_by(Unit.name)).all()
    return [CycleToDecide(c.id, unit, c.label, c.state, states.CYCLE.label(c.state)) for c, unit in rows]


def record_meeting(session: Session, actor: Actor, cycle_id: int, meeting_on: date, attendees: str, note: str,
                   today: date) -> CommitteeDecision:
    cycle = cycle_for_admin(session, actor, cycle_id)
    if cycle.state != "deciding":
        raise Conflict(f"考核当前处于“{states.CYCLE.label(cycle.state)}”阶段，不能记录党委(党组)会议", "not_deciding")
    if meeting_on > today:
        raise InvalidInput("会议日期不能晚于今天", "meeting_in_future")
    if not attendees.strip():
        raise InvalidInput("请填写参会人员", "attendees_required")
    meeting = session.scalar(select(CommitteeDecision).where(CommitteeDecision.cycle_id == cycle.id))
    before = None
    if meeting is None:
        meeting = CommitteeDecision(cycle_id=cycle.id, meeting_on=meeting_on, attendees=attendees.strip(),
                                    note=note.strip(), recorded_by=actor.ref)
        session.add(meeting)
    else:
        before = {"meeting_on": meeting.meeting_on, "attendees": meeting.attendees, "note": meeting.note}
        meeting.meeting_on, meeting.attendees, meeting.note = meeting_on, attendees.strip(), note.strip()
        meeting.recorded_by, meeting.recorded_at = actor.ref, utcnow()
    session.flush()
    audit.record(session, actor, "decision.meeting", "cycle", cycle.id, before,
                 {"meeting_on": meeting_on, "attendees": attendees.strip(), "note": note.strip()})
    return meeting


def check_blocks(session: Session, actor: Actor, policy: Policy, cycle: Cycle, by_id: dict, grades: dict[int, str]
                 ) -> None:
    """Refuse (409, audited) a grade that a 负面清单 / 问责 item in force blocks (e.g. 影响期内不得评为好), naming the
    item and its period. ``by_id``: evaluation id → (evaluation, staff_no, name, tier). Also used when an objection
    changes a grade (handlers.quarter.objections): a review cannot grant what the committee could not."""
    if not (policy.merits.items and grades):
        return
    effects = merits.quarter_effects(session, [by_id[eid][0].person_id for eid in grades], cycle.year,
                                     cycle.quarter, policy)
    for eid, grade in grades.items():
        e, _, name, _ = by_id[eid]
        try:
            check_grade(grade, effects[e.person_id].blocks, policy)
        except RuleViolation as exc:
            audit.record(session, actor, "decision.refused", "evaluation", eid, None,
                         {"grade": grade, "reason": exc.code, "item": exc.details.get("item_code")})
            raise Conflict(f"{name}{exc.message}", exc.code, evaluation_id=eid, **exc.details
                           ).keeping_changes() from None


def check_quota(policy: Policy, rows, grades: dict[int, str], what: str = "本次审定") -> None:
    """Refuse (409 ``quota_exceeded``) when the proposed grades (evaluation id → grade) over the cycle's ``rows``
    would break a tier's 好 quota. Also used when an objection changes a grade (handlers.quarter.objections)."""
    proposed: dict[str, list] = {}
    for e, _, _, tier in rows:
        if not e.not_graded_reason:
            proposed.setdefault(tier, []).append(grades.get(e.id, e.final_grade))
    # Quota over the whole tier (every person to be graded), not only those decided so far ("" = not decided yet).
    report = check_quotas({t: [g or "" for g in gs] for t, gs in proposed.items()}, policy)
    if not report.ok:
        over = [q for q in report.tiers if q.exceeded]
        raise Conflict(f"{what}超出“{policy.good_grade}”等次名额：{'；'.join(report.violations)}。请调整后再提交",
                       "quota_exceeded", tiers=[{"tier": q.tier, "members": list(q.members), "size": q.size,
                                                 "quota": q.quota, "proposed": q.used, "over": q.over} for q in over])


def decide(session: Session, actor: Actor, policy: Policy, cycle_id: int, grades: dict[int, str]) -> DecisionOverview:
    """Record final grades (evaluation id → grade). All or nothing: refused if any tier's 好 quota would break."""
    cycle = cycle_for_admin(session, actor, cycle_id)
    if cycle.state != "deciding":
        raise Conflict(f"考核当前处于“{states.CYCLE.label(cycle.state)}”阶段，不能审定等次", "not_deciding")
    if session.scalar(select(CommitteeDecision.id).where(CommitteeDecision.cycle_id == cycle.id)) is None:
        raise Conflict("请先记录党委(党组)会议（日期、参会人员），再录入审定等次", "meeting_required")
    rows = rows_of(session, cycle)
    by_id = {e.id: (e, s, n, t) for e, s, n, t in rows}
    for eid, grade in grades.items():
        if eid not in by_id:
            raise deny(session, actor, "evaluation", eid)
        if grade not in policy.grades:
            raise InvalidInput(f"等次只能是 {'、'.join(policy.grades)}，收到“{grade}”", "bad_grade", evaluation_id=eid)
        e, _, name, _ = by_id[eid]
        if e.not_graded_reason:
            raise Conflict(f"{name}不确定等次（{e.not_graded_reason}），不能审定等次", "not_graded", evaluation_id=eid)
    check_blocks(session, actor, policy, cycle, by_id, grades)
    check_quota(policy, rows, grades)
    now = utcnow()
    for eid, grade in grades.items():
        e = by_id[eid][0]
        if e.final_grade == grade and e.state == "decided":
            continue
        try:
            target = states.EVALUATION.next_state(e.state, "decide")
        except RuleViolation as exc:
            raise from_rule(exc) from None
        before = {"state": e.state, "final_grade": e.final_grade}
        e.state, e.final_grade, e.decided_at = target, grade, now
        audit.record(session, actor, "evaluation.decide", "evaluation", e.id, before,
                     {"state": target, "final_grade": grade})
    session.flush()
    return overview(session, actor, policy, cycle_id)
