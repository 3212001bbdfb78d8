"""GET /api/v1/downloads/<token>: stream a document named by a short-lived signed token.

The file is built into a spooled temporary file (memory up to 8 MiB, then disk) and sent in chunks, so the
county's combined table never sits in memory whole. Expired or forged tokens get a Chinese JSON error.
"""
from __future__ import annotations

import tempfile
from urllib.parse import quote

from flask import Blueprint, Flask, Response

from handlers.results.documents import get_document
from handlers.results.documents.tokens import open_download

from .ext import services

bp = Blueprint("downloads", __name__)
CHUNK = 64 * 1024
HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


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
    headers = {"Content-Length": str(size), "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    # the print-ready HTML opens in the browser (to print from a phone); it may use its own inline styles only
    disposition = "inline" if doc.suffix == "html" else "attachment"
    if doc.suffix == "html":
        headers["Content-Security-Policy"] = HTML_CSP
    headers["Content-Disposition"] = f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(chunks(), content_type=doc.media_type, headers=headers)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
