"""加扣分、负面清单与问责影响期: every effect of the catalogue, table-driven, on the hengyang profile (and a second
county whose items differ without any code change)."""
import dataclasses
from datetime import date

import pytest

from config.policy import MeritItem, PolicyError, load_policy, parse_policy
from models.rules.annual import annual_outcome
from models.rules.merits import (
    MeritEvent,
    add_months,
    adjusted_total,
    adjustments,
    allowed_grades,
    annual_blocks,
    check_grade,
    check_record,
    period,
    quarter_blocks,
)
from models.rules.scoring import RuleViolation

P = load_policy("hengyang")
TODAY = date(2026, 11, 23)


def ev(code, on, i=[0]):  # noqa: B006 - a running id is all we need
    i[0] += 1
    return MeritEvent(i[0], code, on)


@pytest.mark.parametrize("events, quarter, applied, total", [
    ([], (2026, 3), [], 0),
    ([("J01", date(2026, 8, 1))], (2026, 3), [1], 1),
    ([("J01", date(2026, 8, 1)), ("J01", date(2026, 9, 1)), ("J01", date(2026, 9, 2))], (2026, 3), [1, 1, 0], 2),
    ([("J02", date(2026, 7, 1)), ("J01", date(2026, 7, 2))], (2026, 3), [2, 1], 3),
    ([("K01", date(2026, 7, 1))] * 7, (2026, 3), [-0.5] * 6 + [0], -3),
    ([("K02", date(2026, 8, 1)), ("J02", date(2026, 8, 2))], (2026, 3), [-3, 2], -1),
    ([("J01", date(2026, 6, 30)), ("J01", date(2026, 10, 1))], (2026, 3), [], 0),  # other quarters
    ([("W01", date(2026, 8, 1))], (2026, 3), [], 0),  # no points
])
def test_adjustments_count_each_occurrence_up_to_the_item_cap(events, quarter, applied, total):
    adj = adjustments([ev(c, d) for c, d in events], *quarter, P)
    assert [line.applied for line in adj.lines] == applied
    assert adj.total == total


@pytest.mark.parametrize("indicators, codes, expected", [
    (90, ["J02"], 92), (99, ["J02", "J02"], 100), (1, ["K02"], 0), (80, ["K02"], 77), (88.5, ["J01"], 89.5),
    (89, ["J02", "K01"], 90.5),
])
def test_the_running_total_is_indicators_plus_adjustments_within_the_bounds(indicators, codes, expected):
    events = [ev(code, date(2026, 8, d + 1)) for d, code in enumerate(codes)]
    assert adjusted_total(indicators, adjustments(events, 2026, 3, P), P) == expected


def test_a_capped_line_says_so():
    adj = adjustments([ev("J02", date(2026, 8, 1)), ev("J02", date(2026, 8, 2)), ev("J02", date(2026, 8, 3))],
                      2026, 3, P)
    assert adj.lines[-1].capped and "每季度上限" in adj.lines[-1].text and adj.lines[0].text == \
        "受到市级以上表彰奖励（2026-08-01）+2 分"


@pytest.mark.parametrize("code, on, quarter, effects", [
    ("W01", date(2026, 8, 10), (2026, 3), ["no_good"]),  # 诫勉: 6 months from 8-10 → 2027-02-09
    ("W01", date(2026, 8, 10), (2026, 4), ["no_good"]),
    ("W01", date(2026, 8, 10), (2027, 1), ["no_good"]),
    ("W01", date(2026, 8, 10), (2027, 2), []),
    ("W01", date(2026, 8, 10), (2026, 2), []),  # before the event
    ("W02", date(2026, 1, 15), (2026, 4), ["no_good"]),  # 组织处理: 12 months
    ("W02", date(2026, 1, 15), (2027, 1), ["no_good"]),
    ("W03", date(2026, 8, 10), (2026, 3), ["poor", "no_good"]),  # 警告: 当季较差, then 不得评为好
    ("W03", date(2026, 8, 10), (2026, 4), ["no_good"]),
    ("W04", date(2026, 5, 1), (2026, 2), ["not_graded"]),  # 记过以上: 不定等次 for 12 months
    ("W04", date(2026, 5, 1), (2027, 2), ["not_graded"]),
    ("W04", date(2026, 5, 1), (2027, 3), []),
    ("K02", date(2026, 8, 1), (2026, 3), ["no_good"]),  # period 0: the event's quarter only
    ("K02", date(2026, 8, 1), (2026, 4), []),
    ("J01", date(2026, 8, 1), (2026, 3), []),
])
def test_grade_effects_hold_for_the_quarters_the_period_touches(code, on, quarter, effects):
    assert [b.effect for b in quarter_blocks([ev(code, on)], *quarter, P)] == effects


@pytest.mark.parametrize("effects, allowed", [
    ([], ("好", "较好", "一般", "较差")),
    (["no_good"], ("较好", "一般", "较差")),
    (["poor", "no_good"], ("较差",)),
    (["not_graded"], ()),
])
def test_allowed_grades_follow_the_strongest_effect(effects, allowed):
    code = {(): "J01", ("no_good",): "W01", ("poor", "no_good"): "W03", ("not_graded",): "W04"}[tuple(effects)]
    assert allowed_grades(quarter_blocks([ev(code, date(2026, 8, 10))], 2026, 3, P), P) == allowed


@pytest.mark.parametrize("code, grade, error, fragment", [
    ("W01", "好", "merit_blocked", "受到诫勉（2026-08-10，影响期 2026-08-10 至 2027-02-09），影响期内不得评为好，不能审定为“好”"),
    ("W01", "较好", None, None),
    ("W03", "一般", "merit_blocked", "受到警告处分（2026-08-10，影响期 2026-08-10 至 2026-09-30），当季定为较差"),
    ("W03", "较差", None, None),
    ("W04", "较差", "merit_not_graded", "受到记过以上处分（2026-08-10，影响期 2026-08-10 至 2027-08-09），不定等次，不能审定等次"),
])
def test_the_committee_screen_names_the_item_and_its_period(code, grade, error, fragment):
    blocks = quarter_blocks([ev(code, date(2026, 8, 10))], 2026, 3, P)
    if error is None:
        check_grade(grade, blocks, P)
        return
    with pytest.raises(RuleViolation) as exc:
        check_grade(grade, blocks, P)
    assert exc.value.code == error and fragment in exc.value.message and exc.value.details["item_code"] == code


@pytest.mark.parametrize("code, on, year, blocked", [
    ("W01", date(2026, 8, 10), 2026, True),
    ("W01", date(2026, 8, 10), 2027, True),  # 影响期 runs into February 2027
    ("W01", date(2026, 5, 10), 2027, False),
    ("W03", date(2026, 3, 1), 2026, True),
    ("W04", date(2025, 12, 1), 2026, True),
    ("J01", date(2026, 3, 1), 2026, False),
    ("K02", date(2026, 3, 1), 2026, False),  # 不得评为好 that quarter, but nothing about the year
])
def test_the_annual_excellent_is_blocked_in_the_years_the_period_touches(code, on, year, blocked):
    blocks = annual_blocks([ev(code, on)], year, P)
    outcome = annual_outcome(["好", "好", "好", "好"], P, [b.text for b in blocks])
    assert outcome.excellent_eligible is (not blocked)
    assert (outcome.max_grade == "优秀") is (not blocked)
    if blocked:
        assert outcome.reasons[-1].endswith("年度考核不得评为优秀") and blocks[0].name in outcome.reasons[-1]


@pytest.mark.parametrize("code, on, evidence, earlier, error", [
    ("X99", date(2026, 8, 1), True, [], "unknown_item"),
    ("J01", date(2026, 12, 1), True, [], "date_in_future"),
    ("W01", date(2026, 8, 1), False, [], "evidence_required"),
    ("K01", date(2026, 8, 1), False, [], None),  # no evidence required
    ("J01", date(2026, 8, 1), True, [("J01", date(2026, 7, 1))], None),
    ("J01", date(2026, 8, 1), True, [("J01", date(2026, 7, 1)), ("J01", date(2026, 7, 2))], "over_cap"),
    ("J01", date(2026, 10, 1), True, [("J01", date(2026, 7, 1)), ("J01", date(2026, 7, 2))], None),  # new quarter
    ("K01", date(2026, 8, 1), False, [("K01", date(2026, 7, 1))] * 6, "over_cap"),
    ("W01", date(2026, 8, 1), True, [("W01", date(2026, 7, 1))] * 3, None),  # no points, no cap
])
def test_recording_refuses_unknown_items_missing_evidence_and_a_full_cap(code, on, evidence, earlier, error):
    prior = [ev(c, d) for c, d in earlier]
    if error is None:
        assert check_record(code, on, TODAY, evidence, prior, P).code == code
        return
    with pytest.raises(RuleViolation) as exc:
        check_record(code, on, TODAY, evidence, prior, P)
    assert exc.value.code == error and exc.value.message


def test_over_the_cap_is_said_in_chinese_with_the_numbers():
    with pytest.raises(RuleViolation) as exc:
        check_record("J01", date(2026, 8, 1), TODAY, True, [ev("J01", date(2026, 7, 1))] * 2, P)
    assert exc.value.message == "“受到县级表彰奖励”2026年第3季度已达上限 2 分（每次 1 分，已记录 2 次），不能再记录"


@pytest.mark.parametrize("start, months, end", [
    (date(2026, 8, 10), 6, date(2027, 2, 9)), (date(2026, 8, 31), 6, date(2027, 2, 27)),
    (date(2026, 1, 1), 12, date(2026, 12, 31)),
])
def test_the_period_counts_calendar_months_both_days_included(start, months, end):
    item = MeritItem("X", "x", "问责", effects=("no_good",), period_months=months)
    assert period(item, start) == (start, end)
    assert add_months(start, 0) == start


def test_a_second_county_has_other_items_and_values_with_the_same_code():
    other = load_policy("hengdong")
    assert other.merits.item("J01") is None and not other.merits.require_approval and P.merits.require_approval
    with pytest.raises(RuleViolation):
        check_record("J01", date(2026, 8, 1), TODAY, True, [], other)
    events = [ev("HD-JL", date(2026, 8, 1)), ev("HD-JL", date(2026, 8, 2))]
    assert adjustments(events, 2026, 3, other).total == 5  # 3 each, capped at 5
    assert adjusted_total(100, adjustments(events, 2026, 3, other), other) == 105  # its bound is 105
    # 受到处分 there: 当季较差 for the event's quarter only, no period
    assert [b.effect for b in quarter_blocks([ev("HD-CF", date(2026, 8, 1))], 2026, 3, other)] == ["poor"]
    assert quarter_blocks([ev("HD-CF", date(2026, 8, 1))], 2026, 4, other) == []
    # 诫勉 there lasts 12 months, 6 in hengyang
    assert [b.effect for b in quarter_blocks([ev("HD-JM", date(2026, 8, 10))], 2027, 2, other)] == ["no_good"]
    assert quarter_blocks([ev("W01", date(2026, 8, 10))], 2027, 2, P) == []


@pytest.mark.parametrize("change, message", [
    ({"effects": ["add"], "points": -1}, "加分项 points 须为正数"),
    ({"effects": ["boost"]}, "效果 boost 无效"),
    ({"points": 3, "cap_per_quarter": 2}, "cap_per_quarter"),
    ({"period_months": -1}, "period_months 不能为负数"),
])
def test_an_inconsistent_catalogue_is_refused(change, message):
    import tomllib

    from config.policy import POLICY_DIR

    data = tomllib.loads((POLICY_DIR / "hengyang.toml").read_text(encoding="utf-8"))
    data["merits"]["items"][0].update(change)
    with pytest.raises(PolicyError) as exc:
        parse_policy(data)
    assert message in str(exc.value)


def test_a_profile_without_a_catalogue_changes_nothing():
    bare = dataclasses.replace(P, merits=dataclasses.replace(P.merits, items=()))
    assert adjustments([ev("J01", date(2026, 8, 1))], 2026, 3, bare).total == 0
    assert quarter_blocks([ev("W01", date(2026, 8, 1))], 2026, 3, bare) == []
