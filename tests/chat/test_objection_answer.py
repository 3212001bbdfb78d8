"""接受答复 and 申诉 in the chat: after the unit answers an objection the person accepts it or escalates it to the
county office; the wrong moment gets a Chinese answer, never an error."""
from sqlalchemy import select

from handlers.quarter import objections
from models import AuditEntry, Objection
from tests.feedback_world import decided


def test_escalating_before_the_answer_then_after_it(sim, db, policy, bind):
    with db.session() as s:
        hr = decided(s, policy).hr
    bind(sim, "F003", "o-wang")
    sim.text("o-wang", "异议 第三项指标得分与实际工作量不符")
    assert "尚未答复" in sim.text("o-wang", "申诉 不服").text
    assert "尚未答复" in sim.text("o-wang", "接受答复").text
    assert "请在“申诉”后写明理由" in sim.text("o-wang", "申诉").text
    with db.session() as s:
        objections.answer(s, hr, policy, s.scalar(select(Objection.id)), "uphold", "评分依据充分")
    shown = sim.text("o-wang", "确认结果").text
    assert "单位答复" in shown and "评分依据充分" in shown and "申诉 <理由>" in shown
    reply = sim.text("o-wang", "申诉：单位未说明扣分依据").text
    assert "已向县公务员办提出申诉" in reply and "已向县公务员办申诉" in reply
    with db.session() as s:
        o = s.scalar(select(Objection))
        assert (o.state, o.escalation_reason) == ("escalated", "单位未说明扣分依据")
        assert s.scalar(select(AuditEntry.actor).where(AuditEntry.action == "objection.escalate")) == "person:F003"
    assert "不能" in sim.text("o-wang", "接受答复").text


def test_accepting_the_answer_closes_the_objection(sim, db, policy, bind):
    with db.session() as s:
        hr = decided(s, policy).hr
    bind(sim, "F003", "o-wang")
    sim.text("o-wang", "异议 等次偏低")
    with db.session() as s:
        objections.answer(s, hr, policy, s.scalar(select(Objection.id)), "uphold", "依据充分")
    reply = sim.text("o-wang", "接受答复").text
    assert "已接受单位的答复" in reply and "已办结" in reply
    with db.session() as s:
        assert s.scalar(select(Objection.state)) == "closed"
    bind(sim, "F002", "o-li")
    assert "没有提出过异议" in sim.text("o-li", "接受答复").text
