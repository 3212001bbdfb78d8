"""Who may be named an evaluation's scorer (评鉴人): one row per kind of person."""
import tomllib

import pytest

from config.policy import POLICY_DIR, AssignmentPolicy, PolicyError, load_policy, parse_policy
from models.rules.assignment import ScorerFacts, scorer_refusal

STRICT, LENIENT = AssignmentPolicy(acting_admin_may_score=False), AssignmentPolicy(acting_admin_may_score=True)


def facts(active=True, in_unit=True, supervisor_role=True, is_evaluatee=False, is_acting_admin=False):
    return ScorerFacts("S001", active, in_unit, supervisor_role, is_evaluatee, is_acting_admin)


@pytest.mark.parametrize("who, policy, refused", [
    (facts(), STRICT, None),                                              # a leader / 分管领导 of the unit
    (facts(in_unit=False), STRICT, "scorer_not_in_unit"),                 # another unit's person
    (facts(active=False, in_unit=False), STRICT, "scorer_not_in_unit"),   # unknown or departed: the same answer
    (facts(active=False), STRICT, "scorer_not_in_unit"),                  # retired but still on the books
    (facts(supervisor_role=False), STRICT, "scorer_not_supervisor"),      # a colleague without the role
    (facts(is_evaluatee=True), LENIENT, "self_supervision"),
    (facts(is_acting_admin=True), STRICT, "scorer_is_acting_admin"),      # HR naming themself
    (facts(is_acting_admin=True), LENIENT, None),                         # ... allowed where the policy says so
    (facts(is_acting_admin=True, supervisor_role=False), LENIENT, "scorer_not_supervisor"),
])
def test_scorer_refusal(who, policy, refused):
    got = scorer_refusal(who, policy)
    assert (got.code if got else None) == refused
    if got:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in got.message)


def test_the_policy_option_is_read_from_the_profile():
    assert load_policy("hengyang").assignment.acting_admin_may_score is False
    data = tomllib.loads((POLICY_DIR / "hengyang.toml").read_text(encoding="utf-8"))
    data["assignment"] = {"acting_admin_may_score": True}
    assert parse_policy(data).assignment.acting_admin_may_score is True
    data["assignment"] = {"acting_admin_may_score": "yes"}
    with pytest.raises(PolicyError):
        parse_policy(data)
    data["assignment"] = {"hr_may_score": True}
    with pytest.raises(PolicyError):
        parse_policy(data)
