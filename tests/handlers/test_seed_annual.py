"""The demo county: deterministic, realistic, and with a year of results the annual rules can read."""
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from handlers.actor import actor_for_person, system_actor
from handlers.results.annual import annual_rollup
from handlers.errors import Conflict, NotFound
from handlers.seed import seed_demo
from models import Cycle, Evaluation, Person, RoleGrant, Summary, Unit
from models.rules.quota import good_quota

TODAY = date(2026, 11, 23)


@pytest.fixture
def county(session, policy):
    return seed_demo(session, policy, units=6, people=90, seed=7, today=TODAY)


def test_seed_builds_the_county_with_history_and_an_open_quarter(session, county):
    assert session.scalar(select(func.count()).select_from(Unit)) == 6
    assert session.scalar(select(func.count()).select_from(Person)) == 90
    states = Counter(session.scalars(select(Cycle.state)))
    # 2021 Q1–Q4 and 2026 Q1–Q3 filed, 2026 Q4 open, for each unit
    assert states == {"filed": 6 * 7, "open": 6}
    assert {r for r in session.scalars(select(RoleGrant.role))} >= {"supervisor", "unit_admin", "county_admin"}
    assert county.rows > 90 * 8 and county.rows_per_second > 0


def test_seed_respects_each_tiers_quota(session, policy, county):
    rows = session.execute(select(Evaluation.cycle_id, Evaluation.tier_id, Evaluation.final_grade)
                           .join(Cycle, Cycle.id == Evaluation.cycle_id).where(Cycle.state == "filed")).all()
    groups: dict = {}
    for cycle_id, tier_id, grade in rows:
        groups.setdefault((cycle_id, tier_id), []).append(grade)
    for grades in groups.values():
        graded = [g for g in grades if g]
        assert graded.count("好") <= good_quota(len(graded), policy)


def test_seed_is_deterministic_and_only_fills_an_empty_database(db, policy):
    from tests.conftest import empty_database

    def build(seed):
        with db.session() as s:
            seed_demo(s, policy, units=3, people=20, seed=seed, today=TODAY)
        with db.session() as s:
            return list(s.execute(select(Person.staff_no, Person.name, Person.phone).order_by(Person.id)))

    first = build(11)
    with db.session() as s:
        with pytest.raises(Conflict, match="只能写入空库"):
            seed_demo(s, policy, units=3, people=20, seed=11, today=TODAY)
    empty_database(db)
    assert build(11) == first
    empty_database(db)
    assert build(12) != first


def test_annual_rollup_reads_decided_quarters(session, policy, county):
    rows = list(annual_rollup(session, system_actor(), 2021, policy))
    assert len(rows) == 90 - 6 * 3  # each unit's three 班子成员 are evaluated by the county
    for row in rows[:20]:
        assert len(row.quarters) == 4
        assert row.outcome.graded_count == sum(1 for g in row.quarters if g)
    # the open quarter is not decided yet: it reads as None
    current = list(annual_rollup(session, system_actor(), 2026, policy, staff_no="P000005"))
    assert current[0].quarters[3] is None


def test_annual_rollup_scope(session, policy, county):
    unit = session.scalar(select(Unit).order_by(Unit.id))
    staff = session.scalar(select(Person).where(Person.staff_no == "P000005"))
    with pytest.raises(NotFound):
        list(annual_rollup(session, actor_for_person(session, staff.id), 2021, policy))
    with pytest.raises(NotFound):
        list(annual_rollup(session, actor_for_person(session, staff.id), 2021, policy, unit_name=unit.name))
    hr = session.scalar(select(RoleGrant).where(RoleGrant.role == "unit_admin", RoleGrant.unit_id == unit.id))
    rows = list(annual_rollup(session, actor_for_person(session, hr.person_id), 2021, policy, unit_name=unit.name))
    assert len(rows) == 15 - 3  # without the unit's 班子成员 (the county evaluates them)


def test_current_quarter_has_some_drafts_to_try(session, county):
    open_cycle = session.scalar(select(Cycle).where(Cycle.state == "open"))
    drafts = session.scalar(select(func.count()).select_from(Summary).where(Summary.cycle_id == open_cycle.id))
    assert drafts >= 1


def test_seeding_leaves_the_planner_statistics_current(session, county):
    """A freshly loaded table without statistics is planned as if empty (the annual roll-up at 30,000 people ran
    for minutes); the seed refreshes them before it returns."""
    from sqlalchemy import text

    if session.get_bind().dialect.name == "postgresql":
        live = dict(session.execute(text(
            "SELECT relname, reltuples FROM pg_class WHERE relname IN ('people', 'evaluations', 'cycles')")).all())
        people = session.scalar(select(func.count()).select_from(Person))
        assert live["people"] == people and live["evaluations"] == session.scalar(
            select(func.count()).select_from(Evaluation))
    else:
        counted = {t: int(s.split()[0]) for t, s in session.execute(text("SELECT tbl, stat FROM sqlite_stat1"))}
        assert {"people", "evaluations", "cycles"} <= set(counted)
        assert counted["people"] == session.scalar(select(func.count()).select_from(Person))
