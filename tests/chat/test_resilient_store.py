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


class _Flaky:
    """A store that can be switched off (raises ConnectionError, as redis-py does) and keeps its data meanwhile,
    like a Redis cut off by a network partition or restarted from its snapshot."""

    def __init__(self):
        from models.store import MemoryStore

        self.data, self.down = MemoryStore(), False

    def __getattr__(self, name):
        from redis.exceptions import ConnectionError

        def call(*args, **kwargs):
            if self.down:
                raise ConnectionError("down")
            return getattr(self.data, name)(*args, **kwargs)

        return call


def test_cache_entries_written_during_an_outage_are_invalidated_when_redis_returns():
    import time

    primary = _Flaky()
    s = ResilientStore(primary, cooldown=0.05)
    s.set("chat:dialog:o", "-")
    s.set("other", "kept")
    primary.down = True
    s.batch([("set", "chat:dialog:o", "writing|9999999999", 60, False), ("set", "lock", "me", 5, True)])
    s.delete("api:sess:x")
    assert s.get("chat:dialog:o") == "writing|9999999999"  # this process's own stand-in meanwhile
    primary.down = False
    time.sleep(0.1)
    assert s.get("chat:dialog:o") is None  # not the value from before the outage: the database decides
    assert s.get("other") == "kept"
    primary.data.set("lock", "someone-else", ttl=5)
    assert s.get("lock") == "someone-else"  # a lock taken meanwhile is never deleted


def test_the_invalidation_happens_without_traffic_too():
    import time

    primary = _Flaky()
    s = ResilientStore(primary, cooldown=0.05)
    s.set("k", "old")
    primary.down = True
    s.set("k", "new")
    primary.down = False
    deadline = time.monotonic() + 3
    while primary.data.get("k") is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert primary.data.get("k") is None
