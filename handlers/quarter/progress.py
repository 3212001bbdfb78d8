"""Where things stand: a person's own evaluation, a supervisor's queue, a unit's progress per tier."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.policy import Policy
from models import Cycle, Evaluation, Membership, Person, Summary, Tier, Unit, utcnow
from models.rules import states
from models.rules.annual import annual_outcome
from models.rules.outlook import outlook
from models.rules.calendar import format_local, to_local
from models.rules.eligibility import leader_placement

from handlers.quarter import merits
from handlers.actor import Actor
from handlers.errors import Forbidden, NotFound
from handlers.quarter.summaries import current_evaluation, latest_filed

SUBMITTED = ("submitted", "locked")
SCORED = ("submitted", "decided", "published")


@dataclass
class MyStatus:
    cycle_label: str | None
    step: str | None  # the cycle's state label
    summary_state: str  # not_started | draft | submitted | returned | locked
    summary_label: str
    returned_reason: str | None
    scored: bool
    final_grade: str | None  # only once published to the person
    not_graded_reason: str | None
    summary_deadline: str | None  # only while the person can still write or submit the summary
    year: int
    quarters: list[str | None] = field(default_factory=list)  # this year's published grades, Q1→Q4
    annual_reasons: list[str] = field(default_factory=list)
    excellent_eligible: bool = False
    outlook: str = ""  # where the person stands for 优秀 this year ("还需 1 次好…")
    summary_open: bool = False  # the person can still write/submit this quarter's summary
    step_deadline: str | None = None  # the deadline of the step the cycle is in now
    not_evaluated_reason: str | None = None  # e.g. 班子成员 evaluated by the county, not in the unit's cycle
    # Where the evaluation stands between scoring and publication, in words that stay true (no grade before 公布).
    progress_note: str | None = None
    # With no quarter in progress: the quarter that has just ended ("2026年第4季度考核已结束…"), if any.
    ended: str | None = None
    # For a person the unit does not evaluate: the unit's quarter and its step ("2026年第4季度考核：领导评鉴阶段").
    unit_step: str | None = None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def my_status(session: Session, actor: Actor, policy: Policy, now: datetime | None = None) -> MyStatus:
    if actor.person_id is None:
        raise Forbidden("只有考核对象本人可以查询自己的考核")
    now = now or utcnow()
    evaluation = current_evaluation(session, actor.person_id)
    cycle = session.get(Cycle, evaluation.cycle_id) if evaluation else None
    summary = None
    if evaluation:
        summary = session.scalar(select(Summary).where(Summary.cycle_id == cycle.id,
                                                       Summary.person_id == actor.person_id))
    year = cycle.year if cycle else now.year
    quarters: list[str | None] = [None] * 4
    rows = session.execute(
        select(Cycle.quarter, Evaluation.final_grade, Evaluation.state)
        .join(Evaluation, Evaluation.cycle_id == Cycle.id)
        .where(Evaluation.person_id == actor.person_id, Cycle.year == year)
    )
    for quarter, grade, state in rows:
        quarters[quarter - 1] = grade if state == "published" else None
    ended = unit_step = None
    if cycle is None:
        last = latest_filed(session, actor.person_id, to_local(now, policy).date())
        if last is not None:
            ended = f"{last[1].label}考核已结束，结果已报县委组织部公务员办备案"
            if last[0].final_grade and last[0].state == "published":
                ended += f"（等次：{last[0].final_grade}）"
        unit_step = _unit_step(session, actor.person_id, to_local(now, policy).date())
    outcome = annual_outcome(quarters, policy, merits.year_blocks(session, year, policy, [actor.person_id]).get(
        actor.person_id, ()))
    current_q = cycle.quarter if cycle else (now.month - 1) // 3 + 1
    remaining = sum(1 for i, g in enumerate(quarters) if g is None and i + 1 >= current_q)
    ahead = outlook(quarters, remaining, policy)
    state = summary.state if summary else "not_started"
    can_write = bool(cycle) and ((cycle.state == "open" and now <= cycle.summary_due)
                                 or (state == "returned" and cycle.state in ("open", "scoring")))
    if state == "locked":
        label = "已提交（已锁定）"
    elif state in ("not_started", "draft", "returned") and cycle and not can_write:
        label = "未提交（已截止，不能再填写）"
    else:
        label = states.SUMMARY.label(state) if summary else "未开始"
    return MyStatus(
        cycle_label=cycle.label if cycle else None,
        step=states.CYCLE.label(cycle.state) if cycle else None,
        summary_state=state,
        summary_label=label,
        returned_reason=summary.returned_reason if summary and summary.state == "returned" else None,
        scored=bool(evaluation and evaluation.state in SCORED),
        final_grade=evaluation.final_grade if evaluation and evaluation.state == "published" else None,
        not_graded_reason=evaluation.not_graded_reason if evaluation else None,
        summary_deadline=format_local(cycle.summary_due, policy) if cycle and can_write else None,
        year=year, quarters=quarters, annual_reasons=outcome.reasons,
        excellent_eligible=outcome.excellent_eligible, outlook=ahead.message,
        summary_open=can_write, step_deadline=_step_deadline(cycle, policy) if cycle else None,
        not_evaluated_reason=None if evaluation else _not_evaluated(session, actor.person_id, policy),
        progress_note=PROGRESS_NOTES.get(evaluation.state) if evaluation else None,
        ended=ended, unit_step=unit_step,
    )


PROGRESS_NOTES = {"submitted": "分管领导已评鉴，等待党委(党组)审定",
                  "decided": "党委(党组)已审定，结果公布后可查看"}


def _unit_step(session: Session, person_id: int, today) -> str | None:
    """The step of the latest quarter in the person's unit (for someone the unit does not evaluate): in progress, or
    just ended (this calendar quarter or the previous one)."""
    unit_id = session.scalar(select(Membership.unit_id).where(Membership.person_id == person_id,
                                                              Membership.end_on.is_(None)))
    cycle = session.scalar(select(Cycle).where(Cycle.unit_id == unit_id)
                           .order_by(Cycle.year.desc(), Cycle.quarter.desc()).limit(1)) if unit_id else None
    if cycle is None:
        return None
    if cycle.state != "filed":
        return f"{cycle.label}考核：{states.CYCLE.label(cycle.state)}阶段"
    this = today.year * 4 + (today.month - 1) // 3
    return f"{cycle.label}考核已结束" if this - (cycle.year * 4 + cycle.quarter - 1) <= 1 else None


def _step_deadline(cycle: Cycle, policy: Policy) -> str | None:
    due = {"open": cycle.summary_due, "scoring": cycle.scoring_due, "deciding": cycle.decision_due,
           "publicity": cycle.publicity_ends}.get(cycle.state)
    return format_local(due, policy) if due else None


def _not_evaluated(session: Session, person_id: int, policy: Policy) -> str | None:
    """A unit leader whom the policy leaves to the county is told so, not "not started"."""
    is_leader = session.scalar(select(Membership.is_leader).where(Membership.person_id == person_id,
                                                                  Membership.end_on.is_(None)))
    reason, _ = leader_placement(bool(is_leader), policy)
    return reason


@dataclass(frozen=True)
class Waiting:
    evaluation_id: int
    staff_no: str
    name: str
    cycle_label: str
    summary_state: str
    deadline: str


def supervisor_queue(session: Session, actor: Actor, policy: Policy) -> list[Waiting]:
    """Evaluatees assigned to the actor whose scoring is not submitted yet, in cycles at the scoring steps."""
    if actor.person_id is None:
        return []
    rows = session.execute(
        select(Evaluation.id, Person.staff_no, Person.name, Cycle, Summary.state)
        .join(Person, Person.id == Evaluation.person_id)
        .join(Cycle, Cycle.id == Evaluation.cycle_id)
        .outerjoin(Summary, (Summary.cycle_id == Evaluation.cycle_id) & (Summary.person_id == Evaluation.person_id))
        .where(Evaluation.supervisor_id == actor.person_id, Evaluation.state.in_(("pending", "scoring")),
               Cycle.state.in_(("open", "scoring")))
        .order_by(Cycle.year, Cycle.quarter, Person.staff_no)
    )
    return [Waiting(eid, staff_no, name, cycle.label, _summary_for_scorer(s, cycle),
                    format_local(cycle.scoring_due, policy)) for eid, staff_no, name, cycle, s in rows]


def _summary_for_scorer(state: str | None, cycle: Cycle) -> str:
    """What a supervisor needs to know: submitted or not (a draft is not a summary to score against)."""
    if state in SUBMITTED:
        return "已提交"
    if state == "returned":
        return "已退回修改"
    if cycle.state == "open":
        return "未开始" if state is None else "草稿（未提交）"
    return "未提交"


@dataclass
class TierProgress:
    tier: str
    people: int = 0
    not_graded: int = 0
    summaries_submitted: int = 0
    scored: int = 0
    decided: int = 0
    published: int = 0
    late_summaries: list[str] = field(default_factory=list)
    late_scoring: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class UnitProgress:
    unit: str
    cycle_id: int
    cycle_label: str
    step: str
    summary_deadline: str
    scoring_deadline: str
    tiers: list[TierProgress]

    def totals(self) -> dict:
        keys = ("people", "not_graded", "summaries_submitted", "scored", "decided", "published")
        return {k: sum(getattr(t, k) for t in self.tiers) for k in keys}

    def as_dict(self) -> dict:
        return {**{k: v for k, v in self.__dict__.items() if k != "tiers"},
                "tiers": [t.as_dict() for t in self.tiers], "totals": self.totals()}


def latest_cycle(session: Session, unit_id: int) -> Cycle | None:
    return session.scalar(select(Cycle).where(Cycle.unit_id == unit_id)
                          .order_by(Cycle.year.desc(), Cycle.quarter.desc()).limit(1))


def unit_progress(session: Session, actor: Actor, policy: Policy, unit_id: int, cycle_id: int | None = None,
                  now: datetime | None = None) -> UnitProgress:
    """For unit HR, the unit's supervisors and the county office."""
    allowed = actor.can_view_unit(unit_id) or unit_id in actor.supervisor_units
    cycle = session.get(Cycle, cycle_id) if cycle_id else latest_cycle(session, unit_id)
    if not allowed or cycle is None or cycle.unit_id != unit_id:
        raise NotFound("找不到该单位的考核")
    now = now or utcnow()
    rows = session.execute(
        select(Tier.name, Person.name, Evaluation.state, Evaluation.not_graded_reason, Summary.state)
        .join(Tier, Tier.id == Evaluation.tier_id)
        .join(Person, Person.id == Evaluation.person_id)
        .outerjoin(Summary, (Summary.cycle_id == Evaluation.cycle_id) & (Summary.person_id == Evaluation.person_id))
        .where(Evaluation.cycle_id == cycle.id)
        .order_by(Tier.name, Person.staff_no)
    )
    tiers: dict[str, TierProgress] = {}
    for tier_name, person_name, e_state, not_graded, s_state in rows:
        t = tiers.setdefault(tier_name, TierProgress(tier_name))
        t.people += 1
        t.not_graded += not_graded is not None
        submitted = s_state in SUBMITTED
        t.summaries_submitted += submitted
        t.scored += e_state in SCORED
        t.decided += e_state in ("decided", "published")
        t.published += e_state == "published"
        if not submitted and now > cycle.summary_due and cycle.state in ("open", "scoring"):
            t.late_summaries.append(person_name)
        if e_state in ("pending", "scoring") and now > cycle.scoring_due and cycle.state in ("open", "scoring"):
            t.late_scoring.append(person_name)
    unit = session.get(Unit, unit_id)
    return UnitProgress(unit.name, cycle.id, cycle.label, states.CYCLE.label(cycle.state),
                        format_local(cycle.summary_due, policy), format_local(cycle.scoring_due, policy),
                        list(tiers.values()))
