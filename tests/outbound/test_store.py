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
