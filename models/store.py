"""A small key-value store: Redis in production, an in-process stand-in on the embedded default.

Only what the system needs: ``set`` with NX/TTL (dedupe, locks), counters with a TTL (throttling),
and plain get/delete. Both implementations behave alike, so the tests run against either.
"""
from __future__ import annotations

import threading
import time
from typing import Protocol


class Store(Protocol):
    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str, ttl: float | None = None, nx: bool = False) -> bool: ...
    def delete(self, key: str) -> None: ...
    def incr(self, key: str, ttl: float) -> int: ...
    def ping(self) -> bool: ...
    def acquire_lock(self, key: str, owner: str, ttl: float, reclaim: str | None = None) -> bool: ...
    def renew_lock(self, key: str, owner: str, ttl: float) -> bool: ...
    def release_lock(self, key: str, owner: str) -> None: ...
    def take_token(self, key: str, rate: float, burst: int) -> float: ...
    def batch(self, ops: list[tuple]) -> list: ...


Op = tuple  # ("get", key) | ("set", key, value, ttl, nx) | ("delete", key) | ("release_lock", key, owner)


class Batch:
    """Writes collected to be sent together with :meth:`Store.batch` (one Redis round trip instead of one each)."""

    def __init__(self):
        self.ops: list[Op] = []

    def set(self, key: str, value: str, ttl: float | None = None, nx: bool = False) -> None:
        self.ops.append(("set", key, value, ttl, nx))

    def delete(self, key: str) -> None:
        self.ops.append(("delete", key))

    def release_lock(self, key: str, owner: str) -> None:
        self.ops.append(("release_lock", key, owner))


class ReadAhead:
    """A store whose first ``get`` of each key in ``values`` answers from values read earlier (in the same round trip
    as something else); a write to such a key forgets the early value. Everything else goes to ``store``."""

    def __init__(self, store: Store, values: dict[str, str | None]):
        self._store, self._values = store, dict(values)

    def get(self, key: str) -> str | None:
        if key in self._values:
            return self._values.pop(key)
        return self._store.get(key)

    def set(self, key: str, value: str, ttl: float | None = None, nx: bool = False) -> bool:
        self._values.pop(key, None)
        return self._store.set(key, value, ttl=ttl, nx=nx)

    def delete(self, key: str) -> None:
        self._values.pop(key, None)
        self._store.delete(key)

    def __getattr__(self, name: str):
        return getattr(self._store, name)


def _bucket(tokens: float, stamp: float, now: float, rate: float, burst: int) -> tuple[float, float]:
    """Token bucket step: returns (tokens left after taking one or not, seconds to wait; 0 = taken)."""
    tokens = min(float(burst), tokens + max(0.0, now - stamp) * rate)
    if tokens >= 1:
        return tokens - 1, 0.0
    return tokens, (1 - tokens) / rate


class MemoryStore:
    """Thread-safe, process-local. Fine for the demo and for a single process."""

    def __init__(self):
        self._data: dict[str, tuple[str, float | None]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str) -> tuple[str, float | None] | None:
        item = self._data.get(key)
        if item and item[1] is not None and item[1] <= time.monotonic():
            del self._data[key]
            return None
        return item

    def get(self, key: str) -> str | None:
        with self._lock:
            item = self._live(key)
            return item[0] if item else None

    def set(self, key: str, value: str, ttl: float | None = None, nx: bool = False) -> bool:
        with self._lock:
            if nx and self._live(key) is not None:
                return False
            self._data[key] = (value, time.monotonic() + ttl if ttl else None)
            return True

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def incr(self, key: str, ttl: float) -> int:
        with self._lock:
            item = self._live(key)
            if item is None:
                self._data[key] = ("1", time.monotonic() + ttl)
                return 1
            value = int(item[0]) + 1
            self._data[key] = (str(value), item[1])
            return value

    def ping(self) -> bool:
        return True

    def acquire_lock(self, key: str, owner: str, ttl: float, reclaim: str | None = None) -> bool:
        """Take the lock if free, or if its holder's value starts with ``reclaim`` (our own earlier life)."""
        with self._lock:
            item = self._live(key)
            if item is not None and not (reclaim and item[0].startswith(reclaim)):
                return False
            self._data[key] = (owner, time.monotonic() + ttl)
            return True

    def renew_lock(self, key: str, owner: str, ttl: float) -> bool:
        with self._lock:
            item = self._live(key)
            if item is None or item[0] != owner:
                return False
            self._data[key] = (owner, time.monotonic() + ttl)
            return True

    def release_lock(self, key: str, owner: str) -> None:
        with self._lock:
            item = self._live(key)
            if item is not None and item[0] == owner:
                del self._data[key]

    def batch(self, ops: list[Op]) -> list:
        return [getattr(self, op[0])(*op[1:]) for op in ops]

    def take_token(self, key: str, rate: float, burst: int) -> float:
        """One token from the bucket ``key`` (``rate`` per second, up to ``burst``); the wait in seconds if none."""
        with self._lock:
            item = self._live(key)
            now = time.monotonic()
            tokens, stamp = (float(burst), now) if item is None else map(float, item[0].split(":"))
            tokens, wait = _bucket(tokens, stamp, now, rate, burst)
            self._data[key] = (f"{tokens}:{now}", now + burst / rate + 1)
            return wait


class RedisStore:
    def __init__(self, url: str, prefix: str = "kaohe:"):
        import redis

        self.client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix

    def get(self, key: str) -> str | None:
        return self.client.get(self.prefix + key)

    def set(self, key: str, value: str, ttl: float | None = None, nx: bool = False) -> bool:
        px = int(ttl * 1000) if ttl else None
        return bool(self.client.set(self.prefix + key, value, px=px, nx=nx))

    def delete(self, key: str) -> None:
        self.client.delete(self.prefix + key)

    def incr(self, key: str, ttl: float) -> int:
        pipe = self.client.pipeline()
        pipe.incr(self.prefix + key)
        pipe.pexpire(self.prefix + key, int(ttl * 1000), nx=True)
        value, _ = pipe.execute()
        return int(value)

    def ping(self) -> bool:
        return bool(self.client.ping())

    def acquire_lock(self, key: str, owner: str, ttl: float, reclaim: str | None = None) -> bool:
        """Take the lock if free, or if its holder's value starts with ``reclaim`` (our own earlier life)."""
        if not reclaim:
            return self.set(key, owner, ttl=ttl, nx=True)
        return bool(self._script("acquire", _ACQUIRE)(keys=[self.prefix + key], args=[owner, int(ttl * 1000), reclaim]))

    def renew_lock(self, key: str, owner: str, ttl: float) -> bool:
        return bool(self._script("renew", _RENEW)(keys=[self.prefix + key], args=[owner, int(ttl * 1000)]))

    def release_lock(self, key: str, owner: str) -> None:
        self._script("release", _RELEASE)(keys=[self.prefix + key], args=[owner])

    def batch(self, ops: list[Op]) -> list:
        """Several commands in one round trip (a pipeline, not a transaction): results in order."""
        pipe = self.client.pipeline(transaction=False)
        for op in ops:
            name, key = op[0], self.prefix + op[1]
            if name == "get":
                pipe.get(key)
            elif name == "set":
                pipe.set(key, op[2], px=int(op[3] * 1000) if op[3] else None, nx=op[4] if len(op) > 4 else False)
            elif name == "delete":
                pipe.delete(key)
            elif name == "release_lock":  # EVAL, not a registered Script: a Script in a pipeline makes redis-py
                pipe.eval(_RELEASE, 1, key, op[2])  # send SCRIPT EXISTS first, one more round trip per batch
            else:
                raise ValueError(f"unknown store operation {name!r}")
        results = pipe.execute()
        return [bool(r) if op[0] == "set" else (None if op[0] in ("delete", "release_lock") else r)
                for op, r in zip(ops, results)]

    def take_token(self, key: str, rate: float, burst: int) -> float:
        """Shared by every process: the bucket lives in Redis and is updated atomically by a script (Redis time)."""
        return float(self._script("bucket", _BUCKET)(keys=[self.prefix + key], args=[rate, burst]))

    def _script(self, name: str, source: str):
        scripts = self.__dict__.setdefault("_scripts", {})
        if name not in scripts:
            scripts[name] = self.client.register_script(source)
        return scripts[name]

    def close(self) -> None:
        self.client.close()


_ACQUIRE = """
local held = redis.call('get', KEYS[1])
if held and string.sub(held, 1, string.len(ARGV[3])) ~= ARGV[3] then return 0 end
redis.call('set', KEYS[1], ARGV[1], 'px', ARGV[2])
return 1
"""
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_BUCKET = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('time')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('hmget', KEYS[1], 'tokens', 'stamp')
local tokens, stamp = tonumber(state[1]) or burst, tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('hset', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('pexpire', KEYS[1], math.ceil((burst / rate + 1) * 1000))
return tostring(wait)
"""


def make_store(redis_url: str | None, prefix: str = "kaohe:") -> Store:
    return RedisStore(redis_url, prefix) if redis_url else MemoryStore()
