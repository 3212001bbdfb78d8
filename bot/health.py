"""``/healthz``: the process answers. ``/readyz``: the database and Redis answer (JSON says which).

Ready means "send me requests": the database must answer. Redis down is *degraded*, not unready: the app keeps
serving through its in-process fallback (sessions and dialogs live in the database), and a load balancer that took
every instance out on a Redis outage would turn a degraded service into no service (issue 14)."""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify
from sqlalchemy import text

from config.settings import development_parts

from .ext import services
from .wechat.resilient import ResilientStore

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    s = services()
    checks = {}
    try:
        with s.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = {"ok": True, "backend": s.db.dialect}
    except Exception as exc:  # report, don't raise: this endpoint exists to say what is down
        checks["database"] = {"ok": False, "backend": s.db.dialect, "error": type(exc).__name__}
    backend = "redis" if s.settings.redis_url else "memory"
    try:
        checks["redis"] = {"ok": bool(s.store.ping()), "backend": backend}
    except Exception as exc:
        checks["redis"] = {"ok": False, "backend": backend, "error": type(exc).__name__}
    degraded = not checks["redis"]["ok"] and isinstance(s.store, ResilientStore)
    ready = checks["database"]["ok"] and (checks["redis"]["ok"] or degraded)
    # Said plainly so an operator sees a demo part left on (the simulator, the development key, a fake WeChat).
    dev = development_parts(s.settings)
    return jsonify({"ready": ready, "degraded": degraded, "checks": checks, "env": s.settings.env,
                    "development_only": dev,
                    "notice": "Redis 不可用：暂用各进程内的缓存继续服务（登录状态与对话保存在数据库中，不受影响）"
                              if degraded else None,
                    "warning": f"仅供开发的部分已开启：{'；'.join(dev)}" if dev else None}), 200 if ready else 503


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
