"""Step 5 — publicity (公示), each person's result, and filing the 结果一览表 with the county office.

Publishing starts the publicity period (the policy's days); from then on each person sees their own result.
The unit files the result list only after the publicity period has ended; the county office accepts it or
returns it with a reason (the cycle goes back to deciding and the results are withdrawn until republished).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.policy import Policy
from models import CommitteeDecision, Cycle, Evaluation, Filing, Person, Tier, Unit, utcnow
from models.rules import states
from models.rules.calendar import format_local
from models.rules.feedback import objection_deadline, sign_deadline
from models.rules.scoring import RuleViolation

from handlers import audit

from handlers.outbound import follow_ups, notices
from handlers.identity.access import cycle_for_admin, filing_for_county
from handlers.actor import Actor
from handlers.quarter.cycles import transition
from handlers.errors import Conflict, Forbidden, InvalidInput, from_rule


def publish(session: Session, actor: Actor, policy: Policy, cycle_id: int) -> Cycle:
    cycle = cycle_for_admin(session, actor, cycle_id)
    if cycle.state != "deciding":
        raise Conflict(f"考核当前处于“{states.CYCLE.label(cycle.state)}”阶段，不能开始公示", "not_deciding")
    if session.scalar(select(CommitteeDecision.id).where(CommitteeDecision.cycle_id == cycle.id)) is None:
        raise Conflict("请先记录党委(党组)会议", "meeting_required")
    evaluations = list(session.scalars(select(Evaluation).where(Evaluation.cycle_id == cycle.id)))
    undecided = [e for e in evaluations if not e.not_graded_reason and not e.final_grade]
    if undecided:
        names = session.scalars(select(Person.name).where(Person.id.in_([e.person_id for e in undecided]))).all()
        raise Conflict(f"还有 {len(undecided)} 人未审定等次：{'、'.join(names)}", "undecided", count=len(undecided))
    transition(session, actor, cycle, "publish", policy=policy)
    for e in evaluations:
        if e.not_graded_reason:
            continue
        e.state = states.EVALUATION.next_state(e.state, "publish")
    session.flush()
    audit.record(session, actor, "results.publish", "cycle", cycle.id, None,
                 {"publicity_ends": cycle.publicity_ends, "people": len(evaluations)})
    _tell_everyone(session, policy, cycle, evaluations)
    follow_ups.tell_talk_holders(session, policy, cycle, evaluations)
    return cycle


def _tell_everyone(session: Session, policy: Policy, cycle: Cycle, evaluations: list[Evaluation]) -> None:
    """Each person hears their own result on WeChat (the notices channel), once per publication: a filing the
    county returns is decided and published again, and that new publication is told again. The key carries the
    evaluation's version, which every publication moves on (the publicity end alone can repeat within a day)."""
    ends = format_local(cycle.publicity_ends, policy) if cycle.publicity_ends else "另行通知"
    sign_due = format_local(sign_deadline(cycle.published_at, policy), policy) if cycle.published_at else ends
    period = f"{cycle.year}年第{cycle.quarter}季度"
    for e in evaluations:
        objection_ends = format_local(objection_deadline(cycle.published_at, cycle.publicity_ends, policy,
                                                         e.final_grade), policy) if cycle.published_at else ends
        if e.not_graded_reason:
            outcome = f"不定等次（{e.not_graded_reason}）"
        else:
            total = f"，总分 {e.total:g}" if e.total is not None else ""
            outcome = f"“{e.final_grade}”等次{total}"
        text = (f"您的{period}平时考核结果：{outcome}。公示期至 {ends}。请于 {sign_due} 前确认：发送“确认结果 同意”，"
                f"如有异议发送“异议 <理由>”（{objection_ends} 前）；也可在“我的考核”页面确认。")
        notices.notify_person(session, e.person_id, text, kind="personal", title="平时考核结果公示",
                              dedupe_key=f"result-published:{e.id}:v{e.version}",
                              facts={"grade": "不定等次" if e.not_graded_reason else e.final_grade,
                                     "lead": f"{period}平时考核结果", "deadline": cycle.publicity_ends})


@dataclass(frozen=True)
class MyResult:
    cycle_id: int
    cycle_label: str
    unit: str
    final_grade: str | None
    not_graded_reason: str | None
    total: float | None
    published_state: str  # publicity | filed
    publicity_ends: str | None


def my_results(session: Session, actor: Actor, policy: Policy) -> list[MyResult]:
    """The person's own results, visible from the start of the publicity period on."""
    if actor.person_id is None:
        raise Forbidden("只有考核对象本人可以查看自己的结果")
    rows = session.execute(
        select(Evaluation, Cycle, Unit.name).join(Cycle, Cycle.id == Evaluation.cycle_id)
        .join(Unit, Unit.id == Cycle.unit_id)
        .where(Evaluation.person_id == actor.person_id, Cycle.state.in_(("publicity", "filed")))
        .order_by(Cycle.year.desc(), Cycle.quarter.desc()))
    return [MyResult(c.id, c.label, unit, e.final_grade if e.state == "published" else None, e.not_graded_reason,
                     e.total if e.state == "published" else None, c.state,
                     format_local(c.publicity_ends, policy) if c.publicity_ends else None)
            for e, c, unit in rows if e.state == "published" or e.not_graded_reason]


def result_list(session: Session, cycle: Cycle) -> list[dict]:
    """《结果一览表》: tier, staff number, name, post, total, suggested and final grade, or the not-graded reason."""
    rows = session.execute(
        select(Evaluation, Person.staff_no, Person.name, Tier.name).join(Person, Person.id == Evaluation.person_id)
        .join(Tier, Tier.id == Evaluation.tier_id).where(Evaluation.cycle_id == cycle.id)
        .order_by(Tier.name, Person.staff_no))
    return [{"tier": t, "staff_no": s, "name": n, "post": e.post, "total": e.total,
             "suggested_grade": e.suggested_grade, "final_grade": e.final_grade,
             "not_graded_reason": e.not_graded_reason} for e, s, n, t in rows]


def file_results(session: Session, actor: Actor, policy: Policy, cycle_id: int, now: datetime | None = None) -> Filing:
    cycle = cycle_for_admin(session, actor, cycle_id)
    now = now or utcnow()
    if cycle.state != "publicity":
        raise Conflict(f"考核当前处于“{states.CYCLE.label(cycle.state)}”阶段，不能报送结果备案", "not_publicity")
    if cycle.publicity_ends and now < cycle.publicity_ends:
        raise Conflict(f"公示期至 {format_local(cycle.publicity_ends, policy)} 结束，公示期满后才能报送结果备案",
                       "publicity_not_over", publicity_ends=cycle.publicity_ends.isoformat())
    payload = {"cycle_id": cycle.id, "rows": result_list(session, cycle)}
    filing = session.scalar(select(Filing).where(Filing.kind == "results", Filing.unit_id == cycle.unit_id,
                                                 Filing.year == cycle.year, Filing.quarter == cycle.quarter))
    if filing is None:
        filing = Filing(kind="results", unit_id=cycle.unit_id, year=cycle.year, quarter=cycle.quarter,
                        state="submitted", payload=payload, submitted_by=actor.ref, submitted_at=now)
        session.add(filing)
    else:
        try:
            filing.state = states.FILING.next_state(filing.state, "resubmit")
        except RuleViolation as exc:
            raise from_rule(exc) from None
        filing.payload, filing.submitted_by, filing.submitted_at = payload, actor.ref, now
        filing.reviewed_by = filing.reviewed_at = None
    session.flush()
    transition(session, actor, cycle, "file", policy=policy)
    audit.record(session, actor, "filing.submit", "filing", filing.id, None,
                 {"kind": "results", "cycle_id": cycle.id, "rows": len(payload["rows"])})
    return filing


def review_filing(session: Session, actor: Actor, filing_id: int, accept: bool, reason: str = "") -> Filing:
    """The county office accepts a filing, or returns it with a reason (a results filing reopens the decision)."""
    filing = filing_for_county(session, actor, filing_id)
    reason = reason.strip()
    if not accept and not reason:
        raise InvalidInput("请填写退回原因", "reason_required")
    try:
        target = states.FILING.next_state(filing.state, "accept" if accept else "return")
    except RuleViolation as exc:
        raise from_rule(exc) from None
    if accept and filing.changed_at is not None:
        raise Conflict(f"该单位报送备案后结果已变更（{changes_text(filing)}），须单位更正备案后再审核通过；"
                       "也可退回", "results_changed")
    before = {"state": filing.state}
    filing.state, filing.reviewed_by, filing.reviewed_at = target, actor.ref, utcnow()
    filing.return_reason = None if accept else reason
    audit.record(session, actor, f"filing.{'accept' if accept else 'return'}", "filing", filing.id, before,
                 {"state": target, "reason": filing.return_reason})
    follow_ups.tell_filing_reviewed(session, filing)
    if not accept and filing.kind == "results":
        cycle = session.scalar(select(Cycle).where(Cycle.unit_id == filing.unit_id, Cycle.year == filing.year,
                                                   Cycle.quarter == filing.quarter))
        if cycle is not None and cycle.state == "filed":
            transition(session, actor, cycle, "return_filing")
            for e in session.scalars(select(Evaluation).where(Evaluation.cycle_id == cycle.id,
                                                              Evaluation.state == "published")):
                e.state = states.EVALUATION.next_state(e.state, "unpublish")
            session.flush()
    return filing


# -- a filed result list that no longer matches the grades: 结果已变更，需更正备案 ---------------------------------------
CHANGED_LABEL = "结果已变更，需更正备案"


def results_filing_of(session: Session, cycle: Cycle) -> Filing | None:
    return session.scalar(select(Filing).where(Filing.kind == "results", Filing.unit_id == cycle.unit_id,
                                               Filing.year == cycle.year, Filing.quarter == cycle.quarter))


def changes_text(filing: Filing) -> str:
    """“王芳 较好→好” for each change since filing."""
    return "；".join(f"{c['name']} {c['from'] or '—'}→{c['to'] or '—'}" for c in filing.changes or [])


def mark_results_changed(session: Session, actor: Actor, policy: Policy, cycle: Cycle, evaluation: Evaluation,
                         old_grade: str | None, new_grade: str | None, *, objection_id: int | None = None,
                         now: datetime | None = None) -> Filing | None:
    """A grade changed after the unit filed the 结果一览表 (an objection's regrade): the filing is marked
    “结果已变更，需更正备案” with the change (never silently kept as filed), unit HR and the county office are told.
    Nothing to mark before filing, after a return (the unit files anew) or when the grade did not change."""
    filing = results_filing_of(session, cycle)
    if filing is None or filing.state not in ("submitted", "accepted") or old_grade == new_grade:
        return None
    now = now or utcnow()
    person = session.get(Person, evaluation.person_id)
    filed = next((r.get("final_grade") for r in (filing.payload or {}).get("rows", [])
                  if r.get("staff_no") == person.staff_no), old_grade)
    change = {"staff_no": person.staff_no, "name": person.name, "from": filed, "to": new_grade,
              "objection_id": objection_id, "at": now.isoformat()}
    before = {"changed_at": filing.changed_at.isoformat() if filing.changed_at else None,
              "changes": len(filing.changes or [])}
    filing.changes = [*(filing.changes or []), change]  # a new list: the JSON column sees the change
    filing.changed_at = filing.changed_at or now
    session.flush()
    audit.record(session, actor, "filing.results_changed", "filing", filing.id, before,
                 {"label": CHANGED_LABEL, **change})
    unit = session.get(Unit, cycle.unit_id)
    what = f"{unit.name}{cycle.year}年第{cycle.quarter}季度结果一览表"
    text = (f"{what}报送备案后，{person.name}的等次由“{filed}”改为“{new_grade}”（异议复核）。{CHANGED_LABEL}："
            "请在控制台“双备案”页或“审定等次”页报送更正备案。")
    from handlers.outbound.reminders import unit_hr
    from handlers.quarter.objections import county_office

    key = f"filing-changed:{filing.id}:{len(filing.changes)}"
    for pid in unit_hr(session, cycle.unit_id):
        notices.notify_person(session, pid, text, kind="personal", title=CHANGED_LABEL,
                              dedupe_key=f"{key}:{pid}", facts={"lead": f"{person.name}等次已变更"})
    for pid in county_office(session):
        notices.notify_person(session, pid, f"{what}报送后结果已变更（{person.name} {filed}→{new_grade}），"
                              "待单位更正备案。", kind="personal", title="备案结果已变更",
                              dedupe_key=f"{key}:county:{pid}", facts={"lead": f"{unit.name}结果已变更"[:20]})
    return filing


def correct_results_filing(session: Session, actor: Actor, policy: Policy, cycle_id: int,
                           now: datetime | None = None) -> Filing:
    """更正备案: unit HR files the current 结果一览表 again after a grade changed; the earlier submission (what was
    filed, by whom, when, and its review) stays in the filing's history; the county office reviews the new list."""
    cycle = cycle_for_admin(session, actor, cycle_id)
    now = now or utcnow()
    filing = results_filing_of(session, cycle)
    if filing is None:
        raise Conflict("本季度尚未报送结果备案，请先报送", "not_filed")
    if filing.changed_at is None:
        raise Conflict("报送备案后结果没有变更，无需更正备案", "not_changed")
    try:
        target = states.FILING.next_state(filing.state, "correct")
    except RuleViolation as exc:
        raise from_rule(exc) from None
    earlier = {"payload": filing.payload, "state": filing.state, "submitted_by": filing.submitted_by,
               "submitted_at": filing.submitted_at.isoformat(), "reviewed_by": filing.reviewed_by,
               "reviewed_at": filing.reviewed_at.isoformat() if filing.reviewed_at else None,
               "changes": filing.changes or [], "superseded_at": now.isoformat()}
    before = {"state": filing.state, "changes": filing.changes}
    filing.history = [*(filing.history or []), earlier]
    filing.payload = {"cycle_id": cycle.id, "rows": result_list(session, cycle), "correction": len(filing.history)}
    filing.state, filing.submitted_by, filing.submitted_at = target, actor.ref, now
    filing.reviewed_by = filing.reviewed_at = filing.return_reason = None
    filing.changed_at, filing.changes = None, None
    session.flush()
    audit.record(session, actor, "filing.correct", "filing", filing.id, before,
                 {"state": target, "correction": len(filing.history), "rows": len(filing.payload["rows"])})
    from handlers.quarter.objections import county_office

    unit = session.get(Unit, cycle.unit_id)
    for pid in county_office(session):
        notices.notify_person(session, pid, f"{unit.name}{cycle.year}年第{cycle.quarter}季度结果一览表已更正备案"
                              f"（第 {len(filing.history)} 次更正），请审核。", kind="personal", title="更正备案待审核",
                              dedupe_key=f"filing-correct:{filing.id}:{len(filing.history)}:{pid}",
                              facts={"lead": f"{unit.name}更正备案"[:20]})
    return filing


def changed_view(filing: Filing, policy: Policy) -> dict:
    """What every view of a filing shows about changes after filing and earlier submissions."""
    return {"cycle_id": (filing.payload or {}).get("cycle_id"), "changed": filing.changed_at is not None,
            "changed_label": CHANGED_LABEL if filing.changed_at is not None else "",
            "changed_at": format_local(filing.changed_at, policy) if filing.changed_at else "",
            "changes": list(filing.changes or []), "changes_text": changes_text(filing),
            "history": [{**h, "state_label": states.FILING.label(h["state"]),
                         "submitted_at_local": format_local(datetime.fromisoformat(h["submitted_at"]), policy)}
                        for h in filing.history or []]}


def filings(session: Session, actor: Actor, *, offset: int, limit: int, state: str | None = None,
            unit_id: int | None = None) -> tuple[list[Filing], int]:
    """The county office sees every unit's filings; unit HR their own units'."""
    q = select(Filing)
    if not actor.is_county:
        q = q.where(Filing.unit_id.in_(sorted(actor.admin_units) or [-1]))
    if state:
        q = q.where(Filing.state == state)
    if unit_id:
        q = q.where(Filing.unit_id == unit_id)
    total = session.scalar(select(func.count()).select_from(q.subquery()))
    rows = list(session.scalars(q.order_by(Filing.submitted_at.desc(), Filing.id.desc()).offset(offset).limit(limit)))
    return rows, total
