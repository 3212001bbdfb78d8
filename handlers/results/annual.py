"""The annual roll-up: each person's four quarterly grades and what the county's rules make of them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.policy import Policy
from models import AnnualResult, Cycle, Evaluation, Person, Unit
from models.rules.annual import AnnualOutcome, annual_outcome

from handlers.quarter import merits
from handlers.actor import Actor
from handlers.errors import NotFound

DECIDED = ("decided", "published")


@dataclass(frozen=True)
class AnnualRow:
    staff_no: str
    name: str
    unit: str
    quarters: list[str | None]
    outcome: AnnualOutcome
    annual_grade: str | None = None  # the unit's recorded annual grade in force, when recorded

    def as_dict(self) -> dict:
        return {"staff_no": self.staff_no, "name": self.name, "unit": self.unit, "quarters": self.quarters,
                **self.outcome.as_dict(), "annual_grade": self.annual_grade}


def annual_rollup(
    session: Session, actor: Actor, year: int, policy: Policy, *, unit_name: str | None = None,
    staff_no: str | None = None,
) -> Iterator[AnnualRow]:
    """People in order of staff number. A quarter counts once its grade is decided; others are ``None``.

    For a unit: everyone the unit evaluated during the year, with all their quarters (evaluation follows
    the person across transfers).
    """
    q = (
        select(Person.staff_no, Person.name, Unit.name, Cycle.quarter, Evaluation.final_grade, Evaluation.state,
               Person.id)
        .join(Evaluation, Evaluation.person_id == Person.id)
        .join(Cycle, Cycle.id == Evaluation.cycle_id)
        .join(Unit, Unit.id == Cycle.unit_id)
        .where(Cycle.year == year)
        .order_by(Person.staff_no, Cycle.quarter)
    )
    if staff_no:
        person = session.scalar(select(Person).where(Person.staff_no == staff_no))
        if person is None:
            raise NotFound(f"找不到人员编号为 {staff_no} 的人员")
        q = q.where(Person.staff_no == staff_no)
    if unit_name:
        unit = session.scalar(select(Unit).where(Unit.name == unit_name))
        if unit is None:
            raise NotFound(f"找不到单位“{unit_name}”")
        if not actor.can_view_unit(unit.id):
            raise NotFound(f"找不到单位“{unit_name}”")
        members = select(Evaluation.person_id).join(Cycle, Cycle.id == Evaluation.cycle_id).where(
            Cycle.year == year, Cycle.unit_id == unit.id)
        q = q.where(Person.id.in_(members))
    elif not actor.is_county and not staff_no:
        raise NotFound("只有县公务员办可以查看全县年度汇总")

    blocks = merits.year_blocks(session, year, policy)  # 年度不得评优秀 (加扣分/问责): few rows, read once
    recorded = dict(session.execute(select(AnnualResult.person_id, AnnualResult.grade).where(
        AnnualResult.year == year)).all())
    current: tuple[str, str, int] | None = None
    quarters: list[str | None] = [None] * 4
    last_unit = ""
    for staff, name, unit_label, quarter, grade, state, pid in session.execute(q.execution_options(yield_per=5000)):
        if current and current[0] != staff:
            yield AnnualRow(current[0], current[1], last_unit, quarters,
                            annual_outcome(quarters, policy, blocks.get(current[2], ())), recorded.get(current[2]))
            quarters = [None] * 4
        current = (staff, name, pid)
        last_unit = unit_label
        quarters[quarter - 1] = grade if state in DECIDED else None
    if current:
        yield AnnualRow(current[0], current[1], last_unit, quarters,
                        annual_outcome(quarters, policy, blocks.get(current[2], ())), recorded.get(current[2]))
