"""Fixtures. SQLite by default; PostgreSQL and Redis when KAOHE_TEST_DATABASE_URL / KAOHE_TEST_REDIS_URL are set."""
from __future__ import annotations

import os
import uuid
from datetime import date

import pytest
from sqlalchemy import text

import models  # noqa: F401
from config import load_policy, load_settings
from models.db import Base, Database
from models.migrate import upgrade
from models.store import MemoryStore, RedisStore

TODAY = date(2026, 11, 23)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("KAOHE_TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    db = Database(url)
    if db.dialect == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    db.dispose()
    upgrade(url)  # the real migrations, not create_all: the suite proves they work
    return url


@pytest.fixture(scope="session")
def _database(database_url):
    db = Database(database_url)
    yield db
    db.dispose()


def empty_database(db: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def db(_database):
    """A clean database for each test (tables emptied afterwards)."""
    yield _database
    empty_database(_database)


@pytest.fixture
def session(db):
    with db.session() as s:
        yield s


@pytest.fixture
def policy():
    return load_policy("hengyang")


@pytest.fixture
def redis_url():
    return os.environ.get("KAOHE_TEST_REDIS_URL") or None


@pytest.fixture
def store(redis_url):
    if not redis_url:
        yield MemoryStore()
        return
    s = RedisStore(redis_url, prefix=f"kaohe-test:{uuid.uuid4().hex}:")
    yield s
    for key in s.client.scan_iter(f"{s.prefix}*"):
        s.client.delete(key)
    s.client.close()


@pytest.fixture
def settings(database_url, redis_url):
    return load_settings({}, database_url=database_url, redis_url=redis_url, env="test")


@pytest.fixture
def app(settings, db):
    from bot import create_app

    application = create_app(settings)
    yield application
    from bot.ext import services

    services(application).close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def fake_wechat():
    """A fake WeChat/WeCom API on 127.0.0.1 (real HTTP). Point the settings' API bases at ``.url``."""
    from bot.simulator.fake_wechat import FakeWeChatServer

    with FakeWeChatServer() as server:
        yield server


@pytest.fixture
def private_redis():
    """A Redis of this test's own (free port, no persistence), to kill and restart: ``.kill()``, ``.start()``."""
    from tests.faults.procs import PrivateRedis

    server = PrivateRedis().start()
    yield server
    server.kill()
