"""Scheduler leadership under a Redis outage (issue 14, item 1): real ``kaohe scheduler`` processes against a
private redis-server that the test kills with SIGKILL and starts again on the same port."""
from __future__ import annotations

import signal
import time

import pytest
from sqlalchemy import func, select

from handlers.outbound import notices
from handlers.actor import system_actor
from models import Delivery
from tests import factories

from .conftest import bind
from .private_redis import PrivateRedis
from .test_processes import Scheduler, count, wait_for

pytestmark = pytest.mark.skipif(not PrivateRedis.available(), reason="redis-server is not installed")
LEADS = "已成为主调度器"


@pytest.fixture
def private_redis():
    server = PrivateRedis().start()
    yield server
    server.kill()


@pytest.fixture
def schedulers():
    started: list[Scheduler] = []
    yield started
    for s in started:
        s.stop(signal.SIGKILL)


def scheduler_env(database_url, fake_url, redis_url, ttl: int) -> dict:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("KAOHE_")}
    env.update(KAOHE_DATABASE_URL=database_url, KAOHE_ENV="test", KAOHE_WECHAT_API_BASE=fake_url,
               KAOHE_WECOM_API_BASE=fake_url, KAOHE_SCHEDULER_LOCK_TTL=str(ttl), KAOHE_DELIVERY_LEASE="5",
               KAOHE_SEND_RATE="0", KAOHE_REDIS_URL=redis_url)
    return env


def just_renewed(server: PrivateRedis) -> None:
    """Return right after the leader renewed its lock (its remaining life went up)."""
    import redis

    client = redis.Redis.from_url(server.url)
    try:
        before = client.pttl("kaohe:scheduler:leader")
        while True:
            time.sleep(0.01)
            now = client.pttl("kaohe:scheduler:leader")
            if now > before > 0:
                return
            before = now
    finally:
        client.close()


def leads(*procs: Scheduler) -> int:
    return sum(p.output().count(LEADS) for p in procs)


def sent(db, nid) -> int:
    return count(db, select(func.count()).where(Delivery.notice_id == nid, Delivery.state == "sent"))


def test_two_schedulers_ride_out_a_redis_outage_and_one_leads_again_within_seconds(
        db, database_url, fake_wechat, private_redis, schedulers, tmp_path):
    with db.session() as session:
        unit = factories.unit(session, "县财政局")
        openids = [bind(session, factories.person(session, unit)) for _ in range(3)]
    env = scheduler_env(database_url, fake_wechat.url, private_redis.url, ttl=2)
    a = Scheduler(env, tmp_path / "a.log")
    schedulers.append(a)
    wait_for(lambda: LEADS in a.output(), 120, "the first scheduler to lead")
    b = Scheduler(env, tmp_path / "b.log")
    schedulers.append(b)
    wait_for(lambda: "等待成为主调度器" in b.output(), 120, "the standby to start")
    time.sleep(1)
    assert leads(a, b) == 1

    private_redis.kill()
    wait_for(lambda: "已转为备用" in a.output(), 15, "the leader to step down")
    time.sleep(8)  # four TTLs of outage: before the fix both processes had exited by now
    assert a.proc.poll() is None and b.proc.poll() is None
    assert [p.output().count("Redis 不可用") for p in (a, b)] == [1, 1]  # logged once each, not per retry

    private_redis.start()
    back = time.monotonic()
    wait_for(lambda: leads(a, b) == 2, 15, "a scheduler to lead again")
    recovery = time.monotonic() - back
    assert recovery < 6
    with db.session() as session:
        nid = notices.compose(session, system_actor(), title="恢复后的通知", body="正文", to=["all"]).id
    wait_for(lambda: sent(db, nid) == 3, 60, "the new leader to send")
    time.sleep(2)
    assert leads(a, b) == 2  # one leader, no flapping
    assert fake_wechat.fake.delivered() == {o: 1 for o in openids}


def test_a_standby_takes_over_within_the_ttl(db, database_url, fake_wechat, private_redis, schedulers, tmp_path):
    ttl = 6
    env = scheduler_env(database_url, fake_wechat.url, private_redis.url, ttl=ttl)
    a = Scheduler(env, tmp_path / "a.log")
    schedulers.append(a)
    wait_for(lambda: LEADS in a.output(), 120, "the first scheduler to lead")
    b = Scheduler(env, tmp_path / "b.log")
    schedulers.append(b)
    wait_for(lambda: "等待成为主调度器" in b.output(), 120, "the standby to start")
    just_renewed(private_redis)  # the worst moment to die: the lock has its whole life ahead
    a.stop(signal.SIGKILL)
    killed = time.monotonic()
    wait_for(lambda: LEADS in b.output(), 3 * ttl, "the standby to take over", every=0.05)
    assert time.monotonic() - killed <= ttl + 0.5


def test_a_restarted_scheduler_retakes_its_own_lock_at_once(db, database_url, fake_wechat, private_redis,
                                                            schedulers, tmp_path):
    ttl = 60
    env = scheduler_env(database_url, fake_wechat.url, private_redis.url, ttl=ttl)
    first = Scheduler(env, tmp_path / "first.log")
    schedulers.append(first)
    wait_for(lambda: LEADS in first.output(), 120, "the scheduler to lead")
    first.stop(signal.SIGKILL)  # a crash: the lock stays in Redis for up to a minute
    started = time.monotonic()
    again = Scheduler(env, tmp_path / "again.log")
    schedulers.append(again)
    wait_for(lambda: LEADS in again.output(), 2 * ttl, "the restarted scheduler to lead")
    assert time.monotonic() - started < ttl / 3  # its own lock, not a wait for it to expire
