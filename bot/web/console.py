"""``/console``: the desktop console for unit HR (单位管理员) and the county office (县公务员办).

Signed in with the admin accounts (username, password and, where enabled, TOTP — ``kaohe admin create``); its own
cookie (``kaohe_c``, path ``/console``), so a phone's WeChat session never opens the console. Every page calls the
same ``handlers/`` functions as the API and the CLI with the signed-in person as the actor, so every change is
audited under that person. The sections live in their own modules and register on :data:`bp`.
"""
from __future__ import annotations

import secrets

from flask import Blueprint, g, make_response, redirect, render_template, request

from handlers.identity import admin_accounts, sessions
from handlers.errors import DomainError, InvalidInput

from ..api.registry import client_ip
from ..ext import services
from .session import (CSRF_FIELD, check_csrf, clear_session_cookie, csrf_for, current, page, safe_next,
                      secure_cookies, set_session_cookie, web_policy)

bp = Blueprint("console", __name__)
LOGIN_COOKIE = "kaohe_lc"  # a random value the login form's CSRF token is bound to (there is no session yet)

#: The console's sections: (path, label, who sees it: "unit" = unit HR, "county" = the county office).
#: A section module adds its entry here when it registers its views.
SECTIONS: list[tuple[str, str, str]] = []


def section(path: str, label: str, audience: str) -> None:
    if (path, label, audience) not in SECTIONS:
        SECTIONS.append((path, label, audience))


def nav_for(actor) -> list[tuple[str, str]]:
    out = []
    for path, label, audience in SECTIONS:
        if (audience == "county" and actor.is_county) or (audience == "unit" and actor.admin_units) \
                or audience == "all":
            out.append((path, label))
    return out


def render(template: str, actor, http_status: int = 200, **context):
    """Render a console page with the navigation for this actor."""
    return render_template(template, actor=actor, nav=nav_for(actor), policy=services().policy, **context), http_status


def uow():
    return services().db.session()


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    if request.path.startswith("/console/api/"):
        from flask import jsonify

        body = {"code": exc.code, "message": exc.message, **({"details": exc.details} if exc.details else {})}
        return jsonify(body), exc.status
    actor = g.get("web_actor")
    return render_template("console/message.html", actor=actor, nav=nav_for(actor) if actor else [],
                           title="无法完成", message=exc.message, details=exc.details), exc.status


@bp.route("/console/login", methods=["GET", "POST"])
def login():
    next_path = safe_next(request.values.get("next"), "/console")
    if not next_path.startswith("/console"):
        next_path = "/console"
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(16)
    error = None
    if request.method == "POST":
        check_csrf(request.cookies.get(LOGIN_COOKIE))
        s = services()
        username = request.form.get("username", "").strip()
        try:
            if not username or len(username) > 64 or "\x00" in username:
                raise InvalidInput("请输入用户名", "username_required")
            with s.db.session() as session:
                new = admin_accounts.admin_login(session, s.store, s.settings, web_policy(s.settings), username,
                                                 request.form.get("password", "")[:256],
                                                 request.form.get("totp", "")[:16] or None,
                                                 client_ip(s.settings.trusted_proxy_hops), kind="console")
            response = redirect(next_path)
            set_session_cookie(response, new.token, console=True)
            response.delete_cookie(LOGIN_COOKIE, path="/console")
            return response
        except DomainError as exc:
            error = exc.message
    response = make_response(render_template("console/login.html", actor=None, nav=[], title="登录", error=error,
                                             csrf=csrf_for(nonce), csrf_field=CSRF_FIELD, next=next_path),
                             401 if error else 200)
    response.set_cookie(LOGIN_COOKIE, nonce, max_age=1800, httponly=True, samesite="Strict",
                        secure=secure_cookies(services().settings), path="/console")
    return response


@bp.post("/console/logout")
@page
def logout(actor):
    s = services()
    _, sid = current()
    with uow() as session:
        sessions.logout(session, s.store, actor, sid)
    response = redirect("/console/login")
    clear_session_cookie(response, console=True)
    return response


@bp.get("/console")
@page
def home(actor):
    return render("console/home.html", actor, title="工作台")


@bp.get("/console/api/jobs/<job_id>")
@page
def job_state(actor, job_id: str):
    """Polled by a page while long work runs (``static/console.js``)."""
    from flask import jsonify

    from . import jobs

    value = jobs.state(services().store, job_id, actor)
    return jsonify({k: value.get(k) for k in ("state", "progress", "message", "result", "file_name", "details")})


@bp.get("/console/jobs/<job_id>/download")
@page
def job_download(actor, job_id: str):
    from flask import send_file

    from . import jobs

    path, name = jobs.result_file(services().store, job_id, actor)
    return send_file(path, as_attachment=True, download_name=name)
