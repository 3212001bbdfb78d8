"""Explicit dialog states per openid. ``取消`` leaves any of them.

The state is recorded in the database (``chat_dialogs``: openid, state, expiry), written in the same transaction
as the message's effect; the store caches it (``state|expiry``, or ``-`` for idle), so the common turn reads it
with the other keys in the inbox's first round trip and writes nothing to the database. A cache miss (Redis
restarted or flushed) reads the row once and caches it again; while the store is degraded (Redis down) the row is
read on every turn, because each process's in-memory stand-in would miss the changes made by the others. A person in
the middle of 写小结 therefore keeps writing through a Redis outage, restart or flush.

The row is rewritten only when the state changes or when less than half of its lifetime is left (writing keeps the
dialog alive, so a long writing session costs one UPDATE every quarter of an hour, not one per paragraph).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from models import ChatDialog
from models.store import Store

IDLE = None
WRITING = "writing"  # every text or voice message is a new paragraph
CONFIRM_SUBMIT = "confirm_submit"  # waiting for 确认 / 取消

TTL = {WRITING: 30 * 60, CONFIRM_SUBMIT: 5 * 60}
IDLE_CACHE_TTL = 30 * 60  # how long "no dialog" is cached (the row decides once the entry is gone)
IDLE_MARK = "-"
MORE_TTL = 10 * 60  # the rest of a long reply waits this long for “继续”

_ROW = select(ChatDialog.state, ChatDialog.expires_at).where(ChatDialog.openid == bindparam("openid"))  # built once


@dataclass(frozen=True)
class Known:
    """A dialog state and when its database row expires (epoch seconds; 0 = unknown, rewrite at the next turn)."""
    state: str | None
    expires: float = 0.0
    from_db: bool = False  # read from the database on a cache miss: cache it after the commit


def key(openid: str) -> str:
    return f"chat:dialog:{openid}"


def _decode(raw: str | None, now: float) -> Known | None:
    if raw is None:
        return None
    if raw == IDLE_MARK:
        return Known(None)
    state, _, expires = raw.partition("|")
    if state not in TTL:
        return None
    if not expires:  # an entry cached before the state had a row (older release): honour it, write the row
        return Known(state)
    exp = float(expires)
    return Known(state, exp) if exp > now else Known(None)


def read(session: Session, store: Store, openid: str) -> Known:
    """The current state: from the cache, or from the database on a miss or while the store is degraded."""
    now = time.time()
    if not getattr(store, "degraded", False):
        known = _decode(store.get(key(openid)), now)
        if known is not None:
            return known
    row = session.execute(_ROW, {"openid": openid}).first()
    if row is None or row.expires_at.timestamp() <= now:
        return Known(None, from_db=True)
    return Known(row.state, row.expires_at.timestamp(), from_db=True)


def save(session: Session, openid: str, state: str | None, known: Known | None) -> Known | None:
    """Record ``state`` in the caller's transaction, unless the row already says so for long enough.
    Returns the new :class:`Known` to cache after the commit, or None when nothing changed."""
    now = time.time()
    if known is not None and known.state == state and (state is None or known.expires - now > TTL[state] / 2):
        return None
    if state is None:
        session.execute(delete(ChatDialog).where(ChatDialog.openid == openid))
        return Known(None)
    expires = now + TTL[state]
    values = {"openid": openid, "state": state, "expires_at": datetime.fromtimestamp(expires, timezone.utc)}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(ChatDialog).values(values)
    session.execute(stmt.on_conflict_do_update(index_elements=[ChatDialog.openid],
                                               set_={"state": stmt.excluded.state,
                                                     "expires_at": stmt.excluded.expires_at}))
    return Known(state, expires)


def cache(store: Store, openid: str, known: Known) -> None:
    """Cache a state (called with the inbox's post-commit batch)."""
    if known.state is None:
        store.set(key(openid), IDLE_MARK, ttl=IDLE_CACHE_TTL)
        return
    ttl = known.expires - time.time()
    if ttl > 0:
        store.set(key(openid), f"{known.state}|{known.expires:.3f}", ttl=ttl)
    else:
        store.delete(key(openid))


def more_key(openid: str) -> str:
    return f"chat:more:{openid}"


def pop_more(store: Store, openid: str) -> list[str]:
    raw = store.get(more_key(openid))
    if not raw:
        return []
    store.delete(more_key(openid))
    return json.loads(raw)


def set_more(store: Store, openid: str, parts: list[str]) -> None:
    if parts:
        store.set(more_key(openid), json.dumps(parts, ensure_ascii=False), ttl=MORE_TTL)
    else:
        store.delete(more_key(openid))
