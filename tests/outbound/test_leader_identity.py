"""The scheduler's stable identity: live schedulers on one host never share it, a restarted one gets its own back."""
from models.store import MemoryStore
from scheduler.leader import Leadership


def test_live_schedulers_differ_and_a_restart_recognises_its_own_lock():
    store = MemoryStore()
    key = "test:leader-identity"
    first, second = Leadership(store, 30, key), Leadership(store, 30, key)
    assert first.identity != second.identity
    assert first.acquire() and not second.acquire()
    first.close()  # the process died: the kernel frees its slot, the lock stays in the store
    again = Leadership(store, 30, key)
    assert again.identity == first.identity and again.owner != first.owner
    assert again.acquire() and not second.acquire()
    again.release()
    assert second.acquire()
    second.close()
    again.close()
