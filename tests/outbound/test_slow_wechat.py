"""Slow WeChat and short leases (issue 14, item 4): a live drainer's rows are never re-queued and sent twice."""
from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from bot.channels import build_channels
from handlers.outbound import notices
from models import Delivery
from scheduler.drainer import Drainer
from tests import factories

from .conftest import many_people


def unfinished(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(Delivery).where(Delivery.state.in_(("pending", "sending"))))


def test_two_drainers_with_slow_wechat_and_a_short_lease_send_each_row_once(db, session, county_actor,
                                                                              wechat_settings, store, fake_wechat):
    fake = fake_wechat.fake
    fake.latency = 0.4  # five times a fifth of the lease: a 50-row claim would outlive its lease tenfold
    openids = many_people(session, factories.unit(session, "县政府办"), 40)
    nid = notices.compose(session, county_actor, title="通知", body="正文", to=["all"]).id
    session.commit()
    a, b = (Drainer(db, build_channels(wechat_settings, store, timeout=3.0), store, workers=4, lease=2,
                    owner=name) for name in ("drainer-a", "drainer-b"))
    first = threading.Thread(target=a.drain)
    first.start()
    deadline = time.monotonic() + 60
    while unfinished(db) and time.monotonic() < deadline:  # the other drainer runs as the scheduler's job would
        b.drain(max_seconds=5)
        time.sleep(0.2)
    first.join()
    report = notices.report(session, county_actor, nid)
    assert (report.total, report.sent) == (40, 40)
    got = fake.delivered()
    assert set(got) == set(openids)
    assert {o: n for o, n in got.items() if n > 1} == {}
    assert a.batch_size() <= 2  # claims sized to the lease at the observed latency


def test_a_stopping_drainer_gives_back_what_it_has_not_sent(db, session, county_actor, wechat_settings, store,
                                                            fake_wechat):
    fake_wechat.fake.latency = 0.3
    many_people(session, factories.unit(session, "县政府办"), 12)
    notices.compose(session, county_actor, title="通知", body="正文", to=["all"])
    session.commit()
    stop = threading.Event()
    drainer = Drainer(db, build_channels(wechat_settings, store, timeout=3.0), store, workers=1, lease=30, latency=0.01)
    threading.Timer(0.5, stop.set).start()
    stats = drainer.drain(stop=stop)
    assert 1 <= stats.sends < 12
    with db.session() as s:
        rows = s.execute(select(Delivery.state, Delivery.attempts, Delivery.claim)).all()
    assert sorted({(state, attempts, claim) for state, attempts, claim in rows}) == [("pending", 0, None),
                                                                                    ("sent", 1, None)]
    assert sum(1 for r in rows if r.state == "sent") == stats.sends
