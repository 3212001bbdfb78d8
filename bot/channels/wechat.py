"""WeChat template / subscribe messages to one person, and Official Account tag sends, within WeChat's limits."""
from __future__ import annotations

import re

from zoneinfo import ZoneInfo

from handlers.deliveries import Claimed, SendResult

from .http import Http
from .token import STALE, AccessTokens, TokenError

THING_MAX = 20  # thing.DATA: at most 20 characters (subscribe and new-style template messages)
TEXT_MAX = 600  # tag (mass) text: keep well within WeChat's limit
LOCAL = ZoneInfo("Asia/Shanghai")  # what people read


def clip(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fields(item: Claimed) -> dict:
    return {"thing1": {"value": clip(item.title, THING_MAX)}, "thing2": {"value": clip(item.body, THING_MAX)},
            "time3": {"value": item.created_at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")}}


class _TokenSender:
    path = ""

    def __init__(self, http: Http, tokens: AccessTokens, api_base: str, template_id: str = ""):
        self.http, self.tokens, self.url, self.template_id = http, tokens, api_base.rstrip("/") + self.path, template_id

    def payload(self, item: Claimed) -> dict:
        raise NotImplementedError

    def send(self, item: Claimed) -> SendResult:
        try:
            token = self.tokens.get()
            result, _ = self.http.post(self.url, self.payload(item), {"access_token": token})
            if result.errcode in STALE:  # refresh once (the single refresher), then one more try
                token = self.tokens.refresh(token)
                result, _ = self.http.post(self.url, self.payload(item), {"access_token": token})
        except TokenError as exc:
            return SendResult(exc.errcode if exc.errcode is not None else -1, exc.network)
        return result


class TemplateSender(_TokenSender):
    path = "/cgi-bin/message/template/send"

    def payload(self, item: Claimed) -> dict:
        body = {"touser": item.address, "template_id": self.template_id, "data": fields(item)}
        if item.link and item.link.startswith("http"):
            body["url"] = item.link
        return body


class SubscribeSender(_TokenSender):
    path = "/cgi-bin/message/subscribe/send"

    def payload(self, item: Claimed) -> dict:
        page = item.link if item.link and not item.link.startswith("http") else f"pages/notice/detail?id={item.notice_id}"
        return {"touser": item.address, "template_id": self.template_id, "page": page.lstrip("/"),
                "miniprogram_state": "formal", "lang": "zh_CN", "data": fields(item)}


class TagSender(_TokenSender):
    path = "/cgi-bin/message/mass/sendall"

    def payload(self, item: Claimed) -> dict:
        text = f"【{item.title}】\n{item.body}" + (f"\n{item.link}" if item.link else "")
        return {"filter": {"is_to_all": False, "tag_id": int(item.address)}, "msgtype": "text",
                "text": {"content": clip(text, TEXT_MAX) if len(text) > TEXT_MAX else text}}
