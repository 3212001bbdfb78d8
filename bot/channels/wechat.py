"""WeChat template / subscribe messages to one person, and Official Account tag sends, within WeChat's limits."""
from __future__ import annotations

import re
import time

from zoneinfo import ZoneInfo

from handlers.deliveries import QUOTA_TODAY, TOKEN_BUDGET, TOKEN_COOLDOWN, TOKEN_REJECTED, Claimed, SendResult

from .http import Http
from .token import STALE, AccessTokens, TokenError, TokenRejected, until_wechat_midnight

DAILY_QUOTA = 45009  # this API's calls for the day are used up (WeChat resets the quota at Beijing midnight)
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
    """Send with the shared token; a rejected token is refreshed once (rationed, see ``token``), then one more try.
    A 45009 closes this API for every process until Beijing midnight (a key in the store): the rows wait for it
    without calling WeChat again."""

    path = ""

    def __init__(self, http: Http, tokens: AccessTokens, api_base: str, template_id: str = ""):
        self.http, self.tokens, self.url, self.template_id = http, tokens, api_base.rstrip("/") + self.path, template_id
        self.closed_key = f"wechat:quota-closed:{tokens.appid}:{self.path}"

    def payload(self, item: Claimed) -> dict:
        raise NotImplementedError

    def send(self, item: Claimed) -> SendResult:
        try:
            token, closed_until = self.tokens.get_with(self.closed_key)
            if closed_until and float(closed_until) > time.time():
                return SendResult(DAILY_QUOTA, retry_after=float(closed_until) - time.time(), reason=QUOTA_TODAY)
            result, _ = self.http.post(self.url, self.payload(item), {"access_token": token})
            if result.errcode in STALE:
                token = self.tokens.refresh(token)
                result, _ = self.http.post(self.url, self.payload(item), {"access_token": token})
                if result.errcode in STALE:  # rejected again right after a refresh: stop, say why
                    return SendResult(result.errcode, reason=TOKEN_REJECTED, final=True)
        except TokenRejected as exc:
            return SendResult(exc.errcode, reason=TOKEN_REJECTED, final=True)
        except TokenError as exc:
            if exc.retry_after is not None:
                text = TOKEN_BUDGET if exc.reason == "budget" else TOKEN_COOLDOWN
                return SendResult(exc.errcode, retry_after=exc.retry_after, reason=text)
            return SendResult(exc.errcode if exc.errcode is not None else -1, exc.network)
        if result.errcode == DAILY_QUOTA:
            wait = until_wechat_midnight()
            self.tokens.store.set(self.closed_key, str(time.time() + wait), ttl=wait)
            return SendResult(DAILY_QUOTA, retry_after=wait, reason=QUOTA_TODAY)
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
