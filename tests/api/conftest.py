"""A unit (and a second one for "other" objects), logged in through the real login path (fake WeChat, real HTTP)."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pytest

from models import WeChatBinding, utcnow
from tests import factories as f

_codes = itertools.count(1)


@pytest.fixture
def api_settings(settings, fake_wechat):
    return settings.with_overrides(wechat_api_base=fake_wechat.url, login_limit_per_ip=1000,
                                   login_limit_per_openid=1000)


@pytest.fixture
def api_app(api_settings, db):
    from bot import create_app
    from bot.ext import services

    application = create_app(api_settings)
    yield application
    store = services(application).store
    client = getattr(store, "client", None)
    if client is not None:  # Redis: forget this test's sessions and counters (the test database's own db number)
        for key in client.scan_iter(f"{store.prefix}*"):
            client.delete(key)
    services(application).close()


@pytest.fixture
def api(api_app):
    return api_app.test_client()


class Caller:
    """A logged-in person: ``caller.get(path)`` etc. send the bearer token."""

    def __init__(self, client, token: str, person):
        self.client, self.token, self.person = client, token, person

    def _h(self, headers):
        return {"Authorization": f"Bearer {self.token}", **(headers or {})}

    def get(self, path, headers=None, **kw):
        return self.client.get(path, headers=self._h(headers), **kw)

    def post(self, path, json=None, headers=None, **kw):
        return self.client.post(path, json=json, headers=self._h(headers), **kw)

    def put(self, path, json=None, headers=None, **kw):
        return self.client.put(path, json=json, headers=self._h(headers), **kw)

    def delete(self, path, headers=None, **kw):
        return self.client.delete(path, headers=self._h(headers), **kw)


def login(client, fake_wechat, session, person) -> Caller:
    """Bind the person's Mini Program openid (as a redeemed code would) and log in through code2session."""
    openid = f"o-mini-{person.staff_no}"
    if session.query(WeChatBinding).filter_by(channel="miniapp", openid=openid).one_or_none() is None:
        session.add(WeChatBinding(person_id=person.id, channel="miniapp", openid=openid, bound_at=utcnow()))
        session.commit()
    code = f"CODE-{next(_codes)}"
    fake_wechat.fake.add_login_code(code, openid)
    r = client.post("/api/v1/auth/login", json={"code": code})
    assert r.status_code == 200 and r.json["status"] == "ok", r.json
    return Caller(client, r.json["token"], person)


@dataclass
class World:
    unit: object
    other_unit: object
    people: dict = field(default_factory=dict)


@pytest.fixture
def world(session):
    """县财政局: boss (中层干部 leader), deputy (中层干部, 分管领导), five clerks (一般干事), HR; 县税务局: its own boss, clerk,
    HR; the county office (county_admin)."""
    unit = f.unit(session, "县财政局")
    boss = f.person(session, unit, "中层干部", leader=True, name="张局长")
    deputy = f.person(session, unit, "中层干部", supervisor=boss, roles=("supervisor",), name="赵副局长")
    clerks = [f.person(session, unit, supervisor=boss, name=f"干事{i}") for i in range(1, 6)]
    hr = f.person(session, unit, supervisor=boss, roles=("unit_admin",), name="李人事")
    other = f.unit(session, "县税务局")
    o_boss = f.person(session, other, "中层干部", leader=True, name="税务局长")
    o_clerk = f.person(session, other, supervisor=o_boss, name="税务干事")
    o_hr = f.person(session, other, supervisor=o_boss, roles=("unit_admin",), name="税务人事")
    office = f.unit(session, "县委组织部", tiers=("一般干事",))
    county = f.person(session, office, roles=("county_admin",), name="公务员办")
    session.commit()
    return World(unit, other, dict(boss=boss, deputy=deputy, clerks=clerks, hr=hr, o_boss=o_boss, o_clerk=o_clerk,
                                   o_hr=o_hr, county=county))


@pytest.fixture
def callers(api, fake_wechat, session, world):
    p = world.people
    names = ("boss", "hr", "o_boss", "o_clerk", "o_hr", "county", "deputy")
    out = {n: login(api, fake_wechat, session, p[n]) for n in names}
    out["clerks"] = [login(api, fake_wechat, session, c) for c in p["clerks"]]
    out["clerk"] = out["clerks"][0]
    return out


def year_quarter():
    today = utcnow().date()
    return today.year, (today.month - 1) // 3 + 1
