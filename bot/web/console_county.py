"""The county office's half of ``/console`` (县公务员办): the progress board with drill-down to a unit and a person,
charts, anomalies and near-duplicate summaries. Filings, spot checks and notices are in ``console_county_work``;
the annual uses, accounts and the audit log in ``console_county_admin``.

Views parse → call the same ``handlers/`` functions as the API and the CLI with the signed-in actor → render.
Every county page refuses anyone else up front (403, audited) and the handlers check again. Tables page, sort and
filter on the server; charts are SVG drawn here (``svg.py``).
"""
from __future__ import annotations

import functools
import math
from datetime import date, datetime, timezone
from urllib.parse import urlencode

from flask import request

from handlers import audit

from handlers.county import oversight, person_record

from handlers.quarter import objections

from handlers.results import annual_uses
from handlers.errors import DomainError, Forbidden, InvalidInput
from models.rules.calendar import quarter_of, to_local

from ..ext import services
from . import svg
from .console import bp, render, section, uow
from .session import page

PER_PAGE = 50

#: ``?msg=`` after a redirect → what the officer is told (never free text from the URL).
DONE = {
    "accepted": "已通过该备案。", "returned": "已退回，单位会看到退回原因。", "drawn": "已完成抽取，随机种子已记录。",
    "finding": "已记录抽查发现的问题。", "circular": "通报已作为通知发出。", "notice": "通知已创建。",
    "cancelled": "已撤回尚未发出的部分。", "group": "工作群已添加。", "talk": "谈话已记录。",
    "disabled": "账号已停用，其所有登录已结束。", "concluded": "申诉已办结，已通知本人和单位人事。",
}


def county(view):
    """A county-office page: the signed-in actor must be 县公务员办; anyone else gets 403 (audited)."""
    @page
    @functools.wraps(view)
    def wrapper(actor, *args, **kwargs):
        if not actor.is_county:
            with uow() as session:
                audit.record(session, actor, "access.forbidden", "console", request.path, None,
                             {"reason": "not_county"})
            raise Forbidden("只有县公务员办可以使用此页面", "not_county")
        return view(actor, *args, **kwargs)

    return wrapper


def today() -> date:
    return to_local(datetime.now(timezone.utc), services().policy).date()


def int_arg(name: str, default: int | None = None, *, lo: int = 0, hi: int = 2 ** 31 - 1,
            source=None) -> int | None:
    raw = (source if source is not None else request.args).get(name, "")
    if raw in ("", None):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"参数 {name} 应为整数", "bad_field") from None
    if not lo <= value <= hi:
        raise InvalidInput(f"参数 {name} 超出范围", "bad_field")
    return value


def period(need_quarter: bool = True) -> tuple[int, int]:
    y, q = quarter_of(today())
    year = int_arg("year", y, lo=2000, hi=2100)
    return year, (int_arg("quarter", q, lo=1, hi=4) if need_quarter else q)


def text_arg(name: str, max_len: int = 100, source=None) -> str:
    return ((source if source is not None else request.args).get(name) or "").strip()[:max_len]


class Pager:
    """This page of a server-side list: ``offset``/``limit`` for the handler, links that keep the filters."""

    def __init__(self, per_page: int = PER_PAGE):
        self.page = int_arg("page", 1, lo=1, hi=10 ** 6)
        self.per_page = per_page
        self.offset, self.limit = (self.page - 1) * per_page, per_page
        self.total = 0

    def done(self, total: int) -> "Pager":
        self.total = total
        return self

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    def url(self, **change) -> str:
        args = {k: v for k, v in request.args.items() if k != "msg"}
        args.update({k: v for k, v in change.items()})
        return request.path + "?" + urlencode({k: v for k, v in args.items() if v not in (None, "")})

    def slice(self, rows: list) -> list:
        self.total = len(rows)
        return rows[self.offset:self.offset + self.limit]


def sort_rows(rows: list[dict], keys: dict, default: str) -> tuple[list[dict], str]:
    """Sort by ``?sort=<key>`` (``-<key>`` descending) among the allowed ``keys`` (name → row → value)."""
    sort = request.args.get("sort") or default
    name = sort.lstrip("-")
    if name not in keys:
        sort, name = default, default.lstrip("-")
    return sorted(rows, key=keys[name], reverse=sort.startswith("-")), sort


def fail(actor, exc: DomainError, back: str):
    """A refused action: its Chinese message and the way back, with the handler's status."""
    return render("console/county/failed.html", actor, exc.status, title="无法完成", message=exc.message,
                  details=exc.details, back=back)


def done_message() -> str | None:
    return DONE.get(request.args.get("msg", ""))


def ctx(actor, **context):
    s = services()
    return {"done": done_message(), "grades": s.policy.grades, **context}


# ---- the progress board ---------------------------------------------------------------------------------------

section("/console/county/board", "全县进度", "county")
section("/console/county/grades", "等次与异常", "county")

@bp.get("/console/county/board")
@county
def board(actor):
    s = services()
    year, quarter = period()
    q, late_only = text_arg("q"), request.args.get("late") == "1"
    pager = Pager()
    with uow() as session:
        data = oversight.progress_board(session, actor, s.policy, year, quarter, q=q or None, late_only=late_only,
                                        sort=request.args.get("sort"), offset=pager.offset, limit=pager.limit)
        pending = objections.counts(session)  # every unit's objections, whatever the quarter
    pager.done(data["matched"])
    shown = data["units"]
    t = data["totals"]
    step_chart = svg.bars([(c["label"], c["value"]) for c in data["chart"] if c["label"] != "已备案单位"],
                          label=f"{year}年第{quarter}季度全县进度（人）", total=t["people"] or None)
    unit_chart = svg.bars([(u["unit"], round(u["totals"]["published"] * 100 / max(u["totals"]["people"], 1)))
                           for u in shown[:20]], label="本页单位的公示进度（%）", suffix="%")
    return render("console/county/board.html", actor, **ctx(
        actor, title="全县进度", year=year, quarter=quarter, data=data, rows=shown, pager=pager, sort=data["sort"],
        q=q, late_only=late_only, objections=pending, step_chart=step_chart, unit_chart=unit_chart,
        filed_units=data["filed_units"]))


@bp.get("/console/county/board/unit")
@county
def board_unit(actor):
    s = services()
    year, quarter = period()
    name = text_arg("name")
    if not name:
        raise InvalidInput("请指定单位", "unit_required")
    pager = Pager()
    with uow() as session:
        data = oversight.progress_board(session, actor, s.policy, year, quarter, unit_name=name)
        found = annual_uses.year_page(session, actor, s.policy, year, unit_name=name, offset=pager.offset,
                                      limit=pager.limit, today=today())
    pager.done(found.total)
    people = [r.as_dict() for r in found.rows]
    unit = data["units"][0] if data["units"] else None
    chart = None
    if unit:
        chart = svg.bars([(t["tier"] + "·已交小结", t["submitted"]) for t in unit["tiers"]]
                         + [(t["tier"] + "·已评鉴", t["scored"]) for t in unit["tiers"]],
                         label=f"{name}各层次进度（人）", total=unit["totals"]["people"] or None)
    return render("console/county/unit.html", actor, **ctx(
        actor, title=name, name=name, year=year, quarter=quarter, unit=unit, people=people, pager=pager,
        chart=chart))


@bp.get("/console/county/people/<staff_no>")
@county
def person(actor, staff_no: str):
    s = services()
    year, quarter = period()
    with uow() as session:
        data = person_record.person_year(session, actor, s.policy, staff_no[:32], year, quarter)
    return render("console/county/person.html", actor, **ctx(actor, title=f"{data['name']}（{data['staff_no']}）",
                                                               data=data, year=year, quarter=quarter))


# ---- grades, quotas, year on year, anomalies, near-duplicates -------------------------------------------------

@bp.get("/console/county/grades")
@county
def grades(actor):
    s = services()
    year, quarter = period()
    with uow() as session:
        now = oversight.grade_distribution(session, actor, s.policy, year, quarter)
        before = oversight.grade_distribution(session, actor, s.policy, year - 1, quarter)
    rows = now["tiers"]
    q, over_only = text_arg("q"), request.args.get("over") == "1"
    if q:
        rows = [t for t in rows if q in t["unit"] or q in t["tier"]]
    if over_only:
        rows = [t for t in rows if not t["within_quota"]]
    rows, sort = sort_rows(rows, {"unit": lambda t: (t["unit"], t["tier"]), "good": lambda t: t["good"],
                                  "over": lambda t: t["good"] - t["quota"], "graded": lambda t: t["graded"]}, "-over")
    pager = Pager()
    shown = pager.slice(rows)
    quota_chart = svg.bars_against([(f"{t['unit']}·{t['tier']}", t["good"], t["quota"]) for t in shown[:25]],
                                   label=f"本页考评组的{s.policy.good_grade}等次人数与名额",
                                   value_name=f"{s.policy.good_grade}等次", limit_name="名额")
    names = list(s.policy.grades)
    yoy_chart = svg.grouped(names, [(f"{year - 1}年第{quarter}季度", [c["value"] for c in before["chart"]]),
                                    (f"{year}年第{quarter}季度", [c["value"] for c in now["chart"]])],
                            label="等次分布同比（人）")
    return render("console/county/grades.html", actor, **ctx(
        actor, title="等次与名额", year=year, quarter=quarter, rows=shown, pager=pager, sort=sort, q=q,
        over_only=over_only, over_count=len(now["over_quota"]), quota_chart=quota_chart, yoy_chart=yoy_chart,
        overall=now["chart"], before=before["chart"]))


@bp.get("/console/county/anomalies")
@county
def anomalies(actor):
    s = services()
    year, quarter = period()
    kind = text_arg("kind", 32)
    with uow() as session:
        found = oversight.anomalies(session, actor, s.policy, year, quarter, include_duplicates=False)
    kinds = sorted({(a["kind"], a["label"]) for a in found})
    rows = [a for a in found if not kind or a["kind"] == kind]
    pager = Pager()
    return render("console/county/anomalies.html", actor, **ctx(
        actor, title="异常情况", year=year, quarter=quarter, rows=pager.slice(rows), pager=pager, kinds=kinds,
        kind=kind, chart=svg.bars([(label, sum(1 for a in found if a["kind"] == k)) for k, label in kinds],
                                  label="异常情况按类型（处）")))


def split_shared(text: str, shared: str) -> list[tuple[str, bool]]:
    """``text`` cut into pieces, each flagged when it is the passage the two summaries share (to ``<mark>``)."""
    if not shared or shared not in text:
        return [(text, False)]
    out, rest = [], text
    while shared in rest:
        before, rest = rest.split(shared, 1)
        if before:
            out.append((before, False))
        out.append((shared, True))
    if rest:
        out.append((rest, False))
    return out


@bp.get("/console/county/duplicates")
@county
def duplicates(actor):
    s = services()
    year, quarter = period()
    unit = text_arg("unit") or None
    pager = Pager(per_page=10)
    with uow() as session:
        found = oversight.near_duplicates(session, actor, s.policy, year, quarter, unit_name=unit,
                                          limit=min(pager.offset + pager.limit, 500))
    pairs = pager.slice(found["pairs"])
    pager.total = min(found["pairs_found"], 500)
    for p in pairs:
        p["a_parts"], p["b_parts"] = split_shared(p["a"]["text"], p["overlap"]), split_shared(p["b"]["text"],
                                                                                             p["overlap"])
    return render("console/county/duplicates.html", actor, **ctx(
        actor, title="小结雷同", year=year, quarter=quarter, found=found, pairs=pairs, pager=pager, unit=unit or ""))


from . import console_county_admin, console_county_work  # noqa: E402,F401  (their views register on bp)
