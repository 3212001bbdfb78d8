"""Exactly one effect per message: retry storms, retries after Redis lost its memory, Redis down, slow handling."""
import threading
import time

from sqlalchemy import func, select

from bot.simulator.client import WeChatSimulator, flask_transport
from bot.wechat.callback import bot
from models import AuditEntry, Summary, WeChatInbound

from .conftest import AES_KEY, build_app


def paragraphs(db):
    with db.session() as s:
        summary = s.scalar(select(Summary))
        return list(summary.paragraphs) if summary else []


def ledger_rows(db):
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(WeChatInbound))


def storm(sim, xml, n=3):
    """Post the same signed message ``n`` times at once, as WeChat's retries can overlap."""
    query, body = sim.envelope(xml)
    results, barrier = [], threading.Barrier(n)

    def go():
        barrier.wait()
        results.append(sim.post(xml, dict(query), body))

    threads = [threading.Thread(target=go) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def writing(sim, bind, openid="o-w"):
    bind(sim, "C001", openid)
    assert "开始填写" in sim.text(openid, "写小结").text


def test_a_retry_storm_has_one_effect(sim, db, team, bind):
    writing(sim, bind)
    rows = ledger_rows(db)
    results = storm(sim, sim.text_xml("o-w", "本季度完成了预算编制。", msg_id=777001))
    assert [r.status for r in results] == [200, 200, 200]
    replies = {r.text for r in results}
    assert "已记录第 1 段（共 11 字）。可继续发送；“预览”查看，“提交”提交，“取消”退出。" in replies
    assert replies <= {None, "已记录第 1 段（共 11 字）。可继续发送；“预览”查看，“提交”提交，“取消”退出。"}
    assert paragraphs(db) == ["本季度完成了预算编制。"]
    assert ledger_rows(db) == rows + 1


def test_a_retry_after_the_reply_gets_the_same_reply(sim, db, team, bind):
    writing(sim, bind)
    xml = sim.text_xml("o-w", "第一段", msg_id=777002)
    first = sim.post(xml)
    again = sim.post(xml)  # re-signed with a new nonce, as a real retry
    assert again.text == first.text and paragraphs(db) == ["第一段"]


def test_redis_flushed_the_database_still_dedupes(sim, db, team, bind, chat_app, redis_url):
    from .conftest import flush_redis

    writing(sim, bind)
    xml = sim.text_xml("o-w", "第一段", msg_id=777003)
    first = sim.post(xml)
    store = bot(chat_app).store
    if redis_url:
        flush_redis(redis_url)
    else:
        store._data.clear()
    store.set("chat:dialog:o-w", "writing")  # even with the dialog restored, the retry must not append again
    again = sim.post(xml)
    assert again.text == first.text
    assert paragraphs(db) == ["第一段"]


def test_redis_down_two_workers_one_effect(chat_settings, db, team, bind):
    """Two workers (apps) with Redis unreachable: only the database's unique key stands between them."""
    apps = [build_app(chat_settings, redis_url="redis://127.0.0.1:1/0") for _ in range(2)]
    try:
        sims = [WeChatSimulator(flask_transport(a.test_client()), chat_settings.wechat_token,
                                chat_settings.wechat_appid, AES_KEY, "safe") for a in apps]
        assert "绑定成功" in bind(sims[0], "C001", "o-down")
        assert bot(apps[0]).store.degraded
        for s in sims:  # each worker's own fallback store knows the dialog
            s.text("o-down", "写小结")
        xml = sims[0].text_xml("o-down", "断网时写的一段", msg_id=888001)
        first = sims[0].post(xml)
        second = sims[1].post(xml)
        assert first.text == second.text and "第 1 段" in first.text
        assert paragraphs(db) == ["断网时写的一段"]
        # and concurrently, one message hitting both workers at once
        xml = sims[0].text_xml("o-down", "同时到达的一段", msg_id=888002)
        out = []
        ts = [threading.Thread(target=lambda s=s: out.append(s.post(xml))) for s in sims]
        for t in ts:
            t.start()
        for t in ts:
            t.join(timeout=30)
        assert paragraphs(db) == ["断网时写的一段", "同时到达的一段"]
        assert {o.status for o in out} == {200}
    finally:
        from bot.ext import services

        for a in apps:
            services(a).close()


def test_slow_handling_answers_success_then_a_customer_service_message(sim, db, team, bind, chat_app, fake_wechat):
    writing(sim, bind)
    inbox = bot(chat_app).inbox
    inbox.budget = 0.3
    inbox.slow_hook = lambda message: time.sleep(1.5) if message.get("Content") == "慢的一段" else None
    xml = sim.text_xml("o-w", "慢的一段", msg_id=999001)
    started = time.perf_counter()
    first = sim.post(xml)
    assert first.status == 200 and first.response == "success" and time.perf_counter() - started < 1.2
    retry = sim.post(xml)  # WeChat's retry while the first is still running: "success" or the same reply
    assert retry.text in (None, "已记录第 1 段（共 4 字）。可继续发送；“预览”查看，“提交”提交，“取消”退出。")
    deadline = time.monotonic() + 5
    while not fake_wechat.fake.calls_to("/cgi-bin/message/custom/send") and time.monotonic() < deadline:
        time.sleep(0.05)
    calls = fake_wechat.fake.calls_to("/cgi-bin/message/custom/send")
    assert len(calls) == 1
    assert calls[0].body == {"touser": "o-w", "msgtype": "text",
                             "text": {"content": "已记录第 1 段（共 4 字）。可继续发送；“预览”查看，“提交”提交，“取消”退出。"}}
    assert paragraphs(db) == ["慢的一段"]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with db.session() as s:
            if s.scalar(select(WeChatInbound.delivery).where(WeChatInbound.dedupe_key == "msg:999001")) == "custom":
                break
        time.sleep(0.05)
    with db.session() as s:
        assert s.scalar(select(WeChatInbound.delivery).where(WeChatInbound.dedupe_key == "msg:999001")) == "custom"
        adds = s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "summary.add_paragraph"))
    assert adds == 1


def test_a_crashed_attempt_leaves_nothing_and_the_retry_succeeds(sim, db, team, bind, chat_app):
    writing(sim, bind)
    inbox = bot(chat_app).inbox
    crashes = []

    def crash_once(message):
        if message.get("Content") == "会崩溃的一段" and not crashes:
            crashes.append(1)
            raise RuntimeError("worker died")

    inbox.slow_hook = crash_once
    xml = sim.text_xml("o-w", "会崩溃的一段", msg_id=999002)
    assert sim.post(xml).status == 500
    assert paragraphs(db) == []
    assert "第 1 段" in sim.post(xml).text
    assert paragraphs(db) == ["会崩溃的一段"]


def test_one_users_messages_are_handled_in_turn(sim, db, team, bind, chat_app):
    """"写小结" still being handled when the first paragraph arrives: the paragraph waits and lands in the draft
    (handled side by side, it would have found no writing dialog and got the help text instead)."""
    bind(sim, "C001", "o-w")
    inbox = bot(chat_app).inbox
    inbox.slow_hook = lambda message: time.sleep(0.8) if message.get("Content") == "写小结" else None
    start = sim.text_xml("o-w", "写小结", msg_id=555001)
    paragraph = sim.text_xml("o-w", "紧接着发来的一段", msg_id=555002)
    answers = {}
    first = threading.Thread(target=lambda: answers.setdefault("start", sim.post(start)))
    first.start()
    time.sleep(0.2)  # the second message arrives while the first is in its transaction
    answers["paragraph"] = sim.post(paragraph)
    first.join(timeout=30)
    assert "开始填写" in answers["start"].text
    assert answers["paragraph"].text.startswith("已记录第 1 段")
    assert paragraphs(db) == ["紧接着发来的一段"]
