"""PostgreSQL or Redis unreachable: answer 503 with ``Retry-After`` and a Chinese message, and log the outage once
per interval instead of a stack trace per request.

``kind(exc)`` recognises the errors a lost database or Redis raises (looking through the exception's causes, since
a failed rollback may chain a second error to the first): SQLAlchemy's ``OperationalError`` / ``InterfaceError``
(psycopg cannot connect or the server went away; SQLite's "database is locked" is the same "try again" case),
``DisconnectionError`` and the pool's ``TimeoutError``; redis-py's ``ConnectionError`` / ``TimeoutError``.
"""
from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger("kaohe.outage")

RETRY_AFTER = 5  # seconds: both recover within a second of coming back (docs/architecture.md, "Outages")
LOG_EVERY = 30.0  # seconds between two log lines about the same outage, per process
MESSAGES = {
    "database": "系统数据库暂时不可用，请稍后再试（数据不会丢失）",
    "redis": "系统缓存服务暂时不可用，请稍后再试",
}
NAMES = {"database": "the database", "redis": "Redis"}


def _outage_types() -> dict[str, tuple[type[BaseException], ...]]:
    from sqlalchemy import exc as sa

    kinds: dict[str, tuple[type[BaseException], ...]] = {
        "database": (sa.OperationalError, sa.InterfaceError, sa.DisconnectionError, sa.TimeoutError)}
    try:
        import psycopg

        kinds["database"] += (psycopg.OperationalError, psycopg.InterfaceError)
    except ImportError:  # pragma: no cover - psycopg is a dependency
        pass
    from redis import exceptions as r

    kinds["redis"] = (r.ConnectionError, r.TimeoutError)
    return kinds


_TYPES = _outage_types()


def kind(exc: BaseException | None) -> str | None:
    """``"database"``, ``"redis"`` or None (not an outage: a real bug, logged with its trace)."""
    seen = 0
    while exc is not None and seen < 10:
        for name, types in _TYPES.items():
            if isinstance(exc, types):
                return name
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


class OutageLog:
    """One line when an outage is first seen, then at most one per ``every`` seconds with the count of refused
    requests since the last line."""

    def __init__(self, every: float = LOG_EVERY):
        self.every = every
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._count: dict[str, int] = {}

    def note(self, what: str, exc: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            self._count[what] = self._count.get(what, 0) + 1
            last = self._last.get(what)
            if last is not None and now - last < self.every:
                return
            count, self._count[what] = self._count[what], 0
            self._last[what] = now
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        if last is None or now - last > 2 * self.every:
            log.error("%s is unavailable (%s: %s); answering 503 until it returns (logged at most every %.0f s)",
                      NAMES[what], type(exc).__name__, detail, self.every)
        else:
            log.error("%s still unavailable: %d requests answered 503 in the last %.0f s (%s)",
                      NAMES[what], count, now - last, type(exc).__name__)


outages = OutageLog()
