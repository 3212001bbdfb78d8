"""The annual grade's 复核 in the chat: a person told 不称职 asks with “年度异议 <理由>” (or plain “异议 <理由>” when
no quarter's result is open to objection), unit HR decides (upheld, or changed to another allowed grade), and the
person accepts or 申诉 with the same words as for a quarter."""
from datetime import date

from sqlalchemy import select

from handlers.quarter import objections
from handlers.results import annual_results
from models import AnnualResult, AuditEntry, Objection
from tests.annual_world import YEAR, year_decided


def told(db, policy, **grades):
    with db.session() as s:
        w = year_decided(s, policy)
        annual_results.record_suggested(s, w.hr, policy, w.unit.id, YEAR)
        for name, grade in grades.items():
            annual_results.record(s, w.hr, policy, w.unit.id, YEAR, w.people[name].staff_no, grade)
        annual_results.feed_back(s, w.hr, policy, w.unit.id, YEAR)
        return w.hr


def test_an_upheld_annual_review_through_the_chat(sim, db, policy, bind):
    hr = told(db, policy)
    bind(sim, "F003", "o-wang")
    shown = sim.text("o-wang", "年度考核").text
    assert "【2025年度】考核结果：不称职" in shown and "年度异议 <理由>" in shown
    assert "请在“年度异议”后写明理由" in sim.text("o-wang", "年度异议").text
    reply = sim.text("o-wang", "异议 全年病假较多，工作量被低估").text  # no quarter open: the annual grade
    assert "复核申请" in reply and "不停止" in reply and "2025年度" in reply
    with db.session() as s:
        o = s.scalar(select(Objection))
        assert (o.kind, o.grade, o.reason, o.channel) == ("annual", "不称职", "全年病假较多，工作量被低估", "chat")
    assert "申请过复核" in sim.text("o-wang", "年度异议 再申请一次").text
    assert "尚未答复" in sim.text("o-wang", "申诉 不服").text
    with db.session() as s:
        objections.answer(s, hr, policy, o.id, "uphold", "四个季度均为较差，依规确定为不称职")
    shown = sim.text("o-wang", "年度考核").text
    assert "单位答复" in shown and "依规确定为不称职" in shown and "申诉 <理由>" in shown
    reply = sim.text("o-wang", "申诉 单位未考虑病假因素").text
    assert "已向县公务员办提出申诉" in reply
    with db.session() as s:
        assert s.get(Objection, o.id).state == "escalated"
        assert s.scalar(select(AuditEntry.actor).where(AuditEntry.action == "objection.escalate")) == "person:F003"


def test_a_changed_annual_grade_through_the_chat(sim, db, policy, bind):
    hr = told(db, policy, 赵强="不称职")
    bind(sim, "F004", "o-zhao")
    bind(sim, "F006", "o-sun")
    assert "不属于可以申请复核的等次" in sim.text("o-sun", "年度异议 想评优秀").text  # 称职 is not on the list
    reply = sim.text("o-zhao", "年度异议 一般和较差共三次，应为基本称职").text
    assert "复核申请" in reply
    with db.session() as s:
        oid = s.scalar(select(Objection.id))
        objections.answer(s, hr, policy, oid, "change", "经复核，应确定为基本称职", new_grade="基本称职",
                          meeting_on=date.today(), attendees="张局长、党委全体成员")
    shown = sim.text("o-zhao", "年度考核").text
    assert "考核结果：基本称职" in shown and "由“不称职”改为“基本称职”" in shown
    assert "已接受单位的答复" in sim.text("o-zhao", "接受答复").text
    with db.session() as s:
        r = s.scalar(select(AnnualResult).where(AnnualResult.grade == "基本称职"))
        assert r.decided_grade == "不称职" and s.get(Objection, oid).state == "closed"
