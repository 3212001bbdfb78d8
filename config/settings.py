"""Settings from the environment (all ``KAOHE_*``), with embedded defaults for the demo.

``load_settings`` is called by the app factory and the CLI, never at import time. A wrong value
raises :class:`SettingsError` whose message is one line naming the variable.
"""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Mapping
from urllib.parse import urlparse

from .policy import PolicyError, load_policy


class SettingsError(ValueError):
    """One clear line naming the wrong setting."""


def _default_db_url() -> str:
    return f"sqlite:///{Path('instance').resolve() / 'kaohe.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=_default_db_url)
    redis_url: str | None = None
    policy: str = "hengyang"
    secret_key: str = "dev-only-insecure-secret-key"
    env: str = "development"  # development | production | test
    # WeChat Official Account (公众号)
    wechat_token: str = "kaohe-demo-token"
    wechat_appid: str = "wxdemo0000000000"
    wechat_secret: str = "demo-secret"
    wechat_aes_key: str | None = None
    wechat_max_skew: int = 300
    # WeChat Mini Program (小程序)
    miniapp_appid: str = "wxminidemo000000"
    miniapp_secret: str = "demo-mini-secret"
    # API hosts, replaced by a local fake server in tests and the demo
    wechat_api_base: str = "https://api.weixin.qq.com"
    wecom_api_base: str = "https://qyapi.weixin.qq.com"
    wechat_open_base: str = "https://open.weixin.qq.com"  # the web authorization page (connect/oauth2/authorize)
    simulator: bool | None = None  # None: on, except in production
    # WeCom attendance (企业微信打卡) for leave days: the corp id and the 打卡 app's secret; empty = not used
    wecom_corp_id: str = ""
    wecom_checkin_secret: str = ""
    # Outbound messages (notices, reminders): template ids, pace, drainer pool, leases, scheduler leadership
    wechat_template_id: str = "NOTICE-TEMPLATE-DEMO"  # 公众号模板消息 (fields thing1 title, thing2 body, time3)
    miniapp_template_id: str = "NOTICE-SUBSCRIBE-DEMO"  # 小程序订阅消息 (same fields)
    send_rate: int = 50  # messages per second for all processes together (a Redis token bucket); 0 = no limit
    send_workers: int = 8
    delivery_lease: int = 60  # seconds a claimed delivery stays with its drainer
    scheduler_lock_ttl: int = 30  # seconds; a standby scheduler takes over within this after the leader dies
    # WeChat's rations of forced access-token refreshes (stable_token force_refresh), for all processes together
    wechat_force_refresh_interval: int = 30  # seconds at least between two forced refreshes
    wechat_force_refresh_per_day: int = 20  # forced refreshes per Beijing day
    # Mini Program API sessions and login throttling
    api_idle_minutes: int = 120  # a session unused this long ends
    api_session_hours: int = 168  # absolute lifetime of a session
    login_limit_per_ip: int = 30  # login/bind attempts per client IP per window
    login_limit_per_openid: int = 10  # login/bind attempts per WeChat user per window
    login_window_seconds: int = 300
    trusted_proxy_hops: int = 0  # how many X-Forwarded-For hops to trust (0: use the socket address)
    # Web pages (phone pages /m/ and the desktop console /console/)
    public_url: str = "http://127.0.0.1:5000"  # how people reach this server: links in pushes, OAuth redirect_uri
    web_idle_minutes: int = 30  # a page session unused this long ends
    web_session_hours: int = 12  # absolute lifetime of a page session

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def simulator_enabled(self) -> bool:
        return (not self.is_production) if self.simulator is None else self.simulator

    def with_overrides(self, **changes) -> "Settings":
        return replace(self, **changes)


_INT = {"wechat_max_skew", "send_rate", "send_workers", "delivery_lease", "scheduler_lock_ttl"}
_INT |= {"wechat_force_refresh_interval", "wechat_force_refresh_per_day"}
_INT |= {"api_idle_minutes", "api_session_hours", "login_limit_per_ip", "login_limit_per_openid",
         "login_window_seconds", "trusted_proxy_hops", "web_idle_minutes", "web_session_hours"}
_BOOL = {"simulator"}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def load_settings(environ: Mapping[str, str] | None = None, **overrides) -> Settings:
    env = os.environ if environ is None else environ
    values: dict = {}
    for f in fields(Settings):
        name = f"KAOHE_{f.name.upper()}"
        raw = env.get(name)
        if raw is None or raw == "":
            continue
        if f.name in _INT:
            try:
                values[f.name] = int(raw)
            except ValueError:
                raise SettingsError(f"{name} 必须是整数，实际为 {raw!r}") from None
        elif f.name in _BOOL:
            if raw.lower() not in _TRUE | _FALSE:
                raise SettingsError(f"{name} 必须是 true 或 false，实际为 {raw!r}")
            values[f.name] = raw.lower() in _TRUE
        else:
            values[f.name] = raw
    values.update(overrides)
    settings = Settings(**values)
    validate(settings)
    return settings


def validate(s: Settings) -> None:
    scheme = urlparse(s.database_url).scheme.split("+")[0]
    if scheme not in ("sqlite", "postgresql"):
        raise SettingsError(f"KAOHE_DATABASE_URL 只支持 sqlite 或 postgresql，实际为 {s.database_url!r}")
    if s.redis_url is not None and urlparse(s.redis_url).scheme not in ("redis", "rediss", "unix"):
        raise SettingsError(f"KAOHE_REDIS_URL 必须以 redis:// 开头，实际为 {s.redis_url!r}")
    if s.env not in ("development", "production", "test"):
        raise SettingsError(f"KAOHE_ENV 只能是 development、production 或 test，实际为 {s.env!r}")
    try:
        load_policy(s.policy)
    except PolicyError as exc:
        raise SettingsError(f"KAOHE_POLICY 无效：{exc}") from None
    if s.wechat_max_skew < 0:
        raise SettingsError("KAOHE_WECHAT_MAX_SKEW 不能为负数")
    for name in ("send_rate", "send_workers", "delivery_lease", "scheduler_lock_ttl"):
        if getattr(s, name) < (0 if name == "send_rate" else 1):
            raise SettingsError(f"KAOHE_{name.upper()} 取值无效：{getattr(s, name)}")
    for name in ("wechat_force_refresh_interval", "wechat_force_refresh_per_day"):
        if getattr(s, name) < 1:
            raise SettingsError(f"KAOHE_{name.upper()} 必须是正整数")
    if s.wechat_aes_key is not None and len(s.wechat_aes_key) != 43:
        raise SettingsError("KAOHE_WECHAT_AES_KEY 必须是 43 个字符的 EncodingAESKey")
    for name in ("wechat_api_base", "wecom_api_base", "wechat_open_base"):
        url = getattr(s, name)
        if urlparse(url).scheme not in ("http", "https"):
            raise SettingsError(f"KAOHE_{name.upper()} 必须是 http(s) 地址，实际为 {url!r}")
    for name in ("api_idle_minutes", "api_session_hours", "login_limit_per_ip", "login_limit_per_openid",
                 "login_window_seconds", "web_idle_minutes", "web_session_hours"):
        if getattr(s, name) < 1:
            raise SettingsError(f"KAOHE_{name.upper()} 必须是正整数")
    if urlparse(s.public_url).scheme not in ("http", "https") or not urlparse(s.public_url).netloc:
        raise SettingsError(f"KAOHE_PUBLIC_URL 必须是 http(s) 地址，实际为 {s.public_url!r}")
    if s.trusted_proxy_hops < 0:
        raise SettingsError("KAOHE_TRUSTED_PROXY_HOPS 不能为负数")
    if s.is_production:
        if s.secret_key == Settings.secret_key:
            raise SettingsError("KAOHE_SECRET_KEY 在生产环境必须设置为随机值")
        if len(s.secret_key) < 32:
            raise SettingsError("KAOHE_SECRET_KEY 至少 32 个字符")
        if s.simulator is True:
            raise SettingsError("KAOHE_SIMULATOR 在生产环境必须为 false")


def development_parts(s: Settings) -> list[str]:
    """What is on that only belongs on a developer's machine, in Chinese, for ``/readyz`` and the startup log."""
    parts = []
    if not s.is_production:
        parts.append(f"非生产环境（KAOHE_ENV={s.env}）")
    if s.secret_key == Settings.secret_key:
        parts.append("开发用密钥（未设置 KAOHE_SECRET_KEY）")
    if s.simulator_enabled:
        parts.append("微信模拟器 /simulator（无需登录即可生成绑定码）")
    if s.wechat_token == Settings.wechat_token or s.wechat_secret == Settings.wechat_secret:
        parts.append("演示用公众号凭据（未设置 KAOHE_WECHAT_TOKEN / KAOHE_WECHAT_SECRET）")
    if any(is_loopback(urlparse(url).hostname or "") for url in (s.wechat_api_base, s.wecom_api_base)):
        parts.append("模拟微信接口（KAOHE_WECHAT_API_BASE 指向本机，消息不会发到真实微信）")
    return parts


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind_is_local(bind: str) -> bool:
    """``host:port`` (or a unix socket) reachable only from this machine."""
    if bind.startswith("unix:"):
        return True
    host = bind.rsplit(":", 1)[0] if ":" in bind and not bind.endswith("]") else bind
    return is_loopback(host)


def refuse_exposed(s: Settings, bind: str, command: str = "kaohe serve") -> None:
    """Development-only parts (the simulator hands out bind codes to anyone; the development secret signs every
    session) never listen on a non-loopback address."""
    parts = [p for p in development_parts(s) if not p.startswith("非生产环境")]
    if parts and not bind_is_local(bind):
        raise SettingsError(f"{command} 要监听 {bind}（本机以外可访问），但以下仅供开发的部分开启：{'；'.join(parts)}。"
                            "请按 README“Production”一节设置环境变量，或只监听 127.0.0.1")
