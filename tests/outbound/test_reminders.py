"""Reminders: policy offsets and quiet hours (table-driven), only to those who have not done the step, once."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from handlers.outbound import notices, reminders

from handlers.quarter import timeline
from handlers.actor import system_actor
from handlers.quarter.cycles import open_cycle
from models import Cycle, Delivery, Notice, Summary
from models.rules.reminders import due, in_quiet_hours, moments
from tests import factories

from .conftest import bind

SH = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=SH).astimezone(timezone.utc)


SUMMARY_DUE_Q4 = local("2027-01-05 23:59")


@pytest.mark.parametrize("clock,quiet", [("21:29", False), ("21:30", True), ("23:59", True), ("00:00", True),
                                         ("07:59", True), ("08:00", False), ("12:00", False)])
def test_quiet_hours(policy, clock, quiet):
    assert in_quiet_hours(local(f"2027-01-02 {clock}"), policy) is quiet


def test_moments_follow_the_policy_offsets(policy):
    assert [(k, at.astimezone(SH).strftime("%m-%d %H:%M")) for k, at in moments(SUMMARY_DUE_Q4, policy)] == [
        ("d3", "01-02 09:00"), ("d1", "01-04 09:00"), ("d0", "01-05 09:00"), ("overdue", "01-06 09:00")]


@pytest.mark.parametrize("now,keys", [
    ("2027-01-02 08:59", []), ("2027-01-02 09:00", ["d3"]), ("2027-01-02 20:59", ["d3"]),
    ("2027-01-02 21:30", []),  # quiet hours
    ("2027-01-03 10:00", []),  # the grace ran out: a reminder that late is not sent
    ("2027-01-05 12:00", ["d0"]), ("2027-01-06 09:30", ["overdue"]), ("2027-01-06 21:05", []),
])
def test_due_keys(policy, now, keys):
    assert due(SUMMARY_DUE_Q4, local(now), policy) == keys


@pytest.fixture
def quarter(session, policy):
    unit = factories.unit(session, "县财政局")
    lead = factories.person(session, unit, "中层干部", leader=True)
    staff = [factories.person(session, unit) for _ in range(3)]
    hr = factories.person(session, unit, roles=("unit_admin",))
    for p in [lead, *staff, hr]:
        bind(session, p)
    cycle = open_cycle(session, system_actor(), unit.id, 2026, 4, policy, today=date(2026, 12, 25))
    session.add(Summary(cycle_id=cycle.id, person_id=staff[0].id, state="submitted", paragraphs=["已完成"]))
    session.commit()
    return {"unit": unit, "lead": lead, "staff": staff, "hr": hr, "cycle": cycle}


def recipients(session, notice_id):
    return sorted(session.scalars(select(Delivery.person_id).where(Delivery.notice_id == notice_id)))


def test_reminders_go_only_to_those_who_have_not_done_the_step_once(session, policy, quarter):
    late = sorted(p.id for p in [*quarter["staff"][1:], quarter["hr"]])  # all but staff[0] (the lead: county)
    run = reminders.send_due(session, policy, local("2027-01-02 09:05"))
    assert len(run.notices) == 1 and recipients(session, run.notices[0]) == late
    notice = session.get(Notice, run.notices[0])
    assert notice.title == "填写个人小结提醒" and "2027-01-05 23:59" in notice.body and "尚未提交" in notice.body
    for again in ("2027-01-02 09:05", "2027-01-02 15:00"):  # the same offset again: nothing new
        assert reminders.send_due(session, policy, local(again)).notices == []
    session.add(Summary(cycle_id=quarter["cycle"].id, person_id=quarter["staff"][1].id, state="submitted"))
    run = reminders.send_due(session, policy, local("2027-01-04 10:00"))
    assert recipients(session, run.notices[0]) == [p for p in late if p != quarter["staff"][1].id]
    assert reminders.send_due(session, policy, local("2027-01-04 23:00")).notices == []  # quiet hours


def test_overdue_notice_laggard_list_and_county_circular(session, policy, quarter, county_actor):
    run = reminders.send_due(session, policy, local("2027-01-06 09:10"))
    by_title = {session.get(Notice, i).title: session.get(Notice, i) for i in run.notices}
    assert set(by_title) == {"填写个人小结逾期提醒", "填写个人小结逾期名单",
                             "关于2026年第4季度平时考核“填写个人小结”进度滞后单位的通报（草稿）"}
    hr_list = by_title["填写个人小结逾期名单"]
    assert recipients(session, hr_list.id) == [quarter["hr"].id]
    assert quarter["staff"][2].name in hr_list.body and quarter["staff"][0].name not in hr_list.body
    draft = by_title["关于2026年第4季度平时考核“填写个人小结”进度滞后单位的通报（草稿）"]
    assert draft.state == "draft" and "县财政局（3人）" in draft.body and recipients(session, draft.id) == []
    assert reminders.send_due(session, policy, local("2027-01-06 11:00")).notices == []
    notices.send_draft(session, county_actor, draft.id)
    assert recipients(session, draft.id) == [quarter["hr"].id]


def test_supervisors_are_reminded_to_score(session, policy, quarter):
    run = reminders.send_due(session, policy, local("2027-01-07 09:00"))  # scoring due 01-10: d3
    scoring = [i for i in run.notices if session.get(Notice, i).title == "领导评鉴提醒"]
    assert len(scoring) == 1 and recipients(session, scoring[0]) == [quarter["lead"].id]


def test_unit_hr_is_told_who_has_no_scorer_with_each_scoring_reminder(session, policy, quarter):
    """Nobody is reminded to score a person without a scorer: HR hears of them, by name, and where to fix it."""
    from models import Evaluation

    orphan = quarter["staff"][2]
    evaluation = session.scalar(select(Evaluation).where(Evaluation.cycle_id == quarter["cycle"].id,
                                                         Evaluation.person_id == orphan.id))
    evaluation.supervisor_id = None
    session.commit()
    run = reminders.send_due(session, policy, local("2027-01-07 09:00"))  # scoring due 01-10: d3
    told = [session.get(Notice, i) for i in run.notices if session.get(Notice, i).title == "评鉴人未指定提醒"]
    assert len(told) == 1 and recipients(session, told[0].id) == [quarter["hr"].id]
    assert f"{orphan.name}（{orphan.staff_no}）" in told[0].body and "以下1人没有评鉴人" in told[0].body
    assert "将于2027-01-10 23:59截止" in told[0].body and "考核对象与评鉴人" in told[0].body
    assert reminders.send_due(session, policy, local("2027-01-07 15:00")).notices == []  # once per offset

    run = reminders.send_due(session, policy, local("2027-01-11 09:10"))  # overdue
    by_title = {session.get(Notice, i).title: session.get(Notice, i) for i in run.notices}
    assert "已于2027-01-10 23:59截止" in by_title["评鉴人未指定提醒"].body
    assert f"{orphan.name}（未指定评鉴人）" in by_title["领导评鉴逾期名单"].body


def test_no_scorer_reminder_when_everyone_has_one(session, policy, quarter):
    run = reminders.send_due(session, policy, local("2027-01-07 09:00"))
    assert "评鉴人未指定提醒" not in {session.get(Notice, i).title for i in run.notices}


def test_cycles_open_on_the_policy_day_and_publicity_end_is_announced(session, policy, quarter):
    other = factories.unit(session, "县教育局")
    assert timeline.open_due_cycles(session, policy, date(2026, 12, 20)) == []  # opens 12-21
    opened = timeline.open_due_cycles(session, policy, date(2026, 12, 22))
    assert [session.get(Cycle, c).unit_id for c in opened] == [other.id]
    assert timeline.open_due_cycles(session, policy, date(2026, 12, 23)) == []
    cycle = quarter["cycle"]
    cycle.state, cycle.publicity_ends = "publicity", local("2027-01-12 09:00")
    assert timeline.end_publicity(session, policy, local("2027-01-12 08:00")) == []
    assert timeline.end_publicity(session, policy, local("2027-01-12 10:00")) == [cycle.id]
    assert timeline.end_publicity(session, policy, local("2027-01-12 11:00")) == []
