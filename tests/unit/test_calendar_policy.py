from datetime import date, datetime, timezone

import pytest

from config import PolicyError, SettingsError, load_policy, load_settings
from config.policy import parse_policy
from models.rules.calendar import format_local, quarter_bounds, step_deadlines
from models.rules.eligibility import not_graded_reason


@pytest.mark.parametrize("quarter, start, end", [
    (1, date(2026, 1, 1), date(2026, 3, 31)), (2, date(2026, 4, 1), date(2026, 6, 30)),
    (3, date(2026, 7, 1), date(2026, 9, 30)), (4, date(2026, 10, 1), date(2026, 12, 31)),
])
def test_quarter_bounds(quarter, start, end):
    assert quarter_bounds(2026, quarter) == (start, end)


def test_deadlines_are_end_of_local_day_stored_in_utc(policy):
    due = step_deadlines(2026, 4, policy)
    assert due["summary"] == datetime(2027, 1, 5, 15, 59, 59, tzinfo=timezone.utc)  # 23:59:59 in Shanghai
    assert format_local(due["summary"], policy) == "2027-01-05 23:59"
    assert due["summary"] < due["scoring"] < due["decision"] < due["filing"]


@pytest.mark.parametrize("hired, leave_days, reason", [
    (date(2026, 3, 1), 0, "试用期内"),
    (date(2025, 12, 31), 0, None),  # exactly 365 days before the quarter's end
    (date(2026, 1, 1), 0, "试用期内"),
    (date(2010, 1, 1), 45, None),
    (date(2010, 1, 1), 46, "请假累计超过45天"),
    (None, 0, None),
])
def test_not_graded(policy, hired, leave_days, reason):
    result = not_graded_reason(hired, leave_days, date(2026, 12, 31), policy)
    assert (result is None) if reason is None else (reason in result)


def _policy_data():
    import tomllib

    from config.policy import POLICY_DIR

    return tomllib.loads((POLICY_DIR / "hengyang.toml").read_text("utf-8"))


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["bands"].reverse(), "等次顺序"),
    (lambda d: d["template"]["common"].pop(), "template.common"),
    (lambda d: d["quota"].update(rounding="sideways"), "quota.rounding"),
    (lambda d: d.pop("annual"), "缺少字段 annual"),
    (lambda d: d["reminders"].update(send_at="nine"), "HH:MM"),
])
def test_inconsistent_policies_are_refused(mutate, message):
    data = _policy_data()
    mutate(data)
    with pytest.raises(PolicyError, match=message):
        parse_policy(data)


def test_unknown_policy_names_the_available_ones():
    with pytest.raises(PolicyError, match="可用：hengdong, hengyang"):
        load_policy("nowhere")


@pytest.mark.parametrize("env, variable", [
    ({"KAOHE_DATABASE_URL": "mysql://x"}, "KAOHE_DATABASE_URL"),
    ({"KAOHE_REDIS_URL": "http://x"}, "KAOHE_REDIS_URL"),
    ({"KAOHE_POLICY": "nowhere"}, "KAOHE_POLICY"),
    ({"KAOHE_WECHAT_MAX_SKEW": "soon"}, "KAOHE_WECHAT_MAX_SKEW"),
    ({"KAOHE_WECHAT_AES_KEY": "short"}, "KAOHE_WECHAT_AES_KEY"),
    ({"KAOHE_ENV": "production"}, "KAOHE_SECRET_KEY"),
    ({"KAOHE_ENV": "production", "KAOHE_SECRET_KEY": "x" * 40, "KAOHE_SIMULATOR": "true"}, "KAOHE_SIMULATOR"),
    ({"KAOHE_SIMULATOR": "maybe"}, "KAOHE_SIMULATOR"),
])
def test_a_wrong_setting_names_the_variable(env, variable):
    with pytest.raises(SettingsError) as exc:
        load_settings(env)
    assert variable in str(exc.value) and "\n" not in str(exc.value)


def test_defaults_are_embedded():
    s = load_settings({})
    assert s.database_url.startswith("sqlite:///") and s.database_url.endswith("instance/kaohe.sqlite3")
    assert s.redis_url is None and s.policy == "hengyang" and s.simulator_enabled
