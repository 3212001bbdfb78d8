"""A store that keeps the app answering when Redis is down.

Every call goes to Redis; on a connection error it falls back to a process-local :class:`MemoryStore` and skips
Redis for ``cooldown`` seconds. ``degraded`` tells callers to trust only the database meanwhile (the inbox for
dedupe, the dialog state and the API sessions for their records).

Cache entries written or deleted while degraded went to this process's memory only, so Redis may still hold
older values for them (a partition, or a Redis restarted from its snapshot). Their keys are remembered and
deleted from Redis as soon as it answers again — by the next call, or by a small background check every
``cooldown`` seconds if no call comes — so a stale cache entry outlives the outage by at most a few seconds.
Locks and claims (``nx`` sets) are not remembered: deleting them could free a lock someone else took since.
"""
from __future__ import annotations

import logging
import threading
import time

from models.store import MemoryStore, Store

log = logging.getLogger(__name__)

MAX_STALE_KEYS = 20_000  # beyond this, the remaining stale entries simply expire with their TTL


def _connection_errors() -> tuple[type[BaseException], ...]:
    try:
        from redis.exceptions import ConnectionError, TimeoutError

        return ConnectionError, TimeoutError, OSError
    except ImportError:  # pragma: no cover - redis is a dependency
        return (OSError,)


class ResilientStore:
    def __init__(self, primary: Store, cooldown: float = 5.0):
        self.primary = primary
        self.fallback = MemoryStore()
        self.cooldown = cooldown
        self._down_until = 0.0
        self._down = False  # an outage was logged and Redis has not answered since
        self._lock = threading.Lock()
        self._errors = _connection_errors()
        self._stale: set[str] = set()  # keys whose Redis value may be older than what this process wrote
        self._watcher: threading.Thread | None = None

    @property
    def degraded(self) -> bool:
        return time.monotonic() < self._down_until

    def _fail(self, exc: BaseException) -> None:
        with self._lock:
            if not self._down:  # one line per outage, not one per retry
                log.warning("Redis unavailable (%s); using the in-process store, retrying every %.0f s",
                            type(exc).__name__, self.cooldown)
            self._down = True
            self._down_until = time.monotonic() + self.cooldown

    def _call(self, name: str, *args, **kwargs):
        if not self.degraded and (not self._stale or self._invalidate()):
            try:
                result = getattr(self.primary, name)(*args, **kwargs)
            except self._errors as exc:
                self._fail(exc)
            else:
                if self._down:
                    self._down = False
                    log.warning("Redis is back")
                return result
        self._remember(name, args, kwargs)
        return getattr(self.fallback, name)(*args, **kwargs)

    # -- stale cache entries ---------------------------------------------------------------------------------------
    def _remember(self, name: str, args: tuple, kwargs: dict) -> None:
        if name == "set" and not kwargs.get("nx"):
            keys = [args[0]]
        elif name == "delete":
            keys = [args[0]]
        elif name == "batch":
            keys = [op[1] for op in args[0]
                    if op[0] == "delete" or (op[0] == "set" and not (len(op) > 4 and op[4]))]
        else:
            return
        with self._lock:
            room = MAX_STALE_KEYS - len(self._stale)
            self._stale.update(keys[:max(room, 0)])
            if self._stale and self._watcher is None:
                self._watcher = threading.Thread(target=self._watch, name="redis-recovery", daemon=True)
                self._watcher.start()

    def _invalidate(self) -> bool:
        """Delete from Redis the keys written only in memory while it was down. False if Redis is still down."""
        with self._lock:
            keys, self._stale = list(self._stale), set()
        if not keys:
            return True
        try:
            for i in range(0, len(keys), 500):
                self.primary.batch([("delete", k) for k in keys[i:i + 500]])
        except self._errors as exc:
            with self._lock:
                self._stale.update(keys)
            self._fail(exc)
            return False
        log.warning("Redis is back; %d cache entries written during the outage were invalidated", len(keys))
        return True

    def _watch(self) -> None:
        try:
            while True:
                time.sleep(self.cooldown)
                with self._lock:
                    if not self._stale:
                        return
                if not self.degraded:
                    self._invalidate()
        finally:
            with self._lock:
                self._watcher = None

    # -- the Store interface -----------------------------------------------------------------------------------------
    def get(self, key: str) -> str | None:
        return self._call("get", key)

    def set(self, key: str, value: str, ttl: float | None = None, nx: bool = False) -> bool:
        return self._call("set", key, value, ttl=ttl, nx=nx)

    def delete(self, key: str) -> None:
        self._call("delete", key)

    def incr(self, key: str, ttl: float) -> int:
        return self._call("incr", key, ttl)

    def acquire_lock(self, key: str, owner: str, ttl: float) -> bool:
        return self._call("acquire_lock", key, owner, ttl)

    def renew_lock(self, key: str, owner: str, ttl: float) -> bool:
        return self._call("renew_lock", key, owner, ttl)

    def release_lock(self, key: str, owner: str) -> None:
        self._call("release_lock", key, owner)

    def take_token(self, key: str, rate: float, burst: int) -> float:
        return self._call("take_token", key, rate, burst)

    def batch(self, ops: list[tuple]) -> list:
        return self._call("batch", ops)

    def ping(self) -> bool:
        return bool(self.primary.ping())

    def close(self) -> None:
        close = getattr(self.primary, "close", None)
        if close:
            close()

    def __getattr__(self, name: str):  # ``client``, ``prefix``: the Redis store's own attributes
        primary = self.__dict__.get("primary")
        if primary is None:
            raise AttributeError(name)
        return getattr(primary, name)
