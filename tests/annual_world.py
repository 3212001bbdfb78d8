"""A unit whose four quarters of 2025 are decided and published, through the real cycle opening: the grades give
every kind of annual outcome — 李明 好×4 (优秀 with priority), 王芳 较差×4 (forced 不称职), 赵强 一般/较差 three
times (at most 基本称职), 孙人事 (unit HR) 较好×4 (称职). 张局长 is the leader (committee), not evaluated by the unit. The county office
sits in another unit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from handlers.actor import Actor, actor_for_person, system_actor
from handlers.quarter.cycles import open_cycle
from models import Evaluation, Person, Unit
from tests import factories as f

YEAR = 2025
GRADES = {
    "李明": ["好", "好", "好", "好"],
    "王芳": ["较差", "较差", "较差", "较差"],
    "赵强": ["一般", "较差", "一般", "较好"],
    "孙人事": ["较好", "较好", "较好", "较好"],
}


@dataclass
class YearWorld:
    unit: Unit
    hr: Actor
    county: Actor
    people: dict[str, Person]

    def actor(self, session, name: str) -> Actor:
        return actor_for_person(session, self.people[name].id)


def year_decided(session, policy, grades: dict[str, list[str]] | None = None, year: int = YEAR) -> YearWorld:
    grades = grades or GRADES
    unit = f.unit(session, "县财政局")
    leader = f.person(session, unit, "中层干部", name="张局长", staff_no="F001", leader=True)
    hr = f.person(session, unit, "一般干事", name="孙人事", staff_no="F006", supervisor=leader, roles=("unit_admin",))
    people = {p.name: p for p in (
        f.person(session, unit, "一般干事", name="李明", staff_no="F002", supervisor=leader),
        f.person(session, unit, "一般干事", name="王芳", staff_no="F003", supervisor=leader),
        f.person(session, unit, "一般干事", name="赵强", staff_no="F004", supervisor=leader), hr, leader)}
    office = f.unit(session, "县委组织部")
    county = f.person(session, office, name="周主任", staff_no="C001", roles=("county_admin",))
    for q in (1, 2, 3, 4):
        cycle = open_cycle(session, system_actor(), unit.id, year, q, policy, today=date(year, 3 * q, 28))
        cycle.state = "filed"
        for e, name in session.execute(select(Evaluation, Person.name).join(Person, Person.id == Evaluation.person_id)
                                       .where(Evaluation.cycle_id == cycle.id)):
            e.not_graded_reason = None
            e.final_grade, e.state = grades[name][q - 1], "published"
    session.flush()
    return YearWorld(unit, actor_for_person(session, hr.id), actor_for_person(session, county.id), people)
