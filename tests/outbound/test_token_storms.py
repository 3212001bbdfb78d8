"""WeChat token storms and daily quotas (issue 14, item 3): forced refreshes of the access token are rationed for
all processes together, a token rejected right after a refresh fails the row with a reason instead of looping, and
45009 (daily quota) waits for Beijing midnight. Real HTTP to the local fake WeChat; "processes" are drainers with
their own channels sharing one store (Redis when KAOHE_TEST_REDIS_URL is set)."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update
from zoneinfo import ZoneInfo

from bot.channels import build_channels
from bot.channels.token import TokenError, TokenRejected
from handlers.outbound import notices
from handlers.outbound.deliveries import QUOTA_TODAY, TOKEN_REJECTED
from models import Delivery, utcnow
from scheduler.drainer import Drainer
from tests import factories

from .conftest import many_people

SEND = "/cgi-bin/message/template/send"
TOKEN = "/cgi-bin/stable_token"


def forced(fake) -> int:
    return sum(1 for c in fake.calls_to(TOKEN) if c.body and c.body.get("force_refresh") is True)


def drain_in_two_processes(db, settings, store, max_seconds: float = 30) -> None:
    drainers = [Drainer(db, build_channels(settings, store, timeout=3.0), store, workers=4, owner=f"p{i}")
                for i in range(2)]
    threads = [threading.Thread(target=d.drain, kwargs={"max_seconds": max_seconds}) for d in drainers]
    [t.start() for t in threads]
    [t.join() for t in threads]


def states(db) -> list[tuple]:
    with db.session() as s:
        return s.execute(select(Delivery.address, Delivery.state, Delivery.errcode, Delivery.error,
                                Delivery.attempts, Delivery.next_at)).all()


@pytest.fixture
def crowd(session, county_actor):
    openids = many_people(session, factories.unit(session, "县政府办"), 60)
    nid = notices.compose(session, county_actor, title="通知", body="正文", to=["all"]).id
    session.commit()
    return nid, openids


def test_a_burst_of_40001_forces_one_refresh_across_processes(db, crowd, wechat_settings, store, fake_wechat):
    fake = fake_wechat.fake
    fake.fail(SEND, errcode=40001, times=30)
    drain_in_two_processes(db, wechat_settings, store)
    assert forced(fake) == 1
    rows = states(db)
    assert {r.state for r in rows} <= {"sent", "failed"}
    assert {r.error for r in rows if r.state == "failed"} <= {TOKEN_REJECTED}
    assert sum(1 for r in rows if r.state == "sent") >= 30


def test_a_persistent_40001_fails_every_row_with_a_reason_after_one_forced_refresh(
        db, session, county_actor, crowd, wechat_settings, store, fake_wechat):
    nid, openids = crowd
    fake = fake_wechat.fake
    fake.fail(SEND, errcode=40001, times=None)
    drain_in_two_processes(db, wechat_settings, store)
    with db.session() as s:  # even once every backoff is over, nothing is tried again
        s.execute(update(Delivery).values(next_at=utcnow() - timedelta(seconds=1)))
    drain_in_two_processes(db, wechat_settings, store)
    assert forced(fake) == 1
    assert len(fake.calls_to(SEND)) <= len(openids) + 8  # one call a row; a retry only right after the refresh
    report = notices.report(session, county_actor, nid)
    assert (report.total, report.failed, report.pending) == (60, 60, 0)
    assert report.failures == [{"errcode": 40001, "reason": TOKEN_REJECTED, "count": 60}]


def test_forced_refreshes_keep_their_interval_and_a_daily_budget(wechat_settings, store, fake_wechat):
    settings = wechat_settings.with_overrides(wechat_force_refresh_interval=1, wechat_force_refresh_per_day=2)
    tokens = build_channels(settings, store)["template"].tokens
    first = tokens.get()
    second = tokens.refresh(first)  # WeChat rejected the first: forced refresh no. 1
    assert second != first and tokens.refresh(first) == second  # the same stale token again: no new refresh
    with pytest.raises(TokenRejected):  # the fresh token rejected within the interval: forcing would not help
        tokens.refresh(second)
    time.sleep(1.1)
    third = tokens.refresh(second)  # forced refresh no. 2, after the interval
    time.sleep(1.1)
    with pytest.raises(TokenError) as exhausted:  # the day's budget is spent: wait for Beijing midnight
        tokens.refresh(third)
    assert not isinstance(exhausted.value, TokenRejected)
    assert 0 < exhausted.value.retry_after <= 86400
    assert forced(fake_wechat.fake) == 2


def next_beijing_midnight() -> datetime:
    local = datetime.now(ZoneInfo("Asia/Shanghai"))
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), ZoneInfo("Asia/Shanghai"))
    return midnight.astimezone(timezone.utc)


def test_the_daily_quota_defers_every_row_until_beijing_midnight(db, session, county_actor, crowd, wechat_settings,
                                                                 store, fake_wechat):
    fake = fake_wechat.fake
    fake.fail(SEND, errcode=45009, times=None)
    drainer = Drainer(db, build_channels(wechat_settings, store, timeout=3.0), store, workers=4)
    drainer.drain()
    calls = len(fake.calls_to(SEND))
    assert calls <= 4  # the first answer closes the API for everyone; at most the sends already in flight
    with db.session() as s:  # even if the rows fell due again, WeChat is not asked before midnight
        s.execute(update(Delivery).values(next_at=utcnow() - timedelta(seconds=1)))
    drainer.drain()
    assert len(fake.calls_to(SEND)) == calls
    rows = states(db)
    midnight = next_beijing_midnight()
    assert {(r.state, r.errcode, r.error, r.attempts) for r in rows} == {("pending", 45009, QUOTA_TODAY, 0)}
    assert all(abs((r.next_at - midnight).total_seconds()) < 10 for r in rows)
