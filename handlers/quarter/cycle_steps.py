"""Unit HR moves its cycle through the steps (open → scoring → deciding); publishing and filing live in
``publishing``. Every change goes through ``cycles.transition``.

A step never strands people silently: moving on before the step's deadline while people are still missing needs an
explicit reason, which is audited with the names of who was missing; the decision step needs every score in, and
says who has no scorer and what to do.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.policy import Policy
from models import Cycle, Evaluation, Person, Summary, utcnow
from models.rules.calendar import format_local

from handlers.identity.access import cycle_for_admin, unit_for_admin
from handlers.actor import Actor
from handlers.quarter.cycles import OpeningNotes, open_cycle, opening_notes, transition
from handlers.errors import Conflict, InvalidInput

ADVANCE = ("start_scoring", "start_deciding")
REASON_MAX = 500


def open_for_unit(session: Session, actor: Actor, policy: Policy, unit_id: int, year: int, quarter: int,
                  today: date) -> tuple[Cycle, OpeningNotes]:
    unit_for_admin(session, actor, unit_id)
    cycle = open_cycle(session, actor, unit_id, year, quarter, policy, today=today)
    return cycle, opening_notes(session, cycle)


def missing_summaries(session: Session, cycle: Cycle) -> list[str]:
    """Evaluatees whose summary is not submitted (a draft or a returned summary is not submitted)."""
    return list(session.execute(
        select(Person.name).join(Evaluation, Evaluation.person_id == Person.id)
        .outerjoin(Summary, (Summary.cycle_id == Evaluation.cycle_id) & (Summary.person_id == Evaluation.person_id))
        .where(Evaluation.cycle_id == cycle.id,
               (Summary.id.is_(None)) | (Summary.state.not_in(("submitted", "locked"))))
        .order_by(Person.staff_no)).scalars())


def _names(names: list[str], limit: int = 30) -> str:
    return "、".join(names[:limit]) + (f"等 {len(names)} 人" if len(names) > limit else "")


def advance(session: Session, actor: Actor, policy: Policy, cycle_id: int, action: str, *, reason: str = "",
            now: datetime | None = None) -> Cycle:
    if action not in ADVANCE:
        raise InvalidInput(f"操作只能是 {'、'.join(ADVANCE)}（公示与备案请用对应接口）", "bad_action")
    cycle = cycle_for_admin(session, actor, cycle_id)
    return advance_cycle(session, actor, policy, cycle, action, reason=reason, now=now)


def advance_cycle(session: Session, actor: Actor, policy: Policy, cycle: Cycle, action: str, *, reason: str = "",
                  now: datetime | None = None) -> Cycle:
    now = now or utcnow()
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise InvalidInput(f"原因不能超过 {REASON_MAX} 个字", "reason_too_long")
    extra: dict = {}
    if action == "start_scoring" and cycle.state == "open":
        missing = missing_summaries(session, cycle)
        if missing:
            early = now <= cycle.summary_due
            if early and not reason:
                raise Conflict(
                    f"个人小结 {format_local(cycle.summary_due, policy)} 才截止，还有 {len(missing)} 人未提交："
                    f"{_names(missing)}。进入领导评鉴后他们将不能再填写；如确需提前，请填写原因（将记入操作日志）",
                    "summary_step_unfinished", names=missing, deadline=cycle.summary_due.isoformat())
            extra = {"missing_summaries": missing, "before_deadline": early, "reason": reason or None}
    elif action == "start_deciding" and cycle.state == "scoring":
        waiting = session.execute(
            select(Person.name, Evaluation.supervisor_id).join(Evaluation, Evaluation.person_id == Person.id)
            .where(Evaluation.cycle_id == cycle.id, Evaluation.not_graded_reason.is_(None),
                   Evaluation.state.in_(("pending", "scoring"))).order_by(Person.staff_no)).all()
        if waiting:
            names = [n for n, _ in waiting]
            orphans = [n for n, sup in waiting if sup is None]
            message = f"还有 {len(names)} 人的评鉴未提交：{_names(names)}"
            if orphans:
                message += (f"。其中 {len(orphans)} 人没有评鉴人：{_names(orphans)}，请先用“kaohe cycle assign”"
                            "（或接口 PUT /evaluations/<id>/supervisor）指定评鉴人")
            raise Conflict(message, "scoring_unfinished", names=names, without_scorer=orphans)
        if reason:
            extra = {"reason": reason}
    elif reason:
        extra = {"reason": reason}
    return transition(session, actor, cycle, action, policy=policy, note=extra or None)
