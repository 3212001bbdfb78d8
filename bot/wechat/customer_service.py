"""Customer-service messages (客服消息): how an answer that missed the 5-second window still reaches the user.

Real HTTP to ``KAOHE_WECHAT_API_BASE`` (the fake server in tests). The access token comes from the one shared
provider (``bot.channels.oa_tokens``: fetched by one process under a lock, shared through the store), so this
client never invalidates the token the scheduler's senders use. A rejected token is refreshed once, then retried.
"""
from __future__ import annotations

import logging

import requests

from bot.channels.token import STALE, AccessTokens, TokenError

log = logging.getLogger(__name__)


class CustomerService:
    def __init__(self, api_base: str, tokens: AccessTokens, timeout: float = 5.0):
        self.api_base = api_base.rstrip("/")
        self.tokens, self.timeout = tokens, timeout

    def send_text(self, openid: str, content: str) -> bool:
        body = {"touser": openid, "msgtype": "text", "text": {"content": content}}
        try:
            token = self.tokens.get()
            for attempt in range(2):
                data = requests.post(f"{self.api_base}/cgi-bin/message/custom/send", params={"access_token": token},
                                     json=body, timeout=self.timeout).json()
                if data.get("errcode", 0) == 0:
                    return True
                if data.get("errcode") in STALE and attempt == 0:
                    token = self.tokens.refresh(token)
                    continue
                log.warning("customer-service message refused: %s %s", data.get("errcode"), data.get("errmsg"))
                return False
        except (requests.RequestException, ValueError, TokenError) as exc:
            log.warning("customer-service message not sent: %s", exc)
        return False
