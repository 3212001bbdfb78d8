"""Page sessions: an opaque token in an HttpOnly cookie, backed by the same ``api_sessions`` rows as the Mini
Program API (kind ``web``), with the page's own idle and absolute timeouts. CSRF tokens are an HMAC of the
session, so nothing more is stored; every state-changing form or fetch must carry one.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
from urllib.parse import quote

from flask import g, jsonify, redirect, request

from handlers.errors import DomainError, Forbidden, Unauthorized
from handlers.identity.sessions import SessionPolicy, resolve

from ..ext import services

COOKIE = "kaohe_s"  # phone pages (signed in through WeChat)
CONSOLE_COOKIE = "kaohe_c"  # the console (signed in with username, password and TOTP): never the phone's session
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def web_policy(settings) -> SessionPolicy:
    return SessionPolicy(settings.web_idle_minutes * 60, settings.web_session_hours * 3600)


def secure_cookies(settings) -> bool:
    return settings.is_production or settings.public_url.startswith("https://")


def _cookie_for(console: bool) -> tuple[str, str]:
    return (CONSOLE_COOKIE, "/console") if console else (COOKIE, "/m/")


def set_session_cookie(response, token: str, console: bool = False) -> None:
    s = services().settings
    name, path = _cookie_for(console)
    response.set_cookie(name, token, max_age=s.web_session_hours * 3600, httponly=True, samesite="Lax",
                        secure=secure_cookies(s), path=path)


def clear_session_cookie(response, console: bool = False) -> None:
    name, path = _cookie_for(console)
    response.delete_cookie(name, path=path)


def in_console() -> bool:
    return request.path.startswith("/console")


def csrf_for(value: str) -> str:
    key = services().settings.secret_key.encode()
    return hmac.new(key, b"csrf:" + hashlib.sha256(value.encode()).digest(), hashlib.sha256).hexdigest()


def check_csrf(value: str | None) -> None:
    """Refuse a state-changing request whose token does not belong to this session (or this bind ticket)."""
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD) or ""
    if not value or not hmac.compare_digest(sent.encode(), csrf_for(value).encode()):
        raise Forbidden("页面已过期或请求来源不明（CSRF 校验失败），请刷新页面后重试", "csrf_failed")


def current():
    """``(actor, session_id)`` of this request's page session, or raise :class:`Unauthorized`."""
    if "web_actor" not in g:
        s = services()
        token = request.cookies.get(CONSOLE_COOKIE if in_console() else COOKIE)
        g.web_actor, g.web_sid = resolve(s.db.session, s.store, web_policy(s.settings), token)
        g.web_token = token
    return g.web_actor, g.web_sid


def safe_next(target: str | None, default: str = "/m/me") -> str:
    """Only local page paths: never an open redirect."""
    if target and target.startswith(("/m/", "/console")) and not target.startswith("//") and "\\" not in target:
        return target
    return default


def wants_json() -> bool:
    return request.path.startswith(("/m/api/", "/console/api/"))


def page(view):
    """A page or a page call that needs a session: the actor goes in as the first argument.

    No session → pages redirect to the login (which returns here), calls answer 401. State-changing methods
    must carry the session's CSRF token.
    """
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            actor, _ = current()
        except Unauthorized as exc:
            if wants_json():
                return jsonify(code=exc.code, message=exc.message), 401
            login = "/console/login" if in_console() else "/m/login"
            return redirect(f"{login}?next={quote(request.full_path.rstrip('?'))}")
        if request.method not in SAFE_METHODS:
            check_csrf(g.web_token)
        return view(actor, *args, **kwargs)

    return wrapper


def csrf_token() -> str:
    token = g.get("web_token")
    return csrf_for(token) if token else ""


def error_status(exc: DomainError) -> int:
    return exc.status
