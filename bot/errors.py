"""Domain errors and HTTP errors as ``{"code", "message"}`` JSON with the right status. Never a bare 500."""
from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from handlers.errors import DomainError

from . import outage

log = logging.getLogger(__name__)

HTTP_MESSAGES = {
    400: ("bad_request", "请求格式不正确"),
    401: ("unauthorized", "请先登录"),
    403: ("forbidden", "没有权限"),
    404: ("not_found", "找不到请求的内容"),
    405: ("method_not_allowed", "不支持该请求方法"),
    413: ("payload_too_large", "请求内容过大"),
    415: ("unsupported_media_type", "请求内容类型不受支持"),
    429: ("too_many_requests", "操作过于频繁，请稍后再试"),
}


def error_response(code: str, message: str, status: int, details: dict | None = None):
    body = {"code": code, "message": message}
    if details:
        body["details"] = details
    return jsonify(body), status


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        return error_response(exc.code, exc.message, exc.status, exc.details or None)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        code, message = HTTP_MESSAGES.get(exc.code or 500, ("http_error", "请求无法处理"))
        body, status = error_response(code, message, exc.code or 500)
        for name, value in exc.get_headers():  # e.g. 405's Allow (RFC 9110 requires it), 401's WWW-Authenticate
            if name.lower() != "content-type":
                body.headers[name] = value
        return body, status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        what = outage.kind(exc)
        if what is not None:  # PostgreSQL or Redis unreachable: 503, logged once per interval (bot/outage.py)
            outage.outages.note(what, exc)
            response, status = error_response("service_unavailable", outage.MESSAGES[what], 503)
            response.headers["Retry-After"] = str(outage.RETRY_AFTER)
            return response, status
        log.exception("unhandled error")
        return error_response("internal_error", "服务器内部错误，请稍后再试；如持续出现请联系管理员", 500)
