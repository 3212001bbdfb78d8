"""The application factory. It only wires: each part has ``init_app``; nothing connects here."""
from __future__ import annotations

import logging

from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from config import Settings, load_settings
from config.settings import development_parts

from . import api, downloads, errors, ext, health, home, web

MAX_BODY = 1024 * 1024  # 1 MiB: WeChat messages and API bodies are far smaller


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session, without building its signer for a request that carries no session cookie
    (every API call and WeChat message): itsdangerous's serializer cost ~3% of a chat message's CPU (py-spy)."""

    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    for part in development_parts(settings):
        logging.getLogger("kaohe").warning("仅供开发的部分已开启：%s", part)
    app = Flask(__name__)
    app.session_interface = CookieSessions()
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=MAX_BODY, JSON_AS_ASCII=False)
    app.json.ensure_ascii = False
    ext.init_app(app, settings)
    errors.init_app(app)
    health.init_app(app)
    home.init_app(app)
    api.init_app(app)
    downloads.init_app(app)
    web.init_app(app)
    from .wechat import callback as wechat_callback

    wechat_callback.init_app(app, settings)
    if settings.simulator_enabled:
        from .simulator import page as simulator_page

        simulator_page.init_app(app, settings)
    return app
