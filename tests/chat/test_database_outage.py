"""PostgreSQL unreachable: the callback, the API and /readyz answer 503 (``Retry-After``, a Chinese message), the
outage is logged once per interval instead of a stack trace per request; a private PostgreSQL stopped and started
again mid-conversation loses nothing and recovers at once."""
from __future__ import annotations

import json
import logging
import time
from datetime import timedelta

import pytest

from bot.ext import services
from bot.simulator.client import WeChatSimulator, flask_transport
from handlers.actor import system_actor
from handlers.identity.binding import issue_bind_code
from handlers.quarter.cycles import open_cycle
from models import utcnow
from models.db import Database
from models.migrate import upgrade
from tests import factories as f
from tests.faults.procs import PG_BIN, PrivatePostgres, free_port

from .conftest import AES_KEY, build_app

V1 = "/api/v1"


def _sim(app, settings):
    return WeChatSimulator(flask_transport(app.test_client()), settings.wechat_token, settings.wechat_appid, AES_KEY,
                           "safe")


def test_nothing_listening_answers_503_and_logs_once(chat_settings, caplog):
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/kaohe"
    app = build_app(chat_settings, database_url=url)
    try:
        client, sim = app.test_client(), _sim(app, chat_settings)
        caplog.set_level(logging.WARNING)
        caplog.clear()
        for i in range(20):
            r = client.get(f"{V1}/me", headers={"Authorization": "Bearer not-a-real-token-but-long-enough"})
            assert r.status_code == 503, r.get_data(as_text=True)
            assert r.headers["Retry-After"] == "5"
            body = r.get_json()
            assert body["code"] == "service_unavailable" and "数据库暂时不可用" in body["message"]
            m = sim.text(f"o-{i}", "写小结")
            assert m.status == 503 and "数据库暂时不可用" in json.loads(m.response)["message"]
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.get_json()["checks"]["database"]["ok"] is False
        lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(lines) == 1, [r.getMessage() for r in lines]
        assert lines[0].name == "kaohe.outage" and "unavailable" in lines[0].getMessage()
        assert lines[0].exc_info is None  # one line, no stack trace
    finally:
        services(app).close()


@pytest.fixture
def private_pg():
    import os

    if not os.path.exists(f"{PG_BIN}/initdb"):
        pytest.skip(f"needs PostgreSQL 15's server binaries in {PG_BIN} (apt-get install postgresql-15)")
    server = PrivatePostgres().start()
    yield server
    server.destroy()


def test_postgres_stopped_mid_writing_loses_nothing_and_recovers_at_once(chat_settings, private_pg, policy, redis_url):
    url = private_pg.create_database("kaohe")
    upgrade(url)
    db = Database(url)
    with db.session() as s:
        unit = f.unit(s)
        boss = f.person(s, unit, "中层干部", leader=True, name="张局长", staff_no="B001")
        f.person(s, unit, supervisor=boss, name="王干事", staff_no="C001")
        today = utcnow().date()
        cycle = open_cycle(s, system_actor(), unit.id, today.year, (today.month - 1) // 3 + 1, policy, today=today)
        cycle.summary_due = utcnow() + timedelta(days=3)
        code = issue_bind_code(s, system_actor(), "C001", policy).code
    app = build_app(chat_settings, database_url=url)
    try:
        sim = _sim(app, chat_settings)
        assert "绑定成功" in sim.text("o-pg", f"绑定 {code}").text
        assert "开始填写" in sim.text("o-pg", "写小结").text
        assert sim.text("o-pg", "停库前的一段").text.startswith("已记录第 1 段")
        private_pg.stop()
        during = sim.text_xml("o-pg", "停库时发出的一段")
        refused = [sim.post(during).status for _ in range(3)]  # WeChat retries the same message
        assert refused == [503, 503, 503]
        assert app.test_client().get("/readyz").status_code == 503
        private_pg.start()
        started = time.monotonic()
        again = sim.post(during)  # WeChat's next retry, after PostgreSQL is back
        recovery = time.monotonic() - started
        assert again.status == 200 and again.text.startswith("已记录第 2 段")
        assert recovery < 2.0
        assert sim.text("o-pg", "恢复后的一段").text.startswith("已记录第 3 段")
        assert app.test_client().get("/readyz").status_code == 200
        with db.session() as s:
            from models import Summary

            assert list(s.query(Summary).one().paragraphs) == ["停库前的一段", "停库时发出的一段", "恢复后的一段"]
    finally:
        services(app).close()
        db.dispose()


def test_a_database_that_accepts_but_never_answers_is_503_within_seconds(chat_settings):
    """A hung server or a half-open network: the TCP connection opens and nothing ever comes back. Without a
    connect timeout the request waits for the kernel (minutes) and every thread piles up behind it."""
    import socket
    import threading

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)  # never accepts: the kernel completes the handshake, PostgreSQL's greeting never comes
    url = f"postgresql+psycopg://postgres@127.0.0.1:{silent.getsockname()[1]}/kaohe"
    app = build_app(chat_settings, database_url=url)
    out = []

    def call():
        started = time.monotonic()
        r = app.test_client().get(f"{V1}/me", headers={"Authorization": "Bearer not-a-real-token-but-long-enough"})
        out.append((r.status_code, r.headers.get("Retry-After"), time.monotonic() - started))

    try:
        t = threading.Thread(target=call, daemon=True)
        t.start()
        t.join(timeout=15)
        assert out, "the request was still waiting after 15 s"
        status, retry_after, took = out[0]
        assert status == 503 and retry_after == "5" and took < 8
    finally:
        services(app).close()
        silent.close()
