"""Outbound channels behind one small interface: ``send(item) -> SendResult``.

``template`` (Official Account template message), ``subscribe`` (Mini Program subscribe message), ``wecom``
(WeCom group robot webhook), ``tag`` (Official Account tag send). ``build_channels`` wires the real ones to the
API hosts in the settings (a local fake in tests and the demo); ``RecordingChannel`` is the in-memory fake.
"""
from __future__ import annotations

from typing import Protocol

from config import Settings
from handlers.outbound.deliveries import Claimed, SendResult
from models.store import Store

from .http import Http
from .token import AccessTokens
from .wechat import SubscribeSender, TagSender, TemplateSender
from .wecom import RobotSender


class Channel(Protocol):
    def send(self, item: Claimed) -> SendResult: ...


class RecordingChannel:
    """Records every send; answers from ``script`` (address → list of results, used in order) or success."""

    def __init__(self, script: dict[str, list[SendResult]] | None = None):
        import threading

        self.sent: list[Claimed] = []
        self.script = script or {}
        self._lock = threading.Lock()

    def send(self, item: Claimed) -> SendResult:
        with self._lock:
            self.sent.append(item)
            queue = self.script.get(item.address)
            return queue.pop(0) if queue else SendResult(0)


def build_channels(settings: Settings, store: Store, *, timeout: float = 5.0) -> dict[str, Channel]:
    http = Http(timeout=timeout, pool=max(settings.send_workers, 4))
    tokens = AccessTokens(store, http, settings.wechat_api_base, settings.wechat_appid, settings.wechat_secret,
                          **token_ration(settings))
    mini_tokens = AccessTokens(store, http, settings.wechat_api_base, settings.miniapp_appid,
                               settings.miniapp_secret, **token_ration(settings))
    return {
        "template": TemplateSender(http, tokens, settings.wechat_api_base, settings.wechat_template_id,
                                   settings.public_url),
        "subscribe": SubscribeSender(http, mini_tokens, settings.wechat_api_base, settings.miniapp_template_id),
        "tag": TagSender(http, tokens, settings.wechat_api_base),
        "wecom": RobotSender(http, store, settings.wecom_api_base),
    }


def token_ration(settings: Settings) -> dict:
    """How often the token may be force-refreshed (all processes together): WeChat's limits, from the settings."""
    return {"force_interval": settings.wechat_force_refresh_interval,
            "force_per_day": settings.wechat_force_refresh_per_day}


def oa_tokens(settings: Settings, store: Store) -> AccessTokens:
    """The Official Account's shared token, for any other client (e.g. customer-service replies):
    ``.get()`` before a call, ``.refresh(stale)`` after a 40001/42001."""
    return AccessTokens(store, Http(), settings.wechat_api_base, settings.wechat_appid, settings.wechat_secret,
                        **token_ration(settings))


__all__ = ["AccessTokens", "Channel", "RecordingChannel", "build_channels", "oa_tokens"]
