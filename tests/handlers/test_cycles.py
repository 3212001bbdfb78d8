"""Opening a quarter snapshots its roster; every state change goes through one audited transition."""
import dataclasses
from datetime import date

import pytest
from sqlalchemy import select

from handlers.actor import actor_for_person, system_actor
from handlers.quarter.cycles import open_cycle, transition
from handlers.errors import Conflict, NotFound
from models import AuditEntry, Evaluation, Indicator, Membership, Summary
from tests import factories as f


@pytest.fixture
def unit(session):
    return f.unit(session, "县财政局")


def test_opening_a_cycle_snapshots_the_roster_with_supervisors_and_indicators(session, policy, unit):
    policy = dataclasses.replace(policy, leaders=dataclasses.replace(policy.leaders, evaluated_by="unit"))
    head = f.person(session, unit, "中层干部", leader=True)
    office = f.section(session, unit, "办公室")
    deputy = f.person(session, unit, "中层干部", leader=True, section_=office, supervisor=head)
    clerk = f.person(session, unit, section_=office)  # no supervisor named: the section's leader
    other = f.person(session, unit, supervisor=head)
    rookie = f.person(session, unit, hired_on=date(2026, 9, 1), start_on=date(2026, 9, 1))
    cycle = open_cycle(session, system_actor(), unit.id, 2026, 4, policy, today=date(2026, 12, 22))
    assert cycle.state == "open" and cycle.opened_at is not None
    evals = {e.person_id: e for e in session.scalars(select(Evaluation).where(Evaluation.cycle_id == cycle.id))}
    assert set(evals) == {head.id, deputy.id, clerk.id, other.id, rookie.id}
    assert evals[clerk.id].supervisor_id == deputy.id
    assert evals[other.id].supervisor_id == head.id
    assert evals[head.id].supervisor_id == deputy.id  # the head is scored by another leader by default
    assert evals[rookie.id].not_graded_reason == policy.not_graded.probation_reason
    assert evals[clerk.id].not_graded_reason is None
    indicators = session.scalars(select(Indicator).where(Indicator.cycle_id == cycle.id)).all()
    assert len(indicators) == 10 and sum(i.points for i in indicators) == 100
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(cycle.id))).all()
    assert actions == ["cycle.create", "cycle.open"]


def test_evaluation_follows_people_across_a_transfer(session, policy, unit):
    town = f.unit(session, "金溪镇", "乡镇", tiers=("包村", "机关", "站所"))
    mover = f.person(session, unit, start_on=date(2020, 1, 1))
    m = session.scalar(select(Membership).where(Membership.person_id == mover.id))
    m.end_on = date(2026, 11, 14)
    session.add(Membership(person_id=mover.id, unit_id=town.id, tier_id=f.tier(session, town, "包村").id,
                           start_on=date(2026, 11, 15), change="transfer"))
    session.flush()
    old = open_cycle(session, system_actor(), unit.id, 2026, 4, policy, today=date(2026, 12, 31))
    new = open_cycle(session, system_actor(), town.id, 2026, 4, policy, today=date(2026, 12, 31))
    assert session.scalar(select(Evaluation).where(Evaluation.cycle_id == old.id)) is None
    assert session.scalar(select(Evaluation.person_id).where(Evaluation.cycle_id == new.id)) == mover.id
    q3 = open_cycle(session, system_actor(), unit.id, 2026, 3, policy, today=date(2026, 12, 31))
    assert session.scalar(select(Evaluation.person_id).where(Evaluation.cycle_id == q3.id)) == mover.id


def test_long_leave_is_not_graded(session, policy, unit):
    p = f.person(session, unit)
    m = session.scalar(select(Membership).where(Membership.person_id == p.id))
    m.end_on = date(2026, 9, 30)
    session.add(Membership(person_id=p.id, unit_id=unit.id, tier_id=m.tier_id, on_leave=True, change="leave",
                           start_on=date(2026, 10, 1), end_on=date(2026, 11, 30)))
    session.add(Membership(person_id=p.id, unit_id=unit.id, tier_id=m.tier_id, change="return",
                           start_on=date(2026, 12, 1)))
    session.flush()
    cycle = open_cycle(session, system_actor(), unit.id, 2026, 4, policy, today=date(2026, 12, 31))
    e = session.scalar(select(Evaluation).where(Evaluation.cycle_id == cycle.id))
    assert e.not_graded_reason == "本季度请假累计超过45天，不确定等次"


def test_a_cycle_is_created_once(session, policy, unit):
    open_cycle(session, system_actor(), unit.id, 2026, 4, policy, today=date(2026, 12, 22))
    with pytest.raises(Conflict, match="县财政局2026年第4季度的考核已经创建"):
        open_cycle(session, system_actor(), unit.id, 2026, 4, policy, today=date(2026, 12, 22))


def test_walking_the_cycle_through_its_states(session, policy, unit):
    clerk = f.person(session, unit)
    cycle = open_cycle(session, system_actor(), unit.id, 2026, 4, policy, today=date(2026, 12, 22))
    session.add(Summary(cycle_id=cycle.id, person_id=clerk.id, state="submitted", paragraphs=["本季度……"]))
    session.flush()
    for action, state in (("start_scoring", "scoring"), ("start_deciding", "deciding"), ("publish", "publicity"),
                          ("file", "filed"), ("return_filing", "deciding")):
        transition(session, system_actor(), cycle, action, policy=policy)
        assert cycle.state == state
    assert session.scalar(select(Summary.state)) == "locked"  # deciding locks the summaries
    assert cycle.publicity_ends is not None


def test_an_illegal_transition_is_a_chinese_conflict(session, policy, unit):
    cycle = open_cycle(session, system_actor(), unit.id, 2026, 4, policy, today=date(2026, 12, 22))
    with pytest.raises(Conflict) as exc:
        transition(session, system_actor(), cycle, "file")
    assert exc.value.message == "考核周期当前为“填写小结”，不能报送结果备案（仅在结果公示时可以）"
    assert exc.value.status == 409 and cycle.state == "open"


def test_only_the_units_admin_may_move_its_cycle(session, policy, unit):
    hr = f.person(session, unit, roles=("unit_admin",))
    clerk = f.person(session, unit)
    cycle = open_cycle(session, actor_for_person(session, hr.id), unit.id, 2026, 4, policy, today=date(2026, 12, 22))
    with pytest.raises(NotFound):
        transition(session, actor_for_person(session, clerk.id), cycle, "start_scoring")
    other = f.unit(session, "县教育局")
    with pytest.raises(NotFound):
        open_cycle(session, actor_for_person(session, hr.id), other.id, 2026, 4, policy, today=date(2026, 12, 22))
