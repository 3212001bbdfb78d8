"""Working days (工作日): statutory holidays and 调休 from chinesecalendar, the profile's years, unknown years."""
from dataclasses import replace
from datetime import date, datetime, timezone

import pytest

from config import load_policy
from config.policy import CalendarPolicy, CalendarYear, PolicyError, parse_policy
from models.rules.calendar import add_working_days, is_working_day, publicity_end, step_deadlines
from models.rules.scoring import RuleViolation

P = load_policy("hengyang")
WITH_2027 = replace(P, calendar=CalendarPolicy(("publicity",), (
    CalendarYear(2027, frozenset({date(2027, 1, 1)}), frozenset({date(2027, 1, 2)})),)))


@pytest.mark.parametrize("policy, day, working", [
    (P, date(2026, 10, 1), False),  # 国庆节
    (P, date(2026, 10, 8), True),
    (P, date(2026, 10, 10), True),  # a Saturday made a working day (调休)
    (P, date(2026, 11, 28), False),  # an ordinary Saturday
    (P, date(2026, 11, 27), True),
    (WITH_2027, date(2027, 1, 1), False),  # the profile's holiday
    (WITH_2027, date(2027, 1, 2), True),  # the profile's 调休 Saturday
    (WITH_2027, date(2027, 1, 4), True),
    (WITH_2027, date(2027, 1, 9), False),
])
def test_is_working_day(policy, day, working):
    assert is_working_day(day, policy) is working


@pytest.mark.parametrize("policy, start, n, expected", [
    (P, date(2026, 9, 30), 5, date(2026, 10, 13)),  # across 国庆: 10-08, 10-09, 10-10 (调休), 10-12, 10-13
    (P, date(2026, 11, 27), 5, date(2026, 12, 4)),  # a Friday: the weekend does not count
    (P, date(2026, 11, 23), 5, date(2026, 11, 30)),
    (WITH_2027, date(2026, 12, 30), 3, date(2027, 1, 4)),  # 12-31, 01-02 (调休), 01-04; 01-01 is off
])
def test_add_working_days(policy, start, n, expected):
    assert add_working_days(start, n, policy) == expected


def test_a_year_nobody_knows_is_a_clear_error_naming_the_year():
    with pytest.raises(RuleViolation) as caught:
        add_working_days(date(2040, 3, 1), 5, P)
    assert caught.value.code == "calendar_unknown" and "2040年" in caught.value.message
    assert "[calendar.2040]" in caught.value.message


def test_publicity_counts_five_working_days_to_the_end_of_the_day():
    published = datetime(2026, 9, 30, 2, tzinfo=timezone.utc)  # 10:00 Beijing time
    assert publicity_end(published, P) == datetime(2026, 10, 13, 15, 59, 59, tzinfo=timezone.utc)
    calendar_days = replace(P, calendar=CalendarPolicy())
    assert publicity_end(published, calendar_days) == datetime(2026, 10, 5, 2, tzinfo=timezone.utc)


def test_step_deadlines_count_working_days_only_for_the_steps_the_policy_names():
    working = replace(P, calendar=CalendarPolicy(("summary",)))
    assert step_deadlines(2026, 3, P)["summary"].date() == date(2026, 10, 5)  # 5 calendar days after 09-30
    assert step_deadlines(2026, 3, working)["summary"].date() == date(2026, 10, 13)
    assert step_deadlines(2026, 3, working)["scoring"] == step_deadlines(2026, 3, P)["scoring"]


def _profile():
    import tomllib
    from pathlib import Path

    import config

    return tomllib.loads((Path(config.__file__).parent / "policies" / "hengyang.toml").read_text(encoding="utf-8"))


def test_the_profile_gives_a_year_and_is_checked():
    data = _profile()
    data["calendar"]["2027"] = {"holidays": [date(2027, 1, 1)], "workdays": ["2027-01-02"]}
    assert parse_policy(data).calendar.year(2027).workdays == frozenset({date(2027, 1, 2)})
    for bad in ({"holidays": ["2028-01-01"]}, {"holiday": []}, {"holidays": ["1月1日"]}):
        data["calendar"]["2027"] = bad
        with pytest.raises(PolicyError, match="calendar.2027"):
            parse_policy(data)
    data = _profile()
    data["calendar"]["working_day_deadlines"] = ["lunch"]
    with pytest.raises(PolicyError, match="working_day_deadlines"):
        parse_policy(data)
