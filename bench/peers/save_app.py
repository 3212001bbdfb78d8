"""The naive peer of kaohe's score save: a plain Flask + SQLAlchemy ORM JSON endpoint on its own ``peer_sv_*`` tables.

``PUT /evaluations/<id>/scores`` with ``Authorization: Bearer <token>``, ``If-Match: "<version>"`` and the body
kaohe's API takes, ``{"scores": [{"indicator_id": 7, "level": "优"} | {"indicator_id": 7, "points": 8.5}, …]}``:
look the token up in the sessions table (unexpired), load the evaluation, refuse unless the caller is its scorer,
validate the body against the cycle's 10 indicators (known id, points within the indicator's maximum or a level of
优/良/中/差, at most 10 items), check the version (``version_id_col``: the UPDATE carries ``WHERE version = …``),
UPDATE the scores, INSERT an audit row, commit, reply with the scores, their total and the new version (ETag).

It does NOT: use Redis or cache anything, check the cycle's step or the evaluation's state, enforce per-tier rules,
compute a suggested grade, rate-limit, or give Chinese error bodies beyond a short ``{"error"}``; tokens are stored
in the clear.

    gunicorn --chdir bench/peers 'save_app:create_app()'    (PEER_DATABASE_URL)
"""
from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from flask import Flask, jsonify, request
from sqlalchemy import JSON, DateTime, ForeignKey, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

LEVELS = {"优": 1.0, "良": 0.85, "中": 0.7, "差": 0.5}


def now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "peer_sv_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class UserSession(Base):
    __tablename__ = "peer_sv_sessions"
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("peer_sv_users.id"))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Indicator(Base):
    __tablename__ = "peer_sv_indicators"
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(50))
    max_points: Mapped[float]


class Evaluation(Base):
    __tablename__ = "peer_sv_evaluations"
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int]
    person_id: Mapped[int] = mapped_column(ForeignKey("peer_sv_users.id"))
    scorer_id: Mapped[int] = mapped_column(ForeignKey("peer_sv_users.id"))
    scores: Mapped[dict] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    __mapper_args__: ClassVar[dict] = {"version_id_col": version}


class Audit(Base):
    __tablename__ = "peer_sv_audit"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(40))
    evaluation_id: Mapped[int]
    detail: Mapped[dict] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


def seed(url: str, evaluations: int) -> tuple[str, list[tuple[int, int]], list[int]]:
    """Fresh tables; one scorer with a session, ``evaluations`` people to score, one cycle of 10 indicators.
    Returns the token, [(evaluation id, version)] and the indicator ids (the bench calls this, not the app)."""
    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        boss = User(name="张局长")
        s.add(boss)
        s.flush()
        token = secrets.token_urlsafe(32)
        s.add(UserSession(token=token, user_id=boss.id, expires_at=now() + timedelta(hours=2)))
        indicators = [Indicator(cycle_id=1, name=f"指标{i + 1}", max_points=10.0) for i in range(10)]
        s.add_all(indicators)
        evals = []
        for i in range(evaluations):
            p = User(name=f"干事{i}")
            s.add(p)
            s.flush()
            e = Evaluation(cycle_id=1, person_id=p.id, scorer_id=boss.id, scores={})
            s.add(e)
            evals.append(e)
        s.commit()
        out = token, [(e.id, e.version) for e in evals], [i.id for i in indicators]
    engine.dispose()
    return out


def error(status: int, message: str):
    return jsonify(error=message), status


def create_app() -> Flask:
    app = Flask(__name__)
    sessions = sessionmaker(create_engine(os.environ["PEER_DATABASE_URL"]), expire_on_commit=False)

    @app.get("/healthz")
    def healthz():
        return "ok"

    @app.put("/evaluations/<int:evaluation_id>/scores")
    def save_scores(evaluation_id: int):
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return error(401, "未登录")
        if_match = request.headers.get("If-Match", "").strip('"')
        if not if_match.isdigit():
            return error(428, "缺少 If-Match")
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("scores"), list) or not 1 <= len(body["scores"]) <= 10:
            return error(422, "scores 须为 1–10 项")
        with sessions() as db:
            sess = db.get(UserSession, auth[len("Bearer "):])
            if sess is None or sess.expires_at < now():
                return error(401, "登录已失效")
            ev = db.get(Evaluation, evaluation_id)
            if ev is None:
                return error(404, "没有这张评鉴表")
            if ev.scorer_id != sess.user_id:
                return error(403, "您不是这张评鉴表的评鉴人")
            if ev.version != int(if_match):
                return error(412, "已被他人修改，请刷新")
            maxima = {i.id: i.max_points for i in db.query(Indicator).filter_by(cycle_id=ev.cycle_id)}
            scores = dict(ev.scores)
            for item in body["scores"]:
                if not isinstance(item, dict) or item.get("indicator_id") not in maxima:
                    return error(422, "指标不存在")
                top = maxima[item["indicator_id"]]
                if item.get("level") is not None:
                    if item["level"] not in LEVELS:
                        return error(422, "档次只能是优、良、中、差")
                    points = round(top * LEVELS[item["level"]], 1)
                else:
                    points = item.get("points")
                    if not isinstance(points, (int, float)) or not 0 <= points <= top:
                        return error(422, f"分数须在 0–{top:g} 之间")
                scores[str(item["indicator_id"])] = points
            ev.scores = scores
            ev.updated_at = now()
            db.add(Audit(user_id=sess.user_id, action="save_scores", evaluation_id=ev.id, detail=body))
            try:
                db.commit()
            except StaleDataError:
                return error(412, "已被他人修改，请刷新")
            out = {"evaluation_id": evaluation_id, "version": ev.version, "scores": scores,
                   "total": round(sum(scores.values()), 1), "complete": len(scores) == len(maxima)}
        resp = jsonify(out)
        resp.headers["ETag"] = f'"{out["version"]}"'
        return resp

    return app
