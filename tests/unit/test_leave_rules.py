"""Leave days and secondments as the policy reads them: pure rules, table-driven, for 衡阳 and another county whose
profile differs only in its numbers (no code path of its own)."""
import tomllib
from datetime import date

import pytest

from config.policy import POLICY_DIR, PolicyError, parse_policy
from models.rules.eligibility import automatic_reasons, not_graded_reason
from models.rules.leave import (
    check_leave_days,
    host_evaluates,
    leave_indicator,
    probation_extension,
    secondment_reason,
    whole_months,
)
from models.rules.scoring import RuleViolation


def hengyang_data() -> dict:
    return tomllib.loads((POLICY_DIR / "hengyang.toml").read_text("utf-8"))


@pytest.fixture(scope="module")
def hengyang():
    return parse_policy(hengyang_data())


@pytest.fixture(scope="module")
def other():
    """Another county: 30 days of leave at most, probation never extended, whole days, secondments stay at home."""
    data = hengyang_data()
    data["name"] = "other"
    data["not_graded"].update(leave_days_max=30, probation_leave_over=0)
    data["leave"].update(step=1, dimension="德")
    data["secondment"].update(host_evaluates=False, min_months=3)
    return parse_policy(data)


@pytest.mark.parametrize("value, year, quarter, expected", [
    (0, 2026, 1, 0), (45, 2026, 1, 45), ("12.5", 2026, 2, 12.5), (90, 2026, 1, 90), (91, 2024, 1, 91),
    (92, 2026, 3, 92), (" 3 ", 2026, 4, 3),
])
def test_leave_days_that_are_accepted(hengyang, value, year, quarter, expected):
    assert check_leave_days(value, year, quarter, hengyang) == expected


@pytest.mark.parametrize("value, year, quarter, code, words", [
    (None, 2026, 1, "leave_required", "请填写请假天数"),
    ("", 2026, 1, "leave_required", "请填写请假天数"),
    ("三天", 2026, 1, "leave_not_number", "应为数字"),
    (-1, 2026, 1, "leave_range", "0 到 90 之间"),
    (91, 2026, 1, "leave_range", "2026年第1季度共 90 天"),
    ("nan", 2026, 1, "leave_range", "0 到 90"),
    (1.25, 2026, 1, "leave_step", "以 0.5 天为单位"),
    (True, 2026, 1, "leave_required", "请填写请假天数"),
])
def test_leave_days_that_are_refused_in_chinese(hengyang, value, year, quarter, code, words):
    with pytest.raises(RuleViolation) as exc:
        check_leave_days(value, year, quarter, hengyang)
    assert exc.value.code == code and words in exc.value.message


def test_the_other_county_counts_whole_days(other):
    with pytest.raises(RuleViolation, match="以 1 天为单位"):
        check_leave_days(2.5, 2026, 1, other)


@pytest.mark.parametrize("profile, leave, expected", [
    ("hengyang", 45, None), ("hengyang", 45.5, "本季度请假累计超过45天，不确定等次"), ("hengyang", 31, None),
    ("other", 30, None), ("other", 31, "本季度请假累计超过30天，不确定等次"), ("other", 45, "本季度请假累计超过30天，不确定等次"),
])
def test_long_leave_is_not_graded_by_each_countys_number(request, profile, leave, expected):
    policy = request.getfixturevalue(profile)
    assert not_graded_reason(date(2000, 1, 1), leave, date(2026, 3, 31), policy) == expected


@pytest.mark.parametrize("profile, leave_in_probation, extension", [
    ("hengyang", 0, 0), ("hengyang", 30, 0), ("hengyang", 30.5, 31), ("hengyang", 40, 40),
    ("other", 40, 0), ("other", 300, 0),  # the other county never extends probation
])
def test_probation_is_extended_only_by_leave_beyond_the_threshold(request, profile, leave_in_probation, extension):
    assert probation_extension(leave_in_probation, request.getfixturevalue(profile)) == extension


@pytest.mark.parametrize("hired, extended_by, graded", [
    (date(2025, 3, 1), 0, True),  # 395 days by 31 Mar 2026: out of probation
    (date(2025, 3, 1), 40, False),  # 40 days of leave push the end past the quarter
    (date(2025, 4, 1), 0, False),  # 364 days: still in probation
])
def test_an_extended_probation_keeps_a_new_hire_ungraded(hengyang, hired, extended_by, graded):
    reason = not_graded_reason(hired, 0, date(2026, 3, 31), hengyang, extended_by)
    assert (reason is None) == graded
    assert graded or reason == hengyang.not_graded.probation_reason


def test_the_reasons_the_rules_give_are_known(hengyang, other):
    assert automatic_reasons(hengyang) == (hengyang.not_graded.probation_reason, "本季度请假累计超过45天，不确定等次")
    assert automatic_reasons(other)[1] == "本季度请假累计超过30天，不确定等次"


@pytest.mark.parametrize("start, end, months", [
    (date(2026, 1, 1), date(2026, 3, 31), 3), (date(2026, 2, 1), date(2026, 3, 31), 2),
    (date(2026, 1, 15), date(2026, 3, 31), 2), (date(2026, 1, 15), date(2026, 3, 14), 2),
    (date(2026, 1, 15), date(2026, 2, 13), 0), (date(2026, 3, 1), date(2026, 2, 1), 0),
    (date(2026, 1, 31), date(2026, 2, 27), 0), (date(2026, 1, 31), date(2026, 2, 28), 1),  # to the month's end
    (date(2025, 11, 1), date(2026, 4, 30), 6),
])
def test_whole_months_of_a_period(start, end, months):
    assert whole_months(start, end) == months


@pytest.mark.parametrize("start, end, year, quarter, by_host", [
    (date(2026, 1, 1), date(2026, 6, 30), 2026, 1, True),
    (date(2026, 1, 1), date(2026, 6, 30), 2026, 2, True),
    (date(2026, 2, 1), date(2026, 6, 30), 2026, 1, True),  # two whole months of Q1
    (date(2026, 2, 15), date(2026, 6, 30), 2026, 1, False),  # one and a half
    (date(2026, 1, 1), date(2026, 5, 10), 2026, 2, False),  # April only
    (date(2026, 1, 1), date(2026, 3, 31), 2026, 3, False),  # not in the quarter at all
    (date(2025, 12, 1), date(2026, 2, 28), 2026, 1, True),
])
def test_the_host_evaluates_a_quarter_covered_for_the_policys_months(hengyang, other, start, end, year, quarter,
                                                                      by_host):
    assert host_evaluates(start, end, year, quarter, hengyang) == by_host
    assert host_evaluates(start, end, year, quarter, other) is False  # the other county keeps them at home


def test_the_home_units_listing_names_the_host(hengyang):
    assert secondment_reason("县委办", hengyang) == "借调至县委办，由借调单位考核"


def test_leave_days_are_shown_beside_the_policys_dimension(hengyang, other):
    indicators = [(1, "common", "德"), (2, "common", "能"), (3, "common", "勤"), (9, "specific", "勤")]
    assert leave_indicator(indicators, hengyang) == 3
    assert leave_indicator(indicators, other) == 1
    assert leave_indicator([(9, "specific", "勤")], hengyang) is None


@pytest.mark.parametrize("section, change, named", [
    ("not_graded", {"probation_leave_over": -1}, "probation_leave_over"),
    ("leave", {"step": 0}, r"leave\.step"),
    ("leave", {"dimension": "美"}, r"leave\.dimension"),
    ("secondment", {"min_months": 4}, r"secondment\.min_months"),
    ("secondment", {"reason": "借调"}, r"\{host\}"),
])
def test_a_wrong_leave_or_secondment_option_is_refused_by_name(section, change, named):
    data = hengyang_data()
    data[section].update(change)
    with pytest.raises(PolicyError, match=named):
        parse_policy(data)
