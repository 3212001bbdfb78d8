"""Mini Program login: ``wx.login`` code → code2session (wechatpy, real HTTP) → a server-side session, or a bind.

The session_key WeChat returns never leaves this module. A user whose openid is not bound gets a short-lived
*bind ticket* (random, kept in the store with the openid); ``bind`` redeems the ticket together with the one-time
code issued by unit HR. Login and bind are throttled per client IP and per WeChat user.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Callable

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from config.policy import Policy
from models import Person, WeChatBinding, utcnow
from models.store import Store

from handlers import audit

from handlers.identity import binding
from handlers.actor import system_actor
from handlers.errors import DomainError, InvalidInput, TooManyRequests, Unauthorized, Unavailable
from handlers.identity.sessions import NewSession, SessionPolicy, create_session

BIND_TICKET_TTL = 600
CHANNEL = "miniapp"

# WeChat's code2session error codes → what the user is told.
WECHAT_ERRORS: dict[int, tuple[type[DomainError], str, str]] = {
    40029: (Unauthorized, "wechat_code_invalid", "微信登录凭证无效或已过期，请重新打开小程序再试"),
    40163: (Unauthorized, "wechat_code_used", "微信登录凭证已被使用，请重新打开小程序再试"),
    40226: (Unauthorized, "wechat_user_blocked", "该微信账号存在风险，已被微信限制登录"),
    45011: (TooManyRequests, "wechat_rate_limited", "登录过于频繁，请稍等一分钟再试"),
    45009: (Unavailable, "wechat_quota", "微信接口今日调用次数已用完，请明天再试或联系管理员"),
    -1: (Unavailable, "wechat_busy", "微信系统繁忙，请稍后再试"),
    40013: (Unavailable, "wechat_config", "小程序配置有误（AppID 无效），请联系管理员"),
    40125: (Unavailable, "wechat_config", "小程序配置有误（AppSecret 无效），请联系管理员"),
}


@dataclass(frozen=True)
class WeChatIdentity:
    openid: str
    unionid: str | None


@dataclass(frozen=True)
class LoginResult:
    session: NewSession | None  # None → must bind
    bind_ticket: str | None = None


class MiniappClient:
    """code2session through wechatpy against ``api_base`` (the real WeChat API, or a local fake in tests)."""

    def __init__(self, appid: str, secret: str, api_base: str, timeout: float = 5.0):
        base = api_base.rstrip("/")
        # auto_retry=False: wechatpy's own retry is unbounded and unlocked; a failed login is simply retried by
        # the user. The API bases are instance settings; nothing inside wechatpy is patched.
        self.appid, self.secret = appid, secret
        self.client = WeChatClient(appid, secret, timeout=timeout, auto_retry=False)
        self.client.API_BASE_URL = f"{base}/cgi-bin/"
        self.client.wxa.API_BASE_URL = f"{base}/"

    def code_to_session(self, code: str) -> WeChatIdentity:
        try:
            # Same request as ``wxa.code_to_session``, but with ``access_token: None``: code2session needs no
            # access token, wechatpy only skips fetching one (from a hard-coded host) when the key is present, and
            # requests drops None-valued parameters, so nothing extra is sent.
            data = self.client.wxa._get("sns/jscode2session", params={
                "appid": self.appid, "secret": self.secret, "js_code": code, "grant_type": "authorization_code",
                "access_token": None})
        except WeChatClientException as exc:
            errcode = exc.errcode if exc.errcode is not None else -1
            cls, code_, message = WECHAT_ERRORS.get(int(errcode), (Unavailable, "wechat_error",
                                                                   f"微信登录失败（错误码 {errcode}），请稍后再试"))
            raise cls(message, code_, wechat_errcode=int(errcode)) from None
        except requests.RequestException:
            raise Unavailable("暂时无法连接微信服务器，请稍后再试", "wechat_unreachable") from None
        if not isinstance(data, dict) or not data.get("openid"):
            raise Unavailable("微信登录返回内容异常，请稍后再试", "wechat_bad_answer")
        # data["session_key"] is deliberately dropped here: it never leaves the server and is not needed.
        return WeChatIdentity(str(data["openid"]), data.get("unionid"))


class OAuthClient:
    """The Official Account's web authorization (``snsapi_base``): the address to send the browser to, and the
    code → openid exchange at ``sns/oauth2/access_token`` (real HTTP to ``api_base``, a local fake in tests)."""

    def __init__(self, appid: str, secret: str, api_base: str, open_base: str, timeout: float = 5.0):
        self.appid, self.secret, self.timeout = appid, secret, timeout
        self.api_base, self.open_base = api_base.rstrip("/"), open_base.rstrip("/")

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        from wechatpy.oauth import WeChatOAuth

        oauth = WeChatOAuth(self.appid, self.secret, redirect_uri, scope="snsapi_base", state=state)
        oauth.OAUTH_BASE_URL = f"{self.open_base}/connect/"  # an instance setting, as for the API bases above
        return oauth.authorize_url

    def code_to_identity(self, code: str) -> WeChatIdentity:
        try:
            answer = requests.get(f"{self.api_base}/sns/oauth2/access_token", timeout=self.timeout, params={
                "appid": self.appid, "secret": self.secret, "code": code, "grant_type": "authorization_code"})
            data = answer.json()
        except (requests.RequestException, ValueError):
            raise Unavailable("暂时无法连接微信服务器，请稍后再试", "wechat_unreachable") from None
        errcode = int(data.get("errcode") or 0) if isinstance(data, dict) else -1
        if errcode:
            cls, code_, message = WECHAT_ERRORS.get(errcode, (Unavailable, "wechat_error",
                                                              f"微信授权失败（错误码 {errcode}），请稍后再试"))
            raise cls(message.replace("小程序", "页面"), code_, wechat_errcode=errcode)
        if not data.get("openid"):
            raise Unavailable("微信授权返回内容异常，请稍后再试", "wechat_bad_answer")
        return WeChatIdentity(str(data["openid"]), data.get("unionid"))


def check_rate(store: Store, settings, ip: str, openid: str | None = None) -> None:
    """Count one login/bind attempt per IP (and per openid when known); refuse beyond the settings' limits."""
    window = settings.login_window_seconds
    if store.incr(f"rl:login:ip:{ip}", window) > settings.login_limit_per_ip:
        raise TooManyRequests(f"登录尝试过于频繁，请 {max(window // 60, 1)} 分钟后再试", "login_rate_limited",
                              retry_after=window)
    if openid and store.incr(f"rl:login:oid:{openid}", window) > settings.login_limit_per_openid:
        raise TooManyRequests(f"登录尝试过于频繁，请 {max(window // 60, 1)} 分钟后再试", "login_rate_limited",
                              retry_after=window)


def _link_by_unionid(session: Session, ident: WeChatIdentity) -> Person | None:
    """Same WeChat user already bound on the Official Account (same unionid): link the Mini Program too."""
    if not ident.unionid:
        return None
    other = session.scalar(select(WeChatBinding).where(WeChatBinding.unionid == ident.unionid,
                                                       WeChatBinding.channel != CHANNEL))
    if other is None:
        return None
    person = session.get(Person, other.person_id)
    if person is None or person.status != "active":
        return None
    mine = session.scalar(select(WeChatBinding).where(WeChatBinding.person_id == person.id,
                                                      WeChatBinding.channel == CHANNEL))
    if mine is not None:
        return None  # bound to another miniapp openid: leave it to an explicit bind
    session.add(WeChatBinding(person_id=person.id, channel=CHANNEL, openid=ident.openid, unionid=ident.unionid,
                              bound_at=utcnow()))
    audit.record(session, system_actor("wechat"), "binding.linked_unionid", "person", person.staff_no, None,
                 {"channel": CHANNEL, "openid": ident.openid})
    return person


def login(session: Session, store: Store, settings, sessions: SessionPolicy, exchange: Callable[[str], WeChatIdentity],
          code: str, ip: str, *, channel: str = CHANNEL, kind: str = CHANNEL) -> LoginResult:
    """A WeChat login code (Mini Program ``wx.login``, or the Official Account's web authorization) → a session of
    ``kind`` for the person bound to the openid on ``channel``, or a bind ticket when nobody is bound."""
    check_rate(store, settings, ip)
    ident = exchange(code)
    check_rate_openid(store, settings, ident.openid)
    person = binding.person_for_openid(session, channel, ident.openid)
    if person is None and channel == CHANNEL:
        person = _link_by_unionid(session, ident)
    if person is None:
        ticket = secrets.token_urlsafe(24)
        store.set(f"api:bindticket:{ticket}", json.dumps({"openid": ident.openid, "unionid": ident.unionid,
                                                          "channel": channel, "kind": kind}), ttl=BIND_TICKET_TTL)
        return LoginResult(None, ticket)
    return LoginResult(create_session(session, store, sessions, person.id, kind, ident.openid))


def check_rate_openid(store: Store, settings, openid: str) -> None:
    window = settings.login_window_seconds
    if store.incr(f"rl:login:oid:{openid}", window) > settings.login_limit_per_openid:
        raise TooManyRequests(f"登录尝试过于频繁，请 {max(window // 60, 1)} 分钟后再试", "login_rate_limited",
                              retry_after=window)


def bind(session: Session, store: Store, settings, sessions: SessionPolicy, policy: Policy, ticket: str,
         code: str, ip: str) -> NewSession:
    check_rate(store, settings, ip)
    raw = store.get(f"api:bindticket:{ticket}") if ticket and len(ticket) <= 64 else None
    if raw is None:
        raise InvalidInput("绑定已超时，请重新打开页面登录后再输入绑定码", "bind_ticket_invalid")
    ident = json.loads(raw)
    check_rate_openid(store, settings, ident["openid"])
    channel = ident.get("channel", CHANNEL)
    person = binding.redeem_bind_code(session, store, policy, channel=channel, openid=ident["openid"], code=code,
                                      unionid=ident.get("unionid"))
    store.delete(f"api:bindticket:{ticket}")
    return create_session(session, store, sessions, person.id, ident.get("kind", channel), ident["openid"])


WEB_TICKET_TTL = 60


def issue_web_ticket(store: Store, actor) -> str:
    """A one-time ticket (60 s) that turns a signed-in Mini Program user into a page session: the Mini Program opens
    ``<web-view src=".../m/auth/ticket?t=…">``, so the phone pages load inside it without a second login and
    without a bearer token in a URL."""
    if actor.person_id is None:
        raise InvalidInput("只有绑定了人员的账号可以打开手机页面", "no_person")
    ticket = secrets.token_urlsafe(24)
    store.set(f"web:ticket:{ticket}", str(actor.person_id), ttl=WEB_TICKET_TTL)
    return ticket


def redeem_web_ticket(session: Session, store: Store, settings, sessions: SessionPolicy, ticket: str,
                      ip: str) -> NewSession:
    check_rate(store, settings, ip)
    key = f"web:ticket:{ticket}"
    raw = store.get(key) if ticket and len(ticket) <= 64 else None
    if raw is None:
        raise Unauthorized("页面登录凭证无效或已过期，请从小程序重新打开", "web_ticket_invalid")
    store.delete(key)
    return create_session(session, store, sessions, int(raw), "web")
