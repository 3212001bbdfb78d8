"""Reference lists (选拔任用, 培训) as the policy defines them: grades counted, minimum, window, exclusions."""
import pytest

from config import load_policy
from config.policy import ListRule, PolicyError, parse_policy
from models.rules.lists import count_in, window_label, window_quarters

P = load_policy("hengyang")
PROMOTION = P.results.list_rule("promotion", "好")
TRAINING = P.results.list_rule("training", "好")
N = None


@pytest.mark.parametrize("rule, year, quarter, expected", [
    (PROMOTION, 2026, 4, [(2026, 1), (2026, 2), (2026, 3), (2026, 4)]),
    (PROMOTION, 2026, 2, [(2026, 1), (2026, 2)]),  # --quarter 2: the year up to Q2
    (TRAINING, 2026, 4, [(2026, 1), (2026, 2), (2026, 3), (2026, 4)]),
    (TRAINING, 2026, 2, [(2025, 3), (2025, 4), (2026, 1), (2026, 2)]),  # the last four, across the year boundary
    (ListRule("x", "x", ("好",), 1, 1), 2026, 1, [(2026, 1)]),
])
def test_window(rule, year, quarter, expected):
    assert window_quarters(rule, year, quarter) == expected


@pytest.mark.parametrize("quarters, label", [
    ([(2026, 1), (2026, 2)], "2026年第1季度至2026年第2季度"),
    ([(2025, 3), (2026, 2)], "2025年第3季度至2026年第2季度"),
    ([(2026, 3)], "2026年第3季度"),
])
def test_window_label(quarters, label):
    assert window_label(quarters) == label


@pytest.mark.parametrize("rule, grades, min_count, expected", [
    (PROMOTION, ["好", "好", "好", N], N, 3),
    (PROMOTION, ["好", "好", "较好", N], N, None),  # too few
    (PROMOTION, ["好", "好", "好", "一般"], N, None),  # an excluding grade
    (PROMOTION, ["好", "好", N, N], 2, 2),  # the caller's minimum
    (TRAINING, ["好", "一般", N, N], N, 1),
    (TRAINING, ["较差", "一般", "好", "好"], N, 2),
    (TRAINING, ["好", "好", "较好", N], N, None),
])
def test_count_in(rule, grades, min_count, expected):
    assert count_in(rule, grades, min_count) == expected


def test_the_two_lists_are_defined_by_the_policy_not_by_a_threshold_alone():
    assert (PROMOTION.grades, PROMOTION.window, PROMOTION.exclude_grades) == (("好",), None, ("一般", "较差"))
    assert (TRAINING.grades, TRAINING.window) == (("一般", "较差"), 4)


def test_a_list_naming_an_unknown_grade_is_refused():
    import tomllib
    from pathlib import Path

    import config

    data = tomllib.loads((Path(config.__file__).parent / "policies" / "hengyang.toml").read_text(encoding="utf-8"))
    data["results"]["lists"]["training"]["grades"] = ["差"]
    with pytest.raises(PolicyError, match="results.lists.training"):
        parse_policy(data)
    data["results"]["lists"]["training"] = {"title": "t", "grades": ["一般"], "min_count": 1, "window": 0}
    with pytest.raises(PolicyError, match="window"):
        parse_policy(data)
