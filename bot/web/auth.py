"""Signing in to the pages: WeChat's web authorization (``snsapi_base``), the bind-code page for an unbound
WeChat, the Mini Program's one-time ticket (``<web-view>``), and signing out. All logins end in a page session."""
from __future__ import annotations

import secrets

from flask import Blueprint, g, make_response, redirect, render_template, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from handlers.identity import login as login_handler
from handlers.identity import sessions
from handlers.errors import DomainError, InvalidInput

from ..api.registry import client_ip
from ..ext import services
from .session import (CSRF_FIELD, check_csrf, clear_session_cookie, csrf_for, current, safe_next,
                      set_session_cookie, web_policy)

bp = Blueprint("web_auth", __name__)
STATE_COOKIE = "kaohe_oauth"
BIND_COOKIE = "kaohe_bind"
STATE_MAX_AGE = 600


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(services().settings.secret_key, salt="kaohe-web-oauth")


def _oauth() -> login_handler.OAuthClient:
    s = services().settings
    return login_handler.OAuthClient(s.wechat_appid, s.wechat_secret, s.wechat_api_base, s.wechat_open_base)


def _cookie(response, name: str, value: str, max_age: int) -> None:
    from .session import secure_cookies

    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="Lax",
                        secure=secure_cookies(services().settings), path="/m/")


def _ip() -> str:
    return client_ip(services().settings.trusted_proxy_hops)


def _signed_in(next_path: str, token: str):
    response = redirect(next_path)
    set_session_cookie(response, token)
    response.delete_cookie(STATE_COOKIE, path="/m/")
    response.delete_cookie(BIND_COOKIE, path="/m/")
    return response


@bp.get("/m/login")
def login():
    """Already signed in → straight on; otherwise to WeChat's authorization page, which comes back to
    ``/m/auth/callback`` with a code."""
    next_path = safe_next(request.args.get("next"))
    try:
        current()
        return redirect(next_path)
    except DomainError:
        pass
    state = secrets.token_urlsafe(16)
    redirect_uri = services().settings.public_url.rstrip("/") + "/m/auth/callback"
    response = redirect(_oauth().authorize_url(redirect_uri, state))
    _cookie(response, STATE_COOKIE, _signer().dumps({"state": state, "next": next_path}), STATE_MAX_AGE)
    return response


@bp.get("/m/auth/callback")
def callback():
    try:
        saved = _signer().loads(request.cookies.get(STATE_COOKIE, ""), max_age=STATE_MAX_AGE)
    except BadSignature:
        saved = None
    if not saved or saved.get("state") != request.args.get("state"):
        return _problem("登录已超时或来源不明，请重新打开页面", 400)
    code = request.args.get("code", "")
    if not code or len(code) > 128:
        return _problem("微信没有返回授权码（可能拒绝了授权），请重新打开页面", 400)
    s = services()
    try:
        with s.db.session() as session:
            result = login_handler.login(session, s.store, s.settings, web_policy(s.settings),
                                         _oauth().code_to_identity, code, _ip(), channel="oa", kind="web")
    except DomainError as exc:
        return _problem(exc.message, exc.status)
    if result.session is not None:
        return _signed_in(saved["next"], result.session.token)
    response = redirect("/m/bind")
    _cookie(response, BIND_COOKIE, _signer().dumps({"ticket": result.bind_ticket, "next": saved["next"]}),
            login_handler.BIND_TICKET_TTL)
    return response


def _bind_ticket() -> dict | None:
    try:
        return _signer().loads(request.cookies.get(BIND_COOKIE, ""), max_age=login_handler.BIND_TICKET_TTL)
    except BadSignature:
        return None


@bp.route("/m/bind", methods=["GET", "POST"])
def bind():
    """First visit from a WeChat that is not bound yet: the one-time bind code from unit HR (same codes and
    throttling as the chat's ``绑定 <code>``)."""
    pending = _bind_ticket()
    if pending is None:
        return redirect("/m/login")
    error = None
    if request.method == "POST":
        check_csrf(pending["ticket"])
        s = services()
        try:
            code = request.form.get("code", "")
            if len(code) > 32:
                raise InvalidInput("绑定码格式不正确", "bad_code")
            with s.db.session() as session:
                new = login_handler.bind(session, s.store, s.settings, web_policy(s.settings), s.policy,
                                         pending["ticket"], code, _ip())
            return _signed_in(safe_next(pending.get("next")), new.token)
        except DomainError as exc:
            error = exc.message
    g.web_token = None
    return render_template("m/bind.html", error=error, csrf=csrf_for(pending["ticket"]), csrf_field=CSRF_FIELD,
                           title="绑定微信"), (422 if error else 200)


@bp.get("/m/auth/ticket")
def ticket():
    """From the Mini Program: ``<web-view src="…/m/auth/ticket?t=<ticket>&next=/m/score">``."""
    s = services()
    try:
        with s.db.session() as session:
            new = login_handler.redeem_web_ticket(session, s.store, s.settings, web_policy(s.settings),
                                                  request.args.get("t", ""), _ip())
    except DomainError as exc:
        return _problem(exc.message, exc.status)
    return _signed_in(safe_next(request.args.get("next")), new.token)


@bp.post("/m/logout")
def logout():
    """End this page session. A request without this session's CSRF token ends nothing (403)."""
    s = services()
    try:
        actor, sid = current()
    except DomainError:
        actor = None  # already signed out: just drop the cookie
    if actor is not None:
        check_csrf(g.web_token)
        with s.db.session() as session:
            sessions.logout(session, s.store, actor, sid)
    response = make_response(render_template("m/message.html", title="已退出", message="您已退出登录。",
                                             link="/m/me", link_label="重新登录"))
    clear_session_cookie(response)
    return response


@bp.errorhandler(DomainError)
def _refused(exc: DomainError):
    """A refusal on these pages (e.g. a missing CSRF token) is a Chinese page with its status, not JSON."""
    return render_template("m/message.html", title="无法完成", message=exc.message, link="/m/me",
                           link_label="返回"), exc.status


def _problem(message: str, status: int):
    return render_template("m/message.html", title="无法登录", message=message, link="/m/login",
                           link_label="重新登录"), status
