"""The phone pages through the real sign-in: the app redirects to WeChat's authorization page (the local fake
WeChat, real HTTP), the fake sends the browser back with a code, the app exchanges it over HTTP for the openid."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlparse

import pytest
import requests

from handlers.actor import system_actor
from handlers.quarter.cycles import open_cycle, transition
from models import Cycle, Evaluation, Summary, WeChatBinding, utcnow
from tests import factories as f

PUBLIC = "http://localhost"


@pytest.fixture
def web_settings(settings, fake_wechat):
    return settings.with_overrides(wechat_api_base=fake_wechat.url, wechat_open_base=fake_wechat.url,
                                   public_url=PUBLIC, login_limit_per_ip=1000, login_limit_per_openid=1000)


@pytest.fixture
def web_app(web_settings, db):
    from bot import create_app
    from bot.ext import services

    application = create_app(web_settings)
    yield application
    store = services(application).store
    client = getattr(store, "client", None)
    if client is not None:
        for key in client.scan_iter(f"{store.prefix}*"):
            client.delete(key)
    services(application).close()


def bind_oa(session, person, openid: str | None = None) -> str:
    openid = openid or f"o-oa-{person.staff_no}"
    session.add(WeChatBinding(person_id=person.id, channel="oa", openid=openid, bound_at=utcnow()))
    session.commit()
    return openid


def sign_in(client, fake_wechat, openid: str, next_path: str = "/m/me"):
    """What a phone does: open the page → WeChat's authorization → back with a code → the page."""
    r = client.get(f"/m/login?next={next_path}")
    assert r.status_code == 302, r.data
    authorize = r.headers["Location"]
    assert authorize.startswith(f"{fake_wechat.url}/connect/oauth2/authorize?") and "snsapi_base" in authorize
    chooser = requests.get(authorize, timeout=5)
    assert chooser.status_code == 200 and "模拟微信网页授权" in chooser.text
    query = urlparse(authorize).query.split("#")[0]
    back = requests.get(f"{fake_wechat.url}/connect/oauth2/_choose?{query}&openid={openid}", allow_redirects=False,
                        timeout=5)
    assert back.status_code == 302
    callback = urlparse(back.headers["Location"])
    assert f"{callback.scheme}://{callback.netloc}" == PUBLIC and callback.path == "/m/auth/callback"
    return client.get(f"{callback.path}?{callback.query}")


def csrf_of(page_html: str) -> str:
    m = re.search(r'name="csrf-token" content="([0-9a-f]*)"', page_html)
    return m.group(1) if m else ""


@dataclass
class Unit:
    unit: object
    cycle_id: int
    people: dict = field(default_factory=dict)
    openids: dict = field(default_factory=dict)


def _unit(session, policy, name: str, prefix: str) -> Unit:
    u = f.unit(session, name=name)
    boss = f.person(session, u, "中层干部", leader=True, name=f"{prefix}局长", staff_no=f"{prefix}B1")
    hr = f.person(session, u, "中层干部", name=f"{prefix}人事", staff_no=f"{prefix}H1", roles=("unit_admin",),
                  supervisor=boss)
    clerks = [f.person(session, u, supervisor=boss, name=f"{prefix}干事{i}", staff_no=f"{prefix}C{i}") for i in (1, 2, 3)]
    today = utcnow().date()
    cycle = open_cycle(session, system_actor(), u.id, today.year, (today.month - 1) // 3 + 1, policy, today=today)
    cycle.summary_due = utcnow() + timedelta(days=3)
    cycle.scoring_due = utcnow() + timedelta(days=6)
    session.commit()
    world = Unit(u, cycle.id, {"boss": boss, "hr": hr, **{f"c{i}": c for i, c in enumerate(clerks, 1)}})
    for key, person in world.people.items():
        world.openids[key] = bind_oa(session, person)
    return world


@pytest.fixture
def world(session, policy):
    """县财政局 (open quarter: a head who scores, unit HR, three clerks) and 县交通局 (another unit)."""
    return {"a": _unit(session, policy, "县财政局", "A"), "b": _unit(session, policy, "县交通局", "B")}


def submit_all_summaries(session, cycle_id: int) -> None:
    for e in session.query(Evaluation).filter_by(cycle_id=cycle_id):
        session.add(Summary(cycle_id=cycle_id, person_id=e.person_id, state="submitted", paragraphs=["本季度完成任务。"],
                            voice_media_ids=[], submitted_at=utcnow()))
    session.commit()


def move(session, policy, cycle_id: int, *actions: str) -> None:
    cycle = session.get(Cycle, cycle_id)
    for action in actions:
        transition(session, system_actor(), cycle, action, policy=policy)
    session.commit()


def console_sign_in(client, username: str, password: str, totp: str | None = None, next_path: str = "/console"):
    """The console's login form as a browser submits it (CSRF token from the form)."""
    form = client.get(f"/console/login?next={next_path}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form).group(1)
    return client.post("/console/login", data={"username": username, "password": password, "totp": totp or "",
                                               "csrf_token": token, "next": next_path})


@pytest.fixture
def console_accounts(session, world):
    """Console accounts: 县财政局's HR (with TOTP) and a county-office officer (without)."""
    from handlers.identity import admin_accounts as A

    u = world["a"].unit
    county = f.person(session, f.unit(session, name="县委组织部"), "一般干事", name="县办干部", staff_no="K001",
                      roles=("county_admin",))
    session.commit()
    _, secret = A.create_account(session, system_actor(), "caizheng-hr", world["a"].people["hr"].staff_no,
                                 "correct horse battery", True)
    A.create_account(session, system_actor(), "county", county.staff_no, "correct horse battery", False)
    session.commit()
    return {"hr": ("caizheng-hr", "correct horse battery", secret), "county": ("county", "correct horse battery", None),
            "unit": u, "county_person": county}


def current_totp(secret: str) -> str:
    import time

    from handlers.identity import admin_accounts as A

    return A.totp(secret, int(time.time() // 30))
