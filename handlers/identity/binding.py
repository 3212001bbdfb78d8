"""Linking WeChat identities to people with one-time codes issued by unit HR.

Codes are 8 characters from an alphabet without look-alikes (about 40 bits), stored only as SHA-256, valid for
the policy's hours, single use; issuing a new code voids the person's older ones. Failed attempts are throttled
per WeChat user and for everybody together, and every failure is audited.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from config.policy import Policy
from models import BindCode, Membership, Person, WeChatBinding, utcnow
from models.identity import CHANNELS
from models.store import Store

from handlers import audit
from handlers.actor import Actor, system_actor
from handlers.errors import Conflict, InvalidInput, NotFound, TooManyRequests

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


@dataclass(frozen=True)
class IssuedCode:
    code: str
    staff_no: str
    name: str
    expires_at: datetime


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def normalize_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def issue_bind_code(session: Session, actor: Actor, staff_no: str, policy: Policy) -> IssuedCode:
    person = session.scalar(select(Person).where(Person.staff_no == staff_no))
    unit_id = None
    if person is not None:
        unit_id = session.scalar(select(Membership.unit_id).where(Membership.person_id == person.id,
                                                                  Membership.end_on.is_(None)))
    if person is None:
        raise NotFound(f"找不到人员编号为 {staff_no} 的人员")
    if not (actor.is_county or (unit_id is not None and actor.can_admin_unit(unit_id))):
        # the same answer as an unknown number, but audited: a code would let someone bind as a person of another unit
        audit.record(session, actor, "access.denied", "person", staff_no, None, {"reason": "bind_code_out_of_scope"})
        raise NotFound(f"找不到人员编号为 {staff_no} 的人员").keeping_changes()
    if person.status != "active":
        raise Conflict(f"{person.name}已不在职，不能绑定微信", "person_inactive")
    now = utcnow()
    session.execute(update(BindCode).where(BindCode.person_id == person.id, BindCode.used_at.is_(None),
                                           BindCode.expires_at > now).values(expires_at=now))
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    expires = now + timedelta(hours=policy.binding.code_ttl_hours)
    session.add(BindCode(person_id=person.id, code_hash=_hash(code), expires_at=expires, created_by=actor.ref))
    audit.record(session, actor, "binding.code_issued", "person", staff_no, None, {"expires_at": expires})
    return IssuedCode(code, person.staff_no, person.name, expires)


def _throttle(session: Session, store: Store, channel: str, openid: str, policy: Policy) -> None:
    window = policy.binding.failure_window_minutes * 60
    mine = store.get(f"bind:fail:{channel}:{openid}")
    everyone = store.get("bind:fail:all")
    if (mine and int(mine) >= policy.binding.max_failures_per_user) or (
            everyone and int(everyone) >= policy.binding.max_failures_global):
        audit.record(session, system_actor("wechat"), "binding.throttled", "openid", f"{channel}:{openid}", None,
                     {"user_failures": mine, "all_failures": everyone})
        raise TooManyRequests(
            f"绑定尝试过于频繁，请 {policy.binding.failure_window_minutes} 分钟后再试", "bind_throttled",
            retry_after=window,
        ).keeping_changes()


def _record_failure(session: Session, store: Store, channel: str, openid: str, policy: Policy, why: str) -> None:
    window = policy.binding.failure_window_minutes * 60
    store.incr(f"bind:fail:{channel}:{openid}", window)
    store.incr("bind:fail:all", window)
    audit.record(session, system_actor("wechat"), "binding.failed", "openid", f"{channel}:{openid}", None,
                 {"reason": why})


def redeem_bind_code(
    session: Session, store: Store, policy: Policy, *, channel: str, openid: str, code: str,
    unionid: str | None = None,
) -> Person:
    """Bind ``openid`` (on ``channel``: 'oa' or 'miniapp') to the code's person, or raise a domain error.

    A failed attempt is counted in the store and audited; the error asks the unit of work to keep that record
    (``keeping_changes``) rather than roll it back.
    """
    if channel not in CHANNELS:
        raise InvalidInput("未知的微信渠道", "bad_channel")
    _throttle(session, store, channel, openid, policy)
    normalized = normalize_code(code)
    if len(normalized) != CODE_LENGTH:
        _record_failure(session, store, channel, openid, policy, "malformed")
        raise InvalidInput(f"绑定码应为 {CODE_LENGTH} 位字母或数字，请核对后重新输入", "bind_code_invalid").keeping_changes()
    now = utcnow()
    found = session.scalar(select(BindCode).where(BindCode.code_hash == _hash(normalized)).with_for_update())
    if found is None or found.used_at is not None or found.expires_at <= now:
        _record_failure(session, store, channel, openid, policy, "unknown" if found is None else "used_or_expired")
        raise InvalidInput("绑定码无效、已使用或已过期，请向单位管理员重新获取", "bind_code_invalid").keeping_changes()
    person = session.get(Person, found.person_id)
    existing = session.scalar(select(WeChatBinding).where(WeChatBinding.channel == channel,
                                                          WeChatBinding.openid == openid))
    if existing is not None and existing.person_id != person.id:
        raise Conflict("这个微信已经绑定了其他人员；如需更换，请先联系单位管理员解除绑定", "openid_taken")
    previous = session.scalar(select(WeChatBinding).where(WeChatBinding.person_id == person.id,
                                                          WeChatBinding.channel == channel))
    found.used_at = now
    before = None
    if previous is not None:
        before = {"openid": previous.openid}
        previous.openid, previous.unionid, previous.bound_at = openid, unionid or previous.unionid, now
    else:
        session.add(WeChatBinding(person_id=person.id, channel=channel, openid=openid, unionid=unionid, bound_at=now))
    audit.record(session, Actor(ref=f"person:{person.staff_no}", name=person.name, person_id=person.id),
                 "binding.bound", "person", person.staff_no, before, {"channel": channel, "openid": openid})
    session.flush()
    return person


def unbind(session: Session, channel: str, openid: str, reason: str = "unsubscribe", store: Store | None = None) -> bool:
    """Remove the binding (e.g. on ``unsubscribe``); evaluation data is untouched."""
    binding = session.scalar(select(WeChatBinding).where(WeChatBinding.channel == channel,
                                                         WeChatBinding.openid == openid))
    if binding is None:
        return False
    person = session.get(Person, binding.person_id)
    session.delete(binding)
    if store is not None:  # the pages' sessions opened through this WeChat end with the binding
        from handlers.identity.sessions import end_sessions_for_openid

        end_sessions_for_openid(session, store, openid)
    audit.record(session, system_actor("wechat"), "binding.removed", "person", person.staff_no,
                 {"channel": channel, "openid": openid}, {"reason": reason})
    return True


def person_for_openid(session: Session, channel: str, openid: str) -> Person | None:
    return session.scalar(
        select(Person).join(WeChatBinding, WeChatBinding.person_id == Person.id)
        .where(WeChatBinding.channel == channel, WeChatBinding.openid == openid, Person.status == "active")
    )
