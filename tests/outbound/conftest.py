"""Fixtures for outbound messaging: people with WeChat bindings, the real channels pointed at the fake server."""
from __future__ import annotations

import pytest
from sqlalchemy import insert

from bot.channels import build_channels
from handlers.actor import Actor
from models import Membership, Person, WeChatBinding
from scheduler.drainer import Drainer
from tests import factories

COUNTY = Actor(ref="person:C0001", name="县公务员办", roles=frozenset({"county_admin"}))


@pytest.fixture
def county_actor():
    return COUNTY


def bind(session, person, openid: str | None = None, channel: str = "oa") -> str:
    openid = openid or f"o-{person.staff_no}"
    session.add(WeChatBinding(person_id=person.id, channel=channel, openid=openid))
    session.flush()
    return openid


def many_people(session, unit, n: int, prefix: str = "M") -> list[str]:
    """``n`` bound people in ``unit`` inserted in bulk; returns their openids."""
    tier = factories.tier(session, unit, "一般干事")
    rows = [{"staff_no": f"{prefix}{i:06d}", "name": f"批量{i}", "phone": None} for i in range(n)]
    session.execute(insert(Person), rows)
    ids = dict(session.query(Person.staff_no, Person.id).filter(Person.staff_no.like(f"{prefix}%")).all())
    session.execute(insert(Membership), [{"person_id": pid, "unit_id": unit.id, "tier_id": tier.id, "start_on":
                                          factories.date(2020, 1, 1)} for pid in ids.values()])
    session.execute(insert(WeChatBinding), [{"person_id": pid, "channel": "oa", "openid": f"o-{no}"}
                                            for no, pid in ids.items()])
    session.flush()
    return [f"o-{no}" for no in ids]


@pytest.fixture
def wechat_settings(settings, fake_wechat):
    return settings.with_overrides(wechat_api_base=fake_wechat.url, wecom_api_base=fake_wechat.url, send_rate=0)


@pytest.fixture
def channels(wechat_settings, store):
    return build_channels(wechat_settings, store, timeout=2.0)


@pytest.fixture
def drainer(db, channels, store):
    return Drainer(db, channels, store, workers=4, lease=30)
