"""确认结果 and 异议 in the chat: the same handlers as the phone page and the Mini Program; bad input and the wrong
moment get a Chinese answer, never an error."""
from sqlalchemy import select

from models import AuditEntry, Objection, ResultSignoff
from tests.feedback_world import decided


def world(db, policy, publish=True):
    with db.session() as s:
        w = decided(s, policy, publish=publish)
        return w.cycle.id


def test_confirming_the_result_in_the_chat(sim, db, policy, bind):
    world(db, policy)
    bind(sim, "F002", "o-li")
    assert "待您确认：发送“确认结果”" in sim.text("o-li", "我的考核").text
    shown = sim.text("o-li", "确认结果").text
    assert "考核结果：好" in shown and "确认结果 同意" in shown and "前确认" in shown
    reply = sim.text("o-li", "确认结果 同意，认可").text
    assert reply.startswith("已确认。") and "确认：同意，意见：认可" in reply
    with db.session() as s:
        row = s.scalar(select(ResultSignoff))
        assert (row.choice, row.comment, row.channel) == ("agree", "认可", "chat")
        assert s.scalar(select(AuditEntry.actor).where(AuditEntry.action == "result.sign")) == "person:F002"
    again = sim.text("o-li", "确认结果 同意").text
    assert "不能重复确认" in again
    assert "异议" in sim.text("o-li", "异议 想再提").text and "不能再提出异议" in sim.text("o-li", "异议 想再提").text


def test_an_objection_in_the_chat(sim, db, policy, bind):
    world(db, policy)
    bind(sim, "F003", "o-wang")
    assert "请在“异议”后写明理由" in sim.text("o-wang", "异议").text
    reply = sim.text("o-wang", "异议：第三项指标得分与实际工作量不符").text
    assert "已收到您的异议" in reply and "待单位答复" in reply and "第三项指标得分与实际工作量不符" in reply
    with db.session() as s:
        o = s.scalar(select(Objection))
        assert (o.reason, o.channel, o.state) == ("第三项指标得分与实际工作量不符", "chat", "open")
    assert "不能重复提出" in sim.text("o-wang", "确认结果 有异议 再说一次").text
    assert "确认：有异议" in sim.text("o-wang", "确认结果").text


def test_confirming_before_the_results_are_fed_back(sim, db, policy, bind):
    world(db, policy, publish=False)
    bind(sim, "F002", "o-li")
    assert "还没有反馈给您" in sim.text("o-li", "确认结果").text
    assert "公示开始后才能确认" in sim.text("o-li", "确认结果 同意").text
    assert "公示开始后才能提出异议" in sim.text("o-li", "异议 不服").text


def test_an_unknown_answer_says_what_to_send(sim, db, policy, bind):
    world(db, policy)
    bind(sim, "F002", "o-li")
    reply = sim.text("o-li", "确认结果 好的").text
    assert "没有看懂" in reply and "确认结果 同意" in reply
    with db.session() as s:
        assert s.scalar(select(ResultSignoff)) is None


def test_help_lists_both_commands(sim, db, policy, bind):
    world(db, policy)
    bind(sim, "F002", "o-li")
    text = sim.text("o-li", "帮助").text
    assert "确认结果" in text and "异议" in text
