"""Drain delivery rows: a pool of workers, each claims a small batch under a lease, sends, records results.

Results are written every ``flush_every`` sends, so a killed drainer repeats at most the sends it made since its
workers' last write (``workers × flush_every`` at worst); everything it had claimed but not sent returns after
the lease. The pace is a token bucket in the store, shared by every process.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from handlers import deliveries
from handlers.deliveries import SendResult
from models.db import Database, utcnow
from models.store import Store

log = logging.getLogger("kaohe.drainer")
RATE_KEY = "send:rate"


@dataclass
class DrainStats:
    sends: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class Drainer:
    def __init__(self, db: Database, channels: dict, store: Store, *, workers: int = 8, rate: float = 0,
                 lease: float = 60, batch: int = 50, flush_every: int = 10, owner: str | None = None,
                 clock: Callable[[], datetime] = utcnow):
        self.db, self.channels, self.store = db, channels, store
        self.workers, self.rate, self.lease, self.batch, self.flush_every = workers, rate, lease, batch, flush_every
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.clock = clock
        self._lock = threading.Lock()

    def drain(self, *, max_seconds: float | None = None, stop: threading.Event | None = None) -> DrainStats:
        """Send everything due (or until ``max_seconds`` / ``stop``). Returns what happened."""
        started = time.monotonic()
        stats = DrainStats()
        with self.db.session() as session:
            back = deliveries.release_expired(session, self.clock())
        if back:
            log.warning("%d 条发送租约已过期，重新排队", back)
        deadline = started + max_seconds if max_seconds else None
        threads = [threading.Thread(target=self._work, args=(stats, deadline, stop), name=f"drain-{i}", daemon=True)
                   for i in range(self.workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stats.seconds = time.monotonic() - started
        return stats

    def _pace(self) -> None:
        while self.rate > 0:
            wait = self.store.take_token(RATE_KEY, self.rate, max(1, int(self.rate)))
            if wait <= 0:
                return
            time.sleep(wait)

    def _send(self, item) -> SendResult:
        channel = self.channels.get(item.channel)
        if channel is None:
            return SendResult(47003)
        self._pace()
        try:
            return channel.send(item)
        except Exception:  # a bug or an unexpected answer must not kill the worker: the row retries later
            log.exception("发送失败（delivery %s）", item.id)
            return SendResult(None, "http")

    def _work(self, stats: DrainStats, deadline: float | None, stop: threading.Event | None) -> None:
        session = self.db.sessions()
        try:
            while not (stop and stop.is_set()) and not (deadline and time.monotonic() > deadline):
                batch = deliveries.claim(session, self.owner, self.batch, self.lease, self.clock())
                if not batch:
                    return
                done = []
                for item in batch:
                    done.append((item, self._send(item)))
                    if len(done) >= self.flush_every:
                        self._record(session, done, stats)
                        done = []
                self._record(session, done, stats)
        except Exception:
            log.exception("发送工作线程出错，已领取的记录将在租约到期后重新发送")
            session.rollback()
        finally:
            session.close()

    def _record(self, session, done, stats: DrainStats) -> None:
        if not done:
            return
        now = self.clock()
        deliveries.record(session, done, now)
        with self._lock:
            stats.sends += len(done)
            for item, result in done:
                state = deliveries.outcome(item, result, now)["b_state"]
                stats.by_state[state] = stats.by_state.get(state, 0) + 1
