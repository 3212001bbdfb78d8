"""Small parsers shared by the page views: a bad value is a Chinese 422, never a 500."""
from __future__ import annotations

from typing import Callable

from flask import request

from handlers.errors import DomainError, InvalidInput


def int_arg(name: str, source=None, default: int | None = None) -> int | None:
    raw = (source if source is not None else request.values).get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} 应为整数", "bad_field") from None
    if not 0 <= value < 2 ** 31:
        raise InvalidInput(f"{name} 超出范围", "bad_field")
    return value


def act(work: Callable[[object], object], done: str | Callable[[object], str], again: Callable[[DomainError], object]):
    """One page action: ``work(session)`` in one unit of work, then a redirect to ``done`` (or ``done(result)``).
    A refusal other than "not found" shows the page again — ``again(error)`` — with the handler's Chinese message
    and status, and nothing saved; "not found" goes to the blueprint's error page like any other 404."""
    from flask import redirect

    from ..ext import services

    try:
        with services().db.session() as session:
            result = work(session)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return again(exc)
    return redirect(done(result) if callable(done) else done)
