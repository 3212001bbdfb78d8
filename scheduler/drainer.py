"""Drain delivery rows: a pool of workers, each claims a small batch under a lease, sends, records results.

Results are handed to one recorder thread every ``flush_every`` sends and written there, all workers' results in one
statement and one commit, while the worker goes on sending (bench/fanout.py: a worker that waited for its own
write spent a send slot on every commit). A worker hands over its next results only after its previous ones are
written, so a killed drainer repeats at most ``2 × flush_every`` sends per worker (``workers × 2 × flush_every``
at worst); everything it had claimed but not sent returns after the lease. The pace is a token bucket in the
store, shared by every process.

Leases never run out under a live drainer, however slow WeChat is: a claim is sized to what one worker sends in a
third of the lease at the latency observed so far (pace included), a heartbeat thread extends the leases of every
claim in hand each third of the lease, and a worker sends a row only while its lease is proven to last another
third (else — the database did not answer the heartbeat — it gives the rest back). So another drainer re-queues only
the rows of a drainer that died or hung. A stop (step-down, deadline) also gives the unsent rest back at once.

Outages (docs/architecture.md, "Outages"): a message sent is never forgotten. When the database does not answer a
result write, the worker keeps the results and writes them again (backing off, for up to a lease) instead of
dropping them — dropped, their rows would return after the lease and be sent a second time. When Redis does not
answer the pace, this process paces itself with a local bucket at the same rate until Redis answers again. Either
outage is logged once when it starts and once when it ends, not as a stack trace per worker and per run.
"""
from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from handlers.outbound import deliveries
from handlers.outbound.deliveries import STORE_DOWN, SendResult
from models.db import Database, utcnow
from models.store import MemoryStore, Store

log = logging.getLogger("kaohe.drainer")
RATE_KEY = "send:rate"
REDIS_RETRY = 5.0  # seconds between two tries of the shared pace while Redis is down
MAX_BACKOFF = 2.0  # seconds between two tries of a result write while the database is down


def outage_kind(exc: BaseException) -> str | None:
    from bot.outage import kind  # the one list of what a lost database or Redis raises

    return kind(exc)


class OutageNote:
    """Logs an outage of the database or Redis once when first seen and once when it ends (any thread)."""

    def __init__(self, logger: logging.Logger | None = None):
        self.log = logger or log
        self._lock = threading.Lock()
        self._since: dict[str, float] = {}

    def down(self, what: str, exc: BaseException, doing: str) -> None:
        with self._lock:
            if what in self._since:
                return
            self._since[what] = time.monotonic()
        self.log.warning("%s不可用（%s），%s；恢复后自动继续", NAMES[what], type(exc).__name__, doing)

    def up(self, what: str) -> None:
        with self._lock:
            since = self._since.pop(what, None)
        if since is not None:
            self.log.warning("%s已恢复（约 %.1f 秒）", NAMES[what], time.monotonic() - since)


NAMES = {"database": "数据库", "redis": "Redis"}


@dataclass
class DrainStats:
    sends: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class Drainer:
    def __init__(self, db: Database, channels: dict, store: Store, *, workers: int = 8, rate: float = 0,
                 lease: float = 60, batch: int = 50, flush_every: int = 5, owner: str | None = None,
                 clock: Callable[[], datetime] = utcnow, latency: float = 5.0):
        self.db, self.channels, self.store = db, channels, store
        self.workers, self.rate, self.lease, self.batch, self.flush_every = workers, rate, lease, batch, flush_every
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.clock = clock
        # seconds per send, observed (moving average); the first guess, the HTTP timeout, sizes the first claims small
        self.latency = latency
        self._lock = threading.Lock()
        self._held: dict[str, float] = {}  # claim token -> monotonic time until which its lease is proven
        self.outages = OutageNote()
        self._local_pace = MemoryStore()  # the pace while Redis does not answer
        self._shared_pace_again = 0.0  # monotonic time of the next try of the shared pace

    def batch_size(self) -> int:
        """Rows one worker sends in a third of the lease at the observed latency (at least 1, at most ``batch``)."""
        return max(1, min(self.batch, int(self.lease / 3 / max(self.latency, 1e-3))))

    def drain(self, *, max_seconds: float | None = None, stop: threading.Event | None = None) -> DrainStats:
        """Send everything due (or until ``max_seconds`` / ``stop``). Returns what happened."""
        started = time.monotonic()
        stats = DrainStats()
        try:
            with self.db.session() as session:
                back = deliveries.release_expired(session, self.clock())
        except Exception as exc:
            if outage_kind(exc) != "database":
                raise
            self.outages.down("database", exc, "本轮不发送")
            return stats
        self.outages.up("database")
        if back:
            log.warning("%d 条发送租约已过期，重新排队", back)
        deadline = started + max_seconds if max_seconds else None
        threads = [threading.Thread(target=self._work, args=(stats, deadline, stop), name=f"drain-{i}", daemon=True)
                   for i in range(self.workers)]
        done = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(done,), name="drain-heartbeat", daemon=True)
        self._recorder = _Recorder(self, stats)
        beat.start()
        self._recorder.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self._recorder.stop()
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
            except Exception as exc:
                if outage_kind(exc) == "database":
                    self.outages.down("database", exc, "发送租约暂不能续期，租约到期前未发送的记录将交还队列")
                else:
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
            wait = self._take_token()
            if wait <= 0:
                return
            time.sleep(wait)

    def _take_token(self) -> float:
        burst = max(1, int(self.rate))
        if time.monotonic() >= self._shared_pace_again:
            try:
                wait = self.store.take_token(RATE_KEY, self.rate, burst)
            except Exception as exc:
                if outage_kind(exc) != "redis":
                    raise
                self._shared_pace_again = time.monotonic() + REDIS_RETRY
                self.outages.down("redis", exc, "发送限速暂由本进程自行控制")
            else:
                self.outages.up("redis")
                return wait
        return self._local_pace.take_token(RATE_KEY, self.rate, burst)

    def _send(self, item) -> SendResult:
        channel = self.channels.get(item.channel)
        if channel is None:
            return SendResult(47003)
        self._pace()
        try:
            return channel.send(item)
        except Exception as exc:  # a bug or an unexpected answer must not kill the worker: the row retries later
            if outage_kind(exc) == "redis":  # the token's store is away: the row waits, it was not an attempt
                self.outages.down("redis", exc, "取不到 access_token 的记录稍后重发")
                return SendResult(None, "store", retry_after=REDIS_RETRY, reason=STORE_DOWN)
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
        except Exception as exc:
            if outage_kind(exc) == "database":
                self.outages.down("database", exc, "暂停领取待发记录")
            else:
                log.exception("发送工作线程出错，已领取的记录将在租约到期后重新发送")
            _quietly(session.rollback)
        finally:
            _quietly(session.close)

    def _send_batch(self, session, batch, stats: DrainStats, deadline: float | None,
                    stop: threading.Event | None) -> None:
        done, handed = [], None
        try:
            for i, item in enumerate(batch):
                if _stopping(deadline, stop) or not self._held_long_enough(item.claim):
                    deliveries.unclaim(session, batch[i:], self.clock())
                    break
                started = time.monotonic()
                done.append((item, self._send(item)))
                self._observe(time.monotonic() - started)
                if len(done) >= self.flush_every:
                    _written(handed)  # at most two hand-overs in flight per worker: the bound on repeats
                    handed, done = self._recorder.hand(done), []
        finally:
            if done:
                _written(handed)
                handed = self._recorder.hand(done)
            _written(handed)  # the claim's results are in before its lease stops being extended


class _Written:
    """One hand-over to the recorder: set when its results are written (or their write failed for good)."""

    def __init__(self, done: list):
        self.done, self.event, self.error = done, threading.Event(), None


def _written(handed: _Written | None) -> None:
    if handed is None:
        return
    handed.event.wait()
    if handed.error is not None:
        raise handed.error


class _Recorder(threading.Thread):
    """Writes the results the workers hand over: whatever is waiting, in one statement and one commit, in id order
    (the rows' locks are always taken in the same order)."""

    def __init__(self, drainer: Drainer, stats: DrainStats):
        super().__init__(name="drain-recorder", daemon=True)
        self.drainer, self.stats = drainer, stats
        self.inbox: queue.Queue = queue.Queue()

    def hand(self, done: list) -> _Written:
        handed = _Written(done)
        self.inbox.put(handed)
        return handed

    def stop(self) -> None:
        self.inbox.put(None)
        self.join()

    def run(self) -> None:
        session = self.drainer.db.sessions()
        try:
            last = False
            while not last:
                taken = [self.inbox.get()]
                while True:
                    try:
                        taken.append(self.inbox.get_nowait())
                    except queue.Empty:
                        break
                last = None in taken
                taken = [h for h in taken if h is not None]
                if taken:
                    self._write(session, taken)
        finally:
            _quietly(session.close)

    def _write(self, session, taken: list[_Written]) -> None:
        done = sorted((pair for h in taken for pair in h.done), key=lambda pair: pair[0].id)
        try:
            self._record(session, done)
        except Exception as exc:
            for h in taken:
                h.error = exc
        for h in taken:
            h.event.set()

    def _record(self, session, done) -> None:
        """Write what was sent. The messages are out: while the database is away, keep them and try again (for up
        to a lease: after that another drainer may have re-queued the rows, and the results would not apply)."""
        d = self.drainer
        now, give_up, delay = d.clock(), time.monotonic() + d.lease, 0.25
        while True:
            try:
                deliveries.record(session, done, now)
                break
            except Exception as exc:
                _quietly(session.rollback)
                if outage_kind(exc) != "database" or time.monotonic() + delay > give_up:
                    raise
                d.outages.down("database", exc, f"{len(done)} 条已发送的结果暂存在内存中，稍后写入")
                time.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF)
        d.outages.up("database")
        with d._lock:
            self.stats.sends += len(done)
            for item, result in done:
                state = deliveries.outcome(item, result, now)["b_state"]
                self.stats.by_state[state] = self.stats.by_state.get(state, 0) + 1


def _quietly(call) -> None:
    """Roll back or close a session whose connection may be gone: that must not hide the error in hand."""
    try:
        call()
    except Exception:  # the connection is already lost; the pool replaces it
        log.debug("清理数据库会话失败", exc_info=True)


def _stopping(deadline: float | None, stop: threading.Event | None) -> bool:
    return bool((stop and stop.is_set()) or (deadline and time.monotonic() > deadline))
