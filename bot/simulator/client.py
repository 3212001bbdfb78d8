"""A stand-in for WeChat's servers: builds, signs and (in compatible/safe mode) encrypts messages exactly as
WeChat does, posts them to ``/wechat``, checks the reply's signature and decrypts it.

Used by the tests, the benchmark and the ``/simulator`` chat page. The transport is a function
``(query: dict, body: bytes) -> (status, text)``: :func:`flask_transport` (in-process) or :func:`http_transport`
(real HTTP).
"""
from __future__ import annotations

import itertools
import random
import secrets
import time
from dataclasses import dataclass
from typing import Callable

from wechatpy.crypto import PrpCrypto, WeChatCrypto

from bot.wechat.envelope import parse_xml, sign
from bot.wechat.replies import cdata

MODES = ("plaintext", "compatible", "safe")
Transport = Callable[[dict, bytes], tuple[int, str]]


def flask_transport(client, path: str = "/wechat") -> Transport:
    def send(query: dict, body: bytes) -> tuple[int, str]:
        r = client.post(path, query_string=query, data=body, content_type="text/xml")
        return r.status_code, r.get_data(as_text=True)

    return send


def http_transport(url: str, session=None, timeout: float = 10.0) -> Transport:
    import requests

    http = session or requests.Session()

    def send(query: dict, body: bytes) -> tuple[int, str]:
        r = http.post(url, params=query, data=body, headers={"Content-Type": "text/xml"}, timeout=timeout)
        return r.status_code, r.text

    return send


@dataclass
class Exchange:
    status: int
    text: str | None  # the reply's Content, None for "success"
    request_xml: str  # what WeChat would post (the plaintext message)
    wire_body: str  # what went over the wire (encrypted in compatible/safe mode)
    response: str  # the raw HTTP answer


class WeChatSimulator:
    def __init__(self, transport: Transport, token: str, appid: str, aes_key: str | None = None,
                 mode: str = "plaintext", account: str = "gh_kaohe_demo", clock: Callable[[], float] = time.time):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if mode != "plaintext" and not aes_key:
            raise ValueError("compatible and safe modes need the EncodingAESKey")
        self.transport, self.token, self.appid, self.mode = transport, token, appid, mode
        self.account, self.clock = account, clock
        self.crypto = WeChatCrypto(token, aes_key, appid) if aes_key else None
        self.key = self.crypto.key if self.crypto else None
        self._ids = itertools.count(random.randrange(10**18, 9 * 10**18))

    # -- messages a user sends ----------------------------------------------------------------------------------
    def _fields(self, openid: str, msg_type: str, create_time: int | None) -> str:
        return (f"<ToUserName>{cdata(self.account)}</ToUserName><FromUserName>{cdata(openid)}</FromUserName>"
                f"<CreateTime>{create_time or int(self.clock())}</CreateTime><MsgType>{cdata(msg_type)}</MsgType>")

    def text_xml(self, openid: str, content: str, msg_id: int | None = None, create_time: int | None = None) -> str:
        return (f"<xml>{self._fields(openid, 'text', create_time)}<Content>{cdata(content)}</Content>"
                f"<MsgId>{msg_id or next(self._ids)}</MsgId></xml>")

    def voice_xml(self, openid: str, recognition: str, media_id: str | None = None, msg_id: int | None = None) -> str:
        media_id = media_id or "MEDIA_" + secrets.token_hex(12)
        return (f"<xml>{self._fields(openid, 'voice', None)}<MediaId>{cdata(media_id)}</MediaId>"
                f"<Format>{cdata('amr')}</Format><Recognition>{cdata(recognition)}</Recognition>"
                f"<MsgId>{msg_id or next(self._ids)}</MsgId></xml>")

    def event_xml(self, openid: str, event: str, key: str = "", create_time: int | None = None) -> str:
        return (f"<xml>{self._fields(openid, 'event', create_time)}<Event>{cdata(event)}</Event>"
                f"<EventKey>{cdata(key)}</EventKey></xml>")

    def image_xml(self, openid: str) -> str:
        return (f"<xml>{self._fields(openid, 'image', None)}<PicUrl>{cdata('http://127.0.0.1/p.jpg')}</PicUrl>"
                f"<MediaId>{cdata('IMG_' + secrets.token_hex(6))}</MediaId><MsgId>{next(self._ids)}</MsgId></xml>")

    def text(self, openid: str, content: str, **kw) -> Exchange:
        return self.post(self.text_xml(openid, content, **kw))

    def voice(self, openid: str, recognition: str, media_id: str | None = None) -> Exchange:
        return self.post(self.voice_xml(openid, recognition, media_id))

    def event(self, openid: str, event: str, key: str = "", create_time: int | None = None) -> Exchange:
        return self.post(self.event_xml(openid, event, key, create_time))

    # -- the wire ------------------------------------------------------------------------------------------------------
    def envelope(self, xml: str, timestamp: int | None = None, nonce: str | None = None) -> tuple[dict, bytes]:
        """The query string and body WeChat would send for the plaintext message ``xml``."""
        ts = str(timestamp or int(self.clock()))
        nonce = nonce or str(random.randrange(10**8, 10**10))
        openid = parse_xml(xml).get("FromUserName", "")
        query = {"signature": sign(self.token, ts, nonce), "timestamp": ts, "nonce": nonce, "openid": openid}
        if self.mode == "plaintext":
            return query, xml.encode("utf-8")
        encrypt = PrpCrypto(self.key).encrypt(xml, self.appid).decode()
        query.update(encrypt_type="aes", msg_signature=sign(self.token, ts, nonce, encrypt))
        if self.mode == "safe":
            body = f"<xml><ToUserName>{cdata(self.account)}</ToUserName><Encrypt>{cdata(encrypt)}</Encrypt></xml>"
        else:  # compatible: the plaintext fields and the ciphertext side by side
            body = xml[:-len("</xml>")] + f"<Encrypt>{cdata(encrypt)}</Encrypt></xml>"
        return query, body.encode("utf-8")

    def post(self, xml: str, query: dict | None = None, body: bytes | None = None) -> Exchange:
        if query is None or body is None:
            query, body = self.envelope(xml)
        status, raw = self.transport(query, body)
        return Exchange(status, self.open_reply(raw) if status == 200 else None, xml, body.decode("utf-8", "replace"),
                        raw)

    def open_reply(self, raw: str) -> str | None:
        """The Content of a reply, verifying its signature and decrypting it as WeChat would."""
        if raw.strip() in ("", "success"):
            return None
        fields = parse_xml(raw)
        if "Encrypt" in fields:
            if sign(self.token, fields["TimeStamp"], fields["Nonce"], fields["Encrypt"]) != fields["MsgSignature"]:
                raise AssertionError("the reply's MsgSignature does not match")
            fields = parse_xml(PrpCrypto(self.key).decrypt(fields["Encrypt"], self.appid))
        elif self.mode != "plaintext":
            raise AssertionError("an encrypted message was answered in plaintext")
        return fields.get("Content")

    def verify_url(self, get) -> tuple[int, str]:
        """``get(query) -> (status, text)``: WeChat's URL check with a random echostr; returns what came back."""
        ts, nonce, echo = str(int(self.clock())), str(random.randrange(10**8, 10**10)), secrets.token_hex(8)
        return get({"signature": sign(self.token, ts, nonce), "timestamp": ts, "nonce": nonce, "echostr": echo}), echo
