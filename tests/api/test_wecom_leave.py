"""Leave days from WeCom attendance (企业微信打卡月报), through wechatpy against the fake WeCom (real HTTP at
``KAOHE_WECOM_API_BASE``): 请假 items summed over the quarter's three months, hours turned into days by the policy, long
leave marks 不定等次; a refusal or an unreachable WeCom is a Chinese 503 and nothing is saved."""
from datetime import date

import pytest
from sqlalchemy import select

from handlers.actor import system_actor
from handlers.quarter.cycles import open_cycle
from models import AuditEntry, Evaluation, utcnow
from models.leave import LeaveRecord
from tests.api.conftest import year_quarter

V1 = "/api/v1"
DAY = 86400


@pytest.fixture
def api_settings(settings, fake_wechat):
    return settings.with_overrides(wechat_api_base=fake_wechat.url, wecom_api_base=fake_wechat.url,
                                   wecom_corp_id=fake_wechat.fake.corp_id,
                                   wecom_checkin_secret=fake_wechat.fake.corp_secret,
                                   login_limit_per_ip=1000, login_limit_per_openid=1000)


def months() -> list[str]:
    year, quarter = year_quarter()
    return [date(year, m, 1).strftime("%Y-%m") for m in range(3 * quarter - 2, 3 * quarter + 1)]


def test_leave_is_pulled_from_wecom_attendance_and_long_leave_is_not_graded(session, policy, world, callers,
                                                                            fake_wechat):
    year, quarter = year_quarter()
    cycle = open_cycle(session, system_actor(), world.unit.id, year, quarter, policy, today=utcnow().date())
    session.commit()
    first, second, _ = months()
    clerks = world.people["clerks"]
    fake_wechat.fake.checkin_leave = {
        clerks[0].staff_no: {first: [{"name": "病假", "duration": 20 * DAY, "time_type": 0}],
                             second: [{"name": "年假", "duration": 26 * DAY, "time_type": 0}]},
        clerks[1].staff_no: {first: [{"name": "事假", "duration": 4 * 3600, "time_type": 1}]},  # half a day of 8 h
        "stranger": {first: [{"name": "事假", "duration": DAY, "time_type": 0}]},
    }
    r = callers["hr"].post(f"{V1}/units/{world.unit.id}/leave/wecom", json={"year": year, "quarter": quarter})
    assert r.status_code == 200, r.json
    assert r.json["saved"] == 2 and r.json["marked"] == [f"{clerks[0].name}（{clerks[0].staff_no}）"]
    days = dict(session.execute(select(LeaveRecord.person_id, LeaveRecord.days)).all())
    assert days == {clerks[0].id: 46, clerks[1].id: 0.5}
    e = session.scalar(select(Evaluation).where(Evaluation.cycle_id == cycle.id, Evaluation.person_id == clerks[0].id))
    assert e.not_graded_reason == "本季度请假累计超过45天，不确定等次"
    calls = fake_wechat.fake.calls_to("/cgi-bin/checkin/getcheckin_monthdata")
    assert len(calls) == 3 and all(len(c.body["useridlist"]) <= 100 for c in calls)
    assert "stranger" not in calls[0].body["useridlist"]
    assert len(fake_wechat.fake.calls_to("/cgi-bin/gettoken")) == 1
    pulled = session.scalar(select(AuditEntry).where(AuditEntry.action == "leave.wecom_pull"))
    assert pulled.after["returned"] == 2 and pulled.actor == f"person:{world.people['hr'].staff_no}"

    again = callers["hr"].post(f"{V1}/units/{world.unit.id}/leave/wecom", json={"year": year, "quarter": quarter})
    assert again.status_code == 200 and again.json["unchanged"] == 2 and again.json["saved"] == 0


def test_a_wecom_refusal_is_a_chinese_503_and_nothing_is_saved(session, world, callers, fake_wechat):
    year, quarter = year_quarter()
    fake_wechat.fake.checkin_leave = {world.people["clerks"][0].staff_no: {
        months()[0]: [{"name": "病假", "duration": 3 * DAY, "time_type": 0}]}}
    fake_wechat.fake.fail("/cgi-bin/checkin/getcheckin_monthdata", errcode=-1, times=None)
    r = callers["hr"].post(f"{V1}/units/{world.unit.id}/leave/wecom", json={"year": year, "quarter": quarter})
    assert r.status_code == 503 and r.json["code"] == "wecom_refused" and "企业微信拒绝了考勤查询" in r.json["message"]
    assert session.scalar(select(LeaveRecord.id)) is None


def test_a_wrong_secret_and_another_units_hr_are_refused(session, world, callers, fake_wechat):
    year, quarter = year_quarter()
    fake_wechat.fake.corp_secret = "changed"
    r = callers["hr"].post(f"{V1}/units/{world.unit.id}/leave/wecom", json={"year": year, "quarter": quarter})
    assert r.status_code == 503 and "错误码 40001" in r.json["message"]
    r = callers["o_hr"].post(f"{V1}/units/{world.unit.id}/leave/wecom", json={"year": year, "quarter": quarter})
    assert r.status_code == 404
    assert fake_wechat.fake.calls_to("/cgi-bin/checkin/getcheckin_monthdata") == []


def test_an_unreachable_wecom_is_a_chinese_503(session, world, callers, fake_wechat):
    year, quarter = year_quarter()
    fake_wechat.fake.fail("/cgi-bin/checkin/getcheckin_monthdata", drop=True)
    r = callers["hr"].post(f"{V1}/units/{world.unit.id}/leave/wecom", json={"year": year, "quarter": quarter})
    assert r.status_code == 503 and r.json["code"] == "wecom_unreachable" and "暂时连不上企业微信" in r.json["message"]
