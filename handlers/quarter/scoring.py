"""Step 3 — the supervisor scores: taps per indicator (points, or a quick level 优/良/中/差 from the policy).

A save is one row update under the evaluation's optimistic version: read the evaluation with its cycle (one
query), the template (one query), update + audit. The running total and the suggested grade come back at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from config.policy import Policy
from models import Cycle, Evaluation, Person, Summary, Tier, utcnow
from models.rules import states
from models.rules.leave import leave_indicator
from models.rules.merits import adjusted_total
from models.rules.scoring import RuleViolation, check_score, missing_indicators, quick_level_score, suggested_grade, \
    total_score

from handlers.quarter import merits
from handlers.identity.access import evaluation_columns_for_scorer, evaluation_for_reader, evaluation_for_scorer
from handlers.actor import Actor
from handlers import audit
from handlers.errors import Conflict, InvalidInput, PreconditionFailed, from_rule
from handlers.quarter.indicators import defs, template_for

SCORING_STATES = ("scoring",)


@dataclass(frozen=True)
class Tap:
    indicator_id: int
    points: float | None = None
    level: str | None = None


@dataclass(frozen=True)
class ScoreResult:
    evaluation_id: int
    state: str
    state_label: str
    scores: dict[str, float]
    total: float
    max_total: float
    suggested_grade: str | None
    complete: bool
    missing: list[str]
    version: int
    # 加扣分 (handlers.quarter.merits): total = indicator_total + the applied adjustments, within the policy's bounds
    indicator_total: float | None = None
    adjustments: tuple[dict, ...] = ()
    adjustments_total: float = 0.0
    blocks: tuple[dict, ...] = ()  # effects on this quarter's grade (不得评为好, 当季较差, 不定等次)


def _effects(session: Session, policy: Policy, evaluation: Evaluation, cycle: Cycle) -> merits.QuarterEffects | None:
    if not policy.merits.items:  # a profile without a catalogue: no query
        return None
    return merits.quarter_effects(session, [evaluation.person_id], cycle.year, cycle.quarter, policy)[
        evaluation.person_id]


def _with_effects(indicator_total: float, effects: merits.QuarterEffects | None, policy: Policy) -> dict:
    if effects is None:
        return {"total": indicator_total, "indicator_total": indicator_total}
    return {"total": adjusted_total(indicator_total, effects.adjustments, policy), "indicator_total": indicator_total,
            "adjustments": tuple(effects.lines), "adjustments_total": effects.adjustments.total,
            "blocks": tuple(effects.block_dicts)}


def _result(session: Session, evaluation: Evaluation, cycle: Cycle, indicator_defs, policy: Policy) -> ScoreResult:
    scores = {k: float(v) for k, v in (evaluation.scores or {}).items()}
    missing = missing_indicators(scores, indicator_defs)
    extra = _with_effects(total_score(scores, indicator_defs), _effects(session, policy, evaluation, cycle), policy)
    total = extra.pop("total")
    return ScoreResult(evaluation.id, evaluation.state, states.EVALUATION.label(evaluation.state), scores, total,
                       float(sum(i.points for i in indicator_defs)),
                       suggested_grade(total, policy) if scores and not missing else None,
                       not missing, missing, evaluation.version, **extra)


_TEMPLATES: dict[tuple, list] = {}


def _frozen_template(session: Session, cycle: Cycle, post: str) -> list:
    """The template of a cycle in the scoring step, cached in the process: indicators can only be edited while
    the cycle is draft/open, and no transition leads back to those states, so the cached copy cannot go stale."""
    key = (cycle.id, cycle.opened_at, post)  # opened_at: ids may be reused after a database is emptied
    cached = _TEMPLATES.get(key)
    if cached is None:
        cached = defs(template_for(session, cycle.id, post))
        if cycle.state in SCORING_STATES:
            if len(_TEMPLATES) > 10000:
                _TEMPLATES.clear()
            _TEMPLATES[key] = cached
    return cached


def _check_version(evaluation: Evaluation, expected: int) -> None:
    if expected != evaluation.version:
        raise PreconditionFailed("评鉴表已在其他设备上修改，请刷新后再保存", "version_mismatch",
                                 expected=expected, current=evaluation.version)


def _open_for_scoring(cycle: Cycle) -> None:
    if cycle.state not in SCORING_STATES:
        raise Conflict(f"考核当前处于“{states.CYCLE.label(cycle.state)}”阶段，不能评分", "scoring_closed",
                       state=cycle.state)


_T = Evaluation.__table__
# One UPDATE guarded by the version the client saw (a concurrent save makes it match nothing), with its audit row:
# one statement on PostgreSQL (audit.AuditedUpdate).
_SAVE = audit.AuditedUpdate(update(_T).where(_T.c.id == bindparam("id_"), _T.c.version == bindparam("expected")).values(
    scores=bindparam("scores"), total=bindparam("total"), suggested_grade=bindparam("suggested_grade"),
    state=bindparam("state"), version=bindparam("new_version")))


def save_scores(session: Session, actor: Actor, policy: Policy, evaluation_id: int, taps: list[Tap],
                expected_version: int) -> ScoreResult:
    evaluation, cycle = evaluation_columns_for_scorer(session, actor, evaluation_id)  # plain rows: the hot path
    _open_for_scoring(cycle)
    _check_version(evaluation, expected_version)
    try:
        target = states.EVALUATION.next_state(evaluation.state, "score")
    except RuleViolation as exc:
        raise from_rule(exc) from None
    if evaluation.not_graded_reason:
        raise Conflict(f"该考核对象不确定等次（{evaluation.not_graded_reason}），无需评分", "not_graded")
    if evaluation.state == "pending" and not evaluation.no_summary_note:  # the first score only: one query
        _require_summary(session, policy, evaluation)
    template = _frozen_template(session, cycle, evaluation.post)
    by_id = {d.key: d for d in template}
    scores = dict(evaluation.scores or {})
    changed = {}
    for tap in taps:
        d = by_id.get(str(tap.indicator_id))
        if d is None:
            raise InvalidInput(f"指标 {tap.indicator_id} 不在该考核对象的评鉴表中", "unknown_indicator",
                               indicator_id=tap.indicator_id)
        if (tap.points is None) == (tap.level is None):
            raise InvalidInput(f"指标“{d.name}”请给出分数或快捷档次（二选一）", "points_or_level")
        try:
            value = check_score(d, tap.points) if tap.points is not None else quick_level_score(d, tap.level, policy)
        except RuleViolation as exc:
            raise from_rule(exc) from None
        changed[d.key] = value
    scores.update(changed)
    # 加扣分: the sum kept on the row by handlers.quarter.merits (no query on this path); the lines come with the detail
    indicator_total = total_score(scores, template)
    adjustment = float(evaluation.merit_adjustment or 0)
    total = adjusted_total(indicator_total, adjustment, policy) if policy.merits.items else indicator_total
    extra = {"indicator_total": indicator_total, "adjustments_total": adjustment}
    missing = missing_indicators(scores, template)
    # A grade is suggested only for a complete form: 8 points of 100 after one tap is not “较差”.
    grade = suggested_grade(total, policy) if not missing else None
    # Plain Core on the session's connection (same transaction): the ORM's bulk-update path costs more.
    saved = _SAVE.execute(
        session, {"id_": evaluation.id, "expected": expected_version, "scores": scores, "total": total,
                  "suggested_grade": grade, "state": target, "new_version": expected_version + 1},
        actor, "evaluation.score", "evaluation", evaluation.id, {"state": evaluation.state},
        {"scores": changed, "total": total})
    if saved != 1:
        raise PreconditionFailed("评鉴表已在其他设备上修改，请刷新后再保存", "version_mismatch", expected=expected_version)
    loaded = session.identity_map.get(identity_key(Evaluation, evaluation_id))
    if loaded is not None:  # an ORM copy loaded earlier in this unit of work is stale now: never flush it
        session.expire(loaded)
    return ScoreResult(evaluation_id, target, states.EVALUATION.label(target), {k: float(v) for k, v in scores.items()},
                       total, float(sum(d.points for d in template)), grade, not missing, missing,
                       expected_version + 1, **extra)


SUMMARY_SUBMITTED = ("submitted", "locked")


def _summary_state(session: Session, evaluation: Evaluation) -> str | None:
    return session.scalar(select(Summary.state).where(Summary.cycle_id == evaluation.cycle_id,
                                                      Summary.person_id == evaluation.person_id))


def _require_summary(session: Session, policy: Policy, evaluation: Evaluation) -> None:
    """Scoring someone whose summary is not in needs the supervisor's explicit choice, as the policy allows."""
    if _summary_state(session, evaluation) in SUMMARY_SUBMITTED:
        return
    options = []
    if policy.missing_summary.allow_score:
        options.append("填写原因后照常评分")
    if policy.missing_summary.not_graded_reasons:
        options.append(f"按规定确定为不定等次（{'；'.join(policy.missing_summary.not_graded_reasons)}）")
    raise Conflict(f"该考核对象尚未提交个人小结（草稿不算提交）。可以：{'，或'.join(options)}",
                   "summary_missing", options=[o for o, ok in (("score", policy.missing_summary.allow_score),
                                                               ("not_graded", bool(policy.missing_summary.not_graded_reasons)))
                                               if ok], not_graded_reasons=list(policy.missing_summary.not_graded_reasons))


def without_summary(session: Session, actor: Actor, policy: Policy, evaluation_id: int, action: str,
                    reason: str) -> ScoreResult:
    """The supervisor's choice for a person with no submitted summary: ``score`` (with a recorded reason) or
    ``not_graded`` (with one of the policy's reasons). Audited; only while scoring and before the scores are in."""
    evaluation, cycle = evaluation_for_scorer(session, actor, evaluation_id)
    _open_for_scoring(cycle)
    rules = policy.missing_summary
    reason = (reason or "").strip()
    if evaluation.state not in ("pending", "scoring") or evaluation.not_graded_reason:
        raise Conflict("评鉴已提交或已确定为不定等次，不能再更改", "scoring_closed")
    if _summary_state(session, evaluation) in SUMMARY_SUBMITTED:
        raise Conflict("该考核对象已提交个人小结，请直接评分", "summary_submitted")
    if action == "score":
        if not rules.allow_score:
            raise Conflict("本县规定：未提交个人小结的人员不能照常评分，请确定为不定等次", "score_not_allowed")
        if not reason or len(reason) > 200:
            raise InvalidInput("请填写照常评分的原因（1–200 个字）", "reason_required")
        before = {"no_summary_note": evaluation.no_summary_note}
        evaluation.no_summary_note = reason
        audit.record(session, actor, "evaluation.score_without_summary", "evaluation", evaluation.id, before,
                     {"no_summary_note": reason})
    elif action == "not_graded":
        if reason not in rules.not_graded_reasons:
            raise InvalidInput(f"不定等次的原因只能是：{'；'.join(rules.not_graded_reasons) or '（本县未规定）'}",
                               "bad_reason", reasons=list(rules.not_graded_reasons))
        before = {"not_graded_reason": None, "scores": dict(evaluation.scores or {})}
        evaluation.not_graded_reason, evaluation.scores, evaluation.total, evaluation.suggested_grade = \
            reason, {}, None, None
        audit.record(session, actor, "evaluation.not_graded", "evaluation", evaluation.id, before,
                     {"not_graded_reason": reason})
    else:
        raise InvalidInput("操作只能是 score（照常评分）或 not_graded（不定等次）", "bad_action")
    session.flush()
    return _result(session, evaluation, cycle, defs(template_for(session, cycle.id, evaluation.post)), policy)


def _move(session: Session, actor: Actor, evaluation: Evaluation, action: str, **changes) -> None:
    try:
        target = states.EVALUATION.next_state(evaluation.state, action)
    except RuleViolation as exc:
        raise from_rule(exc) from None
    before = {"state": evaluation.state}
    evaluation.state = target
    for k, v in changes.items():
        setattr(evaluation, k, v)
    session.flush()
    audit.record(session, actor, f"evaluation.{action}", "evaluation", evaluation.id, before, {"state": target, **changes})


def submit(session: Session, actor: Actor, policy: Policy, evaluation_id: int, expected_version: int | None,
           now: datetime | None = None) -> ScoreResult:
    evaluation, cycle = evaluation_for_scorer(session, actor, evaluation_id)
    _open_for_scoring(cycle)
    if expected_version is not None:
        _check_version(evaluation, expected_version)
    template = defs(template_for(session, cycle.id, evaluation.post))
    missing = missing_indicators(evaluation.scores or {}, template)
    if missing:
        raise InvalidInput(f"还有 {len(missing)} 项指标未评分：{'、'.join(missing)}", "scores_incomplete",
                           missing=missing)
    _move(session, actor, evaluation, "submit", submitted_at=now or utcnow())
    return _result(session, evaluation, cycle, template, policy)


def reopen(session: Session, actor: Actor, policy: Policy, evaluation_id: int) -> ScoreResult:
    """The supervisor takes a submitted evaluation back while the cycle is still in the scoring step."""
    evaluation, cycle = evaluation_for_scorer(session, actor, evaluation_id)
    if cycle.state not in SCORING_STATES:
        raise Conflict(f"考核已进入“{states.CYCLE.label(cycle.state)}”阶段，不能重新评鉴", "scoring_closed")
    _move(session, actor, evaluation, "reopen", submitted_at=None)
    return _result(session, evaluation, cycle, defs(template_for(session, cycle.id, evaluation.post)), policy)


@dataclass(frozen=True)
class EvaluationDetail:
    id: int
    cycle_id: int
    cycle_label: str
    person_name: str
    staff_no: str
    tier: str
    post: str
    supervisor_name: str | None
    not_graded_reason: str | None
    final_grade: str | None
    indicators: list[dict]
    summary_id: int | None
    summary_state: str | None
    summary_paragraphs: list[str]
    result: ScoreResult
    can_score: bool
    version: int
    leave_days: float | None = None  # recorded (or roster) leave days in the quarter; None: none recorded
    leave_indicator_id: int | None = None  # the 出勤 (勤) indicator the leave days are shown beside


def _leave_days(session: Session, cycle: Cycle, person_id: int) -> float | None:
    from models.rules.calendar import quarter_bounds

    from handlers.quarter.cycles import _leave_days as roster_leave
    from handlers.identity.leave import recorded_days

    recorded = recorded_days(session, [person_id], cycle.year, cycle.quarter)
    if person_id in recorded:
        return recorded[person_id]
    return roster_leave(session, [person_id], *quarter_bounds(cycle.year, cycle.quarter)).get(person_id)


def detail(session: Session, actor: Actor, policy: Policy, evaluation_id: int) -> EvaluationDetail:
    evaluation, cycle = evaluation_for_reader(session, actor, evaluation_id)
    indicators = template_for(session, cycle.id, evaluation.post)
    person = session.get(Person, evaluation.person_id)
    sup = session.get(Person, evaluation.supervisor_id) if evaluation.supervisor_id else None
    summary = session.scalar(select(Summary).where(Summary.cycle_id == cycle.id,
                                                   Summary.person_id == evaluation.person_id))
    shown = summary is not None and summary.state in ("submitted", "locked", "returned")
    return EvaluationDetail(
        evaluation.id, cycle.id, cycle.label, person.name, person.staff_no, session.get(Tier, evaluation.tier_id).name,
        evaluation.post, sup.name if sup else None, evaluation.not_graded_reason, evaluation.final_grade,
        [{"id": i.id, "kind": i.kind, "dimension": i.dimension, "name": i.name, "points": i.points,
          "score": (evaluation.scores or {}).get(str(i.id))} for i in indicators],
        summary.id if summary else None, summary.state if summary else None,
        list(summary.paragraphs or []) if shown else [], _result(session, evaluation, cycle, defs(indicators), policy),
        evaluation.supervisor_id == actor.person_id and cycle.state in SCORING_STATES
        and evaluation.state in ("pending", "scoring") and not evaluation.not_graded_reason,
        evaluation.version, _leave_days(session, cycle, evaluation.person_id),
        leave_indicator(((i.id, i.kind, i.dimension) for i in indicators), policy),
    )


@dataclass(frozen=True)
class ToScore:
    evaluation_id: int
    cycle_id: int
    cycle_label: str
    staff_no: str
    name: str
    tier: str
    post: str
    state: str
    state_label: str
    total: float | None
    suggested_grade: str | None
    summary_state: str
    not_graded_reason: str | None
    version: int


def my_people(session: Session, actor: Actor, *, offset: int, limit: int, cycle_id: int | None = None
              ) -> tuple[list[ToScore], int]:
    """The supervisor's people to score in cycles that are open or scoring (or a given cycle), paginated."""
    if actor.person_id is None:
        return [], 0
    where = [Evaluation.supervisor_id == actor.person_id]
    where.append(Evaluation.cycle_id == cycle_id if cycle_id else Cycle.state.in_(("open", "scoring")))
    base = (select(Evaluation, Cycle, Person.staff_no, Person.name, Tier.name, Summary.state)
            .join(Cycle, Cycle.id == Evaluation.cycle_id).join(Person, Person.id == Evaluation.person_id)
            .join(Tier, Tier.id == Evaluation.tier_id)
            .outerjoin(Summary, (Summary.cycle_id == Evaluation.cycle_id) & (Summary.person_id == Evaluation.person_id))
            .where(*where))
    total = session.scalar(select(func.count()).select_from(
        select(Evaluation.id).join(Cycle, Cycle.id == Evaluation.cycle_id).where(*where).subquery()))
    rows = session.execute(base.order_by(Cycle.year, Cycle.quarter, Person.staff_no).offset(offset).limit(limit))
    out = [ToScore(e.id, c.id, c.label, staff_no, name, tier, e.post, e.state, states.EVALUATION.label(e.state),
                   e.total, e.suggested_grade, s_state or "not_started", e.not_graded_reason, e.version)
           for e, c, staff_no, name, tier, s_state in rows]
    return out, total
