"""GET /api/v1/downloads/<token>: stream a document named by a short-lived signed token.

The file is built into a spooled temporary file (memory up to 8 MiB, then disk) and sent in chunks, so the
county's combined table never sits in memory whole. Expired or forged tokens get a Chinese JSON error.
"""
from __future__ import annotations

import tempfile
from urllib.parse import quote

from flask import Blueprint, Flask, Response

from handlers.documents import get_document
from handlers.documents.tokens import open_download

from .ext import services

bp = Blueprint("downloads", __name__)
CHUNK = 64 * 1024


@bp.get("/api/v1/downloads/<token>")
def download(token: str):
    s = services()
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    try:
        with s.db.session() as session:
            actor, name, params = open_download(session, s.policy, s.settings.secret_key, token)
            doc = get_document(name)
            filename = doc.render(session, actor, s.policy, params, spool)
    except BaseException:
        spool.close()
        raise
    size = spool.tell()
    spool.seek(0)

    def chunks():
        try:
            while block := spool.read(CHUNK):
                yield block
        finally:
            spool.close()

    ascii_name = f"{name}.{doc.suffix}"
    return Response(chunks(), mimetype=doc.media_type, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
        "Content-Length": str(size), "Cache-Control": "no-store",
    })


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
