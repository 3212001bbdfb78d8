"""The scheduler's jobs: short top-level functions that call handlers. State lives in our tables, so a run that
was missed (the scheduler was down) simply happens at the next run, within the policy's grace."""
from __future__ import annotations

import functools
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

from config import Policy, Settings
from handlers.outbound import notices, reminders
from handlers.quarter import feedback, objections, timeline
from models.db import Database, utcnow
from models.rules.calendar import to_local
from models.store import Store

from .drainer import Drainer, OutageNote, outage_kind

log = logging.getLogger("kaohe.scheduler")


@dataclass
class Runtime:
    """What the jobs share: settings, database, store, policy, channels and a clock (tests may shift it)."""

    settings: Settings
    db: Database
    store: Store
    policy: Policy
    channels: dict
    clock_offset: timedelta = field(default_factory=timedelta)
    halt: threading.Event = field(default_factory=threading.Event)  # set when this process stops leading
    _drainer: Drainer | None = field(default=None, repr=False)

    def now(self) -> datetime:
        return utcnow() + self.clock_offset

    def drainer(self) -> Drainer:
        """One drainer for the process's life: the WeChat latency it observed sizes its next claims."""
        if self._drainer is None:
            s = self.settings
            self._drainer = Drainer(self.db, self.channels, self.store, workers=s.send_workers, rate=s.send_rate,
                                    lease=s.delivery_lease, clock=self.now)
        return self._drainer

    def tokens(self):
        return getattr(self.channels.get("template"), "tokens", None)


def open_cycles(rt: Runtime) -> None:
    with rt.db.session() as session:
        opened = timeline.open_due_cycles(session, rt.policy, to_local(rt.now(), rt.policy).date())
    if opened:
        log.info("已开启 %d 个单位的季度考核", len(opened))


def send_due_reminders(rt: Runtime) -> None:
    with rt.db.session() as session:
        run = reminders.send_due(session, rt.policy, rt.now())
        run.notices += feedback.remind_unsigned(session, rt.policy, rt.now())  # results not yet signed
        run.notices += objections.remind_answers(session, rt.policy, rt.now())  # objections not yet answered
    if run.notices:
        log.info("生成提醒 %d 条通知，涉及 %d 人次", len(run.notices), run.people)


def drain_deliveries(rt: Runtime) -> None:
    """Scheduled notices whose time has come get their recipients (as of now), then everything due is sent."""
    with rt.db.session() as session:
        released = notices.release_due(session, rt.now())
    if released:
        log.info("定时通知到点发出：%s", released)
    stats = rt.drainer().drain(max_seconds=55, stop=rt.halt)
    if stats.sends:
        log.info("发送 %d 条：%s（%.1f 秒）", stats.sends, stats.by_state, stats.seconds)


def refresh_access_token(rt: Runtime) -> None:
    tokens = rt.tokens()
    if tokens is not None:
        tokens.ensure()


def expire_publicity(rt: Runtime) -> None:
    with rt.db.session() as session:
        timeline.end_publicity(session, rt.policy, rt.now())


_outages = OutageNote(log)


def survive_outages(job: Callable[[Runtime], None]) -> Callable[[Runtime], None]:
    """A job that meets a database or Redis outage skips this run with one log line for the whole outage (not a stack
    trace every 5 s); the next run after the outage catches up, as after any downtime."""

    @functools.wraps(job)
    def run(rt: Runtime) -> None:
        try:
            job(rt)
        except Exception as exc:
            what = outage_kind(exc)
            if what is None:
                raise
            _outages.down(what, exc, "定时任务本次跳过")
            return
        _outages.up("database")

    return run


# (job, trigger arguments). Interval jobs also run once at start: that is the catch-up after downtime.
JOBS: list[tuple[Callable[[Runtime], None], dict]] = [
    (open_cycles, {"trigger": "cron", "hour": 0, "minute": 10}),
    (send_due_reminders, {"trigger": "interval", "minutes": 5}),
    (drain_deliveries, {"trigger": "interval", "seconds": 5}),
    (refresh_access_token, {"trigger": "interval", "minutes": 10}),
    (expire_publicity, {"trigger": "interval", "minutes": 30}),
]


def parse_clock(value: str | None, policy: Policy) -> timedelta:
    """``--clock "2026-12-29 09:30"`` (local time): run as if it were then (demos and tests)."""
    if not value:
        return timedelta()
    from zoneinfo import ZoneInfo

    local = datetime.strptime(value, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo(policy.timezone))
    return local.astimezone(timezone.utc) - utcnow()
