"""``/wechat`` over HTTP: URL verification, the three modes, refusals without side effects, message types."""
import time

import pytest
from sqlalchemy import func, select

from bot.simulator.client import flask_transport
from bot.wechat.envelope import sign
from models import AuditEntry, WeChatBinding, WeChatInbound

from .test_envelope import BILLION_LAUGHS, XXE


def count(db, model):
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_url_verification(chat_app, chat_settings):
    client = chat_app.test_client()
    ts, nonce = str(int(time.time())), "12345"
    ok = {"signature": sign(chat_settings.wechat_token, ts, nonce), "timestamp": ts, "nonce": nonce, "echostr": "E1"}
    r = client.get("/wechat", query_string=ok)
    assert r.status_code == 200 and r.get_data(as_text=True) == "E1"
    bad = client.get("/wechat", query_string={**ok, "signature": "x" * 40})
    assert bad.status_code == 403 and bad.get_json()["code"] == "bad_signature"
    assert client.get("/wechat", query_string={"echostr": "E1"}).status_code == 403


@pytest.mark.parametrize("mode", ["plaintext", "compatible", "safe"])
def test_every_mode_answers_in_kind(make_sim, team, mode):
    sim = make_sim(mode)
    ex = sim.text("o-mode", "你好")
    assert ex.status == 200 and "绑定" in ex.text
    if mode == "plaintext":
        assert "<Encrypt>" not in ex.response and "<Content>" in ex.response
    else:
        assert "<Encrypt>" in ex.response and "<Content>" not in ex.response  # the simulator checked MsgSignature


def test_forged_signatures_are_refused_without_side_effects(make_sim, db, team, chat_settings):
    sim = make_sim("safe")
    before = count(db, AuditEntry)
    query, body = sim.envelope(sim.event_xml("o-forged", "subscribe"))
    for forged in ({**query, "signature": "0" * 40}, {**query, "msg_signature": "0" * 40},
                   {k: v for k, v in query.items() if k != "signature"}):
        ex = sim.post("", forged, body)
        assert ex.status == 403 and ex.text is None
    # a body re-encrypted by someone without the token: signature of the URL fine, msg_signature wrong
    other = make_sim("safe")
    other.token = "not-the-token"
    q2, b2 = other.envelope(other.text_xml("o-forged", "写小结"))
    q2["signature"] = sign(chat_settings.wechat_token, q2["timestamp"], q2["nonce"])
    assert sim.post("", q2, b2).status == 403
    assert count(db, WeChatInbound) == 0 and count(db, AuditEntry) == before


def test_replayed_requests_are_refused(make_sim, db, team):
    sim = make_sim("plaintext")
    old = int(time.time()) - 301
    query, body = sim.envelope(sim.text_xml("o-replay", "你好"), timestamp=old)
    ex = sim.post("", query, body)
    assert ex.status == 403 and "过期" in ex.response
    query, body = sim.envelope(sim.text_xml("o-replay", "你好"), timestamp=int(time.time()) + 301)
    assert sim.post("", query, body).status == 403
    assert count(db, WeChatInbound) == 0


def test_with_no_skew_check_old_timestamps_pass(chat_settings, db, team):
    from bot import create_app
    from bot.ext import services
    from bot.simulator.client import WeChatSimulator

    app = create_app(chat_settings.with_overrides(wechat_max_skew=0))
    try:
        sim = WeChatSimulator(flask_transport(app.test_client()), chat_settings.wechat_token,
                              chat_settings.wechat_appid)
        query, body = sim.envelope(sim.text_xml("o-old", "你好"), timestamp=1409735669)
        assert sim.post("", query, body).status == 200
    finally:
        services(app).close()


@pytest.mark.parametrize("body", [BILLION_LAUGHS, XXE, "garbage", "<xml><MsgType>text</MsgType></xml>",
                                  "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName></xml>"])
def test_bad_bodies_get_a_4xx_fast_and_nothing_is_stored(make_sim, db, body):
    sim = make_sim("plaintext")
    query, _ = sim.envelope("<xml><FromUserName>o</FromUserName></xml>")
    started = time.perf_counter()
    ex = sim.post("", query, body.encode())
    assert 400 <= ex.status < 500 and time.perf_counter() - started < 0.5
    assert count(db, WeChatInbound) == 0


def test_bad_ciphertext_and_missing_encrypt(make_sim, db):
    sim = make_sim("safe")
    query, _ = sim.envelope(sim.text_xml("o-x", "hi"))
    for body, enc in (("<xml><Encrypt><![CDATA[bm90IGEgY2lwaGVy]]></Encrypt></xml>", "bm90IGEgY2lwaGVy"),
                      ("<xml><ToUserName>a</ToUserName></xml>", None)):
        q = dict(query)
        if enc:
            q["msg_signature"] = sign(sim.token, q["timestamp"], q["nonce"], enc)
        assert sim.post("", q, body.encode()).status == 400
    assert count(db, WeChatInbound) == 0


def test_oversize_bodies_are_refused(make_sim, db):
    sim = make_sim("plaintext")
    query, _ = sim.envelope(sim.text_xml("o-big", "x"))
    huge = ("<xml><Content>" + "x" * (1024 * 1024 + 10) + "</Content></xml>").encode()
    ex = sim.post("", query, huge)
    assert ex.status == 413 and count(db, WeChatInbound) == 0


def test_samples_of_every_type(make_sim, db, team, bind):
    sim = make_sim("safe")
    greeting = sim.event("o-types", "subscribe").text
    assert "欢迎关注" in greeting and "绑定" in greeting
    assert "绑定成功" in bind(sim, "C001", "o-types")
    welcome = sim.event("o-types", "subscribe", create_time=int(time.time()) + 1).text
    assert "欢迎回来" in welcome and "王干事" in welcome  # a bound user is welcomed back
    assert "写小结" in sim.text("o-types", "帮助").text
    assert "没有识别出语音" in sim.voice("o-types", "").text
    assert "查看本说明" in sim.voice("o-types", "帮助").text  # voice commands work like text
    assert "开始填写" in sim.event("o-types", "CLICK", key="写小结").text  # a menu button
    image = sim.post(sim.image_xml("o-types")).text  # an image is answered: not saved, what to do instead
    assert "暂不能接收图片，内容没有保存" in image and "文字或语音" in image
    location = sim.post(
        f"<xml><ToUserName>gh</ToUserName><FromUserName>o-types</FromUserName><CreateTime>{int(time.time())}"
        "</CreateTime><MsgType>location</MsgType><Location_X>26.9</Location_X><Location_Y>112.6</Location_Y>"
        "<Scale>15</Scale><Label>衡阳</Label><MsgId>99887766</MsgId></xml>")
    assert location.status == 200 and "暂不能接收位置" in location.text
    assert sim.event("o-types", "VIEW", key="https://example.invalid/").response == "success"
    assert sim.event("o-types", "unsubscribe").response == "success"
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(WeChatBinding).where(WeChatBinding.openid == "o-types")) == 0
