"""Redis killed under the Mini Program API: authenticated calls keep answering from the database (sessions live in
``api_sessions``; Redis only caches them), and a logout in one worker holds in every other at once."""
from __future__ import annotations

import time

from bot import create_app
from bot.ext import services

from .conftest import Caller, login

V1 = "/api/v1"


def test_api_answers_through_a_redis_outage(api_settings, db, session, world, fake_wechat, private_redis):
    settings = api_settings.with_overrides(redis_url=private_redis.url())
    apps = [create_app(settings) for _ in range(2)]
    for a in apps:
        services(a).store.cooldown = 0.3
    try:
        clerk = login(apps[0].test_client(), fake_wechat, session, world.people["clerks"][0])
        other_worker = Caller(apps[1].test_client(), clerk.token, clerk.person)
        boss = login(apps[0].test_client(), fake_wechat, session, world.people["boss"])
        assert clerk.get(f"{V1}/me").status_code == 200
        private_redis.kill()
        statuses = [c.get(path).status_code for c in (clerk, other_worker, boss) for path in
                    (f"{V1}/me", f"{V1}/me/status")]
        assert statuses == [200] * 6
        assert clerk.post(f"{V1}/auth/logout", json={}).status_code == 200
        assert other_worker.get(f"{V1}/me").status_code == 401  # the row decides, not a worker's memory
        private_redis.start()
        time.sleep(0.4)
        assert other_worker.get(f"{V1}/me").status_code == 401
        assert boss.get(f"{V1}/me/status").status_code == 200
        assert login(apps[1].test_client(), fake_wechat, session, world.people["clerks"][0]).get(
            f"{V1}/me").status_code == 200
    finally:
        for a in apps:
            services(a).close()
