"""Assemble the scheduler's runtime from the settings (``kaohe scheduler`` and, in-process, ``kaohe demo``)."""
from __future__ import annotations

import threading
from datetime import timedelta

from config import Settings, load_policy
from models.db import Database
from models.store import make_store

from . import leader
from .jobs import Runtime


def make_runtime(settings: Settings, *, clock_offset: timedelta | None = None) -> Runtime:
    from bot.channels import build_channels

    store = make_store(settings.redis_url)
    return Runtime(settings=settings, db=Database(settings.database_url), store=store,
                   policy=load_policy(settings.policy), channels=build_channels(settings, store),
                   clock_offset=clock_offset or timedelta())


def start_in_thread(settings: Settings) -> threading.Event:
    """The demo's in-process scheduler. Set the returned event to stop it."""
    stop = threading.Event()
    rt = make_runtime(settings)
    threading.Thread(target=leader.run, args=(rt, stop), name="kaohe-scheduler", daemon=True).start()
    return stop
