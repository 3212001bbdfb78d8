"""The console's unit HR (单位管理员) half: roster, cycles, indicators, bind codes, the committee, 双备案 and
documents. Parse → the same ``handlers/`` function with the signed-in actor → render; a domain error shows its
Chinese message with its status (another unit's objects: 404, from the handlers' scope checks).

This module holds what the unit pages share (which unit, server-side paging/sorting/filtering of tables, the
"done" messages); the sections live in ``console_unit_roster``, ``console_unit_cycles`` and
``console_unit_filings``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from math import ceil
from urllib.parse import urlencode

from flask import request

from handlers.identity import unit_desk
from handlers.errors import NotFound
from models.rules.calendar import to_local

from ..ext import services
from .forms import int_arg  # noqa: F401  (the unit pages import it from here)
from .console import bp, render, section

#: ``?msg=`` after a redirect → what the officer is told (never free text from the URL).
DONE = {
    "opened": "已开启本季度考核。", "advanced": "已进入下一阶段。", "assigned": "已更换评鉴人。",
    "indicators": "指标已保存。", "reset": "该岗位已恢复使用单位默认指标。", "meeting": "会议记录已保存。",
    "graded": "等次已保存。", "published": "已开始公示，每人会收到自己的结果。", "filed": "结果一览表已报送县公务员办备案。",
    "corrected": "已更正备案：当前结果一览表已报送县公务员办审核。",
    "submitted": "已报送县公务员办备案。",
    "merit": "已记录。县里要求审核的事项，经县公务员办审核通过后生效。", "merit_withdrawn": "已撤回。",
    "answered": "异议已答复，已通知本人。",
}
PER_PAGE = 50


def today() -> date:
    return to_local(datetime.now(timezone.utc), services().policy).date()


def current_unit(session, actor) -> tuple[int, str, list[tuple[int, str]]]:
    """``(unit id, unit name, all my units)``: ``?unit=`` or the first unit the actor administers."""
    units = unit_desk.my_units(session, actor)
    unit_id = int_arg("unit")
    if unit_id is None:
        if not units:
            raise NotFound("您的账号不是任何单位的平时考核管理员")
        unit_id = units[0][0]
    return unit_id, unit_desk.unit_name(session, actor, unit_id), units


def page_unit(template: str, actor, http_status: int = 200, **context):
    return render(template, actor, http_status, done=DONE.get(request.args.get("msg", "")), **context)


@dataclass
class Table:
    """One page of a list, sorted and filtered on the server (``?q=``, ``?sort=``, ``?desc=1``, ``?page=``)."""

    rows: list[dict]
    total: int
    page: int
    pages: int
    sort: str
    desc: bool
    q: str
    base: dict

    def url(self, **change) -> str:
        args = {**self.base, "q": self.q, "sort": self.sort, "desc": "1" if self.desc else "", "page": self.page}
        args.update(change)
        return "?" + urlencode({k: v for k, v in args.items() if v not in ("", None, 1) or k == "unit"})

    def sort_url(self, key: str) -> str:
        return self.url(sort=key, desc="" if self.sort != key or self.desc else "1", page=1)


def table(rows: list[dict], columns: tuple[str, ...], default_sort: str, **base) -> Table:
    q = request.args.get("q", "").strip()[:50]
    sort = request.args.get("sort", default_sort)
    if sort not in columns:
        sort = default_sort
    desc = request.args.get("desc") == "1"
    if q:
        rows = [r for r in rows if any(q in str(r.get(c) or "") for c in columns)]
    rows = sorted(rows, key=lambda r: (r.get(sort) is None, str(r.get(sort) or "") if not isinstance(
        r.get(sort), (int, float)) else r.get(sort)), reverse=desc)
    pages = max(1, ceil(len(rows) / PER_PAGE))
    page = min(max(1, int_arg("page", request.args, 1) or 1), pages)
    return Table(rows[(page - 1) * PER_PAGE:page * PER_PAGE], len(rows), page, pages, sort, desc, q,
                 {k: v for k, v in base.items() if v is not None})


def _register() -> None:
    section("/console/unit/roster", "花名册", "unit")
    section("/console/unit/cycles", "季度考核", "unit")
    section("/console/unit/annual", "年度考核等次", "unit")
    section("/console/unit/bind-codes", "微信绑定码", "unit")
    section("/console/unit/filings", "双备案", "unit")
    section("/console/unit/documents", "文书导出", "unit")


_register()

from . import console_unit_cycles, console_unit_filings, console_unit_roster  # noqa: E402,F401  (routes on bp)
from . import console_unit_leave  # noqa: F401  (routes on bp)
from . import console_unit_annual  # noqa: F401  (routes on bp)
