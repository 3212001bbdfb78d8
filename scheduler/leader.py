"""One leader among any number of ``kaohe scheduler`` processes: a lock in Redis with a TTL, renewed while the
leader lives; a standby polls and takes over within the TTL after the leader dies. Correctness never depends on
it (claims and unique keys make every job safe to repeat); leadership only avoids doing the work twice.

Timing (``ttl`` = ``KAOHE_SCHEDULER_LOCK_TTL``): every ``beat`` (ttl/4, at most 1 s) the leader renews and a standby
tries to acquire; the lock is held for ``ttl - beat``, so a standby leads at most ``ttl`` after the leader died.

The store may fail at any moment (Redis killed, restarted, unreachable): the leader then steps down at once —
it cannot prove it still holds the lock — stops its jobs (a running drain stops after the send in hand), logs the
outage once and retries with a backoff capped at 2 s, so leadership resumes within seconds of Redis's return.

The lock's value starts with a stable identity (host and a slot: the lowest numbered slot file in the temp
directory no other live scheduler on this host holds with ``flock``; the kernel frees it when the process dies).
A scheduler restarted after a crash gets the same slot, recognises its own lock and re-takes it at once.
"""
from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import socket
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from apscheduler.schedulers.background import BackgroundScheduler

from models.store import Store

from .jobs import JOBS, Runtime, survive_outages

log = logging.getLogger("kaohe.scheduler")
LOCK_KEY = "scheduler:leader"
MAX_BACKOFF = 2.0  # seconds between attempts while the store is down
SLOTS = 64


def machine() -> str:
    """This host: its name and, where there is one, the start of its machine id (two hosts may share a name)."""
    try:
        mid = Path("/etc/machine-id").read_text().strip()[:8]
    except OSError:
        mid = ""
    return f"{socket.gethostname()}-{mid}" if mid else socket.gethostname()


def slot_identity(namespace: str) -> tuple[str, IO | None]:
    """``host:N`` with N the lowest slot of ``namespace`` free on this host, and the open, flocked slot file (keep it
    open for the process's life). Two live schedulers never share a slot; a restarted one gets its old slot back.
    The namespace is the lock's key only, not the Redis address: two spellings of one Redis must not share a slot."""
    host = machine()
    directory = Path(tempfile.gettempdir()) / f"kaohe-scheduler-{hashlib.sha256(namespace.encode()).hexdigest()[:12]}"
    try:
        directory.mkdir(exist_ok=True)
        for n in range(SLOTS):
            handle = open(directory / f"slot-{n}", "a")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                continue
            return f"{host}:{n}", handle
    except OSError:  # no usable temp directory: an identity of this process only (a restart waits for the TTL)
        pass
    return f"{host}:pid{os.getpid()}", None


class Leadership:
    def __init__(self, store: Store, ttl: float, key: str = LOCK_KEY):
        self.store, self.ttl, self.key = store, ttl, key
        self.beat = max(min(ttl / 4, 1.0), 0.05)
        self.hold = ttl - self.beat
        self.identity, self._slot = slot_identity(key)
        self.owner = f"{self.identity}|{os.getpid()}:{uuid.uuid4().hex[:6]}"

    def acquire(self) -> bool:
        """Free, or held by our own identity (this process, or the same scheduler before a crash): take it."""
        return self.store.acquire_lock(self.key, self.owner, self.hold, reclaim=f"{self.identity}|")

    def renew(self) -> bool:
        """Still ours (extended), or lapsed and free again (re-taken): nobody else led in between."""
        return self.store.renew_lock(self.key, self.owner, self.hold) or self.acquire()

    def release(self) -> None:
        self.store.release_lock(self.key, self.owner)

    def close(self) -> None:
        if self._slot is not None:
            self._slot.close()
            self._slot = None


class Outage:
    """Logs a store outage once when it starts and once when it ends; the backoff between attempts meanwhile."""

    def __init__(self, beat: float):
        self.beat, self.since, self.delay = beat, None, beat

    def failed(self, exc: Exception) -> float:
        if self.since is None:
            self.since, self.delay = time.monotonic(), min(self.beat, 0.25)
            log.warning("Redis 不可用（%s: %s），暂停主调度器工作，恢复后自动继续", type(exc).__name__, exc)
        else:
            self.delay = min(self.delay * 2, MAX_BACKOFF)
        return self.delay

    def ok(self) -> float:
        if self.since is not None:
            log.warning("Redis 已恢复（中断 %.1f 秒）", time.monotonic() - self.since)
            self.since = None
        return self.beat


def build_scheduler(rt: Runtime) -> BackgroundScheduler:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(rt.policy.timezone)
    grace = int(timedelta(hours=rt.policy.reminders.grace_hours).total_seconds())
    sched = BackgroundScheduler(timezone=tz, job_defaults={"coalesce": True, "max_instances": 1,
                                                           "misfire_grace_time": grace})
    for job, trigger in JOBS:
        extra = {"next_run_time": datetime.now(tz)} if trigger["trigger"] == "interval" else {}
        sched.add_job(survive_outages(job), args=[rt], id=job.__name__, name=job.__name__, **trigger, **extra)
    return sched


def run(rt: Runtime, stop: threading.Event, *, on_change=None) -> None:
    """Stand by until leader, run the jobs while leader, step down when the lock is lost or cannot be checked;
    until ``stop``. Never raises for a store outage."""
    lead = Leadership(rt.store, rt.settings.scheduler_lock_ttl)
    outage = Outage(lead.beat)
    sched: BackgroundScheduler | None = None

    def step_down(wait: bool) -> None:
        nonlocal sched
        rt.halt.set()  # a drain in progress stops after the send in hand
        sched.shutdown(wait=wait)
        sched = None
        on_change and on_change(False)

    try:
        while not stop.is_set():
            try:
                held = lead.renew() if sched is not None else lead.acquire()
                delay = outage.ok()
            except Exception as exc:  # Redis down, restarting, unreachable: not leader until it answers again
                held, delay = False, outage.failed(exc)
            if held and sched is None:
                log.info("成为主调度器（%s）", lead.owner)
                rt.halt = threading.Event()
                sched = build_scheduler(rt)
                sched.start()
                on_change and on_change(True)
            elif not held and sched is not None:
                log.warning("无法确认持有主调度器锁，转为备用")
                step_down(wait=False)
            stop.wait(delay)
    finally:
        if sched is not None:
            step_down(wait=True)
        try:
            lead.release()
        except Exception:  # the store is down: the lock lapses by itself, and our identity re-takes it on restart
            log.info("退出时未能释放主调度器锁（Redis 不可用）")
        lead.close()
