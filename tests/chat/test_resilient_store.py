"""The bot's store keeps every Store operation working, on Redis and, when Redis is down, in-process."""
from bot.wechat.resilient import ResilientStore
from models.store import MemoryStore, RedisStore, Store


def public_methods(cls) -> set[str]:
    return {n for n in vars(cls) if not n.startswith("_") and callable(getattr(cls, n))}


def test_it_offers_every_operation_of_the_store_interface():
    assert public_methods(Store) <= public_methods(ResilientStore)


def test_locks_and_tokens_fall_back_in_process_when_redis_is_down():
    store = ResilientStore(RedisStore("redis://127.0.0.1:1/0"), cooldown=60)
    assert store.acquire_lock("k", "me", 5) is True and store.degraded
    assert store.acquire_lock("k", "other", 5) is False
    assert store.renew_lock("k", "me", 5) is True
    store.release_lock("k", "me")
    assert store.acquire_lock("k", "other", 5) is True
    assert store.take_token("bucket", rate=1, burst=1) == 0


def test_with_a_live_primary_locks_are_the_primarys():
    primary = MemoryStore()
    store = ResilientStore(primary)
    assert store.acquire_lock("k", "me", 5)
    assert primary.acquire_lock("k", "other", 5) is False
