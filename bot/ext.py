"""Per-application services (database, store, policy), created by ``init_app``, read by views."""
from __future__ import annotations

from flask import Flask, current_app

from config import Policy, Settings, load_policy
from models.db import Database
from models.store import RedisStore, Store, make_store

from .wechat.resilient import ResilientStore

KEY = "kaohe"


class Services:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.db = Database(settings.database_url)  # creating an engine does not connect
        # Redis is a cache and a lock service here: with Redis down the app keeps answering from the database
        # (sessions, dialog state, dedupe) and a process-local store (see bot/wechat/resilient.py).
        store = make_store(settings.redis_url)
        self.store: Store = ResilientStore(store) if isinstance(store, RedisStore) else store
        self.policy: Policy = load_policy(settings.policy)

    def close(self) -> None:
        """Release pooled connections (tests, and workers shutting down)."""
        wechat = getattr(self, "wechat", None)
        if wechat is not None:
            wechat.inbox.close()
        self.db.dispose()
        close = getattr(self.store, "close", None)
        if close:
            close()


def init_app(app: Flask, settings: Settings) -> Services:
    services = Services(settings)
    app.extensions[KEY] = services
    return services


def services(app: Flask | None = None) -> Services:
    return (app or current_app).extensions[KEY]
