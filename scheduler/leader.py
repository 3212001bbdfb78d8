"""One leader among any number of ``kaohe scheduler`` processes: a lock in Redis with a TTL, renewed while the
leader lives; a standby polls and takes over within the TTL after the leader dies. Correctness never depends on
it (claims and unique keys make every job safe to repeat); leadership only avoids doing the work twice."""
from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from models.store import Store

from .jobs import JOBS, Runtime

log = logging.getLogger("kaohe.scheduler")
LOCK_KEY = "scheduler:leader"


class Leadership:
    def __init__(self, store: Store, ttl: float, key: str = LOCK_KEY):
        self.store, self.ttl, self.key = store, ttl, key
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"

    def acquire(self) -> bool:
        return self.store.acquire_lock(self.key, self.owner, self.ttl)

    def renew(self) -> bool:
        return self.store.renew_lock(self.key, self.owner, self.ttl)

    def release(self) -> None:
        self.store.release_lock(self.key, self.owner)


def build_scheduler(rt: Runtime) -> BackgroundScheduler:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(rt.policy.timezone)
    grace = int(timedelta(hours=rt.policy.reminders.grace_hours).total_seconds())
    sched = BackgroundScheduler(timezone=tz, job_defaults={"coalesce": True, "max_instances": 1,
                                                           "misfire_grace_time": grace})
    for job, trigger in JOBS:
        extra = {"next_run_time": datetime.now(tz)} if trigger["trigger"] == "interval" else {}
        sched.add_job(job, args=[rt], id=job.__name__, name=job.__name__, **trigger, **extra)
    return sched


def run(rt: Runtime, stop: threading.Event, *, on_change=None) -> None:
    """Stand by until leader, run the jobs while leader, step down when the lock is lost; until ``stop``."""
    lead = Leadership(rt.store, rt.settings.scheduler_lock_ttl)
    sched: BackgroundScheduler | None = None
    try:
        while not stop.is_set():
            if sched is None and lead.acquire():
                log.info("成为主调度器（%s）", lead.owner)
                sched = build_scheduler(rt)
                sched.start()
                on_change and on_change(True)
            elif sched is not None and not lead.renew():
                log.warning("失去主调度器锁，转为备用")
                sched.shutdown(wait=False)
                sched = None
                on_change and on_change(False)
            stop.wait(max(rt.settings.scheduler_lock_ttl / 3, 0.2))
    finally:
        if sched is not None:
            sched.shutdown(wait=True)
            lead.release()
