"""Opening quarterly cycles, the roster of a quarter, and every cycle state change (in one place)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from config.policy import Policy
from models import AuditEntry, Cycle, Evaluation, Indicator, Membership, Person, Summary, Tier, Unit, utcnow
from models.rules import states
from models.rules.calendar import publicity_end, quarter_bounds, step_deadlines
from models.rules.eligibility import leader_placement, not_graded_reason
from models.rules.leave import probation_extension
from models.rules.scoring import COMMON, SPECIFIC, RuleViolation

from handlers import audit

from handlers.identity import secondments
from handlers.actor import Actor
from handlers.errors import Conflict, NotFound, from_rule
from handlers.identity.leave import probation_leave, recorded_days
from handlers.quarter.merits import sync_cycle
from handlers.quarter.scorers import allowed_scorer


@dataclass(frozen=True)
class RosterEntry:
    person_id: int
    unit_id: int
    tier_id: int
    post: str
    is_leader: bool
    section_id: int | None
    supervisor_id: int | None
    hired_on: date | None
    leave_days: float


def roster_of_quarter(session: Session, unit_id: int, year: int, quarter: int, as_of: date) -> list[RosterEntry]:
    """Who the unit evaluates for the quarter: members on the quarter's last day (or ``as_of`` if earlier)."""
    start, end = quarter_bounds(year, quarter)
    ref = min(as_of, end)
    rows = session.execute(
        select(Membership, Person.hired_on)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Membership.unit_id == unit_id, Membership.start_on <= ref,
            or_(Membership.end_on.is_(None), Membership.end_on >= ref),
        )
        .order_by(Membership.person_id)
    ).all()
    leave = _leave_days(session, [m.person_id for m, _ in rows], start, ref)
    leave.update(recorded_days(session, [m.person_id for m, _ in rows], year, quarter))  # recorded days win
    return [
        RosterEntry(m.person_id, m.unit_id, m.tier_id, m.post, m.is_leader, m.section_id, m.supervisor_id,
                    hired_on, leave.get(m.person_id, 0))
        for m, hired_on in rows
    ]


def _leave_days(session: Session, person_ids: list[int], start: date, end: date) -> dict[int, float]:
    """Days on leave by the roster's 请假 status (used for a quarter with no recorded leave days)."""
    if not person_ids:
        return {}
    out: dict[int, float] = {}
    q = select(Membership.person_id, Membership.start_on, Membership.end_on).where(
        Membership.on_leave.is_(True), Membership.person_id.in_(person_ids), Membership.start_on <= end,
        or_(Membership.end_on.is_(None), Membership.end_on >= start),
    )
    for pid, s, e in session.execute(q):
        days = (min(e or end, end) - max(s, start)).days + 1
        out[pid] = out.get(pid, 0) + days
    return out


def default_supervisor(entry: RosterEntry, roster: list[RosterEntry], members: set[int] | None = None) -> int | None:
    """The roster's named supervisor if they are in the unit's roster too; else a leader of the same section; else
    the unit's first leader. (A named supervisor of another unit would be given the right to read and score.)"""
    members = members if members is not None else {r.person_id for r in roster}
    if entry.supervisor_id and entry.supervisor_id != entry.person_id and entry.supervisor_id in members:
        return entry.supervisor_id
    leaders = [r for r in roster if r.is_leader and r.person_id != entry.person_id]
    same_section = [r for r in leaders if entry.section_id and r.section_id == entry.section_id]
    pick = same_section or leaders
    return pick[0].person_id if pick else None


def get_cycle(session: Session, unit_id: int, year: int, quarter: int) -> Cycle | None:
    return session.scalar(select(Cycle).where(Cycle.unit_id == unit_id, Cycle.year == year, Cycle.quarter == quarter))


def open_cycle(
    session: Session, actor: Actor, unit_id: int, year: int, quarter: int, policy: Policy, *, today: date,
) -> Cycle:
    """Create the cycle with the policy's deadlines and default indicators, snapshot the roster, open it."""
    unit = session.get(Unit, unit_id)
    if unit is None or not actor.can_admin_unit(unit_id):
        raise NotFound("找不到该单位")
    if get_cycle(session, unit_id, year, quarter):
        raise Conflict(f"{unit.name}{year}年第{quarter}季度的考核已经创建", "cycle_exists")
    due = step_deadlines(year, quarter, policy)
    cycle = Cycle(unit_id=unit_id, year=year, quarter=quarter, state="draft", summary_due=due["summary"],
                  scoring_due=due["scoring"], decision_due=due["decision"], filing_due=due["filing"])
    session.add(cycle)
    session.flush()
    add_default_indicators(session, cycle, policy)
    roster = roster_of_quarter(session, unit_id, year, quarter, today)
    _, end = quarter_bounds(year, quarter)
    members = {r.person_id for r in roster}
    seconded_away = secondments.away(session, policy, unit_id, list(members), year, quarter)
    guests = [s for s in secondments.hosted(session, policy, unit_id, year, quarter) if s.person_id not in members]
    hired = {r.person_id: r.hired_on for r in roster}
    guest_people = {p.id: p for p in session.scalars(select(Person).where(
        Person.id.in_([s.person_id for s in guests])))} if guests else {}
    hired.update({pid: p.hired_on for pid, p in guest_people.items()})
    in_probation = probation_leave(session, hired, year, quarter)
    guest_leave = recorded_days(session, list(guest_people), year, quarter)

    def reason(person_id: int, leave_days: float) -> str | None:
        extension = probation_extension(in_probation.get(person_id, 0), policy)
        return not_graded_reason(hired[person_id], leave_days, end, policy, extension)

    excluded: list[dict] = []
    evaluated = 0
    for entry in roster:
        left_out, tier_name = leader_placement(entry.is_leader, policy)
        left_out = left_out or seconded_away.get(entry.person_id)
        if left_out:  # e.g. 班子成员 evaluated by the county, or 借调 to a host unit: listed, not in the unit's cycle
            excluded.append({"person_id": entry.person_id, "reason": left_out})
            continue
        session.add(Evaluation(
            cycle_id=cycle.id, person_id=entry.person_id,
            tier_id=_tier_id(session, unit_id, tier_name) if tier_name else entry.tier_id, post=entry.post,
            supervisor_id=default_supervisor(entry, roster, members), state="pending",
            not_graded_reason=reason(entry.person_id, entry.leave_days),
        ))
        evaluated += 1
    hosted = []
    for s in guests:  # seconded here for enough of the quarter: evaluated by this unit, scored by its leader
        guest = RosterEntry(s.person_id, unit_id, s.host_tier_id, "", False, None, None, hired[s.person_id],
                            guest_leave.get(s.person_id, 0))
        session.add(Evaluation(cycle_id=cycle.id, person_id=s.person_id, tier_id=s.host_tier_id, post="",
                               supervisor_id=default_supervisor(guest, roster, members), state="pending",
                               not_graded_reason=reason(s.person_id, guest.leave_days)))
        hosted.append(s.person_id)
        evaluated += 1
    audit.record(session, actor, "cycle.create", "cycle", cycle.id, None,
                 {"unit_id": unit_id, "year": year, "quarter": quarter, "evaluatees": evaluated,
                  "not_evaluated": excluded, "seconded_here": hosted})
    session.flush()
    sync_cycle(session, actor, policy, cycle)  # an item's 不定等次 in force for the quarter
    transition(session, actor, cycle, "open")
    return cycle


def _tier_id(session: Session, unit_id: int, name: str) -> int:
    """The policy's tier for unit leaders, created in the unit the first time it is needed."""
    tier = session.scalar(select(Tier).where(Tier.unit_id == unit_id, Tier.name == name))
    if tier is None:
        tier = Tier(unit_id=unit_id, name=name)
        session.add(tier)
        session.flush()
    return tier.id


@dataclass(frozen=True)
class OpeningNotes:
    """What unit HR must know after opening: who is not evaluated in the unit, who has nobody to score them."""

    not_evaluated: list[dict]  # staff_no, name, reason
    without_scorer: list[dict]  # staff_no, name, evaluation_id

    def lines(self) -> list[str]:
        out = []
        by_reason: dict[str, list[str]] = {}
        for p in self.not_evaluated:
            by_reason.setdefault(p["reason"], []).append(f"{p['name']}（{p['staff_no']}）")
        for reason, names in by_reason.items():
            out.append(f"不参加本单位平时考核 {len(names)} 人（{reason}）：{'、'.join(names)}")
        if self.without_scorer:
            names = "、".join(f"{p['name']}（{p['staff_no']}）" for p in self.without_scorer)
            out.append(f"没有评鉴人 {len(self.without_scorer)} 人：{names}。指定评鉴人之前不能进入党委(党组)审定，"
                       "请用“kaohe cycle assign --person 人员编号 --supervisor 评鉴人编号”（或接口 "
                       "PUT /evaluations/<id>/supervisor）指定，或在花名册中填写其分管领导编号")
        return out


def opening_notes(session: Session, cycle: Cycle) -> OpeningNotes:
    """Who the opening left out (from its audit record) and who has no scorer now (live)."""
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "cycle.create",
                                                    AuditEntry.object_id == str(cycle.id)))
    left_out = (entry.after or {}).get("not_evaluated", []) if entry else []
    people = {p.id: p for p in session.scalars(select(Person).where(
        Person.id.in_([x["person_id"] for x in left_out])))} if left_out else {}
    not_evaluated = [{"staff_no": people[x["person_id"]].staff_no, "name": people[x["person_id"]].name,
                      "reason": x["reason"]} for x in left_out if x["person_id"] in people]
    rows = session.execute(select(Evaluation.id, Person.staff_no, Person.name)
                           .join(Person, Person.id == Evaluation.person_id)
                           .where(Evaluation.cycle_id == cycle.id, Evaluation.supervisor_id.is_(None),
                                  Evaluation.not_graded_reason.is_(None)).order_by(Person.staff_no)).all()
    return OpeningNotes(not_evaluated, [{"evaluation_id": i, "staff_no": s, "name": n} for i, s, n in rows])


def add_default_indicators(session: Session, cycle: Cycle, policy: Policy, post: str = "") -> None:
    specs = [(COMMON, s) for s in policy.template.common] + [(SPECIFIC, s) for s in policy.template.specific]
    for position, (kind, spec) in enumerate(specs):
        session.add(Indicator(cycle_id=cycle.id, post=post, kind=kind, dimension=spec.dimension,
                              name=spec.name, points=spec.points, position=position))


def transition(session: Session, actor: Actor, cycle: Cycle, action: str, *, policy: Policy | None = None,
               note: dict | None = None) -> Cycle:
    """The only place a cycle changes state. Side effects of each step live here too. ``note`` (e.g. why a step was
    moved on early, and who was missing) goes into the audit record."""
    if not (actor.can_admin_unit(cycle.unit_id) or (action == "return_filing" and actor.is_county)):
        raise NotFound("找不到该考核周期")
    try:
        target = states.CYCLE.next_state(cycle.state, action)
    except RuleViolation as exc:
        raise from_rule(exc) from None
    before = {"state": cycle.state}
    now = utcnow()
    if action == "open":
        cycle.opened_at = now
    elif action == "start_deciding":
        _lock_summaries(session, cycle)
    elif action == "publish":
        if policy is None:
            raise ValueError("publish needs the policy (publicity days)")
        try:  # working days by default (“不少于5个工作日”); a year the calendar does not know stops publication
            cycle.publicity_ends = publicity_end(now, policy)
        except RuleViolation as exc:
            raise from_rule(exc) from None
        cycle.published_at = now  # the results are fed back: each person signs this publication (handlers.quarter.feedback)
        cycle.publication = (cycle.publication or 0) + 1
    cycle.state = target
    audit.record(session, actor, f"cycle.{action}", "cycle", cycle.id, before, {"state": target, **(note or {})})
    return cycle


def _lock_summaries(session: Session, cycle: Cycle) -> None:
    """Only submitted summaries are locked: a draft stays a draft (never counted as submitted); the cycle's state
    already stops anyone from editing it."""
    for summary in session.scalars(select(Summary).where(Summary.cycle_id == cycle.id, Summary.state == "submitted")):
        summary.state = states.SUMMARY.next_state(summary.state, "lock")


def current_cycles(session: Session, year: int, quarter: int) -> list[Cycle]:
    return list(session.scalars(select(Cycle).where(and_(Cycle.year == year, Cycle.quarter == quarter))))


def assign_supervisor(session: Session, actor: Actor, evaluation_id: int, supervisor_staff_no: str,
                      policy: Policy) -> Evaluation:
    """Unit HR changes who scores an evaluatee (before the scores are submitted), within what the policy allows
    (``handlers.quarter.scorers``: a leader or 分管领导 of the unit, not the evaluatee, not the acting HR officer)."""
    evaluation = session.get(Evaluation, evaluation_id)
    cycle = session.get(Cycle, evaluation.cycle_id) if evaluation else None
    if evaluation is None or not actor.can_admin_unit(cycle.unit_id):
        raise NotFound("找不到该考核对象")
    if evaluation.state not in ("pending", "scoring") or cycle.state not in ("draft", "open", "scoring"):
        raise Conflict("评鉴已提交或考核已进入审定阶段，不能更换评鉴人", "scoring_closed")
    supervisor = allowed_scorer(session, actor, policy, unit_id=cycle.unit_id, evaluation_id=evaluation.id,
                                evaluatee_id=evaluation.person_id, staff_no=supervisor_staff_no)
    before = {"supervisor_id": evaluation.supervisor_id}
    evaluation.supervisor_id = supervisor.id
    audit.record(session, actor, "evaluation.assign_supervisor", "evaluation", evaluation.id, before,
                 {"supervisor_id": supervisor.id, "supervisor": supervisor_staff_no})
    return evaluation
