"""A second county (衡东县) runs on the same code with its own numbers: its clocks for signing and objecting to a
result, its leave and secondment thresholds and its 加扣分 catalogue come from config/policies/hengdong.toml."""
from datetime import date, datetime, timezone

import pytest

from config import load_policy
from models.rules.feedback import answer_due, objection_deadline, sign_deadline
from models.rules.leave import host_evaluates, probation_extension, secondment_reason

FEEDBACK_DAY = datetime(2026, 10, 12, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 in Beijing, after 国庆 调休


@pytest.fixture(scope="module")
def counties():
    return load_policy("hengyang"), load_policy("hengdong")


def local_day(moment: datetime) -> str:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d")


def test_the_clocks_for_a_result_fed_back_differ_by_county(counties):
    hengyang, hengdong = counties
    assert (local_day(sign_deadline(FEEDBACK_DAY, hengyang)), local_day(sign_deadline(FEEDBACK_DAY, hengdong))) == (
        "2026-10-15", "2026-10-19")  # 3 and 5 working days after Monday's feedback (the weekend skipped)
    assert local_day(objection_deadline(FEEDBACK_DAY, None, hengyang)) < local_day(
        objection_deadline(FEEDBACK_DAY, None, hengdong))
    assert local_day(answer_due(FEEDBACK_DAY, hengyang)) < local_day(answer_due(FEEDBACK_DAY, hengdong))


@pytest.mark.parametrize("start,end,hengyang,hengdong", [
    (date(2026, 10, 1), date(2026, 11, 30), True, True),  # two whole months of Q4
    (date(2026, 10, 1), date(2026, 10, 31), False, True),  # one: enough in 衡东 only
    (date(2026, 10, 15), date(2026, 11, 14), False, True),  # a month's span counts as one whole month
    (date(2026, 10, 15), date(2026, 11, 10), False, False),  # less than a month
])
def test_secondment_thresholds_differ_by_county(counties, start, end, hengyang, hengdong):
    assert host_evaluates(start, end, 2026, 4, counties[0]) is hengyang
    assert host_evaluates(start, end, 2026, 4, counties[1]) is hengdong


def test_probation_and_wording_differ_by_county(counties):
    hengyang, hengdong = counties
    assert (probation_extension(25, hengyang), probation_extension(25, hengdong)) == (0, 25)
    assert secondment_reason("县财政局", hengdong) == "借调至县财政局工作，由县财政局考核"


def test_the_catalogues_differ_by_county(counties):
    hengyang, hengdong = counties
    assert hengyang.merits.require_approval and not hengdong.merits.require_approval
    assert {i.code for i in hengyang.merits.items} != {i.code for i in hengdong.merits.items}
