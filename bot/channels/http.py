"""JSON POSTs to WeChat with a bounded timeout and no automatic retry (retries are the delivery rows' job)."""
from __future__ import annotations

import json
import threading

import requests
from requests.adapters import HTTPAdapter

from handlers.outbound.deliveries import SendResult


class Http:
    def __init__(self, timeout: float = 5.0, pool: int = 8):
        self.timeout = timeout
        self.pool = pool
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        s = getattr(self._local, "session", None)
        if s is None:
            s = self._local.session = requests.Session()
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=self.pool, max_retries=0)
            s.mount("http://", adapter)
            s.mount("https://", adapter)
        return s

    def post(self, url: str, payload: dict, params: dict | None = None) -> tuple[SendResult, dict]:
        try:
            r = self.session.post(url, params=params, timeout=self.timeout,
                                  data=json.dumps(payload, ensure_ascii=False).encode(),
                                  headers={"Content-Type": "application/json; charset=utf-8"})
        except requests.Timeout:
            return SendResult(None, "timeout"), {}
        except requests.RequestException:
            return SendResult(None, "connection"), {}
        if r.status_code >= 400:
            return SendResult(None, "http"), {}
        try:
            data = r.json()
        except ValueError:
            return SendResult(None, "http"), {}
        return SendResult(int(data.get("errcode", 0) or 0)), data
