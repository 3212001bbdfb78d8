"""Explicit dialog states per openid, kept in the store with a TTL. ``取消`` leaves any of them.

The draft itself is in the database: losing a dialog state (TTL, Redis flushed) only means the user sends
“写小结” again; nothing written is lost.
"""
from __future__ import annotations

import json

from models.store import Store

IDLE = None
WRITING = "writing"  # every text or voice message is a new paragraph
CONFIRM_SUBMIT = "confirm_submit"  # waiting for 确认 / 取消

TTL = {WRITING: 30 * 60, CONFIRM_SUBMIT: 5 * 60}
MORE_TTL = 10 * 60  # the rest of a long reply waits this long for “继续”


def key(openid: str) -> str:
    return f"chat:dialog:{openid}"


def get(store: Store, openid: str) -> str | None:
    return store.get(key(openid))


def set_state(store: Store, openid: str, state: str | None) -> None:
    if state is None:
        store.delete(key(openid))
    else:
        store.set(key(openid), state, ttl=TTL[state])


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
