"""“通知” in the chat: the person's latest notices in full, since a push shows only 20 characters."""
from handlers.outbound import notices


def test_the_notices_command_lists_recent_notices_in_full(sim, db, team, bind):
    bind(sim, "C001", "o-n")
    assert "还没有收到过通知" in sim.text("o-n", "通知").text
    body = "您的个人小结已被退回。退回原因：工作内容过于简单，请补充本季度完成的主要工作和成效。"
    with db.session() as s:
        notices.notify_person(s, team["clerk"], body, title="个人小结被退回修改", dedupe_key="chat:1")
        notices.notify_person(s, team["boss"], "别人的消息", dedupe_key="chat:2")
    reply = sim.text("o-n", "通知").text
    assert "【个人消息】个人小结被退回修改" in reply and body in reply and "别人的消息" not in reply
    assert "通知" in sim.text("o-n", "帮助").text
