"""Real ``kaohe scheduler`` processes: two at once (one leader, a standby that takes over), a restart, and a drainer
killed with SIGKILL in the middle of a 10,000-recipient notice. Generous timeouts: the machine may be loaded."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date

import pytest
from sqlalchemy import func, select

from handlers.outbound import notices
from handlers.actor import system_actor
from handlers.quarter.cycles import open_cycle
from models import Delivery, Notice, Summary
from tests import factories

from .conftest import bind, many_people

SEND = "/cgi-bin/message/template/send"


class Scheduler:
    def __init__(self, env: dict, log_path, clock: str | None = None):
        self.log_path = log_path
        args = [sys.executable, "-c", "from bot.cli import main; main()", "scheduler"] + (["--clock", clock] if clock else [])
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(args, env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=os.getcwd())

    def output(self) -> str:
        return self.log_path.read_text()

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def wait_for(check, timeout: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def sched_env(database_url, redis_url, fake_wechat):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAOHE_")}
    env.update(KAOHE_DATABASE_URL=database_url, KAOHE_ENV="test", KAOHE_WECHAT_API_BASE=fake_wechat.url,
               KAOHE_WECOM_API_BASE=fake_wechat.url, KAOHE_SCHEDULER_LOCK_TTL="2", KAOHE_DELIVERY_LEASE="3",
               KAOHE_SEND_RATE="0")
    client = None
    if redis_url:
        import redis

        env["KAOHE_REDIS_URL"] = redis_url
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter("kaohe:*"):
            client.delete(key)
    started: list[Scheduler] = []
    yield env, started
    for s in started:
        s.stop(signal.SIGKILL)
    if client is not None:
        for key in client.scan_iter("kaohe:*"):
            client.delete(key)
        client.close()


def count(db, stmt) -> int:
    with db.session() as s:
        return s.scalar(stmt)


def reminder_sends(fake) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in fake.calls_to(SEND):
        if c.errcode == 0 and c.body["data"]["thing1"]["value"] == "填写个人小结提醒":
            out[c.body["touser"]] = out.get(c.body["touser"], 0) + 1
    return out


def test_reminders_once_with_two_schedulers_a_takeover_and_a_restart(db, policy, sched_env, fake_wechat,
                                                                      redis_url, tmp_path):
    env, started = sched_env
    with db.session() as session:
        unit = factories.unit(session, "县财政局")
        people = [factories.person(session, unit) for _ in range(4)]
        openids = [bind(session, p) for p in people]
        cycle = open_cycle(session, system_actor(), unit.id, 2026, 4, policy, today=date(2026, 12, 25))
        session.add(Summary(cycle_id=cycle.id, person_id=people[0].id, state="submitted"))
    clock = "2027-01-02 09:05"  # the 3-days-before reminder of the summary deadline is due
    a = Scheduler(env, tmp_path / "a.log", clock)
    started.append(a)
    wait_for(lambda: "已成为主调度器" in a.output(), 120, "the first scheduler to lead")
    b = Scheduler(env, tmp_path / "b.log", clock)
    started.append(b)
    wait_for(lambda: reminder_sends(fake_wechat.fake).keys() == set(openids[1:]), 180, "the reminders")
    if redis_url:  # one leader at a time; the standby takes over after the leader dies
        time.sleep(3)
        assert "已成为主调度器" not in b.output()
        a.stop(signal.SIGKILL)
        wait_for(lambda: "已成为主调度器" in b.output(), 60, "the standby to take over")
        with db.session() as session:
            nid = notices.compose(session, system_actor(), title="接管后的通知", body="正文", to=["all"]).id
        wait_for(lambda: count(db, select(func.count()).where(Delivery.notice_id == nid, Delivery.state == "sent")) == 4,
                 120, "the new leader to send")
    for s in list(started):
        s.stop()
    again = Scheduler(env, tmp_path / "c.log", "2027-01-02 10:00")  # a restart, the same offset still in grace
    started.append(again)
    with db.session() as session:
        nid = notices.compose(session, system_actor(), title="重启后的通知", body="正文", to=["all"]).id
    wait_for(lambda: count(db, select(func.count()).where(Delivery.notice_id == nid, Delivery.state == "sent")) == 4,
             120, "the restarted scheduler to send")
    time.sleep(6)  # one more round of every interval job
    again.stop()
    assert reminder_sends(fake_wechat.fake) == {o: 1 for o in openids[1:]}  # not to people[0], once to the others
    assert count(db, select(func.count()).select_from(Notice).where(Notice.kind == "reminder")) == 1


def test_sigkill_mid_notice_then_restart_delivers_to_everyone_once(db, sched_env, fake_wechat, tmp_path, capsys):
    env, started = sched_env
    fake = fake_wechat.fake
    fake.latency = 0.002
    with db.session() as session:
        openids = many_people(session, factories.unit(session, "县政府办"), 10_000)
        nid = notices.compose(session, system_actor(), title="全县通知", body="万人通知", to=["all"]).id

    def sent() -> int:
        return sum(1 for c in fake.calls_to(SEND) if c.errcode == 0)

    first = Scheduler(env, tmp_path / "first.log")
    started.append(first)
    wait_for(lambda: sent() >= 2500, 300, "a quarter of the sends")
    first.stop(signal.SIGKILL)
    at_kill = sent()
    claimed = count(db, select(func.count()).where(Delivery.notice_id == nid, Delivery.state == "sending"))
    assert at_kill < 10_000
    second = Scheduler(env, tmp_path / "second.log")
    started.append(second)
    with db.session() as session:
        wait_for(lambda: notices.report(session, system_actor(), nid).pending == 0, 600, "the rest of the sends", 1)
    second.stop()
    with db.session() as session:
        report = notices.report(session, system_actor(), nid)
    assert (report.total, report.sent, report.failed, report.refused) == (10_000, 10_000, 0, 0)
    got = fake.delivered()
    assert set(got) == set(openids)
    duplicates = sum(n - 1 for n in got.values())
    with capsys.disabled():
        print(f"\n[sigkill] sent before kill {at_kill}, rows claimed at kill {claimed}, "
              f"sent twice (in flight at the kill) {duplicates}")
    assert duplicates <= min(claimed, 8 * 10)  # at most the unrecorded sends: workers × flush_every
