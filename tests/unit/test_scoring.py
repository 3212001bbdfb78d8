import dataclasses

import pytest

from models.rules.scoring import (
    COMMON, SPECIFIC, IndicatorDef, RuleViolation, check_score, quick_level_score, suggested_grade, total_score,
    validate_template,
)


def default_template(policy):
    items = [IndicatorDef(f"c{i}", COMMON, s.dimension, s.name, s.points) for i, s in enumerate(policy.template.common)]
    items += [IndicatorDef(f"s{i}", SPECIFIC, s.dimension, s.name, s.points)
              for i, s in enumerate(policy.template.specific)]
    return items


def test_the_policy_default_template_is_valid(policy):
    validate_template(default_template(policy), policy)


@pytest.mark.parametrize("change, message", [
    (lambda t: t[:-1], "个性指标应为 5 项，现有 4 项"),
    (lambda t: t[1:], "共性指标应为 5 项，现有 4 项"),
    (lambda t: t[:-1] + [dataclasses.replace(t[-1], points=11)], "个性指标分值合计应为 60 分，现为 61 分"),
    (lambda t: [dataclasses.replace(t[0], points=9)] + t[1:], "共性指标分值合计应为 40 分，现为 41 分"),
    (lambda t: [dataclasses.replace(t[0], points=0)] + t[1:], "分值必须大于 0"),
    (lambda t: [dataclasses.replace(t[0], name=" ")] + t[1:], "指标名称不能为空"),
    (lambda t: t[:5] + [dataclasses.replace(t[5], name=t[6].name)] + t[6:], "指标名称不能重复"),
])
def test_bad_templates_are_refused_with_a_clear_message(policy, change, message):
    with pytest.raises(RuleViolation) as exc:
        validate_template(change(default_template(policy)), policy)
    assert message in exc.value.message


@pytest.mark.parametrize("total, grade", [
    (100, "好"), (90, "好"), (89.5, "较好"), (80, "较好"), (79.5, "一般"), (60, "一般"), (59.5, "较差"), (0, "较差"),
])
def test_suggested_grade_from_bands(policy, total, grade):
    assert suggested_grade(total, policy) == grade


def test_scores_stay_within_points_in_half_steps():
    ind = IndicatorDef("c0", COMMON, "德", "政治品质", 8)
    assert check_score(ind, 7.5) == 7.5
    for bad, msg in ((8.5, "0 到 8 分之间"), (-1, "0 到 8 分之间"), (7.3, "最小单位为 0.5 分")):
        with pytest.raises(RuleViolation) as exc:
            check_score(ind, bad)
        assert msg in exc.value.message


@pytest.mark.parametrize("level, points, expected", [("优", 8, 8), ("良", 8, 7), ("中", 15, 10.5), ("差", 15, 7.5)])
def test_quick_levels(policy, level, points, expected):
    assert quick_level_score(IndicatorDef("k", SPECIFIC, "绩", "x", points), level, policy) == expected


def test_unknown_quick_level(policy):
    with pytest.raises(RuleViolation, match="快捷档次只能是 优、良、中、差"):
        quick_level_score(IndicatorDef("k", SPECIFIC, "绩", "x", 10), "很好", policy)


def test_total_counts_missing_as_zero(policy):
    t = default_template(policy)
    assert total_score({"c0": 8, "s0": 14.5}, t) == 22.5
