"""Pages: a fourth transport beside the chat, the API and the CLI (parse → the same handler → render).

``/m/…`` are the phone pages opened from the Official Account (menu, links in replies and pushes) or inside the
Mini Program's ``<web-view>``. Every page response carries a Content-Security-Policy without inline script and
nothing from another host; Jinja autoescapes everything a person wrote.
"""
from __future__ import annotations

from datetime import datetime

from flask import Flask, request

from models.rules import states
from models.rules.calendar import format_local
from models.rules.scoring import format_points

from . import (  # noqa: F401  (console_*: routes on console.bp)
    auth,
    console,
    console_county,
    console_merits,
    console_unit,
    mobile,
)
from ..ext import services
from .session import csrf_token

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
PAGE_PREFIXES = ("/m/", "/console", "/static/")


def summary_label(state: str | None) -> str:
    return "未开始" if not state or state == "not_started" else states.SUMMARY.label(state)


def local_time(value) -> str:
    """A stored UTC moment (or its ISO text) as Beijing time, to the minute: the ``local`` filter (and function)
    of every page template."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return format_local(value, services().policy) if value else ""


def init_app(app: Flask) -> None:
    app.register_blueprint(auth.bp)
    app.register_blueprint(mobile.bp)
    app.register_blueprint(console.bp)
    app.jinja_env.filters["points"] = format_points
    app.jinja_env.filters["local"] = local_time
    app.jinja_env.globals.update(csrf_token=csrf_token, summary_label=summary_label, local=local_time)

    @app.after_request
    def _page_headers(response):
        if request.path.startswith(PAGE_PREFIXES):
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "same-origin")
            if not request.path.startswith("/static/"):
                response.headers.setdefault("Cache-Control", "no-store")
        return response
