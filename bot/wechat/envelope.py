"""WeChat's message envelope: signatures, the replay window, plaintext/compatible/safe (AES) modes, safe XML.

Everything that can be refused is refused here, before anything is stored:
- a wrong ``signature`` / ``msg_signature`` → :class:`BadSignature` (403);
- a ``timestamp`` outside ``max_skew`` seconds (0 = no check) → :class:`BadSignature` (403, a replay);
- a body that is not XML, has a DTD or entities (XXE, billion laughs), lacks fields, or exceeds 1 MiB → :class:`BadBody`.

Signatures and AES use wechatpy (``WeChatSigner``, ``WeChatCrypto``); XML is parsed with defusedxml, never expat
with entity expansion.
"""
from __future__ import annotations

import hmac
import re
import time
from dataclasses import dataclass

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException
from wechatpy.utils import WeChatSigner
from xml.etree.ElementTree import ParseError

from handlers.errors import DomainError

MAX_BODY = 1024 * 1024
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class BadSignature(DomainError):
    status = 403
    code = "bad_signature"


class BadBody(DomainError):
    status = 400
    code = "bad_message"


class TooLarge(BadBody):
    status = 413
    code = "too_large"


def sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def parse_xml(body: bytes | str) -> dict[str, str]:
    """The ``<xml>`` root's children as ``{tag: text}`` (nested elements flattened one level, e.g. ``ScanCodeInfo``)."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    if len(body) > MAX_BODY:
        raise TooLarge("消息过大（超过 1 MiB）")
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ParseError, ValueError):
        raise BadBody("消息不是合法的 XML（或含有 DTD/实体声明）", "bad_xml") from None
    if root.tag != "xml":
        raise BadBody("消息不是微信消息格式", "bad_xml")
    fields: dict[str, str] = {}
    for child in root:
        fields[child.tag] = (child.text or "").strip() if len(child) == 0 else ""
        for sub in child:
            fields.setdefault(sub.tag, (sub.text or "").strip())
    return fields


@dataclass(frozen=True)
class Opened:
    message: dict[str, str]
    encrypted: bool  # reply encrypted (safe and compatible modes when encrypt_type=aes)
    nonce: str
    timestamp: str


class Envelope:
    def __init__(self, token: str, appid: str, aes_key: str | None, max_skew: int, clock=time.time):
        self.token = token
        self.appid = appid
        self.max_skew = max_skew
        self.crypto = WeChatCrypto(token, aes_key, appid) if aes_key else None
        self.clock = clock

    # -- checks ---------------------------------------------------------------------------------------------
    def _fresh(self, timestamp: str) -> None:
        # Seconds since 1970 in ASCII digits: a 309-digit number would overflow the float compare below.
        if not isinstance(timestamp, str) or not _TIMESTAMP.fullmatch(timestamp):
            raise BadSignature("签名参数不正确", "bad_timestamp")
        ts = int(timestamp)
        if self.max_skew and abs(self.clock() - ts) > self.max_skew:
            raise BadSignature("请求已过期（时间戳超出允许范围）", "stale_timestamp")

    def _check(self, signature: str | None, *parts: str) -> None:
        if not signature or not hmac.compare_digest(sign(self.token, *parts), signature):
            raise BadSignature("签名校验失败", "bad_signature")

    @staticmethod
    def _args(args, *names: str) -> list[str]:
        values = [args.get(n) for n in names]
        if any(v is None for v in values):
            raise BadSignature("缺少签名参数", "missing_signature")
        return values

    # -- GET: URL verification ---------------------------------------------------------------------------------
    def verify_url(self, args) -> str:
        timestamp, nonce, echostr = self._args(args, "timestamp", "nonce", "echostr")
        self._fresh(timestamp)
        if args.get("msg_signature") and self.crypto:  # the encrypted variant (WeCom style)
            self._check(args.get("msg_signature"), timestamp, nonce, echostr)
            return self._decrypt(echostr)
        self._check(args.get("signature"), timestamp, nonce)
        return echostr

    # -- POST: messages ---------------------------------------------------------------------------------------
    def open(self, args, body: bytes) -> Opened:
        timestamp, nonce = self._args(args, "timestamp", "nonce")
        self._fresh(timestamp)
        self._check(args.get("signature"), timestamp, nonce)  # WeChat signs the URL in every mode
        outer = parse_xml(body)
        if args.get("encrypt_type", "raw") == "aes":
            if self.crypto is None:
                raise BadBody("未配置消息加解密密钥（KAOHE_WECHAT_AES_KEY），不能接收加密消息", "aes_not_configured")
            encrypt = outer.get("Encrypt")
            if not encrypt:
                raise BadBody("加密消息缺少 Encrypt 字段", "missing_field")
            self._check(args.get("msg_signature"), timestamp, nonce, encrypt)
            message = parse_xml(self._decrypt(encrypt))
            encrypted = True
        else:
            message, encrypted = outer, False
        for name in ("ToUserName", "FromUserName", "CreateTime", "MsgType"):
            if not message.get(name):
                raise BadBody(f"消息缺少 {name} 字段", "missing_field")
        return Opened(message, encrypted, nonce, timestamp)

    def _decrypt(self, text: str) -> str:
        try:
            return PrpCrypto(self.crypto.key).decrypt(text, self.appid)  # signature already checked by the caller
        except InvalidAppIdException:
            raise BadBody("加密消息不是发给本公众号的", "wrong_appid") from None
        except Exception:  # bad base64, length or padding: cryptography and binascii raise their own errors
            raise BadBody("加密内容无法解密", "bad_ciphertext") from None

    def seal(self, reply_xml: str, opened: Opened) -> str:
        """The reply as WeChat expects it: as is in plaintext mode, encrypted and signed otherwise."""
        if not opened.encrypted or reply_xml == "success":
            return reply_xml
        return self.crypto.encrypt_message(reply_xml, opened.nonce, str(int(self.clock())))
