"""The bot's Redis-or-memory store offers the whole ``Store`` interface (locks and the token bucket too: the access-token
provider behind late replies takes its refresh lock through it), on Redis and, with Redis down, in memory."""
from __future__ import annotations

import inspect

from bot.wechat.resilient import ResilientStore
from models.store import RedisStore, Store


def test_it_implements_every_store_method():
    wanted = {n for n, v in vars(Store).items() if inspect.isfunction(v) and not n.startswith("_")}
    assert {"acquire_lock", "renew_lock", "release_lock", "take_token"} <= wanted
    assert sorted(n for n in wanted if not callable(getattr(ResilientStore, n, None))) == []


def test_locks_and_tokens_through_it(store):
    s = ResilientStore(store)
    assert s.acquire_lock("t:lock", "a", 5) and not s.acquire_lock("t:lock", "b", 5)
    assert s.renew_lock("t:lock", "a", 5) and not s.renew_lock("t:lock", "b", 5)
    s.release_lock("t:lock", "a")
    assert s.acquire_lock("t:lock", "b", 5)
    assert s.take_token("t:bucket", 1.0, 1) == 0 and s.take_token("t:bucket", 1.0, 1) > 0


def test_with_redis_down_it_locks_in_memory():
    s = ResilientStore(RedisStore("redis://127.0.0.1:1/0"), cooldown=60)
    assert s.acquire_lock("t:lock", "a", 5) and not s.acquire_lock("t:lock", "b", 5)
    assert s.degraded
    s.primary.close()


def test_a_batch_with_redis_down_runs_in_memory():
    s = ResilientStore(RedisStore("redis://127.0.0.1:1/0"), cooldown=60)
    assert s.batch([("set", "t:k", "v", 5, True), ("get", "t:k"), ("set", "t:k", "w", 5, True)]) == [True, "v", False]
    assert s.degraded
    s.primary.close()
