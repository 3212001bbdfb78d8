"""Locks and the token bucket behave alike in the in-process store and in Redis."""
import time


def test_lock_has_one_owner_renews_and_expires(store):
    assert store.acquire_lock("lk", "a", 0.3)
    assert not store.acquire_lock("lk", "b", 0.3)
    assert store.renew_lock("lk", "a", 0.3) and not store.renew_lock("lk", "b", 0.3)
    store.release_lock("lk", "b")  # not the owner: no effect
    assert not store.acquire_lock("lk", "b", 0.3)
    time.sleep(0.45)
    assert store.acquire_lock("lk", "b", 0.3)  # the owner died: the lock expired
    assert not store.renew_lock("lk", "a", 0.3)
    store.release_lock("lk", "b")
    assert store.acquire_lock("lk", "c", 1)


def test_token_bucket_allows_a_burst_then_paces(store):
    waits = [store.take_token("bucket", rate=5, burst=3) for _ in range(4)]
    assert waits[:3] == [0, 0, 0]
    assert 0.1 < waits[3] <= 0.2 + 0.05  # 1 token at 5/s
    time.sleep(0.25)
    assert store.take_token("bucket", rate=5, burst=3) == 0


def test_a_batch_is_the_same_commands_in_one_round_trip(store):
    from models.store import Batch

    assert store.batch([("set", "b:1", "x", 5, True), ("set", "b:1", "y", 5, True), ("get", "b:1"), ("get", "b:none"),
                        ("set", "b:lock", "me", 5, True)]) == [True, False, "x", None, True]
    later = Batch()
    later.set("b:2", "z", ttl=5)
    later.delete("b:1")
    later.release_lock("b:lock", "someone else")  # not the owner: no effect
    assert store.batch(later.ops) == [True, None, None]
    assert (store.get("b:1"), store.get("b:2"), store.get("b:lock")) == (None, "z", "me")
    store.batch([("release_lock", "b:lock", "me")])
    assert store.get("b:lock") is None


def test_a_batch_key_expires_like_a_single_set(store):
    store.batch([("set", "b:ttl", "v", 0.2, False)])
    assert store.get("b:ttl") == "v"
    time.sleep(0.35)
    assert store.get("b:ttl") is None


def test_read_ahead_answers_once_from_early_values_and_forgets_them_on_write(store):
    from models.store import ReadAhead

    store.set("r:a", "now")
    ahead = ReadAhead(store, {"r:a": "early", "r:b": None})
    assert ahead.get("r:a") == "early"  # the value read with the lock
    assert ahead.get("r:a") == "now"  # once: later reads see the store
    ahead.set("r:b", "written")
    assert ahead.get("r:b") == "written"  # a write forgets the early value
    assert ahead.acquire_lock("r:lock", "me", 5) and store.get("r:lock") == "me"  # the rest goes to the store


def test_a_batch_that_releases_a_lock_is_one_round_trip_in_redis(store):
    """redis-py sends SCRIPT EXISTS before a pipeline holding a registered Script: one more round trip on every
    chat message. Redis's own command counts show the batch sends its commands and nothing else."""
    import pytest

    from models.store import RedisStore

    if not isinstance(store, RedisStore):
        pytest.skip("Redis only (KAOHE_TEST_REDIS_URL)")

    def calls():
        stats = store.client.info("commandstats")  # Redis 7 counts subcommands apart: cmdstat_script|exists
        return {name: sum(v["calls"] for k, v in stats.items() if k.split("|")[0] == f"cmdstat_{name}")
                for name in ("script", "eval", "evalsha", "set")}

    store.set("rt:lock", "me", ttl=5)
    before = calls()
    assert store.batch([("set", "rt:done", "reply", 5, False), ("release_lock", "rt:lock", "me")]) == [True, None]
    after = calls()
    assert store.get("rt:lock") is None and store.get("rt:done") == "reply"
    assert after["script"] == before["script"]  # no SCRIPT EXISTS / LOAD
    assert (after["eval"] + after["evalsha"]) - (before["eval"] + before["evalsha"]) == 1
    assert after["set"] - before["set"] == 1
