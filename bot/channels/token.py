"""The access token: fetched by one process at a time (a lock in the store), shared through the store.

Every client reads the token from the store. A send answered 40001/42001 calls ``refresh(stale)``: if another
process already replaced the stale token it is simply reused, else the lock holder fetches a new one (once).
"""
from __future__ import annotations

import json
import time
import uuid

from models.store import Store

from .http import Http

STALE = {40001, 42001}


class TokenError(RuntimeError):
    def __init__(self, errcode: int | None, network: str | None = None):
        super().__init__(f"access_token: errcode={errcode} network={network}")
        self.errcode, self.network = errcode, network


class AccessTokens:
    def __init__(self, store: Store, http: Http, api_base: str, appid: str, secret: str, *,
                 lock_ttl: float = 10.0, wait: float = 8.0):
        self.store, self.http, self.api_base = store, http, api_base.rstrip("/")
        self.appid, self.secret = appid, secret
        self.key, self.lock_key = f"wechat:token:{appid}", f"wechat:token-lock:{appid}"
        self.lock_ttl, self.wait = lock_ttl, wait

    def _read(self, margin: float = 60) -> str | None:
        raw = self.store.get(self.key)
        if not raw:
            return None
        item = json.loads(raw)
        return item["token"] if item["expires_at"] - margin > time.time() else None

    def get(self) -> str:
        return self._read() or self.refresh(None)

    def ensure(self, margin: float = 900) -> str:
        """The scheduler's job: make sure a token with at least ``margin`` seconds left is in the store."""
        return self._read(margin) or self.refresh(self._read(), force=False)

    def refresh(self, stale: str | None, *, force: bool | None = None) -> str:
        owner, deadline = uuid.uuid4().hex, time.monotonic() + self.wait
        while True:
            current = self._read()
            if current and current != stale:
                return current
            if self.store.acquire_lock(self.lock_key, owner, self.lock_ttl):
                try:
                    current = self._read()
                    if current and current != stale:
                        return current
                    return self._fetch(force=stale is not None if force is None else force)
                finally:
                    self.store.release_lock(self.lock_key, owner)
            if time.monotonic() > deadline:
                raise TokenError(None, "timeout")
            time.sleep(0.05)

    def _fetch(self, force: bool) -> str:
        result, data = self.http.post(f"{self.api_base}/cgi-bin/stable_token", {
            "grant_type": "client_credential", "appid": self.appid, "secret": self.secret, "force_refresh": force})
        if not result.ok or "access_token" not in data:
            raise TokenError(result.errcode, result.network)
        expires_in = int(data.get("expires_in", 7200))
        self.store.set(self.key, json.dumps({"token": data["access_token"], "expires_at": time.time() + expires_in}),
                       ttl=expires_in)
        return data["access_token"]
