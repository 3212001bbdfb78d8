"""Drain delivery rows: a pool of workers, each claims a small batch under a lease, sends, records results.

Results are written every ``flush_every`` sends, so a killed drainer repeats at most the sends it made since its
workers' last write (``workers × flush_every`` at worst); everything it had claimed but not sent returns after
the lease. The pace is a token bucket in the store, shared by every process.

Leases never run out under a live drainer, however slow WeChat is: a claim is sized to what one worker sends in a
third of the lease at the latency observed so far (pace included), a heartbeat thread extends the leases of every
claim in hand each third of the lease, and a worker sends a row only while its lease is proven to last another
third (else — the database did not answer the heartbeat — it gives the rest back). So another drainer re-queues only
the rows of a drainer that died or hung. A stop (step-down, deadline) also gives the unsent rest back at once.
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
                 clock: Callable[[], datetime] = utcnow, latency: float = 5.0):
        self.db, self.channels, self.store = db, channels, store
        self.workers, self.rate, self.lease, self.batch, self.flush_every = workers, rate, lease, batch, flush_every
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.clock = clock
        # seconds per send, observed (moving average); the first guess, the HTTP timeout, sizes the first claims small
        self.latency = latency
        self._lock = threading.Lock()
        self._held: dict[str, float] = {}  # claim token -> monotonic time until which its lease is proven

    def batch_size(self) -> int:
        """Rows one worker sends in a third of the lease at the observed latency (at least 1, at most ``batch``)."""
        return max(1, min(self.batch, int(self.lease / 3 / max(self.latency, 1e-3))))

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
        done = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(done,), name="drain-heartbeat", daemon=True)
        beat.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        done.set()
        beat.join()
        stats.seconds = time.monotonic() - started
        return stats

    def _heartbeat(self, done: threading.Event) -> None:
        """Every third of the lease: extend the leases of the claims in hand (one UPDATE for all of them)."""
        while not done.wait(self.lease / 3):
            with self._lock:
                claims = list(self._held)
            if not claims:
                continue
            asked = time.monotonic()
            try:
                with self.db.session() as session:
                    deliveries.extend(session, claims, self.lease, self.clock())
            except Exception:
                log.warning("发送租约续期失败，租约到期前未发送的记录将交还队列", exc_info=True)
                continue
            with self._lock:
                for token in claims:
                    if token in self._held:
                        self._held[token] = asked + self.lease

    def _held_long_enough(self, token: str) -> bool:
        with self._lock:
            return self._held.get(token, 0) - time.monotonic() > self.lease / 3

    def _observe(self, seconds: float) -> None:
        with self._lock:
            self.latency = 0.8 * self.latency + 0.2 * seconds

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
            while not _stopping(deadline, stop):
                asked = time.monotonic()
                batch = deliveries.claim(session, self.owner, self.batch_size(), self.lease, self.clock())
                if not batch:
                    return
                token = batch[0].claim
                with self._lock:
                    self._held[token] = asked + self.lease
                try:
                    self._send_batch(session, batch, stats, deadline, stop)
                finally:
                    with self._lock:
                        self._held.pop(token, None)
        except Exception:
            log.exception("发送工作线程出错，已领取的记录将在租约到期后重新发送")
            session.rollback()
        finally:
            session.close()

    def _send_batch(self, session, batch, stats: DrainStats, deadline: float | None,
                    stop: threading.Event | None) -> None:
        done = []
        for i, item in enumerate(batch):
            if _stopping(deadline, stop) or not self._held_long_enough(item.claim):
                self._record(session, done, stats)
                deliveries.unclaim(session, batch[i:], self.clock())
                return
            started = time.monotonic()
            done.append((item, self._send(item)))
            self._observe(time.monotonic() - started)
            if len(done) >= self.flush_every:
                self._record(session, done, stats)
                done = []
        self._record(session, done, stats)

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


def _stopping(deadline: float | None, stop: threading.Event | None) -> bool:
    return bool((stop and stop.is_set()) or (deadline and time.monotonic() > deadline))
