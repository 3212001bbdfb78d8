"""Unit HR moves its cycle through the steps (open → scoring → deciding); publishing and filing live in
``publishing``. Every change goes through ``cycles.transition``."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.policy import Policy
from models import Cycle, Evaluation, Person

from .access import cycle_for_admin, unit_for_admin
from .actor import Actor
from .cycles import open_cycle, transition
from .errors import Conflict, InvalidInput

ADVANCE = ("start_scoring", "start_deciding")


def open_for_unit(session: Session, actor: Actor, policy: Policy, unit_id: int, year: int, quarter: int,
                  today: date) -> Cycle:
    unit_for_admin(session, actor, unit_id)
    return open_cycle(session, actor, unit_id, year, quarter, policy, today=today)


def advance(session: Session, actor: Actor, policy: Policy, cycle_id: int, action: str) -> Cycle:
    if action not in ADVANCE:
        raise InvalidInput(f"操作只能是 {'、'.join(ADVANCE)}（公示与备案请用对应接口）", "bad_action")
    cycle = cycle_for_admin(session, actor, cycle_id)
    if action == "start_deciding":
        waiting = session.execute(
            select(Person.name).join(Evaluation, Evaluation.person_id == Person.id)
            .where(Evaluation.cycle_id == cycle.id, Evaluation.not_graded_reason.is_(None),
                   Evaluation.state.in_(("pending", "scoring"))).order_by(Person.staff_no)).scalars().all()
        if waiting:
            raise Conflict(f"还有 {len(waiting)} 人的评鉴未提交：{'、'.join(waiting)}", "scoring_unfinished",
                           names=list(waiting))
    return transition(session, actor, cycle, action, policy=policy)
