"""Small parsers shared by the page views: a bad value is a Chinese 422, never a 500."""
from __future__ import annotations

from flask import request

from handlers.errors import InvalidInput


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
