"""A fake WeChat / WeCom API server on 127.0.0.1: real HTTP, records every call, injects faults on demand.

Tests and the demo point ``KAOHE_WECHAT_API_BASE`` / ``KAOHE_WECOM_API_BASE`` at it; nothing in wechatpy is
patched. Endpoints are added with ``@api.route`` in this module; each one calls ``fake.answer(...)`` so that
recording and fault injection work the same way everywhere.

Faults (``fake.fail(path, ...)``): an ``errcode`` answer, added ``latency`` in seconds, or ``drop`` (the
connection is closed without an answer); for the next ``times`` calls, optionally only when ``match(args)``.
"""
from __future__ import annotations

import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from flask import Flask, jsonify, request
from werkzeug.serving import WSGIRequestHandler, make_server

ERRMSG = {
    -1: "system error", 40001: "invalid credential", 40013: "invalid appid", 40029: "invalid code",
    40125: "invalid appsecret", 40163: "code been used", 42001: "access_token expired", 43004: "require subscribe",
    43101: "user refuse to accept the msg", 45009: "reach max api daily quota limit", 45011: "api minute-quota reach limit",
    47003: "argument invalid", 40003: "invalid openid", 93000: "invalid webhook url",
}
SEND_PATHS = ("/cgi-bin/message/template/send", "/cgi-bin/message/subscribe/send")
FIELD_LIMITS = {"thing": 20, "phrase": 5, "name": 10, "character_string": 32}  # WeChat's data field limits
ROBOT_PER_MINUTE = 20


@dataclass
class Call:
    method: str
    path: str
    args: dict
    body: dict | None
    at: float
    errcode: int | None = None  # what the fake answered (0 = ok); None for a dropped connection


@dataclass
class Fault:
    path: str
    errcode: int | None = None
    latency: float = 0.0
    drop: bool = False
    times: int | None = 1  # None: forever
    match: Callable[[dict], bool] | None = None


@dataclass
class FakeWeChat:
    """State of the fake: issued tokens, known login codes, recorded calls, pending faults."""

    appid: str = "wxdemo0000000000"
    secret: str = "demo-secret"
    mini_appid: str = "wxminidemo000000"
    mini_secret: str = "demo-mini-secret"
    calls: list[Call] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    login_codes: dict[str, dict] = field(default_factory=dict)  # js_code -> {"openid", "unionid"?}
    robot_keys: set[str] | None = None  # None: every WeCom robot key is valid
    robot_sends: dict[str, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    latency: float = 0.0  # added to every answer (seconds)
    # Web authorization (网页授权): who the "choose who you are" page offers, and the codes it has issued
    personas: list[dict] = field(default_factory=list)  # {"openid", "label", "unionid"?}
    oauth_codes: dict[str, str] = field(default_factory=dict)  # code -> openid
    menu: dict | None = None  # the Official Account's custom menu, as last set
    # WeCom attendance (企业微信打卡): the corp and its 打卡 app secret; leave per userid and month ("2026-01"), each
    # item {"name": "年假", "duration": seconds, "time_type": 0 (days) | 1 (hours)} as getcheckin_monthdata gives it
    corp_id: str = "wwdemo0000000000"
    corp_secret: str = "demo-checkin-secret"
    checkin_leave: dict[str, dict[str, list[dict]]] = field(default_factory=dict)

    def fail(self, path: str, **kwargs) -> Fault:
        fault = Fault(path, **kwargs)
        with self.lock:
            self.faults.append(fault)
        return fault

    def add_login_code(self, code: str, openid: str, unionid: str | None = None) -> None:
        self.login_codes[code] = {"openid": openid, **({"unionid": unionid} if unionid else {})}

    def add_persona(self, openid: str, label: str, unionid: str | None = None) -> None:
        with self.lock:
            self.personas = [p for p in self.personas if p["openid"] != openid]
            self.personas.append({"openid": openid, "label": label, **({"unionid": unionid} if unionid else {})})

    def issue_oauth_code(self, openid: str) -> str:
        code = "OAUTH-" + secrets.token_urlsafe(12)
        with self.lock:
            self.oauth_codes[code] = openid
        return code

    def issue_miniapp_code(self, openid: str, unionid: str | None = None) -> str:
        code = "MP-" + secrets.token_urlsafe(12)
        with self.lock:
            self.add_login_code(code, openid, unionid)
        return code

    def calls_to(self, path: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.path == path]

    def refuse(self, openids, errcode: int = 43101) -> Fault:
        """These users refuse messages (43101) — for every template/subscribe send to them, forever."""
        refused = set(openids)
        return self.fail("*send", errcode=errcode, times=None, match=lambda a: a.get("touser") in refused)

    def delivered(self) -> dict[str, int]:
        """How many messages each openid / robot key / tag actually received (answered ok)."""
        out: dict[str, int] = {}
        with self.lock:
            for c in self.calls:
                if c.errcode == 0 and c.body is not None:
                    to = c.body.get("touser") or c.args.get("key") or str((c.body.get("filter") or {}).get("tag_id", ""))
                    if to:
                        out[to] = out.get(to, 0) + 1
        return out

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.faults.clear()

    def _take_fault(self, path: str, args: dict) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                hit = fault.path == path or (fault.path == "*send" and path in SEND_PATHS)
                if hit and (fault.match is None or fault.match(args)):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self.faults.remove(fault)
                    return fault
        return None

    def answer(self, ok: Callable[[dict, dict | None], dict]):
        """Record the call, apply any fault, else answer ``ok(args, body)``."""
        args = request.args.to_dict()
        body = request.get_json(silent=True, force=True)  # wechatpy posts JSON without a JSON content type
        call = Call(request.method, request.path, args, body, time.time())
        with self.lock:
            self.calls.append(call)
        if self.latency:
            time.sleep(self.latency)
        fault = self._take_fault(request.path, {**args, **(body or {})})
        if fault:
            if fault.latency:
                time.sleep(fault.latency)
            if fault.drop:
                sock = request.environ.get("werkzeug.socket")
                if sock is not None:
                    sock.shutdown(socket.SHUT_RDWR)
                return ""
            if fault.errcode is not None:
                call.errcode = fault.errcode
                return jsonify(errcode=fault.errcode, errmsg=ERRMSG.get(fault.errcode, "error"))
        result = ok(args, body)
        call.errcode = result.get("errcode", 0)
        return jsonify(result)

    def check_token(self, args: dict) -> dict | None:
        if args.get("access_token") not in self.tokens:
            return {"errcode": 40001, "errmsg": ERRMSG[40001]}
        return None


def create_fake_app(fake: FakeWeChat) -> Flask:
    api = Flask(__name__)

    def new_token(args: dict, body: dict | None) -> dict:
        params = {**args, **(body or {})}
        if (params.get("appid"), params.get("secret")) not in ((fake.appid, fake.secret), (fake.mini_appid, fake.mini_secret)):
            return {"errcode": 40125, "errmsg": ERRMSG[40125]}
        token = "TOKEN-" + secrets.token_hex(8)
        with fake.lock:
            fake.tokens.add(token)
        return {"access_token": token, "expires_in": 7200}

    @api.get("/cgi-bin/token")
    def token():
        return fake.answer(new_token)

    @api.post("/cgi-bin/stable_token")
    def stable_token():
        return fake.answer(new_token)

    @api.get("/sns/jscode2session")
    def code2session():
        def ok(args, _body):
            if (args.get("appid"), args.get("secret")) != (fake.mini_appid, fake.mini_secret):
                return {"errcode": 40013, "errmsg": ERRMSG[40013]}
            user = fake.login_codes.pop(args.get("js_code", ""), None)
            if user is None:
                return {"errcode": 40029, "errmsg": ERRMSG[40029]}
            return {**user, "session_key": secrets.token_urlsafe(16)}

        return fake.answer(ok)

    # --- Official Account customer-service messages (客服消息): the chatbot's late replies (issue 3) ---
    @api.post("/cgi-bin/message/custom/send")
    def custom_send():
        def ok(args, body):
            refused = fake.check_token(args)
            if refused:
                return refused
            if not body or not body.get("touser") or body.get("msgtype") != "text":
                return {"errcode": 47003, "errmsg": ERRMSG[47003]}
            return {"errcode": 0, "errmsg": "ok"}

        return fake.answer(ok)
    # --- end of the customer-service block ---
    def check_data(body: dict) -> dict | None:
        for key, item in (body.get("data") or {}).items():
            kind = key.rstrip("0123456789")
            if kind in FIELD_LIMITS and len(str((item or {}).get("value", ""))) > FIELD_LIMITS[kind]:
                return {"errcode": 47003, "errmsg": f"argument invalid! data.{key}.value exceeds limit"}
        if not body.get("touser") or not body.get("template_id"):
            return {"errcode": 47003, "errmsg": "argument invalid!"}
        return None

    def message_send(args: dict, body: dict | None) -> dict:
        return fake.check_token(args) or check_data(body or {}) or {"errcode": 0, "errmsg": "ok",
                                                                    "msgid": secrets.randbelow(10**12)}

    @api.post("/cgi-bin/message/template/send")
    def template_send():
        return fake.answer(message_send)

    @api.post("/cgi-bin/message/subscribe/send")
    def subscribe_send():
        return fake.answer(message_send)

    @api.post("/cgi-bin/message/mass/sendall")
    def tag_send():
        def ok(args, body):
            if fake.check_token(args):
                return fake.check_token(args)
            if not (body or {}).get("filter", {}).get("tag_id") and not body.get("filter", {}).get("is_to_all"):
                return {"errcode": 47003, "errmsg": "argument invalid!"}
            return {"errcode": 0, "errmsg": "send job submission success", "msg_id": secrets.randbelow(10**9)}

        return fake.answer(ok)

    @api.post("/cgi-bin/webhook/send")
    def robot_send():  # WeCom group robot (企业微信群机器人), on the WeCom host
        def ok(args, body):
            key = args.get("key", "")
            if not key or (fake.robot_keys is not None and key not in fake.robot_keys):
                return {"errcode": 93000, "errmsg": ERRMSG[93000]}
            if (body or {}).get("msgtype") not in ("text", "markdown"):
                return {"errcode": 47003, "errmsg": "argument invalid!"}
            now = time.time()
            with fake.lock:
                recent = [t for t in fake.robot_sends.get(key, []) if t > now - 60]
                if len(recent) >= ROBOT_PER_MINUTE:
                    return {"errcode": 45009, "errmsg": "api freq out of limit"}
                fake.robot_sends[key] = recent + [now]
            return {"errcode": 0, "errmsg": "ok"}

        return fake.answer(ok)

    add_web_authorization(api, fake)
    add_wecom_checkin(api, fake)
    return api


def add_wecom_checkin(api: Flask, fake: FakeWeChat) -> None:
    """WeCom's token (gettoken) and 打卡月报 (checkin/getcheckin_monthdata): the leave approvals of each user in the
    month of ``starttime`` (Beijing time), as ``sp_items`` of type 1 (请假)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    @api.get("/cgi-bin/gettoken")
    def wecom_token():
        def ok(args, _body):
            if (args.get("corpid"), args.get("corpsecret")) != (fake.corp_id, fake.corp_secret):
                return {"errcode": 40001, "errmsg": ERRMSG[40001]}
            token = "WW-" + secrets.token_hex(8)
            with fake.lock:
                fake.tokens.add(token)
            return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}

        return fake.answer(ok)

    @api.post("/cgi-bin/checkin/getcheckin_monthdata")
    def checkin_monthdata():
        def ok(args, body):
            bad = fake.check_token(args)
            if bad:
                return bad
            body = body or {}
            users = body.get("useridlist") or []
            start, end = body.get("starttime"), body.get("endtime")
            if not isinstance(start, int) or not isinstance(end, int) or end < start or not 0 < len(users) <= 100:
                return {"errcode": 301024, "errmsg": "invalid time range or userid list"}
            month = datetime.fromtimestamp(start, ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
            datas = []
            for userid in users:
                items = fake.checkin_leave.get(userid, {}).get(month)
                if items is None:
                    continue
                datas.append({"base_info": {"record_type": 1, "name": userid, "acctid": userid},
                              "summary_info": {"work_days": 22},
                              "sp_items": [{"type": 1, "vacation_id": n, "count": 1, **item}
                                           for n, item in enumerate(items, 1)]
                              + [{"type": 2, "name": "补卡", "count": 1, "duration": 0, "time_type": 0}]})
            return {"errcode": 0, "errmsg": "ok", "datas": datas}

        return fake.answer(ok)


CHOOSER = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>模拟微信授权</title></head>
<body style="font-family: sans-serif; max-width: 30em; margin: 1em auto; padding: 0 1em">
<h1 style="font-size: 20px">模拟微信网页授权</h1>
<p>这是演示和测试用的模拟微信（生产环境不存在）。请选择以谁的微信身份打开页面：</p>
<ul id="personas" style="line-height: 2.4">{items}</ul>
<form method="get" action="/connect/oauth2/_choose">{hidden}
<label>或输入任意 openid（未绑定的新微信用户）：<input name="openid" value="demo-new-user" required></label>
<button type="submit">以此身份授权</button></form>
<p style="color: #666">小程序接口试用：<code>POST /_fake/miniapp-code</code>（参数 openid）取得 wx.login 登录码。</p>
</body></html>"""


def add_web_authorization(api: Flask, fake: FakeWeChat) -> None:
    """The Official Account's web authorization (snsapi_base), the custom menu, and login codes for the demo."""
    from html import escape
    from urllib.parse import urlencode

    from flask import redirect

    def _back(openid: str):
        target = request.args.get("redirect_uri", "")
        if not target.startswith(("http://", "https://")):
            return "redirect_uri 无效", 400
        code = fake.issue_oauth_code(openid)
        sep = "&" if "?" in target else "?"
        return redirect(f"{target}{sep}{urlencode({'code': code, 'state': request.args.get('state', '')})}")

    @api.get("/connect/oauth2/authorize")
    def authorize():
        args = request.args.to_dict()
        with fake.lock:
            fake.calls.append(Call("GET", request.path, args, None, time.time(), 0))
        if args.get("appid") != fake.appid:
            return "appid 无效（40013）", 400
        keep = {k: args.get(k, "") for k in ("redirect_uri", "state")}
        query = urlencode(keep)
        items = "".join(f'<li><a href="/connect/oauth2/_choose?{query}&amp;{escape(urlencode({"openid": p["openid"]}))}">'
                        f'{escape(p["label"])}</a></li>' for p in list(fake.personas))
        hidden = "".join(f'<input type="hidden" name="{k}" value="{escape(v)}">' for k, v in keep.items())
        return CHOOSER.format(items=items, hidden=hidden), 200, {"Content-Type": "text/html; charset=utf-8"}

    @api.get("/connect/oauth2/_choose")
    def choose():
        openid = request.args.get("openid", "").strip()[:64]
        if not openid:
            return "openid 不能为空", 400
        return _back(openid)

    @api.get("/sns/oauth2/access_token")
    def oauth_access_token():
        def ok(args, _body):
            if (args.get("appid"), args.get("secret")) != (fake.appid, fake.secret):
                return {"errcode": 40125, "errmsg": ERRMSG[40125]}
            with fake.lock:
                openid = fake.oauth_codes.pop(args.get("code", ""), None)
            if openid is None:
                return {"errcode": 40029, "errmsg": ERRMSG[40029]}
            unionid = next((p.get("unionid") for p in fake.personas if p["openid"] == openid), None)
            return {"access_token": "OAUTH-TOKEN-" + secrets.token_hex(6), "expires_in": 7200,
                    "refresh_token": secrets.token_hex(8), "openid": openid, "scope": "snsapi_base",
                    **({"unionid": unionid} if unionid else {})}

        return fake.answer(ok)

    @api.post("/cgi-bin/menu/create")
    def menu_create():
        def ok(args, body):
            if fake.check_token(args):
                return fake.check_token(args)
            buttons = (body or {}).get("button")
            if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
                return {"errcode": 40016, "errmsg": "invalid button size"}
            fake.menu = body
            return {"errcode": 0, "errmsg": "ok"}

        return fake.answer(ok)

    @api.get("/cgi-bin/menu/get")
    def menu_get():
        def ok(args, _body):
            if fake.check_token(args):
                return fake.check_token(args)
            if fake.menu is None:
                return {"errcode": 46003, "errmsg": "menu no exist"}
            return {"menu": fake.menu}

        return fake.answer(ok)

    @api.post("/_fake/miniapp-code")
    def miniapp_code():
        """For trying the Mini Program API without a phone: a code that ``POST /api/v1/auth/login`` accepts."""
        data = {**request.args.to_dict(), **request.form.to_dict(), **(request.get_json(silent=True) or {})}
        openid = str(data.get("openid") or "").strip()[:64]
        if not openid:
            return jsonify(errcode=47003, errmsg="openid required"), 400
        unionid = data.get("unionid") or next((p.get("unionid") for p in fake.personas
                                               if p["openid"] == openid), None)
        return jsonify(code=fake.issue_miniapp_code(openid, unionid), openid=openid)


class _KeepAliveHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"


class FakeWeChatServer:
    """Serve a :class:`FakeWeChat` on 127.0.0.1 in a background thread (``with FakeWeChatServer() as s: s.url``)."""

    def __init__(self, fake: FakeWeChat | None = None, host: str = "127.0.0.1", port: int = 0,
                 keep_alive: bool = False):
        self.fake = fake or FakeWeChat()
        handler = _KeepAliveHandler if keep_alive else None  # HTTP/1.1 as WeChat's own servers; tests keep 1.0
        self.server = make_server(host, port, create_fake_app(self.fake), threaded=True, request_handler=handler)
        self.url = f"http://{host}:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-wechat", daemon=True)

    def start(self) -> "FakeWeChatServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> "FakeWeChatServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> None:  # pragma: no cover - a tool for the demo and the benchmark
    """``python -m bot.simulator.fake_wechat [--port N] [--latency 0.005]``: serve until killed."""
    import argparse
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--keep-alive", action="store_true", help="HTTP/1.1 connections kept open, as WeChat's")
    opts = parser.parse_args()
    server = FakeWeChatServer(FakeWeChat(latency=opts.latency), port=opts.port, keep_alive=opts.keep_alive)
    print(server.url, flush=True)
    server.server.serve_forever()


if __name__ == "__main__":  # pragma: no cover
    main()
