"""The access token: fetched by one process at a time (a lock in the store), shared through the store.

Every client reads the token from the store. A send answered 40001/42001 calls ``refresh(stale)``: if another
process already replaced the stale token it is simply reused, else the lock holder fetches a new one (once).

A forced refresh (``stable_token`` with ``force_refresh``) invalidates the previous token and WeChat allows only a
few a day, at least 30 s apart; past that the account has no token until midnight. So forced refreshes are rationed
in the store, for all processes together: at most one per ``force_interval`` seconds (a key set-if-absent) and
``force_per_day`` per Beijing day (a counter). A token that WeChat rejects although we forced it moments ago will
not be cured by forcing again (another system is refreshing with the same AppSecret, or the account is blocked):
that is :class:`TokenRejected`, and the send fails with a reason instead of looping.

While the store (Redis) does not answer, the token this process last saw is used until it expires, so a notice goes
on through a Redis outage; with no such token the send waits (``TokenError`` with ``retry_after``, not an attempt).
"""
from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta

from zoneinfo import ZoneInfo

from models.store import Store

from ..outage import kind as outage_kind

from .http import Http

STALE = {40001, 42001}
WECHAT_DAY = ZoneInfo("Asia/Shanghai")  # WeChat's daily quotas reset at Beijing midnight


def until_wechat_midnight(now: float | None = None) -> float:
    """Seconds from ``now`` (epoch seconds) to the next Beijing midnight, when WeChat's daily quotas reset."""
    local = datetime.fromtimestamp(time.time() if now is None else now, WECHAT_DAY)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), WECHAT_DAY)
    return max((midnight - local).total_seconds(), 1.0)


class TokenError(RuntimeError):
    """No token now. ``retry_after``: seconds after which asking again makes sense (the row waits, not an attempt)."""

    def __init__(self, errcode: int | None, network: str | None = None, *, retry_after: float | None = None,
                 reason: str | None = None):
        super().__init__(f"access_token: errcode={errcode} network={network} {reason or ''}".strip())
        self.errcode, self.network, self.retry_after, self.reason = errcode, network, retry_after, reason


class TokenRejected(TokenError):
    """WeChat rejects the token we forced a refresh for moments ago: forcing again would not help."""


class AccessTokens:
    def __init__(self, store: Store, http: Http, api_base: str, appid: str, secret: str, *,
                 lock_ttl: float = 10.0, wait: float = 8.0, force_interval: float = 30, force_per_day: int = 20):
        self.store, self.http, self.api_base = store, http, api_base.rstrip("/")
        self.appid, self.secret = appid, secret
        self.key, self.lock_key = f"wechat:token:{appid}", f"wechat:token-lock:{appid}"
        self.forced_key = f"wechat:token-forced:{appid}"
        self.lock_ttl, self.wait = lock_ttl, wait
        self.force_interval, self.force_per_day = force_interval, force_per_day
        self._known: dict | None = None  # the token item this process last read or fetched

    def _item(self) -> dict | None:
        raw = self.store.get(self.key)
        item = json.loads(raw) if raw else None
        self._known = item or self._known
        return item

    def _known_token(self, exc: Exception, margin: float = 60) -> str:
        """The store is away: the token this process last saw, while it lasts; else wait (not an attempt)."""
        if outage_kind(exc) != "redis":
            raise exc
        item = self._known
        if item and item["expires_at"] - margin > time.time():
            return item["token"]
        raise TokenError(None, "store", retry_after=5.0, reason="store") from exc

    def _read(self, margin: float = 60) -> str | None:
        item = self._item()
        return item["token"] if item and item["expires_at"] - margin > time.time() else None

    def get(self) -> str:
        return self._read() or self.refresh(None)

    def get_with(self, key: str) -> tuple[str, str | None]:
        """The token and the value of another store key, read in one round trip (the send path's reads)."""
        try:
            raw, value = self.store.batch([("get", self.key), ("get", key)])
        except Exception as exc:
            return self._known_token(exc), None
        item = json.loads(raw) if raw else None
        self._known = item or self._known
        fresh = item["token"] if item and item["expires_at"] - 60 > time.time() else None
        return fresh or self.refresh(None), value

    def ensure(self, margin: float = 900) -> str:
        """The scheduler's job: make sure a token with at least ``margin`` seconds left is in the store."""
        return self._read(margin) or self.refresh(self._read(), force=False)

    def refresh(self, stale: str | None, *, force: bool | None = None) -> str:
        """A token other than ``stale``: the one another process already fetched, else one fetched now (forced if
        ``stale`` was rejected, within the ration). Raises :class:`TokenError` when there is none to be had now."""
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
                    forced = stale is not None if force is None else force
                    if forced:
                        self._ration(stale)
                    return self._fetch(force=forced)
                finally:
                    self.store.release_lock(self.lock_key, owner)
            if time.monotonic() > deadline:
                raise TokenError(None, "timeout")
            time.sleep(0.05)

    def _ration(self, stale: str) -> None:
        """Allow this forced refresh, or raise: one per ``force_interval`` and ``force_per_day`` a day."""
        if not self.store.set(self.forced_key, stale[-12:], ttl=self.force_interval, nx=True):
            item = self._item()
            if item and item["token"] == stale and item.get("forced"):
                raise TokenRejected(40001)
            raise TokenError(40001, retry_after=self.force_interval, reason="cooldown")
        day = datetime.now(WECHAT_DAY).strftime("%Y%m%d")
        if self.store.incr(f"wechat:token-forced-day:{self.appid}:{day}", ttl=2 * 86400) > self.force_per_day:
            raise TokenError(40001, retry_after=until_wechat_midnight(), reason="budget")

    def _fetch(self, force: bool) -> str:
        result, data = self.http.post(f"{self.api_base}/cgi-bin/stable_token", {
            "grant_type": "client_credential", "appid": self.appid, "secret": self.secret, "force_refresh": force})
        if not result.ok or "access_token" not in data:
            raise TokenError(result.errcode, result.network)
        expires_in = int(data.get("expires_in", 7200))
        item = {"token": data["access_token"], "expires_at": time.time() + expires_in, "forced": force}
        self._known = item
        self.store.set(self.key, json.dumps(item), ttl=expires_in)
        return data["access_token"]
