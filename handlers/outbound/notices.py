"""Policy notices from the county office: compose for an audience (now or later), cancel, report; and
``notify_person``, the one-recipient message the rest of the system sends through the same delivery rows."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Delivery, Notice, Person, WorkGroup, utcnow
from models.outbound import DELIVERY_CHANNELS, DELIVERY_STATES, NOTICE_KINDS

from handlers import audit

from handlers.outbound import audience, deliveries
from handlers.actor import Actor, system_actor
from handlers.errors import Conflict, DomainError, InvalidInput, NotFound
from handlers.outbound.groups import require_county

TITLE_MAX, BODY_MAX, LINK_MAX = 100, 2000, 500


def _check_text(title: str, body: str, link: str | None) -> tuple[str, str, str | None]:
    title, body, link = (title or "").strip(), (body or "").strip(), (link or "").strip() or None
    if not title or len(title) > TITLE_MAX:
        raise InvalidInput(f"通知标题不能为空，且不超过 {TITLE_MAX} 个字符")
    if not body or len(body) > BODY_MAX:
        raise InvalidInput(f"通知正文不能为空，且不超过 {BODY_MAX} 个字符")
    if link and (len(link) > LINK_MAX or not link.startswith(("https://", "http://", "pages/", "/pages/"))):
        raise InvalidInput("链接应为 http(s) 地址或小程序页面路径（pages/…）")
    return title, body, link


def compose(session: Session, actor: Actor, *, title: str, body: str, to: list[str], link: str | None = None,
            send_at: datetime | None = None, now: datetime | None = None) -> Notice:
    """Create the notice and one delivery row per recipient, in this transaction. County office only."""
    require_county(actor)
    now = now or utcnow()
    title, body, link = _check_text(title, body, link)
    if send_at is not None and send_at.tzinfo is None:
        raise InvalidInput("发送时间必须带时区")
    if send_at is not None and send_at < now:
        raise InvalidInput("发送时间不能早于现在")
    who = audience.resolve(session, to)  # refuses unknown names now, not at send time
    if not who:
        raise InvalidInput("所选范围内没有任何接收人")
    notice = Notice(kind="notice", title=title, body=body, link=link, audience=list(to), state="scheduled",
                    send_at=send_at or now, created_by=actor.ref, created_at=now, facts={})
    session.add(notice)
    session.flush()
    total = _resolve_now(session, notice, who, now)
    audit.record(session, actor, "notice.create", "notice", notice.id, None,
                 {"title": title, "to": list(to), "send_at": notice.send_at, "recipients": total})
    return notice


def _resolve_now(session: Session, notice: Notice, who: audience.Audience, now: datetime) -> int | None:
    """A notice due now gets its delivery rows at once; a later one waits for ``release_due`` at its time, so the
    recipients (and whether each is bound) are those of the moment it goes out. Returns the rows made, or None."""
    if notice.send_at > now:
        return None
    notice.resolved_at = now
    return deliveries.create(session, notice, who.person_ids, who.group_ids, now=now)


def release_due(session: Session, now: datetime | None = None, limit: int = 50) -> list[int]:
    """Turn scheduled notices whose time has come into delivery rows, resolving their audience now.

    Called by the scheduler before each drain. Safe to run in several processes: on PostgreSQL the notices are
    locked (``SKIP LOCKED``), and the unique (notice, recipient) key refuses a second set of rows anyway.
    An audience that no longer exists (a unit renamed since) releases the notice with the names it can resolve
    and audits what it could not. Returns the ids released."""
    now = now or utcnow()
    q = (select(Notice).where(Notice.state == "scheduled", Notice.resolved_at.is_(None), Notice.send_at <= now)
         .order_by(Notice.send_at).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    released = []
    for notice in session.scalars(q):
        who, missing = audience.Audience(), []
        for spec in notice.audience or []:
            try:
                part = audience.resolve(session, [spec])
            except DomainError as exc:
                missing.append(f"{spec}：{exc.message}")
                continue
            who.person_ids |= part.person_ids
            who.group_ids |= part.group_ids
        notice.resolved_at = now
        total = deliveries.create(session, notice, who.person_ids, who.group_ids, now=now)
        audit.record(session, system_actor("scheduler"), "notice.release", "notice", notice.id, None,
                     {"recipients": total, "unresolved": missing})
        released.append(notice.id)
    session.flush()
    return released


def _notice(session: Session, actor: Actor, notice_id: int) -> Notice:
    require_county(actor)
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise NotFound(f"找不到编号为 {notice_id} 的通知")
    return notice


def cancel(session: Session, actor: Actor, notice_id: int, now: datetime | None = None) -> int:
    """Withdraw what has not gone yet. Returns how many deliveries were stopped (0 for a notice whose time had not
    come: it never made any). A notice with nothing left to stop is refused, saying what became of it."""
    notice = _notice(session, actor, notice_id)
    if notice.state == "cancelled":
        raise Conflict("该通知已撤回", "already_cancelled")
    pending = list(session.scalars(select(Delivery).where(Delivery.notice_id == notice.id,
                                                          Delivery.state == "pending").with_for_update()))
    if not pending and notice.state != "draft" and notice.resolved_at is not None:
        r = report(session, actor, notice.id)
        raise Conflict(f"该通知已没有待发送的消息，无法撤回（{r.outcome}）", "nothing_pending")
    for d in pending:
        d.state, d.error = "cancelled", "发送前已撤回"
    before = {"state": notice.state}
    notice.state, notice.cancelled_at = "cancelled", now or utcnow()
    audit.record(session, actor, "notice.cancel", "notice", notice.id, before,
                 {"state": "cancelled", "stopped": len(pending)})
    return len(pending)


def send_draft(session: Session, actor: Actor, notice_id: int, *, to: list[str] | None = None,
               send_at: datetime | None = None, now: datetime | None = None) -> Notice:
    """The county office sends a draft (e.g. a 通报 the scheduler prepared), to its audience or a new one."""
    notice = _notice(session, actor, notice_id)
    if notice.state != "draft":
        raise Conflict("只有草稿可以发送", "not_draft")
    now = now or utcnow()
    to = list(to or notice.audience)
    who = audience.resolve(session, to)
    if not who:
        raise InvalidInput("所选范围内没有任何接收人")
    notice.state, notice.audience, notice.send_at = "scheduled", to, send_at or now
    total = _resolve_now(session, notice, who, now)
    audit.record(session, actor, "notice.send_draft", "notice", notice.id, {"state": "draft"},
                 {"state": "scheduled", "to": to, "recipients": total})
    return notice


@dataclass
class NoticeReport:
    id: int
    kind: str
    title: str
    state: str
    send_at: datetime
    audience: list[str]
    resolved: bool = True  # False while a scheduled notice waits for its time (no recipients decided yet)
    total: int = 0
    sent: int = 0
    pending: int = 0  # waiting or being sent now
    failed: int = 0  # WeChat (or the work group's set-up) said no
    refused: int = 0
    cancelled: int = 0
    unbound: int = 0  # the person had no WeChat binding when the notice went out: never sent, not a WeChat failure
    failures: list[dict] = field(default_factory=list)  # [{errcode, reason, count}]
    rows: list[dict] = field(default_factory=list)  # every recipient (the export)

    @property
    def status(self) -> str:
        """What an operator reads: 草稿, 已撤回, 待发送 (its time has not come), 发送中, 已完成 (everyone reached),
        部分送达 (some not), 未送达 (nobody reached)."""
        if self.state in ("draft", "cancelled"):
            return {"draft": "草稿", "cancelled": "已撤回"}[self.state]
        if not self.resolved or (self.pending and self.send_at > utcnow()):
            return "待发送"
        if self.pending:
            return "发送中"
        if self.sent == self.total and self.total:
            return "已完成"
        return "部分送达" if self.sent else "未送达"

    @property
    def progress(self) -> int:
        """Percent of the deliveries that are settled (sent, failed, refused, unbound or cancelled); 0 while the
        notice waits for its time."""
        if not self.resolved:
            return 0
        return 100 if not self.total else (self.total - self.pending) * 100 // self.total

    @property
    def outcome(self) -> str:
        """One line that never calls an undelivered message sent."""
        if not self.resolved:
            return "尚未到发送时间，接收人将在发送时确定"
        parts = [f"已送达 {self.sent}"]
        for label, n in (("待发送", self.pending), ("未绑定微信", self.unbound), ("发送失败", self.failed),
                         ("拒收", self.refused), ("已撤回", self.cancelled)):
            if n:
                parts.append(f"{label} {n}")
        return f"共 {self.total}：" + "，".join(parts)

    def as_dict(self) -> dict:
        out = dict(self.__dict__)
        out["progress"] = self.progress
        out["status"] = self.status
        out["outcome"] = self.outcome
        out["send_at"] = self.send_at.isoformat()
        return out


def report(session: Session, actor: Actor, notice_id: int, *, with_rows: bool = False, row_offset: int = 0,
           row_limit: int | None = None) -> NoticeReport:
    notice = _notice(session, actor, notice_id)
    r = NoticeReport(notice.id, NOTICE_KINDS.get(notice.kind, notice.kind), notice.title, notice.state,
                     notice.send_at, list(notice.audience or []), resolved=notice.resolved_at is not None)
    failures: dict[tuple, int] = {}
    for state, errcode, error, n in session.execute(
            select(Delivery.state, Delivery.errcode, Delivery.error, func.count())
            .where(Delivery.notice_id == notice.id).group_by(Delivery.state, Delivery.errcode, Delivery.error)):
        r.total += n
        key = {"sending": "pending"}.get(state, state)
        setattr(r, key, getattr(r, key) + n)
        if state in ("failed", "refused"):
            failures[(errcode, error)] = failures.get((errcode, error), 0) + n
    r.failures = [{"errcode": e, "reason": reason, "count": n}
                  for (e, reason), n in sorted(failures.items(), key=lambda kv: -kv[1])]
    if with_rows:
        q = (select(Delivery, Person.staff_no, Person.name, WorkGroup.name)
             .outerjoin(Person, Person.id == Delivery.person_id).outerjoin(WorkGroup, WorkGroup.id == Delivery.group_id)
             .where(Delivery.notice_id == notice.id).order_by(Delivery.id).offset(row_offset).limit(row_limit))
        for d, staff_no, name, group in session.execute(q):
            r.rows.append({"recipient": f"{name}（{staff_no}）" if staff_no else f"工作群：{group}",
                           "channel": d.channel, "channel_label": DELIVERY_CHANNELS.get(d.channel, d.channel),
                           "state": DELIVERY_STATES.get(d.state, d.state),
                           "attempts": d.attempts, "errcode": d.errcode, "reason": d.error,
                           "sent_at": d.sent_at.isoformat() if d.sent_at else None})
    return r


def list_notices(session: Session, actor: Actor, limit: int = 50, offset: int = 0) -> list[Notice]:
    require_county(actor)
    return list(session.scalars(select(Notice).order_by(Notice.id.desc()).offset(offset).limit(limit)))


def count_notices(session: Session, actor: Actor) -> int:
    require_county(actor)
    return session.scalar(select(func.count()).select_from(Notice)) or 0


def system_notice(session: Session, *, kind: str, dedupe_key: str, title: str, body: str, person_ids=(),
                  group_ids=(), link: str | None = None, state: str = "scheduled", audience_specs=(),
                  facts: dict | None = None, now: datetime | None = None) -> Notice | None:
    """A notice the system sends by itself (reminders, personal messages), at most once per ``dedupe_key``.

    Returns None when it already exists — whoever created it first (another scheduler, an earlier run) wins.
    """
    now = now or utcnow()
    if session.scalar(select(Notice.id).where(Notice.dedupe_key == dedupe_key)):
        return None
    try:
        with session.begin_nested():
            notice = Notice(kind=kind, title=title[:TITLE_MAX], body=body[:BODY_MAX], link=link,
                            audience=list(audience_specs), state=state, send_at=now, dedupe_key=dedupe_key,
                            created_by="system:scheduler", created_at=now, facts=_plain_facts(facts),
                            resolved_at=None if state == "draft" else now)
            session.add(notice)
            session.flush()
            total = deliveries.create(session, notice, person_ids, group_ids, now=now) if state != "draft" else 0
            audit.record(session, system_actor("scheduler"), f"{kind}.create", "notice", notice.id, None,
                         {"key": dedupe_key, "recipients": total})
    except IntegrityError:  # a concurrent run created it between our check and our insert
        return None
    return notice


def notify_person(session: Session, person_id: int, text: str, *, kind: str = "personal", dedupe_key: str,
                  title: str | None = None, link: str | None = None, facts: dict | None = None) -> Notice | None:
    """Push one message to one person (their WeChat), once per ``dedupe_key``, in the caller's transaction.

    E.g. ``notify_person(s, pid, "您的个人小结已被退回…", kind="personal", dedupe_key=f"summary-returned:{sid}:{n}")``.
    ``facts`` go into the push's own fields: ``grade`` (≤ 5 characters), ``deadline`` (an aware datetime) and
    ``lead`` (≤ 20 characters: what the push's text line says instead of the text's first characters).
    """
    if session.get(Person, person_id) is None:
        raise NotFound("找不到该人员")
    return system_notice(session, kind=kind if kind in NOTICE_KINDS else "personal", dedupe_key=dedupe_key,
                         title=title or text.split("\n", 1)[0][:20], body=text, person_ids=[person_id], link=link,
                         facts=_plain_facts(facts))


def notice_text(session: Session, actor: Actor, notice_id: int) -> dict:
    """What the notice says (the console's report page shows it above the deliveries). County office only."""
    n = _notice(session, actor, notice_id)
    return {"id": n.id, "title": n.title, "body": n.body, "link": n.link, "created_by": n.created_by,
            "audience": list(n.audience or [])}


def _plain_facts(facts: dict | None) -> dict:
    """Facts as JSON: datetimes as ISO 8601 (UTC, aware)."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in (facts or {}).items() if v is not None}


MY_NOTICES_MAX = 50


def _my_rows(session: Session, person_id: int):
    return (select(Notice, Delivery.sent_at)
            .join(Delivery, Delivery.notice_id == Notice.id)
            .where(Delivery.person_id == person_id, Delivery.state != "cancelled",
                   Notice.state != "draft"))


def _my_row(notice: Notice, sent_at: datetime | None) -> dict:
    return {"id": notice.id, "kind": NOTICE_KINDS.get(notice.kind, notice.kind), "title": notice.title,
            "body": notice.body, "link": notice.link, "sent_at": sent_at or notice.send_at}


def my_notices(session: Session, actor: Actor, *, offset: int = 0, limit: int = 10) -> list[dict]:
    """The notices, reminders and personal messages that went to this person (newest first), full text included:
    a push shows only 20 characters, this is where the rest is read (chat “通知”, the phone page)."""
    if actor.person_id is None:
        raise NotFound("只有考核对象本人可以查看自己收到的通知")
    limit = max(1, min(limit, MY_NOTICES_MAX))
    q = _my_rows(session, actor.person_id).order_by(Notice.send_at.desc(), Notice.id.desc()).offset(max(offset, 0))
    return [_my_row(n, sent_at) for n, sent_at in session.execute(q.limit(limit))]


def my_notice(session: Session, actor: Actor, notice_id: int) -> dict:
    """One notice's full text, for a person it was sent to (anyone else: not found)."""
    row = session.execute(_my_rows(session, actor.person_id if actor.person_id is not None else -1)
                          .where(Notice.id == notice_id)).first()
    if row is None:
        raise NotFound(f"找不到编号为 {notice_id} 的通知")
    return _my_row(*row)
