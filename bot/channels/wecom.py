"""WeCom group robots (企业微信群机器人): markdown to a webhook key, at most 20 messages a minute per robot."""
from __future__ import annotations

from handlers.outbound.deliveries import Claimed, SendResult
from models.store import Store

from .http import Http

PER_MINUTE = 20
CONTENT_MAX_BYTES = 4096


def markdown(item: Claimed) -> str:
    text = f"**{item.title}**\n{item.body}" + (f"\n[查看详情]({item.link})" if item.link else "")
    raw = text.encode()
    if len(raw) > CONTENT_MAX_BYTES:
        text = raw[: CONTENT_MAX_BYTES - 3].decode(errors="ignore") + "…"
    return text


class RobotSender:
    def __init__(self, http: Http, store: Store, api_base: str):
        self.http, self.store, self.url = http, store, api_base.rstrip("/") + "/cgi-bin/webhook/send"

    def send(self, item: Claimed) -> SendResult:
        wait = self.store.take_token(f"robot:{item.address}", PER_MINUTE / 60, PER_MINUTE)
        if wait > 0:  # this robot's minute is used up: the row waits, the worker moves on
            return SendResult(None, retry_after=wait)
        result, _ = self.http.post(self.url, {"msgtype": "markdown", "markdown": {"content": markdown(item)}},
                                   {"key": item.address})
        return result
