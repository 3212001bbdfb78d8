"""The Mini Program JSON API at ``/api/v1`` (see ``registry`` for how an endpoint is declared)."""
from __future__ import annotations

from functools import lru_cache

from flask import Flask, jsonify

from .registry import Api

api = Api()


@lru_cache(maxsize=1)
def openapi_document() -> dict:
    from . import openapi

    return openapi.build(api)


@api.bp.get("/openapi.json")
def openapi_json():
    return jsonify(openapi_document())


def init_app(app: Flask) -> None:
    from . import (
        county_views,  # noqa: F401  (notices, oversight, 双备案, annual uses, documents)
        merits_views,  # noqa: F401  (加扣分、负面清单与问责)
        views,  # noqa: F401  (importing registers the endpoints on ``api``)
    )

    app.register_blueprint(api.bp)
