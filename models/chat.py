"""The Official Account inbox ledger: one row per WeChat message ever handled (exactly-once underneath Redis)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, UTCDateTime, utcnow


class WeChatInbound(Base):
    """``dedupe_key`` is ``msg:<MsgId>`` or ``evt:<FromUserName>:<CreateTime>:<Event>``; its unique constraint is what makes
    a retried message have one effect even when Redis is down or was flushed. The row is written in the same
    transaction as the message's effect and keeps the reply, so a retry gets the same answer."""

    __tablename__ = "wechat_inbound"
    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    msg_type: Mapped[str] = mapped_column(String(32))
    reply: Mapped[str] = mapped_column(Text, default="")
    delivery: Mapped[str] = mapped_column(String(16), default="passive")  # passive | custom (sent after the budget)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatDialog(Base):
    """A chat user's dialog state (``writing``, ``confirm_submit``) until ``expires_at``. This row is the record; the
    store only caches it, so a person in the middle of 写小结 keeps writing through a Redis outage, restart or
    flush. No row (or an expired one) is the idle state."""

    __tablename__ = "chat_dialogs"
    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
