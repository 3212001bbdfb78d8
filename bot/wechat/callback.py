"""``GET /wechat`` (URL verification) and ``POST /wechat`` (messages), plus ``POST /wechat/_floor`` for the
benchmark's floor (decrypt + encrypt an echo, nothing else; only when ``KAOHE_ENV`` is not production)."""
from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, current_app, request

from config import Settings

from ..channels import oa_tokens
from ..ext import services
from . import replies
from .customer_service import CustomerService
from .envelope import MAX_BODY, Envelope, TooLarge
from .inbox import Inbox

KEY = "kaohe.wechat"
bp = Blueprint("wechat", __name__)


class WeChatBot:
    def __init__(self, app: Flask, settings: Settings):
        s = services(app)
        store = self.store = s.store  # already a ResilientStore when Redis is configured (bot/ext.py)
        self.envelope = Envelope(settings.wechat_token, settings.wechat_appid, settings.wechat_aes_key,
                                 settings.wechat_max_skew)
        self.customer_service = CustomerService(settings.wechat_api_base, oa_tokens(settings, store))
        self.inbox = Inbox(s.db, store, s.policy, send_later=self.customer_service.send_text,
                           public_url=s.settings.public_url)
        self.floor_enabled = not settings.is_production


def bot(app: Flask | None = None) -> WeChatBot:
    return (app or current_app).extensions[KEY]


def _xml(body: str) -> Response:
    return Response(body, mimetype="application/xml" if body != "success" else "text/plain")


def _body() -> bytes:
    if (request.content_length or 0) > MAX_BODY:
        raise TooLarge("消息过大（超过 1 MiB）")
    return request.get_data(cache=False)  # Flask's MAX_CONTENT_LENGTH (1 MiB) refuses larger streams with 413


@bp.get("/wechat")
def verify():
    return Response(bot().envelope.verify_url(request.args), mimetype="text/plain")


@bp.post("/wechat")
def receive():
    b = bot()
    opened = b.envelope.open(request.args, _body())
    message = opened.message
    text = b.inbox.receive(message)
    if not text:
        return _xml("success")
    xml = replies.text_reply(message["FromUserName"], message["ToUserName"], text)
    return _xml(b.envelope.seal(xml, opened))


@bp.post("/wechat/_floor")
def floor():
    """The benchmark's floor: the same envelope work (signature, decrypt, parse, encrypt) and no handling."""
    b = bot()
    if not b.floor_enabled:
        abort(404)
    opened = b.envelope.open(request.args, _body())
    message = opened.message
    xml = replies.text_reply(message["FromUserName"], message["ToUserName"], message.get("Content", ""))
    return _xml(b.envelope.seal(xml, opened))


def init_app(app: Flask, settings: Settings) -> WeChatBot:
    wechat = WeChatBot(app, settings)
    app.extensions[KEY] = wechat
    services(app).wechat = wechat  # closed with the other services
    app.register_blueprint(bp)
    return wechat
