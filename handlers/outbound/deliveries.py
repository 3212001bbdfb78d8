"""Delivery rows: created with their notice, claimed under a lease by drainers, finished with the send's result.

Claims are one statement (``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)`` on PostgreSQL), so any number
of drainers can work the same table; a live drainer ``extend``s its leases (a heartbeat), a drainer that dies leaves
``sending`` rows whose lease runs out and which ``release_expired`` puts back. A result is written only if the row
still carries the claim that sent it.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from models import Delivery, Notice, WeChatBinding, WorkGroup, utcnow

MAX_ATTEMPTS = 6
REFUSED = {43101, 43004}  # the user refused / does not follow: marked, never retried
PERMANENT = {40003, 40013, 40036, 40037, 41028, 47003, 93000}  # invalid openid, template, argument, robot key
REASONS = {
    -1: "微信系统繁忙", 40001: "access_token 无效", 42001: "access_token 已过期", 40003: "openid 无效",
    40036: "模板 id 无效", 40037: "模板 id 无效", 41028: "form_id 无效或已过期", 43004: "用户未关注公众号",
    43101: "用户拒绝接收（未订阅该消息）", 45009: "接口调用超过限额", 45011: "接口调用过于频繁", 47003: "消息参数不合法",
    93000: "群机器人 webhook key 无效",
}
# A timeout may hide a message WeChat did deliver: the retry then arrives twice (inherent; the report says so).
NETWORK_REASONS = {"timeout": "请求超时（微信可能已送达，重发时可能收到两次）", "connection": "网络连接中断", "http": "微信接口返回异常"}
TOKEN_REJECTED = "刷新 access_token 后微信仍返回凭证无效，已停止重试（请检查是否有其他系统用同一 AppSecret 刷新凭证）"
TOKEN_BUDGET = "今日强制刷新 access_token 的次数已用完，北京时间次日零点后自动重发"
TOKEN_COOLDOWN = "access_token 刚刚刷新过，稍后自动重发"
QUOTA_TODAY = "接口调用已达微信当日限额，北京时间次日零点后自动重发"
STORE_DOWN = "系统缓存服务暂时不可用，恢复后自动重发"
UNBOUND = "未绑定微信，无法送达"
NO_CHANNEL = "工作群未配置群机器人或公众号标签"


@dataclass(frozen=True)
class SendResult:
    """What a channel reports. ``errcode`` 0 is success; None with ``network`` set is a timeout or dropped link."""

    errcode: int | None
    network: str | None = None
    retry_after: float | None = None  # a local pace limit said "not yet": defer without counting an attempt
    reason: str | None = None  # the report's reason, when the errcode's usual one does not say it
    final: bool = False  # retrying cannot help: the row fails now

    @property
    def ok(self) -> bool:
        return self.errcode == 0


@dataclass(frozen=True)
class Claimed:
    id: int
    claim: str
    notice_id: int
    channel: str
    address: str
    attempts: int
    kind: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    facts: dict = field(default_factory=dict)  # the notice's own fields for a push: grade, deadline, lead


def reason(errcode: int | None, network: str | None = None) -> str:
    if network:
        return NETWORK_REASONS.get(network, "网络错误")
    return REASONS.get(errcode, f"微信返回错误 {errcode}")


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def person_route(binding_channels: dict[str, str]) -> tuple[str, str]:
    """A bound person gets an Official Account template message, else a Mini Program subscribe message."""
    if "oa" in binding_channels:
        return "template", binding_channels["oa"]
    if "miniapp" in binding_channels:
        return "subscribe", binding_channels["miniapp"]
    return "none", ""


def create(session: Session, notice: Notice, person_ids, group_ids=(), *, now: datetime | None = None) -> int:
    """Insert one row per recipient in the caller's transaction (the notice's). Returns how many."""
    now = now or utcnow()
    person_ids, group_ids = sorted(set(person_ids)), sorted(set(group_ids))
    bindings: dict[int, dict[str, str]] = {}
    for chunk in range(0, len(person_ids), 5000):
        ids = person_ids[chunk:chunk + 5000]
        for pid, channel, openid in session.execute(
                select(WeChatBinding.person_id, WeChatBinding.channel, WeChatBinding.openid)
                .where(WeChatBinding.person_id.in_(ids))):
            bindings.setdefault(pid, {})[channel] = openid
    rows = []
    for pid in person_ids:
        channel, address = person_route(bindings.get(pid, {}))
        rows.append(_row(notice, f"p:{pid}", channel, address, now, person_id=pid, error=UNBOUND))
    for group in session.scalars(select(WorkGroup).where(WorkGroup.id.in_(group_ids))) if group_ids else ():
        channel, address = ("wecom", group.wecom_key) if group.wecom_key else \
            ("tag", str(group.oa_tag_id)) if group.oa_tag_id else ("none", "")
        rows.append(_row(notice, f"g:{group.id}", channel, address, now, group_id=group.id, error=NO_CHANNEL))
    for chunk in range(0, len(rows), 5000):
        session.execute(insert(Delivery), rows[chunk:chunk + 5000])
    return len(rows)


def _row(notice: Notice, recipient: str, channel: str, address: str, now: datetime, *, error: str,
         person_id: int | None = None, group_id: int | None = None) -> dict:
    """A person with no binding is ``unbound`` (its own count: nothing was tried); a work group with neither robot
    nor tag is ``failed`` (a set-up error the county office must fix)."""
    reachable = channel != "none"
    unreachable = "unbound" if person_id is not None else "failed"
    return {"notice_id": notice.id, "recipient": recipient, "person_id": person_id, "group_id": group_id,
            "channel": channel, "address": address, "state": "pending" if reachable else unreachable,
            "attempts": 0, "next_at": max(notice.send_at, now) if reachable else now,
            "error": None if reachable else error}


def release_expired(session: Session, now: datetime) -> int:
    """Rows whose drainer's lease ran out (it died or hung) go back to the queue."""
    result = session.execute(
        update(Delivery).where(Delivery.state == "sending", Delivery.lease_until < now)
        .values(state="pending", claim=None, lease_until=None, next_at=now)
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


def extend(session: Session, claims: list[str], lease_seconds: float, now: datetime | None = None) -> int:
    """The heartbeat of a live drainer: push the lease of its claims ``lease_seconds`` past now. Commits. Returns
    how many rows it still holds (a row that another drainer took back is not touched)."""
    if not claims:
        return 0
    now = now or utcnow()
    held = select(Delivery.id).where(Delivery.claim.in_(claims), Delivery.state == "sending")
    if session.get_bind().dialect.name == "postgresql":
        # Lock in id order and skip rows a worker is writing right now: the worker's result write and this UPDATE
        # otherwise lock the same rows in different orders and PostgreSQL kills one of them as a deadlock (seen in
        # bench/fanout.py at 100,000 recipients). A skipped row is being finished; it needs no longer lease.
        held = held.order_by(Delivery.id).with_for_update(skip_locked=True)
    result = session.execute(
        update(Delivery).where(Delivery.id.in_(held.scalar_subquery()))
        .values(lease_until=now + timedelta(seconds=lease_seconds)).execution_options(synchronize_session=False))
    session.commit()
    return result.rowcount or 0


def unclaim(session: Session, items: list[Claimed], now: datetime | None = None) -> int:
    """Give back claimed rows that were not sent (the drainer is stopping): due again at once, the attempt the claim
    counted is not spent. Commits."""
    if not items:
        return 0
    now = now or utcnow()
    result = session.connection().execute(
        update(Delivery.__table__)
        .where(Delivery.__table__.c.id == bindparam("b_id"), Delivery.__table__.c.claim == bindparam("b_claim"))
        .values(state="pending", claim=None, lease_until=None, next_at=now, attempts=bindparam("b_attempts")),
        [{"b_id": i.id, "b_claim": i.claim, "b_attempts": i.attempts - 1} for i in items])
    session.commit()
    return result.rowcount or 0


def claim(session: Session, owner: str, limit: int, lease_seconds: float, now: datetime | None = None) -> list[Claimed]:
    """Take up to ``limit`` due rows for ``owner`` under a lease. Commits, so other drainers see the claim."""
    now = now or utcnow()
    token = f"{owner[:28]}:{uuid.uuid4().hex[:10]}"
    due = (select(Delivery.id).where(Delivery.state == "pending", Delivery.next_at <= now)
           .order_by(Delivery.next_at).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    session.execute(
        update(Delivery).where(Delivery.id.in_(due.scalar_subquery()))
        .values(state="sending", claim=token, lease_until=now + timedelta(seconds=lease_seconds),
                attempts=Delivery.attempts + 1)
        .execution_options(synchronize_session=False))
    rows = session.execute(
        select(Delivery.id, Delivery.notice_id, Delivery.channel, Delivery.address, Delivery.attempts,
               Notice.kind, Notice.title, Notice.body, Notice.link, Notice.created_at, Notice.facts)
        .join(Notice, Notice.id == Delivery.notice_id).where(Delivery.claim == token).order_by(Delivery.id)).all()
    session.commit()
    return [Claimed(r.id, token, r.notice_id, r.channel, r.address, r.attempts, r.kind, r.title, r.body, r.link,
                    r.created_at, dict(r.facts or {})) for r in rows]


_FINISH = (update(Delivery.__table__)
           .where(Delivery.__table__.c.id == bindparam("b_id"), Delivery.__table__.c.claim == bindparam("b_claim"))
           .values(state=bindparam("b_state"), errcode=bindparam("b_errcode"), error=bindparam("b_error"),
                   sent_at=bindparam("b_sent_at"), next_at=bindparam("b_next_at"),
                   attempts=bindparam("b_attempts"), claim=None, lease_until=None))


def outcome(item: Claimed, result: SendResult, now: datetime) -> dict:
    """Where a send leaves its row: sent, refused, failed, or pending again after a backoff."""
    values = {"b_id": item.id, "b_claim": item.claim, "b_errcode": result.errcode, "b_error": None,
              "b_sent_at": None, "b_next_at": now, "b_attempts": item.attempts}
    if result.ok:
        return {**values, "b_state": "sent", "b_sent_at": now}
    text = result.reason or reason(result.errcode, result.network)
    if result.retry_after is not None:  # paced locally or a daily quota: try again later, it was not an attempt
        return {**values, "b_state": "pending", "b_attempts": item.attempts - 1, "b_error": result.reason,
                "b_next_at": now + timedelta(seconds=result.retry_after)}
    if result.errcode in REFUSED:
        return {**values, "b_state": "refused", "b_error": text}
    if result.final or result.errcode in PERMANENT or item.attempts >= MAX_ATTEMPTS:
        return {**values, "b_state": "failed", "b_error": text}
    return {**values, "b_state": "pending", "b_error": text, "b_next_at": now + backoff(item.attempts)}


def record(session: Session, results: list[tuple[Claimed, SendResult]], now: datetime | None = None) -> None:
    """Write the results of sends (one statement, many rows) and commit."""
    if not results:
        return
    now = now or utcnow()
    session.connection().execute(_FINISH, [outcome(item, result, now) for item, result in results])
    session.commit()
