"""Signatures and AES against WeChat's and WeCom's published sample vectors; safe XML; replay window."""
import time

import pytest

from bot.wechat.envelope import BadBody, BadSignature, Envelope, parse_xml, sign
from bot.wechat.replies import text_reply

# WeChat Official Account sample (WXBizMsgCrypt Sample.py, 2014): a compatible-mode message (plaintext + Encrypt).
OA_TOKEN, OA_KEY, OA_APPID = "spamtest", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx2c2769f8efd9abc2"
OA_TIMESTAMP, OA_NONCE, OA_MSG_SIGNATURE = "1409735669", "1320562132", "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
OA_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrX"
    "pbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjl"
    "pKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD"
    "1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)
OA_BODY = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]>"
    "</FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]>"
    f"</Content><MsgId>6054768590064713728</MsgId><Encrypt><![CDATA[{OA_ENCRYPT}]]></Encrypt></xml>"
)

# WeCom sample (WXBizMsgCrypt Sample.cs / Sample.java): URL verification and one message.
WC_TOKEN, WC_KEY, WC_CORPID = "QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7"
WC_VERIFY = {"msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "timestamp": "1409659589",
             "nonce": "263014780",
             "echostr": "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="}
WC_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TU"
    "UkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0"
    "ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVM"
    "NS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2p"
    "DBS8R07+qN+E7Q=="
)


def oa_envelope(max_skew=0):
    return Envelope(OA_TOKEN, OA_APPID, OA_KEY, max_skew)


def oa_args(**changes):
    args = {"timestamp": OA_TIMESTAMP, "nonce": OA_NONCE, "signature": sign(OA_TOKEN, OA_TIMESTAMP, OA_NONCE),
            "encrypt_type": "aes", "msg_signature": OA_MSG_SIGNATURE}
    args.update(changes)
    return args


def test_plain_signature_vector():
    # wechatpy's own test vector for the URL signature
    assert sign("test", "1410685589", "test") == "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff"
    env = Envelope("test", "wx", None, 0)
    ok = {"signature": "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff", "timestamp": "1410685589", "nonce": "test",
          "echostr": "hello"}
    assert env.verify_url(ok) == "hello"
    with pytest.raises(BadSignature):
        env.verify_url({**ok, "signature": "f21891de399b4e33a1a93c9a7b8a8fffb5a443fe"})


def test_official_account_sample_message_decrypts():
    opened = oa_envelope().open(oa_args(), OA_BODY.encode())
    assert opened.encrypted
    assert opened.message == {"ToUserName": "gh_10f6c3c3ac5a", "FromUserName": "oyORnuP8q7ou2gfYjqLzSIWZf0rs",
                              "CreateTime": "1409735668", "MsgType": "text", "Content": "abcdteT",
                              "MsgId": "6054768590064713728"}


def test_official_account_sample_refuses_a_wrong_msg_signature():
    with pytest.raises(BadSignature):
        oa_envelope().open(oa_args(msg_signature="0" * 40), OA_BODY.encode())


def test_wecom_sample_url_verification_and_message():
    env = Envelope(WC_TOKEN, WC_CORPID, WC_KEY, 0)
    assert env.verify_url(WC_VERIFY) == "1616140317555161061"
    assert sign(WC_TOKEN, "1409659813", "1372623149", WC_ENCRYPT) == "477715d11cdb4164915debcba66cb864d751f3e6"
    message = parse_xml(env._decrypt(WC_ENCRYPT))
    assert message["Content"] == "hello" and message["FromUserName"] == "mycreate" and message["AgentID"] == "218"


def test_a_message_for_another_appid_is_refused():
    env = Envelope(OA_TOKEN, "wx-some-other-app", OA_KEY, 0)
    with pytest.raises(BadBody, match="不是发给本公众号"):
        env.open(oa_args(), OA_BODY.encode())


def test_reply_round_trip_is_signed_and_encrypted():
    env = oa_envelope()
    opened = env.open(oa_args(), OA_BODY.encode())
    sealed = parse_xml(env.seal(text_reply("oyOR", "gh_10f6", "收到 ]]> 了"), opened))
    assert sign(OA_TOKEN, sealed["TimeStamp"], sealed["Nonce"], sealed["Encrypt"]) == sealed["MsgSignature"]
    assert sealed["Nonce"] == OA_NONCE
    assert parse_xml(env._decrypt(sealed["Encrypt"]))["Content"] == "收到 ]]> 了"


def test_replay_window():
    env = oa_envelope(max_skew=300)
    with pytest.raises(BadSignature, match="已过期"):
        env.open(oa_args(), OA_BODY.encode())  # the sample is from 2014
    assert oa_envelope(max_skew=0).open(oa_args(), OA_BODY.encode()).message["Content"] == "abcdteT"
    now = time.time()
    fresh = Envelope(OA_TOKEN, OA_APPID, OA_KEY, 300, clock=lambda: int(OA_TIMESTAMP) + 299)
    assert fresh.open(oa_args(), OA_BODY.encode()).message["MsgId"] == "6054768590064713728"
    late = Envelope(OA_TOKEN, OA_APPID, OA_KEY, 300, clock=lambda: int(OA_TIMESTAMP) + 301)
    with pytest.raises(BadSignature):
        late.open(oa_args(), OA_BODY.encode())
    assert now > int(OA_TIMESTAMP)


BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                  '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
                  '<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>'
                  '<xml><Content>&lol9;</Content></xml>')
XXE = ('<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       '<xml><ToUserName>a</ToUserName><Content>&xxe;</Content></xml>')
DTD_ONLY = '<?xml version="1.0"?><!DOCTYPE xml SYSTEM "http://127.0.0.1:9/x.dtd"><xml><Content>x</Content></xml>'


@pytest.mark.parametrize("body, code", [
    (BILLION_LAUGHS, "bad_xml"),
    (XXE, "bad_xml"),
    (DTD_ONLY, "bad_xml"),
    ("not xml at all", "bad_xml"),
    ("<xml><unclosed></xml>", "bad_xml"),
    ("<html><body>hi</body></html>", "bad_xml"),
    ("<xml>" + "<a>x</a>" * 10 + "</xml>" + " " * (1024 * 1024), "too_large"),
])
def test_hostile_xml_is_refused_quickly(body, code):
    started = time.perf_counter()
    with pytest.raises(BadBody) as exc:
        parse_xml(body)
    assert exc.value.code == code
    assert time.perf_counter() - started < 0.5
