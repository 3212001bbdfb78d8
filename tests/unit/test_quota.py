"""好 quota per tier: ≤ 40% rounded down by default; every size 1–20 spelled out."""
import dataclasses

import pytest

from models.rules.quota import check_quotas, good_quota, quota_groups

DOWN = {1: 0, 2: 0, 3: 1, 4: 1, 5: 2, 6: 2, 7: 2, 8: 3, 9: 3, 10: 4, 11: 4, 12: 4, 13: 5, 14: 5, 15: 6, 16: 6,
        17: 6, 18: 7, 19: 7, 20: 8}


@pytest.mark.parametrize("n, expected", sorted(DOWN.items()))
def test_quota_rounded_down(policy, n, expected):
    assert good_quota(n, policy) == expected


@pytest.mark.parametrize("rounding, n, expected", [
    ("nearest", 1, 0), ("nearest", 2, 1), ("nearest", 4, 2), ("nearest", 6, 2), ("nearest", 9, 4),
    ("up", 1, 1), ("up", 5, 2), ("up", 6, 3), ("up", 10, 4), ("up", 0, 0),
])
def test_other_roundings(policy, rounding, n, expected):
    p = dataclasses.replace(policy, quota=dataclasses.replace(policy.quota, rounding=rounding))
    assert good_quota(n, p) == expected


def test_exact_arithmetic_for_large_groups(policy):
    assert good_quota(1_000_000, policy) == 400_000
    assert good_quota(15, policy) == 6  # 15 × 0.4 in floats is 6.000000000000001


def test_tiers_never_borrow(policy):
    report = check_quotas({"中层干部": ["好", "好", "较好", "较好", "较好"], "一般干事": ["好"] * 0 + ["较好"] * 10}, policy)
    assert report.ok
    over = check_quotas({"中层干部": ["好", "好", "好", "较好", "较好"], "一般干事": ["较好"] * 10}, policy)
    assert not over.ok
    assert over.violations == ("“中层干部”共 5 人，“好”等次最多 2 人，现为 3 人，超出 1 人",)
    middle = next(t for t in over.tiers if t.tier == "一般干事")
    assert middle.remaining == 4  # unused quota stays in its own tier


def test_zero_quota_groups_are_reported_not_passed(policy):
    report = check_quotas({"站所": ["较好", "较好"]}, policy)
    assert report.ok and report.notes == ("“站所”仅 2 人，按 40% 计算“好”等次名额为 0",)
    report = check_quotas({"站所": ["好", "较好"]}, policy)
    assert not report.ok


def test_not_graded_people_do_not_count(policy):
    report = check_quotas({"机关": ["好", "较好", None, None, None]}, policy)
    assert report.tiers[0].size == 2 and report.tiers[0].quota == 0 and not report.ok


def with_quota(policy, **changes):
    return dataclasses.replace(policy, quota=dataclasses.replace(policy.quota, **changes))


@pytest.mark.parametrize("min_one_from, n, expected", [
    (0, 2, 0), (2, 1, 0), (2, 2, 1), (2, 3, 1), (3, 2, 0), (3, 3, 1), (2, 5, 2), (2, 0, 0),
])
def test_a_minimum_of_one_from_n_people(policy, min_one_from, n, expected):
    assert good_quota(n, with_quota(policy, min_one_from=min_one_from)) == expected


@pytest.mark.parametrize("pool_below, sizes, groups", [
    (0, {"包村": 2, "机关": 10, "站所": 1}, [("包村",), ("机关",), ("站所",)]),
    (5, {"包村": 2, "机关": 10, "站所": 1}, [("机关",), ("包村", "站所")]),
    (5, {"包村": 2, "机关": 10}, [("机关",), ("包村",)]),
    (11, {"包村": 2, "机关": 10, "站所": 1}, [("包村", "机关", "站所")]),
])
def test_which_tiers_share_a_quota(policy, pool_below, sizes, groups):
    assert quota_groups(sizes, with_quota(policy, pool_below=pool_below)) == groups


def test_pooled_small_tiers_share_one_quota(policy):
    p = with_quota(policy, pool_below=5)
    report = check_quotas({"包村": ["好", "较好"], "站所": ["较好", "较好", "一般"], "机关": ["较好"] * 10}, p)
    assert report.ok and report.for_tier("包村").quota == 2 and report.for_tier("站所").members == ("包村", "站所")
    over = check_quotas({"包村": ["好", "好"], "站所": ["好", "较好", "一般"], "机关": ["较好"] * 10}, p)
    assert over.violations == ("“包村、站所（合并计算名额）”共 5 人，“好”等次最多 2 人，现为 3 人，超出 1 人",)


def test_every_tier_over_its_quota_is_named(policy):
    report = check_quotas({"中层干部": ["好"] * 3 + ["较好"] * 2, "一般干事": ["好"] * 6 + ["较好"] * 4,
                           "站所": ["较好"] * 3}, policy)
    assert report.violations == ("“中层干部”共 5 人，“好”等次最多 2 人，现为 3 人，超出 1 人",
                                 "“一般干事”共 10 人，“好”等次最多 4 人，现为 6 人，超出 2 人")


def test_hengyang_keeps_forty_percent_rounded_down_without_borrowing(policy):
    assert (policy.quota.good_percent, policy.quota.rounding) == (40, "down")
    assert (policy.quota.min_one_from, policy.quota.pool_below) == (0, 0)
    assert good_quota(2, policy) == 0 and quota_groups({"包村": 2, "机关": 9}, policy) == [("包村",), ("机关",)]
