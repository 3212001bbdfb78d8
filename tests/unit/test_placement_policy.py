"""The policy's word on unit leaders, small-tier quotas and missing summaries: pure rules, checked options."""
import dataclasses
import tomllib

import pytest

from config.policy import POLICY_DIR, PolicyError, parse_policy
from models.rules.eligibility import leader_placement


def hengyang() -> dict:
    return tomllib.loads((POLICY_DIR / "hengyang.toml").read_text("utf-8"))


@pytest.mark.parametrize("is_leader, evaluated_by, tier, expected", [
    (False, "county", "", (None, None)),
    (True, "county", "", ("单位领导班子成员由县委组织部考核，不参加本单位平时考核", None)),
    (True, "unit", "", (None, None)),
    (True, "unit", "班子成员", (None, "班子成员")),
    (False, "unit", "班子成员", (None, None)),
])
def test_where_a_leader_is_evaluated(policy, is_leader, evaluated_by, tier, expected):
    p = dataclasses.replace(policy, leaders=dataclasses.replace(policy.leaders, evaluated_by=evaluated_by, tier=tier))
    assert leader_placement(is_leader, p) == expected


@pytest.mark.parametrize("change, named", [
    (lambda d: d["leaders"].update(evaluated_by="province"), "leaders.evaluated_by"),
    (lambda d: d["quota"].update(min_one_from=-1), "quota.min_one_from"),
    (lambda d: d["quota"].update(pool_below=-3), "quota.pool_below"),
    (lambda d: d["missing_summary"].update(allow_score=False, not_graded_reasons=[]), "missing_summary"),
    (lambda d: d["missing_summary"].update(not_graded_reasons=[""]), "missing_summary.not_graded_reasons"),
])
def test_a_wrong_option_is_refused_by_name(change, named):
    data = hengyang()
    change(data)
    with pytest.raises(PolicyError, match=named.replace(".", r"\.")):
        parse_policy(data)


def test_the_sections_are_optional_for_other_counties():
    data = hengyang()
    for section in ("leaders", "missing_summary"):
        del data[section]
    del data["quota"]["min_one_from"], data["quota"]["pool_below"]
    p = parse_policy(data)
    assert p.leaders.evaluated_by == "unit" and p.missing_summary.allow_score
    assert (p.quota.min_one_from, p.quota.pool_below) == (0, 0)


def test_hengyang_says_where_its_leaders_and_missing_summaries_go(policy):
    assert policy.leaders.evaluated_by == "county" and policy.leaders.tier == ""
    assert policy.missing_summary.allow_score and policy.missing_summary.not_graded_reasons
