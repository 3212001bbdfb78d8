"""Fault injection on the fake server: transient errors retry with backoff, the token is refreshed once by one
refresher, refusals are final, timeouts and dropped connections retry."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.channels import build_channels
from handlers.outbound import notices
from handlers.outbound.deliveries import MAX_ATTEMPTS, Claimed
from models import Delivery, utcnow
from scheduler.drainer import Drainer
from tests import factories

from .conftest import bind

SEND = "/cgi-bin/message/template/send"


@pytest.fixture
def crowd(session):
    unit = factories.unit(session, "县财政局")
    people = [factories.person(session, unit) for _ in range(6)]
    openids = [bind(session, p) for p in people]
    session.commit()
    return openids


def send_all(session, county_actor):
    n = notices.compose(session, county_actor, title="通知", body="正文", to=["all"])
    session.commit()
    return n.id


def rows(session):
    session.expire_all()
    return {d.address: d for d in session.scalars(select(Delivery))}


def backoff_elapses(db):
    with db.session() as s:
        s.execute(update(Delivery).where(Delivery.state == "pending").values(next_at=utcnow() - timedelta(seconds=1)))


def test_transient_errors_retry_with_backoff(db, session, county_actor, crowd, drainer, fake_wechat):
    fake = fake_wechat.fake
    fake.fail(SEND, errcode=-1, times=1, match=lambda a: a.get("touser") == crowd[0])
    fake.fail(SEND, errcode=45011, times=1, match=lambda a: a.get("touser") == crowd[1])
    fake.fail(SEND, drop=True, times=1, match=lambda a: a.get("touser") == crowd[2])
    nid = send_all(session, county_actor)
    drainer.drain()
    r = rows(session)
    assert [(r[o].state, r[o].errcode, r[o].error) for o in crowd[:3]] == [
        ("pending", -1, "微信系统繁忙"), ("pending", 45011, "接口调用过于频繁"), ("pending", None, "网络连接中断")]
    assert all(r[o].next_at > utcnow() + timedelta(seconds=20) for o in crowd[:3])  # backing off
    assert all(r[o].state == "sent" for o in crowd[3:])
    backoff_elapses(db)
    drainer.drain()
    report = notices.report(session, county_actor, nid)
    assert (report.sent, report.pending) == (6, 0)
    assert fake.delivered() == {o: 1 for o in crowd}


def test_timeout_is_transient(db, session, county_actor, crowd, wechat_settings, store, fake_wechat):
    fake_wechat.fake.fail(SEND, latency=1.5, times=1, match=lambda a: a.get("touser") == crowd[0])
    quick = Drainer(db, build_channels(wechat_settings, store, timeout=0.5), store, workers=2)
    send_all(session, county_actor)
    quick.drain()
    assert (rows(session)[crowd[0]].state, rows(session)[crowd[0]].error) == ("pending", "请求超时（微信可能已送达，重发时可能收到两次）")


def test_stale_token_is_refreshed_once_then_the_send_retried(db, session, county_actor, crowd, drainer, fake_wechat):
    fake = fake_wechat.fake
    fake.fail(SEND, errcode=40001, times=1)
    send_all(session, county_actor)
    drainer.drain()
    tokens = fake.calls_to("/cgi-bin/stable_token")
    assert len(tokens) == 2 and tokens[1].body["force_refresh"] is True
    assert all(d.state == "sent" for d in rows(session).values())
    assert len(fake.calls_to(SEND)) == 7  # six sends, one of them twice (before and after the refresh)


def test_many_workers_fetch_the_token_once(db, session, county_actor, crowd, channels, fake_wechat):
    sender, barrier = channels["template"], threading.Barrier(8)
    tokens = []

    def get():
        barrier.wait()
        tokens.append(sender.tokens.get())

    threads = [threading.Thread(target=get) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(set(tokens)) == 1 and len(fake_wechat.fake.calls_to("/cgi-bin/stable_token")) == 1


def test_refusals_are_final_and_never_retried(db, session, county_actor, crowd, drainer, fake_wechat):
    fake = fake_wechat.fake
    fake.refuse(crowd[:2])
    fake.fail(SEND, errcode=43004, times=None, match=lambda a: a.get("touser") == crowd[2])
    fake.fail(SEND, errcode=40003, times=None, match=lambda a: a.get("touser") == crowd[3])
    nid = send_all(session, county_actor)
    drainer.drain()
    backoff_elapses(db)
    drainer.drain()
    r = notices.report(session, county_actor, nid)
    assert (r.total, r.sent, r.refused, r.failed, r.pending) == (6, 2, 3, 1, 0)
    assert {(f["errcode"], f["reason"], f["count"]) for f in r.failures} == {
        (43101, "用户拒绝接收（未订阅该消息）", 2), (43004, "用户未关注公众号", 1), (40003, "openid 无效", 1)}
    assert len(fake.calls_to(SEND)) == 6  # one call each: nothing was retried


def test_a_row_gives_up_after_the_last_attempt(db, session, county_actor, crowd, drainer, fake_wechat):
    fake_wechat.fake.fail(SEND, errcode=-1, times=None, match=lambda a: a.get("touser") == crowd[0])
    nid = send_all(session, county_actor)
    for _ in range(MAX_ATTEMPTS + 1):
        drainer.drain()
        backoff_elapses(db)
    d = rows(session)[crowd[0]]
    assert (d.state, d.attempts, d.errcode) == ("failed", MAX_ATTEMPTS, -1)
    assert notices.report(session, county_actor, nid).failed == 1


def test_expired_lease_returns_the_row_and_a_late_result_is_ignored(db, session, county_actor, crowd, channels, store):
    from handlers.outbound import deliveries

    send_all(session, county_actor)
    with db.session() as s:
        first = deliveries.claim(s, "dead-drainer", 2, lease_seconds=0.0)
    assert len(first) == 2
    with db.session() as s:
        later = utcnow() + timedelta(seconds=1)
        assert deliveries.release_expired(s, later) == 2
        second = deliveries.claim(s, "live-drainer", 10, lease_seconds=30, now=later)
    assert {c.id for c in first} <= {c.id for c in second}
    with db.session() as s:  # the dead drainer wakes up and reports: its claim is gone, nothing is written
        deliveries.record(s, [(c, deliveries.SendResult(43101)) for c in first])
    assert all(d.state == "sending" for d in rows(session).values())
    assert isinstance(first[0], Claimed)
