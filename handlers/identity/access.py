"""Object-level scope checks, in one place, for every caller (API, chat, console).

Asking for an object outside one's scope answers "not found" (404), so ids cannot be probed; the denial is
audited, and the audit row is kept although the request fails. Field-level rules (only the assigned supervisor
writes scores; only unit HR records the committee's decision) answer 403 for people who may *see* the object.
"""
from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session

from models import Cycle, Evaluation, Filing

from handlers import audit
from handlers.actor import Actor
from handlers.errors import Forbidden, NotFound

LABELS = {"cycle": "考核周期", "evaluation": "考核评鉴表", "summary": "个人小结", "filing": "备案", "merit_event": "加扣分事项",
          "unit": "单位", "person": "人员", "objection": "异议"}


def deny(session: Session, actor: Actor, object_type: str, object_id, why: str = "out_of_scope") -> NotFound:
    """Audit the denial and return the 404 to raise (the audit row survives the failed request)."""
    audit.record(session, actor, "access.denied", object_type, object_id, None, {"reason": why})
    return NotFound(f"找不到该{LABELS.get(object_type, '内容')}").keeping_changes()


def forbid(session: Session, actor: Actor, object_type: str, object_id, message: str, code: str) -> Forbidden:
    audit.record(session, actor, "access.forbidden", object_type, object_id, None, {"reason": code})
    return Forbidden(message, code).keeping_changes()


def supervises_in_cycle(session: Session, actor: Actor, cycle_id: int) -> bool:
    if actor.person_id is None:
        return False
    return bool(session.scalar(select(exists().where(Evaluation.cycle_id == cycle_id,
                                                     Evaluation.supervisor_id == actor.person_id))))


def cycle_for_admin(session: Session, actor: Actor, cycle_id: int) -> Cycle:
    """Unit HR of the cycle's unit (or the operator)."""
    cycle = session.get(Cycle, cycle_id)
    if cycle is None:
        raise NotFound("找不到该考核周期")
    if not actor.can_admin_unit(cycle.unit_id):
        if actor.can_view_unit(cycle.unit_id):  # the county office sees it but does not run the unit's steps
            raise forbid(session, actor, "cycle", cycle_id, "只有本单位平时考核管理员可以进行此操作", "unit_admin_only")
        raise deny(session, actor, "cycle", cycle_id)
    return cycle


def cycle_for_viewer(session: Session, actor: Actor, cycle_id: int) -> Cycle:
    """Unit HR, the county office, or a supervisor with someone to score in it."""
    cycle = session.get(Cycle, cycle_id)
    if cycle is None:
        raise NotFound("找不到该考核周期")
    if not (actor.can_view_unit(cycle.unit_id) or supervises_in_cycle(session, actor, cycle_id)):
        raise deny(session, actor, "cycle", cycle_id)
    return cycle


def unit_for_admin(session: Session, actor: Actor, unit_id: int) -> int:
    if not actor.can_admin_unit(unit_id):
        raise deny(session, actor, "unit", unit_id)
    return unit_id


# Built once: constructing a statement and computing its cache key cost more than running it on the scoring path.
_EVALUATION_WITH_CYCLE = (select(Evaluation, Cycle).join(Cycle, Cycle.id == Evaluation.cycle_id)
                          .where(Evaluation.id == bindparam("evaluation_id")))
_E, _C = Evaluation.__table__, Cycle.__table__
# What the score save reads, and nothing more: each column costs result processing (timestamps, JSON) on every tap.
_E_KEYS = ("id", "cycle_id", "person_id", "post", "supervisor_id", "state", "scores", "not_graded_reason",
           "no_summary_note", "merit_adjustment", "version")
_C_KEYS = ("id", "unit_id", "state", "opened_at")
_EVALUATION_ROW = (select(*(_E.c[k] for k in _E_KEYS), *(_C.c[k].label(f"cycle_{k}") for k in _C_KEYS))
                   .join(_C, _C.c.id == _E.c.cycle_id).where(_E.c.id == bindparam("evaluation_id")))


class Columns(SimpleNamespace):
    """One row's columns by name, for a hot path that only reads them and writes with a Core statement: a third
    cheaper than loading ORM objects (issue 16). Never flushed; nothing tracks changes made to it."""


def _may_read(session: Session, actor: Actor, evaluation_id: int, supervisor_id: int | None, unit_id: int) -> None:
    if (actor.person_id is not None and supervisor_id == actor.person_id) or actor.can_view_unit(unit_id):
        return
    raise deny(session, actor, "evaluation", evaluation_id)


def _may_score(session: Session, actor: Actor, evaluation_id: int, supervisor_id: int | None) -> None:
    if actor.person_id is None or supervisor_id != actor.person_id:
        raise forbid(session, actor, "evaluation", evaluation_id, "只有负责评鉴的分管领导可以评分",
                     "not_assigned_supervisor")


def evaluation_for_reader(session: Session, actor: Actor, evaluation_id: int) -> tuple[Evaluation, Cycle]:
    """The assigned supervisor, unit HR, the county office; the person themself only once it is published."""
    row = session.execute(_EVALUATION_WITH_CYCLE, {"evaluation_id": evaluation_id}).first()
    if row is None:
        raise NotFound("找不到该考核评鉴表")
    evaluation, cycle = row
    _may_read(session, actor, evaluation_id, evaluation.supervisor_id, cycle.unit_id)
    return evaluation, cycle


def evaluation_for_scorer(session: Session, actor: Actor, evaluation_id: int) -> tuple[Evaluation, Cycle]:
    """Only the assigned supervisor writes scores (others who may see it get 403, the rest 404)."""
    evaluation, cycle = evaluation_for_reader(session, actor, evaluation_id)
    _may_score(session, actor, evaluation_id, evaluation.supervisor_id)
    return evaluation, cycle


def evaluation_columns_for_scorer(session: Session, actor: Actor, evaluation_id: int) -> tuple[Columns, Columns]:
    """As :func:`evaluation_for_scorer`, the same checks and answers, with the columns the score save reads (``_E_KEYS``,
    ``_C_KEYS``) as plain rows; the save writes one versioned Core UPDATE."""
    row = session.execute(_EVALUATION_ROW, {"evaluation_id": evaluation_id}).first()  # autoflushes, like the ORM load
    if row is None:
        raise NotFound("找不到该考核评鉴表")
    values = tuple(row)
    evaluation = Columns(**dict(zip(_E_KEYS, values[:len(_E_KEYS)])))
    cycle = Columns(**dict(zip(_C_KEYS, values[len(_E_KEYS):])))
    _may_read(session, actor, evaluation_id, evaluation.supervisor_id, cycle.unit_id)
    _may_score(session, actor, evaluation_id, evaluation.supervisor_id)
    return evaluation, cycle


def filing_for_county(session: Session, actor: Actor, filing_id: int) -> Filing:
    filing = session.get(Filing, filing_id)
    if filing is None:
        raise NotFound("找不到该备案")
    if not actor.is_county:
        if actor.can_admin_unit(filing.unit_id):
            raise forbid(session, actor, "filing", filing_id, "只有县公务员办可以审核备案", "county_only")
        raise deny(session, actor, "filing", filing_id)
    return filing


def filing_for_viewer(session: Session, actor: Actor, filing_id: int) -> Filing:
    filing = session.get(Filing, filing_id)
    if filing is None:
        raise NotFound("找不到该备案")
    if not actor.can_view_unit(filing.unit_id):
        raise deny(session, actor, "filing", filing_id)
    return filing
