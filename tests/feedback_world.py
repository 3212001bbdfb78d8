"""A unit whose quarter is decided and fed back (公示 began) through the real handlers, for the sign-off tests of
every transport: a leader (scorer and committee member), unit HR, three staff, one of them not graded."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from handlers.quarter import decisions, publishing
from handlers.actor import Actor, actor_for_person, system_actor
from handlers.quarter.cycles import open_cycle
from models import Cycle, Evaluation, Person
from tests import factories as f


@dataclass
class World:
    cycle: Cycle
    hr: Actor
    leader: Person
    people: dict[str, Person]  # by name
    evaluations: dict[str, int]  # name → evaluation id

    def actor(self, session, name: str) -> Actor:
        return actor_for_person(session, self.people[name].id)


def decided(session, policy, *, publish: bool = True) -> World:
    unit = f.unit(session, "县财政局")
    leader = f.person(session, unit, "中层干部", name="张局长", staff_no="F001", leader=True)
    hr = f.person(session, unit, "一般干事", name="孙人事", staff_no="F006", supervisor=leader, roles=("unit_admin",))
    people = {p.name: p for p in (
        f.person(session, unit, "一般干事", name="李明", staff_no="F002", supervisor=leader),
        f.person(session, unit, "一般干事", name="王芳", staff_no="F003", supervisor=leader),
        f.person(session, unit, "一般干事", name="赵强", staff_no="F004", supervisor=leader), hr, leader)}
    cycle = open_cycle(session, system_actor(), unit.id, 2026, 3, policy, today=date(2026, 9, 30))
    cycle.state = "deciding"
    session.flush()
    admin = actor_for_person(session, hr.id)
    decisions.record_meeting(session, admin, cycle.id, date(2026, 10, 12), "张局长、党委全体成员", "",
                             date(2026, 10, 20))
    ids = dict(session.execute(select(Person.name, Evaluation.id).join(Evaluation, Evaluation.person_id == Person.id)
                               .where(Evaluation.cycle_id == cycle.id)).all())
    zhao = session.get(Evaluation, ids["赵强"])
    zhao.not_graded_reason = policy.not_graded.probation_reason
    grades = {ids["李明"]: "好", ids["王芳"]: "较好", ids["孙人事"]: "较好"}
    if "张局长" in ids:
        grades[ids["张局长"]] = "好"
    decisions.decide(session, admin, policy, cycle.id, grades)
    if publish:
        publishing.publish(session, admin, policy, cycle.id)
    session.flush()
    return World(cycle, admin, leader, people, ids)
