"""``/``: a short Chinese landing page that says what this server offers and links to what is wired in this app."""
from __future__ import annotations

from html import escape

from flask import Blueprint, Flask, current_app

bp = Blueprint("home", __name__)

#: (path, label) in the order a newcomer wants them; only the paths this app actually serves are shown.
LINKS = [
    ("/m/summary", "公务员：在手机上填写《平时考核登记表》（个人小结）"),
    ("/m/score", "分管领导：在手机上逐项打分（《考核评鉴表》）"),
    ("/m/decide", "单位管理员：录入党委(党组)审定等次"),
    ("/m/me", "我的考核：本季度进度、等次与评优条件"),
    ("/console", "管理台（电脑）：单位管理员、县公务员办"),
    ("/simulator", "微信模拟器：不用微信账号试用公众号机器人（绑定、写小结、查询）"),
    ("/api/v1/openapi.json", "小程序接口文档（OpenAPI 3）"),
    ("/healthz", "进程存活检查"),
    ("/readyz", "数据库与 Redis 就绪检查"),
]


def _served(path: str) -> bool:
    adapter = current_app.url_map.bind("localhost")
    try:
        adapter.match(path, method="GET")
    except Exception:  # NotFound / MethodNotAllowed / RequestRedirect: not a page we can link to
        return False
    return True


@bp.get("/")
def index():
    items = "".join(f'<li><a href="{escape(p)}">{escape(p)}</a> — {escape(label)}</li>'
                    for p, label in LINKS if _served(p))
    page = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>考核 · 公务员平时考核系统</title><link rel="icon" href="data:,"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 2em auto; padding: 0 1em; line-height: 1.6">
<h1>公务员平时考核系统</h1>
<p>各单位通过微信完成每季度平时考核：设定指标、填写《平时考核登记表》、分管领导打分、党委(党组)审定等次、公示备案。</p>
<ul>{items}</ul>
<p>命令行：<code>kaohe --help</code></p>
</body></html>"""
    return page, 200, {"Content-Type": "text/html; charset=utf-8"}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
