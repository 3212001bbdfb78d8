"""加扣分、负面清单与问责 over the API: the county's catalogue, unit HR records and lists events (evidence as Base64
inside the JSON body), the county office reviews, the evidence is downloaded by those who may see the person.

Views parse → the ``handlers.quarter.merits`` function with ``ctx.actor`` → render; the handlers decide who may do what.
"""
from __future__ import annotations

import base64
import binascii
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import Response

from handlers.quarter import merits
from handlers.errors import InvalidInput

from . import api
from . import merits_schemas as M
from .registry import Ctx

TAG = "加扣分与问责"


def _today(ctx: Ctx):
    return datetime.now(ZoneInfo(ctx.policy.timezone)).date()


@api.endpoint("GET", "/merits/catalogue", response=M.CatalogueOut, tag=TAG,
              summary="县里的加扣分、负面清单与问责目录（单位只能选用，不能修改）")
def merit_catalogue(ctx: Ctx):
    m = ctx.policy.merits
    return {"require_approval": m.require_approval, "evidence_max_bytes": m.evidence_max_bytes,
            "evidence_types": list(m.evidence_types), "items": merits.catalogue(ctx.policy)}


@api.endpoint("GET", "/merits", response=M.MeritOut, paginated=True, query=M.MeritQuery, tag=TAG,
              summary="加扣分记录：单位管理员看本单位，县公务员办看全部（可按人员、季度、状态筛选）", errors=(403, 404, 422))
def merit_list(ctx: Ctx, query: M.MeritQuery):
    rows = merits.list_events(ctx.db, ctx.actor, ctx.policy, unit_id=query.unit_id, staff_no=query.staff_no,
                              year=query.year, quarter=query.quarter, state=query.state, limit=2000)
    return rows[ctx.offset:ctx.offset + ctx.per_page], len(rows)


@api.endpoint("POST", "/merits", body=M.MeritIn, response=M.MeritOut, status=201, idempotent=True, tag=TAG,
              summary="单位管理员为人员记录一项加扣分/负面清单/问责事项（县里要求时待县公务员办审核）",
              errors=(404, 409, 422))
def merit_record(ctx: Ctx, body: M.MeritIn):
    upload = None
    if body.evidence is not None:
        try:
            data = base64.b64decode(body.evidence.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput("证明材料内容不是有效的 Base64 编码", "evidence_encoding") from None
        upload = merits.Upload(body.evidence.name, data)
    return merits.record(ctx.db, ctx.actor, ctx.policy, body.staff_no, body.item_code, body.occurred_on,
                         body.description, upload, _today(ctx))


@api.endpoint("POST", "/merits/<int:event_id>/review", body=M.ReviewIn, response=M.MeritOut, tag=TAG,
              summary="县公务员办审核加扣分事项（通过或不予通过，不予通过须填写原因）", errors=(403, 404, 409, 422))
def merit_review(ctx: Ctx, body: M.ReviewIn, event_id: int):
    return merits.review(ctx.db, ctx.actor, ctx.policy, event_id, body.approve, body.note)


@api.endpoint("POST", "/merits/<int:event_id>/withdraw", body=M.WithdrawIn, response=M.MeritOut, tag=TAG,
              summary="单位管理员撤回误录的事项（待审核的，或无需审核时已生效的）", errors=(403, 404, 409, 422))
def merit_withdraw(ctx: Ctx, body: M.WithdrawIn, event_id: int):
    return merits.withdraw(ctx.db, ctx.actor, ctx.policy, event_id, body.reason)


@api.endpoint("GET", "/merits/<int:event_id>/evidence", tag=TAG, errors=(404,),
              summary="下载证明材料（仅限可查看该人员的：本单位管理员、县公务员办、本人、其评鉴人）")
def merit_evidence(ctx: Ctx, event_id: int):
    name, content_type, data = merits.evidence_file(ctx.db, ctx.actor, event_id)
    return evidence_response(name, content_type, data)


def evidence_response(name: str, content_type: str, data: bytes) -> Response:
    """An attachment, never rendered by the browser as a page."""
    ext = name.rsplit(".", 1)[-1] if "." in name else "bin"
    return Response(data, content_type=content_type, headers={
        "Content-Disposition": f"attachment; filename=\"evidence.{ext}\"; filename*=UTF-8''{quote(name)}",
        "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox"})
