"""The naive peer of kaohe's Official Account callback: what a wechatpy tutorial app with a database would be.

Flask + wechatpy, safe (AES) mode, SQLAlchemy ORM on its own ``peer_cb_*`` tables. For each ``POST /wechat``:
check the URL signature (``wechatpy.utils.check_signature``), verify and decrypt the body
(``WeChatCrypto.decrypt_message``), parse it (``wechatpy.parse_message``), look up the sender's binding by openid,
insert the MsgId into a table with a UNIQUE key (a retry WeChat sends hits the key: the app answers "success" and
writes nothing), append the text to the sender's draft row, commit, reply with encrypted text
(``create_reply`` + ``encrypt_message``).

It does NOT: keep an audit trail, use Redis, know any dialog state (every text of a bound user is a paragraph),
check the timestamp's age, limit the paragraph count or length, or lock the draft row (two messages of the same
user at the same moment can lose one paragraph; WeChat sends one user's messages one after another). It has no
error pages: a bad signature is a 403, anything else a Flask 500.

    gunicorn --chdir bench/peers 'callback_app:create_app()'    (PEER_DATABASE_URL, PEER_WECHAT_TOKEN/_AES_KEY/_APPID)
"""
from __future__ import annotations

import os

from flask import Flask, abort, request
from sqlalchemy import JSON, ForeignKey, String, create_engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature


class Base(DeclarativeBase):
    pass


class Binding(Base):
    __tablename__ = "peer_cb_bindings"
    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(50))


class Draft(Base):
    __tablename__ = "peer_cb_drafts"
    id: Mapped[int] = mapped_column(primary_key=True)
    binding_id: Mapped[int] = mapped_column(ForeignKey("peer_cb_bindings.id"), unique=True)
    paragraphs: Mapped[list] = mapped_column(JSON, default=list)


class Received(Base):
    __tablename__ = "peer_cb_received"
    msg_id: Mapped[str] = mapped_column(String(32), primary_key=True)  # the UNIQUE key that dedupes retries


def seed(url: str, openids: list[str]) -> None:
    """Fresh tables; each openid bound and holding an empty draft (the bench calls this, not the app)."""
    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        for i, openid in enumerate(openids):
            b = Binding(openid=openid, name=f"用户{i}")
            s.add(b)
            s.flush()
            s.add(Draft(binding_id=b.id, paragraphs=[]))
        s.commit()
    engine.dispose()


def create_app() -> Flask:
    app = Flask(__name__)
    token = os.environ["PEER_WECHAT_TOKEN"]
    crypto = WeChatCrypto(token, os.environ["PEER_WECHAT_AES_KEY"], os.environ["PEER_WECHAT_APPID"])
    sessions = sessionmaker(create_engine(os.environ["PEER_DATABASE_URL"]), expire_on_commit=False)

    @app.get("/healthz")
    def healthz():
        return "ok"

    @app.post("/wechat")
    def wechat():
        args = request.args
        try:
            check_signature(token, args["signature"], args["timestamp"], args["nonce"])
            xml = crypto.decrypt_message(request.data, args["msg_signature"], args["timestamp"], args["nonce"])
        except (KeyError, InvalidSignatureException):
            abort(403)
        msg = parse_message(xml)
        if msg.type != "text":
            return "success"
        with sessions() as db:
            binding = db.query(Binding).filter_by(openid=msg.source).first()
            if binding is None:
                answer = "您还没有绑定账号。"
            else:
                db.add(Received(msg_id=str(msg.id)))
                try:
                    db.flush()
                except IntegrityError:  # WeChat's retry of a message already taken
                    return "success"
                draft = db.query(Draft).filter_by(binding_id=binding.id).first()
                draft.paragraphs = draft.paragraphs + [msg.content]
                count = len(draft.paragraphs)
                db.commit()
                answer = f"已记入小结第 {count} 段。"
        reply = create_reply(answer, msg).render()
        return crypto.encrypt_message(reply, args["nonce"], args["timestamp"])

    return app
