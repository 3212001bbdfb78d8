"""Outbound messages: work groups, notices (broadcasts, reminders, one-person messages) and their deliveries.

Every send is a ``Delivery`` row, unique per notice and recipient and created in the notice's transaction, so a
crash never loses a message and never doubles one beyond the sends in flight.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, JSONType, UTCDateTime, utcnow

NOTICE_KINDS = {"notice": "通知", "reminder": "提醒", "personal": "个人消息", "circular": "通报"}
NOTICE_STATES = {"draft": "草稿", "scheduled": "待发送", "cancelled": "已撤回"}
DELIVERY_STATES = {
    "pending": "待发送", "sending": "发送中", "sent": "已送达", "failed": "失败", "refused": "用户拒收",
    "cancelled": "已撤回", "unbound": "未绑定微信",
}
DELIVERY_CHANNELS = {"template": "公众号模板消息", "subscribe": "小程序订阅消息", "wecom": "企业微信群机器人",
                     "tag": "公众号标签群发", "none": "无"}


class WorkGroup(Base):
    """A work group (工作群): a WeCom group robot (webhook key) and/or an Official Account tag."""

    __tablename__ = "work_groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    wecom_key: Mapped[str | None] = mapped_column(String(128))
    oa_tag_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notice(Base):
    """What is sent, to whom (the audience as written), and from when. ``dedupe_key`` makes system sends idempotent."""

    __tablename__ = "notices"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="notice")
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    audience: Mapped[list] = mapped_column(JSONType, default=list)
    state: Mapped[str] = mapped_column(String(16), default="scheduled")
    send_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dedupe_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the audience was turned into delivery rows: at send time, so people who bind (or join the unit) between
    # a scheduled notice's creation and its time receive it. NULL while a scheduled notice waits.
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What a push shows in its own template fields besides title and text, e.g. {"grade": "好"}, {"deadline": ISO}.
    facts: Mapped[dict] = mapped_column(JSONType, default=dict)


class Delivery(Base):
    """One notice to one recipient (a person or a work group) over one channel.

    ``pending`` rows whose ``next_at`` has come are claimed (``sending``, with a lease); a claim whose lease ran out
    is claimable again. ``claim`` identifies the batch that holds the row, so a late result cannot overwrite a
    newer claim's.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("notice_id", "recipient"),
        Index("ix_deliveries_due", "state", "next_at"),
        # the rows in flight, found by their claim token (the claim's read-back, the heartbeat): without it each
        # claim scanned the whole table — 28 ms at 100,000 rows, every 50 sends (bench/fanout.py)
        Index("ix_deliveries_claim", "claim", postgresql_where=text("claim IS NOT NULL"),
              sqlite_where=text("claim IS NOT NULL")),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"))
    recipient: Mapped[str] = mapped_column(String(32))  # "p:<person id>" or "g:<group id>"
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("work_groups.id"))
    channel: Mapped[str] = mapped_column(String(16))  # template | subscribe | wecom | tag | none
    address: Mapped[str] = mapped_column(String(128), default="")
    state: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    next_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim: Mapped[str | None] = mapped_column(String(40))
    errcode: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
