"""``/simulator``: a phone-sized chat window that talks to ``/wechat`` exactly as WeChat would (signed, and
encrypted in compatible/safe mode). Registered only when ``settings.simulator_enabled`` (never in production)."""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify, render_template, request

from config import Settings
from handlers.actor import system_actor
from handlers.identity.binding import issue_bind_code
from handlers.errors import InvalidInput

from ..ext import services
from .client import MODES, WeChatSimulator, flask_transport

bp = Blueprint("simulator", __name__, template_folder="../templates")


def _simulator(mode: str) -> WeChatSimulator:
    s = services().settings
    if mode not in MODES or (mode != "plaintext" and not s.wechat_aes_key):
        raise InvalidInput("该模式需要先配置 KAOHE_WECHAT_AES_KEY", "mode_unavailable")
    return WeChatSimulator(flask_transport(current_app.test_client()), s.wechat_token, s.wechat_appid,
                           s.wechat_aes_key, mode)


@bp.get("/simulator")
def page():
    s = services().settings
    modes = [m for m in MODES if m == "plaintext" or s.wechat_aes_key]
    return render_template("simulator.html", modes=modes, title=services().policy.title)


@bp.post("/simulator/api/send")
def send():
    data = request.get_json(silent=True) or {}
    openid = str(data.get("openid") or "").strip()[:64]
    if not openid:
        raise InvalidInput("请填写 openid", "openid_required")
    sim = _simulator(str(data.get("mode") or "plaintext"))
    kind, content = data.get("kind"), str(data.get("content") or "")
    if kind == "text":
        ex = sim.text(openid, content)
    elif kind == "voice":
        ex = sim.voice(openid, content)
    elif kind in ("subscribe", "unsubscribe"):
        ex = sim.event(openid, kind)
    elif kind == "image":
        ex = sim.post(sim.image_xml(openid))
    else:
        raise InvalidInput("未知的消息类型", "bad_kind")
    return jsonify(status=ex.status, reply=ex.text, request_xml=ex.request_xml, wire=ex.wire_body,
                   response=ex.response)


@bp.post("/simulator/api/bind-code")
def bind_code():
    staff_no = str((request.get_json(silent=True) or {}).get("staff_no") or "").strip()
    s = services()
    with s.db.session() as session:
        issued = issue_bind_code(session, system_actor("simulator"), staff_no, s.policy)
    return jsonify(code=issued.code, name=issued.name, staff_no=issued.staff_no)


def init_app(app: Flask, settings: Settings) -> None:
    if settings.is_production:  # settings validation already refuses this; belt and braces
        return
    app.register_blueprint(bp)
