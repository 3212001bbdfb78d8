"""``/healthz``: the process answers. ``/readyz``: the database and Redis answer (JSON says which)."""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify
from sqlalchemy import text

from config.settings import development_parts

from .ext import services

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
    ready = all(c["ok"] for c in checks.values())
    # Said plainly so an operator sees a demo part left on (the simulator, the development key, a fake WeChat).
    dev = development_parts(s.settings)
    return jsonify({"ready": ready, "checks": checks, "env": s.settings.env, "development_only": dev,
                    "warning": f"仅供开发的部分已开启：{'；'.join(dev)}" if dev else None}), 200 if ready else 503


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
