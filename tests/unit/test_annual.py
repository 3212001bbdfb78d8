"""The county's annual rules at their boundaries (以上/达 include the number, 超过 excludes it)."""
import pytest

from models.rules.annual import annual_outcome

G, F, A, P = "好", "较好", "一般", "较差"

CASES = [
    # quarters,                 eligible, priority, max_grade,  forced
    ([G, G, G, G],              True,  True,  "优秀",    None),      # 达4次 → priority
    ([G, G, G, F],              True,  False, "优秀",    None),      # 3 好: eligible, not priority
    ([G, G, F, F],              True,  False, "优秀",    None),      # exactly 2 好 (2次以上 includes 2)
    ([G, F, F, F],              False, False, "称职",    None),      # 1 好: not enough
    ([G, G, G, A],              False, False, "称职",    None),      # a 一般 blocks 优秀
    ([G, G, G, P],              False, False, "称职",    None),      # a 较差 blocks 优秀
    ([G, G, None, None],        True,  False, "优秀",    None),      # None (不定等次) is not counted
    ([G, None, None, None],     False, False, "称职",    None),
    ([A, A, F, F],              False, False, "称职",    None),      # 2 bad: not 超过2次
    ([A, A, A, F],              False, False, "基本称职", None),      # 3 bad: 超过2次 → capped
    ([A, P, A, G],              False, False, "基本称职", None),      # 一般 and 较差 add up
    ([P, P, P, A],              False, False, "基本称职", None),      # capped, but not all 较差
    ([P, P, P, P],              False, False, "不称职",  "不称职"),  # 均为较差 → forced
    ([P, None, P, None],        False, False, "不称职",  "不称职"),  # all graded quarters 较差
    ([None, None, None, None],  False, False, "称职",    None),      # nothing graded: no conclusion forced
    ([F, F, F, F],              False, False, "称职",    None),
]


@pytest.mark.parametrize("quarters, eligible, priority, max_grade, forced", CASES)
def test_annual_outcome(policy, quarters, eligible, priority, max_grade, forced):
    outcome = annual_outcome(quarters, policy)
    assert (outcome.excellent_eligible, outcome.excellent_priority, outcome.max_grade, outcome.forced_grade) == (
        eligible, priority, max_grade, forced)
    assert outcome.reasons and all(isinstance(r, str) and r for r in outcome.reasons)


def test_reasons_are_chinese_and_name_the_rule(policy):
    assert "直接确定为不称职" in annual_outcome([P, P, P, P], policy).reasons[0]
    assert "超过 2 次" in annual_outcome([A, A, A, F], policy).reasons[0]
    assert any("优先确定为优秀" in r for r in annual_outcome([G] * 4, policy).reasons)


def test_unknown_grade_is_refused(policy):
    with pytest.raises(ValueError):
        annual_outcome(["优秀", None, None, None], policy)


def test_counts_are_reported(policy):
    o = annual_outcome([G, A, None, P], policy)
    assert (o.good_count, o.bad_count, o.graded_count) == (1, 2, 3)
