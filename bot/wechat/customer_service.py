"""Customer-service messages (客服消息): how an answer that missed the 5-second window still reaches the user.

Real HTTP to ``KAOHE_WECHAT_API_BASE`` (the fake server in tests). The access_token is cached in the shared
store; a rejected token is dropped and fetched once more. This is deliberately small: the outbound channel of the
scheduler work owns token refresh for the whole system, and this should call it once merged.
"""
from __future__ import annotations

import logging

import requests

from models.store import Store

log = logging.getLogger(__name__)
TOKEN_KEY = "wechat:oa:access_token"
EXPIRED = {40001, 40014, 42001}


class CustomerService:
    def __init__(self, api_base: str, appid: str, secret: str, store: Store, timeout: float = 5.0):
        self.api_base = api_base.rstrip("/")
        self.appid, self.secret, self.store, self.timeout = appid, secret, store, timeout

    def _token(self) -> str:
        token = self.store.get(TOKEN_KEY)
        if token:
            return token
        data = requests.get(f"{self.api_base}/cgi-bin/token", timeout=self.timeout, params={
            "grant_type": "client_credential", "appid": self.appid, "secret": self.secret}).json()
        if "access_token" not in data:
            raise RuntimeError(f"access_token refused: {data.get('errcode')} {data.get('errmsg')}")
        self.store.set(TOKEN_KEY, data["access_token"], ttl=max(60, int(data.get("expires_in", 7200)) - 300))
        return data["access_token"]

    def send_text(self, openid: str, content: str) -> bool:
        body = {"touser": openid, "msgtype": "text", "text": {"content": content}}
        for _ in range(2):
            token = self._token()
            data = requests.post(f"{self.api_base}/cgi-bin/message/custom/send", params={"access_token": token},
                                 json=body, timeout=self.timeout).json()
            if data.get("errcode", 0) == 0:
                return True
            if data.get("errcode") in EXPIRED:
                self.store.delete(TOKEN_KEY)
                continue
            log.warning("customer-service message refused: %s %s", data.get("errcode"), data.get("errmsg"))
            return False
        return False
