"""A store that keeps the bot answering when Redis is down.

Every call goes to Redis; on a connection error it falls back to a process-local :class:`MemoryStore` and skips
Redis for ``cooldown`` seconds. ``degraded`` tells the inbox to trust only the database for dedupe meanwhile.
"""
from __future__ import annotations

import logging
import threading
import time

from models.store import MemoryStore, Store

log = logging.getLogger(__name__)


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
        self._lock = threading.Lock()
        self._errors = _connection_errors()

    @property
    def degraded(self) -> bool:
        return time.monotonic() < self._down_until

    def _call(self, name: str, *args, **kwargs):
        if not self.degraded:
            try:
                return getattr(self.primary, name)(*args, **kwargs)
            except self._errors as exc:
                with self._lock:
                    if not self.degraded:
                        log.warning("Redis unavailable (%s); using the in-process store for %.0f s",
                                    type(exc).__name__, self.cooldown)
                    self._down_until = time.monotonic() + self.cooldown
        return getattr(self.fallback, name)(*args, **kwargs)

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
