"""Redis killed and restarted (empty) in the middle of 写小结: every paragraph is saved, none gets the help text.

Two apps stand for two gunicorn workers sharing a private Redis (never the machine's shared one)."""
from __future__ import annotations

import time

from bot.ext import services
from bot.simulator.client import WeChatSimulator, flask_transport
from bot.wechat.callback import bot

from .conftest import AES_KEY, build_app
from .test_dedupe import paragraphs


def _workers(chat_settings, url, n=2):
    apps = [build_app(chat_settings, redis_url=url) for _ in range(n)]
    for a in apps:
        services(a).store.cooldown = 0.3  # retry Redis soon after it returns (the default is 5 s)
    sims = [WeChatSimulator(flask_transport(a.test_client()), chat_settings.wechat_token, chat_settings.wechat_appid,
                            AES_KEY, "safe") for a in apps]
    return apps, sims


def test_writing_survives_redis_killed_and_restarted_empty(chat_settings, db, team, bind, private_redis):
    apps, sims = _workers(chat_settings, private_redis.url())
    sent, replies = [], []

    def write(i: int) -> None:
        text = f"第{i}段：本季度完成的工作之{i}"
        sent.append(text)
        replies.append(sims[i % 2].text("o-out", text).text)

    try:
        assert "绑定成功" in bind(sims[0], "C001", "o-out")
        assert "开始填写" in sims[1].text("o-out", "写小结").text
        for i in range(4):
            write(i)
        private_redis.kill()
        for i in range(4, 10):
            write(i)
        private_redis.start()  # back, and empty: no dialog state, no identity, no claims
        time.sleep(0.4)
        for i in range(10, 14):
            write(i)
        assert [r for r in replies if not r.startswith("已记录第")] == []
        assert paragraphs(db) == sent
        assert not bot(apps[0]).store.degraded
        assert sims[0].text("o-out", "预览").text.count("本季度完成的工作之") == len(sent)
    finally:
        for a in apps:
            services(a).close()


def test_cancel_during_the_outage_is_seen_after_it(chat_settings, db, team, bind, private_redis):
    """The dialog row decides: 取消 sent to one worker while Redis is down is known to the other at once."""
    apps, sims = _workers(chat_settings, private_redis.url())
    try:
        bind(sims[0], "C001", "o-cx")
        sims[0].text("o-cx", "写小结")
        assert sims[1].text("o-cx", "第一段").text.startswith("已记录第 1 段")
        private_redis.kill()
        assert "已退出" in sims[0].text("o-cx", "取消").text
        assert not sims[1].text("o-cx", "这不是小结").text.startswith("已记录")
        assert sims[1].text("o-cx", "写小结").text.startswith("继续填写")
        assert sims[0].text("o-cx", "第二段").text.startswith("已记录第 2 段")
        assert paragraphs(db) == ["第一段", "第二段"]
    finally:
        for a in apps:
            services(a).close()
