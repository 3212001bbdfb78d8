"""The committee's grades: a refusal names every tier (or pooled group) over its 好 quota and by how many; the
policy's quota options (a minimum of one, pooling small tiers) reach the decision step."""
import dataclasses
from datetime import date

import pytest
from sqlalchemy import select

from handlers.quarter import decisions
from handlers.actor import actor_for_person, system_actor
from handlers.quarter.cycles import open_cycle
from handlers.errors import Conflict
from models import Evaluation, Person
from tests import factories as f


def deciding(session, policy, sizes: dict[str, int], kind="乡镇"):
    unit = f.unit(session, "金溪镇", kind, tiers=tuple(sizes))
    hr = None
    for tier, n in sizes.items():
        for i in range(n):
            p = f.person(session, unit, tier, name=f"{tier}{i}")
            hr = hr or p
    from models import RoleGrant

    session.add(RoleGrant(person_id=hr.id, role="unit_admin", unit_id=unit.id))
    session.flush()
    cycle = open_cycle(session, system_actor(), unit.id, 2026, 3, policy, today=date(2026, 9, 30))
    cycle.state = "deciding"
    session.flush()
    admin = actor_for_person(session, hr.id)
    decisions.record_meeting(session, admin, cycle.id, date(2026, 10, 12), "党委全体成员", "", date(2026, 10, 20))
    ids = dict(session.execute(select(Person.name, Evaluation.id).join(Evaluation, Evaluation.person_id == Person.id)
                               .where(Evaluation.cycle_id == cycle.id)).all())
    return admin, cycle, ids


def test_the_refusal_names_every_tier_over_its_quota(session, policy):
    admin, cycle, ids = deciding(session, policy, {"机关": 5, "站所": 10, "包村": 3})
    grades = {ids[f"机关{i}"]: "好" for i in range(3)} | {ids[f"站所{i}"]: "好" for i in range(6)}
    grades |= {ids["包村0"]: "好"}
    with pytest.raises(Conflict) as exc:
        decisions.decide(session, admin, policy, cycle.id, grades)
    assert exc.value.code == "quota_exceeded" and exc.value.message.startswith("本次审定超出“好”等次名额：")
    assert "“机关”共 5 人，“好”等次最多 2 人，现为 3 人，超出 1 人" in exc.value.message
    assert "“站所”共 10 人，“好”等次最多 4 人，现为 6 人，超出 2 人" in exc.value.message
    assert sorted(t["tier"] for t in exc.value.details["tiers"]) == sorted(["机关", "站所"])
    assert "包村" not in exc.value.message  # within its quota: not named


def test_pooled_small_tiers_share_a_quota_at_the_decision(session, policy):
    pooled = dataclasses.replace(policy, quota=dataclasses.replace(policy.quota, pool_below=5))
    admin, cycle, ids = deciding(session, pooled, {"机关": 10, "站所": 2, "包村": 2})
    view = decisions.overview(session, admin, pooled, cycle.id)
    by_tier = {t.tier: t for t in view.tiers}
    assert by_tier["包村"].quota == 1 and by_tier["包村"].pooled_with == ["包村", "站所"]
    decisions.decide(session, admin, pooled, cycle.id, {ids["包村0"]: "好"})  # 0 on its own under hengyang
    with pytest.raises(Conflict) as exc:
        decisions.decide(session, admin, pooled, cycle.id, {ids["站所0"]: "好"})
    assert "“包村、站所（合并计算名额）”共 4 人，“好”等次最多 1 人，现为 2 人，超出 1 人" in exc.value.message


def test_hengyang_gives_a_group_of_two_no_good_and_a_minimum_of_one_changes_that(session, policy):
    admin, cycle, ids = deciding(session, policy, {"机关": 10, "包村": 2})
    with pytest.raises(Conflict):
        decisions.decide(session, admin, policy, cycle.id, {ids["包村0"]: "好"})
    one = dataclasses.replace(policy, quota=dataclasses.replace(policy.quota, min_one_from=2))
    view = decisions.decide(session, admin, one, cycle.id, {ids["包村0"]: "好"})
    assert {t.tier: t.quota for t in view.tiers}["包村"] == 1
