"""API sessions: opaque tokens (256 random bits) kept server-side with idle and absolute expiry.

The database row is the record (``api_sessions``: token hash, person, expiry, revocation). The store keeps a
cached copy of the session *and of the caller's actor* under the token hash, so an authenticated request costs one
store read. The cache entry's TTL is the idle timeout; it is refreshed at most once a minute (which also touches
``last_seen_at`` in the database), and the actor inside it is rebuilt from the database at most every
``ACTOR_TTL`` seconds, so role changes and departures take effect within that time even without an explicit
revocation. Logout and ``end_all_sessions`` delete both the rows' validity and the cache entries at once.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import ApiSession, Person, utcnow
from models.store import Store

from handlers import audit
from handlers.actor import Actor, actor_for_person
from handlers.errors import NotFound, Unauthorized

ACTOR_TTL = 60  # seconds a cached actor is trusted before it is rebuilt from the database
TOUCH_EVERY = 60  # seconds between idle-timer refreshes


@dataclass(frozen=True)
class SessionPolicy:
    idle_seconds: int
    max_seconds: int

    @classmethod
    def from_settings(cls, settings) -> "SessionPolicy":
        return cls(settings.api_idle_minutes * 60, settings.api_session_hours * 3600)


@dataclass(frozen=True)
class NewSession:
    token: str
    expires_at: datetime
    actor: Actor


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _key(thash: str) -> str:
    return f"api:sess:{thash}"


def actor_to_dict(a: Actor) -> dict:
    return {"ref": a.ref, "name": a.name, "person_id": a.person_id, "unit_id": a.unit_id, "roles": sorted(a.roles),
            "admin_units": sorted(a.admin_units), "supervisor_units": sorted(a.supervisor_units)}


def actor_from_dict(d: dict) -> Actor:
    return Actor(ref=d["ref"], name=d["name"], person_id=d["person_id"], unit_id=d["unit_id"],
                 roles=frozenset(d["roles"]), admin_units=frozenset(d["admin_units"]),
                 supervisor_units=frozenset(d["supervisor_units"]))


def _cache(store: Store, thash: str, row: ApiSession, actor: Actor, policy: SessionPolicy, now: float) -> dict:
    value = {"sid": row.id, "pid": row.person_id, "kind": row.kind, "exp": row.expires_at.timestamp(),
             "seen": now, "actor_at": now, "actor": actor_to_dict(actor)}
    ttl = min(policy.idle_seconds, row.expires_at.timestamp() - now)
    if ttl > 0:
        store.set(_key(thash), json.dumps(value), ttl=ttl)
    return value


def create_session(session: Session, store: Store, policy: SessionPolicy, person_id: int, kind: str,
                   openid: str | None = None) -> NewSession:
    actor = actor_for_person(session, person_id)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiSession(token_hash=token_hash(token), person_id=person_id, kind=kind, openid=openid, created_at=now,
                     last_seen_at=now, expires_at=now + timedelta(seconds=policy.max_seconds))
    session.add(row)
    session.flush()
    audit.record(session, actor, "session.create", "api_session", row.id, None, {"kind": kind})
    _cache(store, row.token_hash, row, actor, policy, time.time())
    return NewSession(token, row.expires_at, actor)


def _end(store: Store, rows: list[ApiSession], now: datetime) -> None:
    for row in rows:
        row.revoked_at = now
        store.delete(_key(row.token_hash))


def resolve(session_factory, store: Store, policy: SessionPolicy, token: str | None) -> tuple[Actor, int]:
    """The actor behind a bearer token and the session id, or :class:`Unauthorized`.

    ``session_factory`` is only used on a cache miss or a periodic refresh, so most requests never open a
    database session here.
    """
    if not token or len(token) > 128:
        raise Unauthorized("请先登录", "login_required")
    thash = token_hash(token)
    now = time.time()
    # While Redis is down (a ResilientStore says ``degraded``) each process would only see its own in-memory copy,
    # which misses a logout done by another worker: the database row decides instead.
    raw = None if getattr(store, "degraded", False) else store.get(_key(thash))
    value = json.loads(raw) if raw else None
    if value is not None and now >= value["exp"]:
        store.delete(_key(thash))
        raise Unauthorized("登录已过期，请重新登录", "session_expired")
    if value is not None and now - value["seen"] < TOUCH_EVERY and now - value["actor_at"] < ACTOR_TTL:
        return actor_from_dict(value["actor"]), value["sid"]
    with session_factory() as session:
        row = session.scalar(select(ApiSession).where(ApiSession.token_hash == thash))
        now_dt = datetime.fromtimestamp(now, timezone.utc)
        if row is None or row.revoked_at is not None:
            store.delete(_key(thash))
            raise Unauthorized("登录已失效，请重新登录", "session_invalid")
        idle_end = row.last_seen_at + timedelta(seconds=policy.idle_seconds)
        if now_dt >= row.expires_at or (value is None and now_dt >= idle_end):
            _end(store, [row], now_dt)
            raise Unauthorized("登录已过期，请重新登录", "session_expired")
        try:
            actor = actor_for_person(session, row.person_id)
        except NotFound:
            _end(store, [row], now_dt)
            raise Unauthorized("账号已停用，请联系单位管理员", "person_inactive") from None
        row.last_seen_at = now_dt
        value = _cache(store, thash, row, actor, policy, now)
        return actor, row.id


def logout(session: Session, store: Store, actor: Actor, session_id: int, everywhere: bool = False) -> int:
    """End this session, or every session of the person."""
    q = select(ApiSession).where(ApiSession.revoked_at.is_(None))
    q = q.where(ApiSession.person_id == actor.person_id) if everywhere else q.where(ApiSession.id == session_id)
    rows = list(session.scalars(q))
    _end(store, rows, utcnow())
    audit.record(session, actor, "session.logout", "person", actor.ref, None,
                 {"sessions": len(rows), "everywhere": everywhere})
    return len(rows)


def end_all_sessions(session: Session, store: Store, actor: Actor, person_id: int, reason: str) -> int:
    """End every session of a person at once (left the service, account disabled, lost phone)."""
    rows = list(session.scalars(select(ApiSession).where(ApiSession.person_id == person_id,
                                                         ApiSession.revoked_at.is_(None))))
    _end(store, rows, utcnow())
    person = session.get(Person, person_id)
    audit.record(session, actor, "session.end_all", "person", person.staff_no if person else person_id, None,
                 {"sessions": len(rows), "reason": reason})
    return len(rows)


def end_sessions_for_openid(session: Session, store: Store, openid: str) -> int:
    """End the sessions opened through one WeChat identity (its binding was removed)."""
    rows = list(session.scalars(select(ApiSession).where(ApiSession.openid == openid, ApiSession.revoked_at.is_(None))))
    _end(store, rows, utcnow())
    return len(rows)


def end_sessions_of_departed(session: Session, store: Store, actor: Actor) -> int:
    """Sweep: end the sessions of everybody no longer active (call after a roster import)."""
    rows = list(session.scalars(
        select(ApiSession).join(Person, Person.id == ApiSession.person_id)
        .where(ApiSession.revoked_at.is_(None), Person.status != "active")))
    _end(store, rows, utcnow())
    if rows:
        audit.record(session, actor, "session.end_departed", "api_session", "*", None, {"sessions": len(rows)})
    return len(rows)


def purge_expired(session: Session) -> int:
    """Mark sessions past their absolute expiry as revoked (housekeeping)."""
    now = utcnow()
    result = session.execute(update(ApiSession).where(ApiSession.revoked_at.is_(None), ApiSession.expires_at <= now)
                             .values(revoked_at=now))
    return result.rowcount or 0
