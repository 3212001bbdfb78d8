"""Recording an annual grade and asking for its 复核, as tables: which grades the rules allow and suggest for a
year's quarters, which annual grades may be objected to (the profile's ``annual_law_grades``: hengyang 不称职,
hengdong also 基本称职), and the law's calendar-day clocks (30 days to ask, 30 to decide, 15 to 申诉)."""
from datetime import UTC, datetime

import pytest

from config.policy import PolicyError, load_policy, parse_policy
from models.rules import annual as a
from models.rules import feedback as r

P = load_policy("hengyang")
D = load_policy("hengdong")
TOLD = datetime(2026, 1, 20, 2, tzinfo=UTC)  # 10:00 in Beijing, 20 January
# 30 calendar days after 20 January: the end of 19 February (Beijing) — a span over the Spring Festival holiday,
# which the law's calendar days do not skip (working days would).
ASK_ENDS = datetime(2026, 2, 19, 15, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize("quarters, allowed, suggested", [
    (["好", "好", "好", "好"], ["优秀", "称职", "基本称职", "不称职"], "优秀"),  # priority (好 达 4 次)
    (["好", "好", "较好", "较好"], ["优秀", "称职", "基本称职", "不称职"], "称职"),  # eligible only: 优秀 is the unit's pick
    (["较好", "较好", "较好", "较好"], ["称职", "基本称职", "不称职"], "称职"),
    (["一般", "较差", "一般", "较好"], ["基本称职", "不称职"], "基本称职"),  # 一般+较差 超过 2 次
    (["较差", "较差", "较差", "较差"], ["不称职"], "不称职"),  # all 较差: forced
    (["较差", None, "较差", None], ["不称职"], "不称职"),  # 不定等次 quarters not counted
    ([None, None, None, None], ["称职", "基本称职", "不称职"], "称职"),
])
def test_allowed_and_suggested_grades(quarters, allowed, suggested):
    outcome = a.annual_outcome(quarters, P)
    assert a.allowed_grades(outcome, P) == allowed
    assert a.suggested_grade(outcome, P) == suggested
    assert a.grade_refusal(suggested, outcome, P) is None


@pytest.mark.parametrize("quarters, grade, code", [
    (["较差", "较差", "较差", "较差"], "基本称职", "annual_forced"),
    (["一般", "较差", "一般", "较好"], "称职", "annual_above_max"),
    (["较好", "较好", "较好", "较好"], "优秀", "annual_above_max"),
    (["好", "好", "好", "好"], "合格", "bad_grade"),
    (["好", "好", "好", "好"], "不称职", None),  # lower than allowed is the unit's call
])
def test_grade_refusals(quarters, grade, code):
    refusal = a.grade_refusal(grade, a.annual_outcome(quarters, P), P)
    assert (refusal.code if refusal else None) == code


def test_an_excellent_block_lowers_what_is_allowed():
    outcome = a.annual_outcome(["好", "好", "好", "好"], P, ["2025-03-01 诫勉"])
    assert a.allowed_grades(outcome, P)[0] == "称职" and a.suggested_grade(outcome, P) == "称职"


@pytest.mark.parametrize("policy, grade, reviewable", [
    (P, "不称职", True), (P, "基本称职", False), (P, "称职", False), (P, "较差", False),
    (D, "不称职", True), (D, "基本称职", True), (D, "称职", False),
])
def test_which_annual_grades_are_reviewable_is_the_profiles(policy, grade, reviewable):
    assert r.law_applies(grade, policy, annual=True) is reviewable
    facts = r.AnnualFacts(grade=grade, fed_back_at=TOLD)
    refusal = r.annual_objection_refusal(facts, TOLD, policy)
    assert (refusal is None) is reviewable
    if not reviewable:
        assert refusal.code == "not_reviewable" and grade in refusal.message


@pytest.mark.parametrize("facts, now, code", [
    (r.AnnualFacts(grade=None), TOLD, "not_fed_back"),
    (r.AnnualFacts(grade="不称职", fed_back_at=None), TOLD, "not_fed_back"),
    (r.AnnualFacts(grade="不称职", fed_back_at=TOLD, objection=True), TOLD, "objection_exists"),
    (r.AnnualFacts(grade="不称职", fed_back_at=TOLD), ASK_ENDS, None),  # the last second of day 30 counts
    (r.AnnualFacts(grade="不称职", fed_back_at=TOLD), datetime(2026, 2, 19, 16, tzinfo=UTC), "objection_window_closed"),
])
def test_when_a_review_may_be_asked(facts, now, code):
    refusal = r.annual_objection_refusal(facts, now, P)
    assert (refusal.code if refusal else None) == code


def test_the_law_clocks_are_calendar_days_for_an_annual_grade():
    assert r.annual_objection_deadline(TOLD, P) == ASK_ENDS
    assert r.answer_due(TOLD, P, "不称职", annual=True) == ASK_ENDS  # law_decision_days 30
    assert r.escalate_deadline(TOLD, P, "不称职", annual=True) == datetime(2026, 2, 4, 15, 59, 59, tzinfo=UTC)
    # the same grade word on the quarterly list does not make a quarter's objection a 复核, nor the reverse
    assert not r.law_applies("不称职", P) and not r.law_applies("较差", P, annual=True)
    assert r.escalate_refusal(TOLD, datetime(2026, 2, 4, 16, tzinfo=UTC), P, "不称职", annual=True).code \
        == "escalation_window_closed"


def test_a_profile_naming_an_unknown_annual_grade_is_refused():
    import tomllib
    from pathlib import Path

    data = tomllib.loads((Path(__file__).resolve().parents[2] / "config/policies/hengyang.toml").read_text("utf-8"))
    data["feedback"]["annual_law_grades"] = ["较差"]
    with pytest.raises(PolicyError, match="annual_law_grades"):
        parse_policy(data)
