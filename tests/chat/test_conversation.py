"""The conversation end to end through the encrypted callback: bind → 写小结 → text + voice → 预览 → 提交 → 我的考核."""
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from bot.wechat.callback import bot
from handlers.quarter import chat
from handlers.quarter import summaries as S
from handlers.actor import actor_for_person
from models import AuditEntry, Cycle, Evaluation, Summary, WeChatBinding, utcnow


def summary(db):
    with db.session() as s:
        return s.scalar(select(Summary))


def test_full_chat(sim, db, team, bind):
    assert "欢迎关注" in sim.event("o-1", "subscribe").text
    assert "请先绑定身份" in sim.text("o-1", "写小结").text  # unbound: how to bind
    assert "绑定码应为 8 位" in sim.text("o-1", "绑定 123").text
    assert "绑定码无效" in sim.text("o-1", "绑定 ABCDEFGH").text
    assert bind(sim, "C001", "o-1").startswith("绑定成功！王干事（C001）")

    help_text = sim.text("o-1", "帮助").text
    assert "填写小结阶段" in help_text and "写小结" in help_text and "待评" not in help_text
    assert "开始填写" in sim.text("o-1", "写小结").text
    assert sim.text("o-1", "一、认真完成预算编制工作。").text.startswith("已记录第 1 段（共 13 字）")
    assert sim.voice("o-1", "二、参加业务培训两次。", media_id="MEDIA-A").text.startswith("已记录第 2 段")
    empty = sim.voice("o-1", "", media_id="MEDIA-EMPTY").text
    assert "没有识别出这段语音的文字" in empty and "语音已保存在草稿中" in empty
    assert sim.text("o-1", "三、多写的一段。").text.startswith("已记录第 3 段")
    assert "已删除上一段：“三、多写的一段。”" in sim.text("o-1", "删除上一段").text

    preview = sim.text("o-1", "预览").text
    assert "1. 一、认真完成预算编制工作。\n2. 二、参加业务培训两次。" in preview and "另有 2 段语音" in preview
    assert "草稿" in preview
    s = summary(db)
    assert s.paragraphs == ["一、认真完成预算编制工作。", "二、参加业务培训两次。"]
    assert s.voice_media_ids == ["MEDIA-A", "MEDIA-EMPTY"]

    prompt = sim.text("o-1", "提交").text
    assert "确认提交" in prompt and "2 段" in prompt
    assert "已取消提交" in sim.text("o-1", "取消").text
    assert summary(db).state == "draft"
    assert "确认提交" in sim.text("o-1", "提交").text
    assert sim.text("o-1", "三、其实还想补一段。").text.startswith("（未提交）已记录第 3 段")  # content is never dropped
    assert summary(db).state == "draft"
    assert "已删除上一段：“三、其实还想补一段。”" in sim.text("o-1", "删除上一段").text
    assert "确认提交" in sim.text("o-1", "提交").text
    assert "个人小结已提交" in sim.text("o-1", "确认").text
    assert summary(db).state == "submitted"
    assert "已提交。如需修改，请先发送“撤回”" in sim.text("o-1", "写小结").text

    status = sim.text("o-1", "我的考核").text
    assert "个人小结：已提交" in status and "填写小结" in status
    assert "年平时考核等次" in status and "年度考核" in status
    after = sim.text("o-1", "帮助").text
    assert "撤回：" in after and "写小结：" not in after and "您的个人小结：已提交" in after
    assert "已撤回" in sim.text("o-1", "撤回").text
    assert summary(db).state == "draft"
    assert sim.text("o-1", "撤回后补一段").text.startswith("已记录第 3 段")  # back in the writing dialog
    assert "这项功能您暂时不能使用" in sim.text("o-1", "待评").text


def test_supervisors_queue_and_progress(sim, db, team, bind):
    bind(sim, "C001", "o-clerk")
    sim.text("o-clerk", "写小结")
    sim.text("o-clerk", "内容")
    sim.text("o-clerk", "提交")
    sim.text("o-clerk", "确认")
    bind(sim, "B001", "o-boss")
    assert "待评" in sim.text("o-boss", "帮助").text
    queue = sim.text("o-boss", "待评").text
    assert "等待您评鉴的人员（2 人" in queue and "王干事（C001）小结已提交" in queue and "李人事（H001）小结未开始" in queue
    progress = sim.text("o-boss", "进度").text
    assert "县财政局" in progress and "应考核 2 人" in progress and "小结已交 1" in progress
    bind(sim, "H001", "o-hr")
    assert "应考核 2 人" in sim.text("o-hr", "进度").text  # unit HR sees progress too
    assert "这项功能您暂时不能使用" in sim.text("o-hr", "待评").text


def test_a_returned_summary_is_told_once_with_the_reason(sim, db, team, bind, policy):
    bind(sim, "C001", "o-r")
    for text in ("写小结", "第一稿", "提交", "确认"):
        sim.text("o-r", text)
    with db.session() as s:
        boss = actor_for_person(s, team["boss"])
        S.return_for_revision(s, boss, policy, s.scalar(select(Summary.id)), "请补充重点工作完成情况")
    with db.session() as s:
        key, text = chat.returned_notice(s, team["clerk"], policy)
    assert "退回修改" in text and "请补充重点工作完成情况" in text and key.startswith("summary-returned:")
    first = sim.text("o-r", "你好").text
    assert first.startswith(text)
    again = sim.text("o-r", "帮助").text
    assert "已被分管领导退回修改" not in again and "您的个人小结：已退回修改" in again  # told once
    resumed = sim.text("o-r", "写小结").text
    assert "退回修改的原因：请补充重点工作完成情况" in resumed
    assert sim.text("o-r", "补充：完成了年度预算。").text.startswith("已记录第 2 段")
    sim.text("o-r", "提交")
    assert "已提交" in sim.text("o-r", "确认").text
    with db.session() as s:
        assert chat.returned_notice(s, team["clerk"], policy) is None


def test_past_the_deadline_the_user_is_told_who_to_contact(sim, db, team, bind):
    bind(sim, "C001", "o-late")
    with db.session() as s:
        s.get(Cycle, team["cycle"]).summary_due = utcnow() - timedelta(minutes=1)
    reply = sim.text("o-late", "写小结").text
    assert "截止" in reply and "李人事" in reply
    help_text = sim.text("o-late", "帮助").text  # help says so too, and no longer offers writing
    assert "如需补交请联系单位平时考核管理员李人事" in help_text and "· 写小结：" not in help_text
    assert "我的考核" in help_text


def test_when_no_cycle_is_open(sim, db, team, bind):
    bind(sim, "C001", "o-closed")
    with db.session() as s:
        s.get(Cycle, team["cycle"]).state = "deciding"
    reply = sim.text("o-closed", "写小结").text
    assert "党委(党组)审定" in reply and "李人事" in reply


def test_long_replies_are_split_with_a_continuation(sim, db, team, bind):
    bind(sim, "C001", "o-long")
    sim.text("o-long", "写小结")
    for i in range(3):
        sim.text("o-long", f"第{i + 1}部分：" + "认真履行岗位职责，" * 100)
    first = sim.text("o-long", "预览").text
    assert first.endswith("（未完，回复“继续”查看后续）") and len(first.encode()) <= 2048
    assert first.startswith("【") and "1. 第1部分" in first  # the first part is filled, not just the heading
    second = sim.text("o-long", "继续").text
    assert not second.startswith("【") and "认真履行岗位职责" in second
    parts = [first, second]
    while parts[-1].endswith("（未完，回复“继续”查看后续）"):
        parts.append(sim.text("o-long", "继续").text)
        assert len(parts) < 10
    joined = "".join(p.removesuffix("\n（未完，回复“继续”查看后续）") for p in parts)
    assert joined.count("认真履行岗位职责") == 300 and "3. 第3部分" in joined
    assert "没有未显示完的内容" in sim.text("o-long", "继续").text  # nothing left: said, never saved as content
    assert len(summary(db).paragraphs) == 3


def test_a_short_paragraph_after_a_long_reply_is_content(sim, db, team, bind):
    bind(sim, "C001", "o-short")
    sim.text("o-short", "写小结")
    for i in range(3):
        sim.text("o-short", f"第{i + 1}部分：" + "认真履行岗位职责，" * 100)
    assert sim.text("o-short", "预览").text.endswith("（未完，回复“继续”查看后续）")
    assert sim.text("o-short", "好的").text.startswith("已记录")  # not taken as “继续”
    assert summary(db).paragraphs[-1] == "好的"


def test_cancel_after_submitting_does_not_speak_of_a_draft(sim, db, team, bind):
    bind(sim, "C001", "o-cancel")
    assert "草稿" not in sim.text("o-cancel", "取消").text  # nothing written yet
    sim.text("o-cancel", "写小结")
    sim.text("o-cancel", "本季度完成了预算编制。")
    assert "草稿已保存" in sim.text("o-cancel", "取消").text
    sim.text("o-cancel", "提交")
    sim.text("o-cancel", "确认")
    reply = sim.text("o-cancel", "取消").text
    assert "草稿" not in reply and "已提交" in reply


def test_unsubscribe_removes_only_the_binding(sim, db, team, bind):
    bind(sim, "C001", "o-u")
    sim.text("o-u", "写小结")
    sim.text("o-u", "保留的内容")
    assert sim.event("o-u", "unsubscribe").response == "success"
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(WeChatBinding)) == 0
        assert s.scalar(select(Summary.paragraphs)) == ["保留的内容"]
        assert s.scalar(select(func.count()).select_from(Evaluation)) == 2  # the unit head: evaluated by the county
    assert "请先绑定身份" in sim.text("o-u", "预览").text  # the cached identity was dropped at once


def test_nothing_is_lost_when_the_dialog_state_is_lost(sim, db, team, bind, chat_app, redis_url):
    from .conftest import flush_redis

    bind(sim, "C001", "o-f")
    sim.text("o-f", "写小结")
    sim.text("o-f", "已经写好的一段")
    if redis_url:
        flush_redis(redis_url)
    else:
        bot(chat_app).store._data.clear()
    assert "已有 1 段，共 7 字" in sim.text("o-f", "写小结").text
    assert summary(db).paragraphs == ["已经写好的一段"]


def test_brute_forcing_binding_codes_is_throttled(sim, db, team, policy):
    for _ in range(policy.binding.max_failures_per_user):
        assert "绑定码无效" in sim.text("o-bf", "绑定 ABCDEFGH").text
    assert "绑定尝试过于频繁" in sim.text("o-bf", "绑定 ABCDEFGH").text
    with db.session() as s:
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("binding.%"))))
    assert actions.count("binding.failed") == policy.binding.max_failures_per_user
    assert actions.count("binding.throttled") == 1


@pytest.mark.parametrize("text", ["提交一下", "我要提交", "预览吧"])
def test_a_paragraph_containing_a_command_word_is_content(sim, db, team, bind, text):
    bind(sim, "C001", "o-c")
    sim.text("o-c", "写小结")
    assert sim.text("o-c", text).text.startswith("已记录第 1 段")
    assert summary(db).paragraphs == [text]


def test_a_paragraph_costs_three_sql_statements(sim, db, team, bind, chat_app):
    """Kept small on purpose (the benchmark's ratio depends on it): evaluation+cycle+summary in one SELECT, the
    versioned update with its audit row (one statement on PostgreSQL, two on SQLite), the ledger row. The identity
    is cached in the store."""
    bind(sim, "C001", "o-sql")
    sim.text("o-sql", "写小结")
    sim.text("o-sql", "第一段")
    statements = []
    engine = bot(chat_app).inbox.db.engine

    def seen(conn, cursor, statement, *args):
        statements.append(statement.split()[0].upper())

    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert sim.text("o-sql", "第二段").text.startswith("已记录第 2 段")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    postgres = engine.dialect.name == "postgresql"
    assert statements == (["SELECT", "WITH", "INSERT"] if postgres else ["SELECT", "UPDATE", "INSERT", "INSERT"])


class CountingStore:
    """Counts round trips to the store: each call is one (a batch too, whatever it holds)."""

    def __init__(self, store):
        self.store, self.calls = store, []

    def __getattr__(self, name):
        attr = getattr(self.store, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            self.calls.append(name)
            return attr(*args, **kwargs)

        return call


def test_a_paragraph_costs_two_store_round_trips(sim, db, team, bind, chat_app):
    """Claim + sender's lock + the identity and dialog reads in one batch; the dialog, rest and reply writes with
    the lock's release in another."""
    bind(sim, "C001", "o-rt")
    sim.text("o-rt", "写小结")
    sim.text("o-rt", "第一段")
    inbox = bot(chat_app).inbox
    counting = CountingStore(inbox.store)
    inbox.store = counting
    try:
        assert sim.text("o-rt", "第二段").text.startswith("已记录第 2 段")
    finally:
        inbox.store = counting.store
    assert counting.calls == ["batch", "batch"]
    assert summary(db).paragraphs == ["第一段", "第二段"]


def test_unit_hr_lists_the_quarters_merits_in_the_chat_and_others_cannot(sim, db, team, bind, policy):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from handlers.quarter import merits

    bind(sim, "H001", "o-hr")
    bind(sim, "C001", "o-clerk")
    assert "本季度还没有记录" in sim.text("o-hr", "加扣分").text
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    with db.session() as s:
        hr = actor_for_person(s, team["hr"])
        merits.record(s, hr, policy, "C001", "K01", today, "迟到", None, today)
    reply = sim.text("o-hr", "加扣分").text
    assert "本单位" in reply and f"· 王干事（C001）无故迟到早退 -0.5 分，{today.isoformat()}，待县公务员办审核" in reply
    assert "管理台“加扣分”页" in reply and "加扣分" in sim.text("o-hr", "帮助").text
    assert "这项功能您暂时不能使用" in sim.text("o-clerk", "加扣分").text
    assert "加扣分" not in sim.text("o-clerk", "帮助").text
