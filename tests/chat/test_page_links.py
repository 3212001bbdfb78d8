"""The chat's 我的考核 and 待评 replies end with the phone page that does the same with taps."""
from __future__ import annotations

from tests.chat.conftest import AES_KEY, build_app


def test_status_and_queue_replies_link_to_the_phone_pages(chat_settings, db, team, bind, redis_url):
    from bot.ext import services
    from bot.simulator.client import WeChatSimulator, flask_transport

    app = build_app(chat_settings, public_url="https://kaohe.example.gov.cn")
    try:
        sim = WeChatSimulator(flask_transport(app.test_client()), chat_settings.wechat_token,
                              chat_settings.wechat_appid, AES_KEY, "safe")
        bind(sim, "C001", "o-clerk")
        assert "手机页面查看：https://kaohe.example.gov.cn/m/me" in sim.text("o-clerk", "我的考核").text
        bind(sim, "B001", "o-boss")
        queue = sim.text("o-boss", "待评").text
        assert "点此逐项打分：https://kaohe.example.gov.cn/m/score" in queue and "小程序" not in queue
    finally:
        services(app).close()
