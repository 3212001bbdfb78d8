"""Fixtures for the Official Account chat: an app with an EncodingAESKey, the fake WeChat API, a simulator."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.simulator.client import WeChatSimulator, flask_transport
from handlers.actor import system_actor
from handlers.identity.binding import issue_bind_code
from handlers.quarter.cycles import open_cycle
from models import utcnow
from tests import factories as f

AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"


def flush_redis(redis_url: str | None) -> None:
    if not redis_url:
        return
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter("kaohe:*"):
        client.delete(key)
    client.close()


@pytest.fixture
def chat_settings(settings, fake_wechat):
    return settings.with_overrides(wechat_aes_key=AES_KEY, wechat_api_base=fake_wechat.url)


def build_app(chat_settings, **overrides):
    from bot import create_app

    return create_app(chat_settings.with_overrides(**overrides) if overrides else chat_settings)


@pytest.fixture
def chat_app(chat_settings, db, redis_url):
    from bot.ext import services

    flush_redis(redis_url)
    app = build_app(chat_settings)
    yield app
    services(app).close()
    flush_redis(redis_url)


@pytest.fixture
def make_sim(chat_app, chat_settings):
    def make(mode: str = "safe", app=None) -> WeChatSimulator:
        return WeChatSimulator(flask_transport((app or chat_app).test_client()), chat_settings.wechat_token,
                               chat_settings.wechat_appid, AES_KEY, mode)

    return make


@pytest.fixture
def sim(make_sim):
    return make_sim("safe")


@pytest.fixture
def team(db, policy):
    """A unit with an open cycle: 张局长 (leader, supervises), 王干事 (staff), 李人事 (unit HR)."""
    with db.session() as s:
        unit = f.unit(s)
        boss = f.person(s, unit, "中层干部", leader=True, name="张局长", staff_no="B001")
        clerk = f.person(s, unit, supervisor=boss, name="王干事", staff_no="C001")
        hr = f.person(s, unit, supervisor=boss, roles=("unit_admin",), name="李人事", staff_no="H001")
        today = utcnow().date()
        cycle = open_cycle(s, system_actor(), unit.id, today.year, (today.month - 1) // 3 + 1, policy, today=today)
        cycle.summary_due = utcnow() + timedelta(days=3)
        cycle.scoring_due = utcnow() + timedelta(days=6)
        ids = dict(unit=unit.id, boss=boss.id, clerk=clerk.id, hr=hr.id, cycle=cycle.id)
    return ids


@pytest.fixture
def bind(db, policy):
    """``bind(sim, staff_no, openid)``: issue a code and send “绑定 <code>” through the chat."""
    def do(sim, staff_no: str, openid: str) -> str:
        with db.session() as s:
            code = issue_bind_code(s, system_actor(), staff_no, policy).code
        return sim.text(openid, f"绑定 {code}").text

    return do
