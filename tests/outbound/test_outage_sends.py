"""A notice goes on through outages (issue 14). The database stopping while messages are being sent must not make
anyone receive a message twice: the drainer keeps the results it could not write and writes them when the database is
back. Redis dying must not stop the notice or spend its attempts: the drainer paces itself and sends with the token
it last saw. Both outages are real: a private PostgreSQL stopped with ``pg_ctl stop -m fast`` at the fifth send, a
private redis-server killed with SIGKILL."""
from __future__ import annotations

import itertools
import os
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.channels import build_channels
from config import load_settings
from handlers.outbound import notices
from handlers.actor import system_actor
from models import Delivery, utcnow
from models.db import Database
from models.migrate import upgrade
from models.store import MemoryStore, RedisStore
from scheduler.drainer import Drainer
from tests import factories
from tests.faults.procs import PG_BIN, PrivatePostgres

from .conftest import bind
from .private_redis import PrivateRedis

SEND = "/cgi-bin/message/template/send"


def notice_to(session, n: int, unit_name: str) -> tuple[int, list[str]]:
    unit = factories.unit(session, unit_name)
    openids = [bind(session, factories.person(session, unit)) for _ in range(n)]
    session.commit()
    notice = notices.compose(session, system_actor(), title="考核通知", body="请按时完成", to=[f"unit:{unit_name}"])
    session.commit()
    return notice.id, openids


def states(session, notice_id: int) -> dict[str, tuple[str, int]]:
    session.expire_all()
    return {d.address: (d.state, d.attempts) for d in session.scalars(select(Delivery).where(
        Delivery.notice_id == notice_id))}


@pytest.mark.skipif(not os.path.exists(f"{PG_BIN}/pg_ctl"), reason="PostgreSQL 15's server binaries are not installed")
def test_messages_sent_while_the_database_is_down_are_recorded_when_it_returns_and_never_sent_twice(fake_wechat):
    pg = PrivatePostgres().start()
    try:
        url = pg.create_database("kaohe")
        upgrade(url)
        db = Database(url)
        with db.session() as s:
            notice_id, openids = notice_to(s, 30, "县财政局")
        settings = load_settings({}, database_url=url, wechat_api_base=fake_wechat.url, send_rate=0)
        store = MemoryStore()
        channels = build_channels(settings, store, timeout=5.0)
        calls = itertools.count()
        restarted = threading.Event()

        def stop_the_database_at_the_fifth_send(_args) -> bool:
            if next(calls) == 4:  # this message goes out; its result cannot be written for the next two seconds
                pg.stop()
                threading.Timer(2.0, lambda: (pg.start(), restarted.set())).start()
            return False  # not a fault: WeChat answers ok

        fake_wechat.fake.fail(SEND, times=None, match=stop_the_database_at_the_fifth_send)
        Drainer(db, channels, store, workers=1, lease=30, flush_every=10).drain(max_seconds=60)
        assert restarted.wait(30)
        # A second drainer long after the lease: a row left "sending" would be re-queued and its message sent again.
        later = Drainer(db, channels, store, workers=2, lease=30, clock=lambda: utcnow() + timedelta(minutes=5))
        later.drain(max_seconds=60)

        got = {to: n for to, n in fake_wechat.fake.delivered().items() if to in openids}
        assert got == {openid: 1 for openid in openids}
        with db.session() as s:
            assert set(states(s, notice_id).values()) == {("sent", 1)}
        db.dispose()
    finally:
        pg.destroy()


@pytest.mark.skipif(not PrivateRedis.available(), reason="redis-server is not installed")
def test_a_notice_goes_on_while_redis_is_down_paced_and_with_the_token_last_seen(db, session, fake_wechat):
    redis = PrivateRedis().start()
    try:
        store = RedisStore(redis.url)
        settings = load_settings({}, database_url=db.engine.url.render_as_string(hide_password=False), wechat_api_base=fake_wechat.url, send_rate=50)
        drainer = Drainer(db, build_channels(settings, store, timeout=2.0), store, workers=2, rate=50, lease=30)
        first, _ = notice_to(session, 3, "县财政局")
        drainer.drain(max_seconds=30)
        assert set(states(session, first).values()) == {("sent", 1)}

        redis.kill()
        second, openids = notice_to(session, 12, "县交通局")
        stats = drainer.drain(max_seconds=30)

        assert stats.by_state == {"sent": 12}
        assert set(states(session, second).values()) == {("sent", 1)}  # no attempt spent on the outage
        got = {to: n for to, n in fake_wechat.fake.delivered().items() if to in openids}
        assert got == {openid: 1 for openid in openids}
        assert len(fake_wechat.fake.calls_to("/cgi-bin/stable_token")) == 1  # the token from before the outage
    finally:
        redis.kill()
