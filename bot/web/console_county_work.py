"""The county office's console: reviewing filings (结果备案 and 双备案), spot checks (抽查) with the 通报, and
notices with their delivery report (polled) and work groups. Parse → handler with the signed-in actor → render."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import jsonify, redirect, request

from handlers import audit
from handlers.county import filing_lists, filings, oversight

from handlers.outbound import audience, groups, notices

from handlers.quarter import objections
from handlers.errors import DomainError, InvalidInput
from models.cycle import cycle_label
from models.org import ROLES
from models.rules.calendar import format_local

from ..ext import services
from .console import bp, render, section, uow
from .console_county import Pager, county, ctx, fail, int_arg, period, text_arg

section("/console/county/filings", "备案审核", "county")
section("/console/county/spot-checks", "抽查", "county")
section("/console/county/notices", "通知", "county")
section("/console/county/objections", "异议", "county")


# ---- filings ----------------------------------------------------------------------------------------------------

@bp.get("/console/county/filings")
@county
def filing_list(actor):
    s = services()
    state = text_arg("state", 16) or None
    kind = text_arg("kind", 16) or None
    unit = text_arg("unit") or None
    pager = Pager()
    with uow() as session:
        rows, total = filing_lists.filing_rows(session, actor, s.policy, offset=pager.offset, limit=pager.limit,
                                               state=state, kind=kind, unit_name=unit)
    pager.done(total)
    return render("console/county/filings.html", actor, **ctx(
        actor, title="备案审核", rows=rows, pager=pager, state=state or "", kind=kind or "", unit=unit or "",
        kinds=oversight.FILING_KINDS))


@bp.get("/console/county/filings/status")
@county
def filing_status(actor):
    s = services()
    year, _ = period(need_quarter=False)
    q = text_arg("q")
    with uow() as session:
        data = oversight.filing_status(session, actor, s.policy, year)
    rows = [u for u in data["units"] if not q or q in u["unit"]]
    if request.args.get("missing") == "1":
        rows = [u for u in rows if u["annual_plan"] == "未备案"]
    pager = Pager()
    return render("console/county/filing_status.html", actor, **ctx(
        actor, title="双备案情况", year=year, data=data, rows=pager.slice(rows), pager=pager, q=q,
        missing=request.args.get("missing") == "1"))


@bp.get("/console/county/filings/<int:filing_id>")
@county
def filing_detail(actor, filing_id: int):
    s = services()
    with uow() as session:
        filing = filing_lists.filing_detail(session, actor, s.policy, filing_id)
    return render("console/county/filing.html", actor, **ctx(
        actor, title=f"{filing['unit']} {filing['period']}{filing['kind_label']}", f=filing))


@bp.post("/console/county/filings/<int:filing_id>/review")
@county
def filing_review(actor, filing_id: int):
    action = request.form.get("action", "")
    reason = (request.form.get("reason") or "")[:500]
    back = f"/console/county/filings/{filing_id}"
    try:
        with uow() as session:
            filings.review_filing(session, actor, filing_id, action, reason)
    except DomainError as exc:
        return fail(actor, exc, back)
    return redirect(f"{back}?msg={'accepted' if action == 'accept' else 'returned'}")


# ---- spot checks ------------------------------------------------------------------------------------------------

@bp.get("/console/county/spot-checks")
@county
def spot_checks(actor):
    s = services()
    year, quarter = period()
    pager = Pager(per_page=20)
    with uow() as session:
        rows, total = oversight.list_spot_checks(session, actor, s.policy, offset=pager.offset, limit=pager.limit)
        rows = audit.rows_with_names(session, rows, "created_by")
    pager.done(total)
    return render("console/county/spot_checks.html", actor, **ctx(
        actor, title="抽查", rows=rows, pager=pager, year=year, quarter=quarter,
        units=s.policy.results.spot_check_units, people=s.policy.results.spot_check_people_per_unit))


@bp.post("/console/county/spot-checks")
@county
def spot_check_draw(actor):
    s = services()
    f = request.form
    try:
        year = int_arg("year", None, lo=2000, hi=2100, source=f)
        quarter = int_arg("quarter", None, lo=1, hi=4, source=f)
        with uow() as session:
            check = oversight.draw_spot_check(session, actor, s.policy, year, quarter,
                                              seed=int_arg("seed", None, lo=1, source=f),
                                              units=int_arg("units", None, lo=1, hi=1000, source=f),
                                              people_per_unit=int_arg("people", None, lo=1, hi=1000, source=f))
    except DomainError as exc:
        return fail(actor, exc, "/console/county/spot-checks")
    return redirect(f"/console/county/spot-checks/{check['id']}?msg=drawn")


@bp.get("/console/county/spot-checks/<int:check_id>")
@county
def spot_check(actor, check_id: int):
    s = services()
    with uow() as session:
        view = audit.with_names(session, oversight.spot_check_view(session, actor, check_id), "created_by")
        draft = oversight.circular_draft(session, actor, s.policy, check_id)
        work_groups = groups.list_groups(session, actor)
        tiers = filing_lists.tier_names(session)
    return render("console/county/spot_check.html", actor, **ctx(
        actor, title=f"抽查 · {cycle_label(view['year'], view['quarter'])}", c=view, draft=draft, groups=work_groups,
        tiers=tiers, body_max=notices.BODY_MAX))


@bp.post("/console/county/spot-checks/<int:check_id>/findings")
@county
def spot_check_finding(actor, check_id: int):
    back = f"/console/county/spot-checks/{check_id}"
    try:
        with uow() as session:
            oversight.add_finding(session, actor, check_id, text_arg("unit", 100, request.form),
                                  (request.form.get("text") or "")[:4000],
                                  staff_no=text_arg("staff_no", 32, request.form) or None)
    except DomainError as exc:
        return fail(actor, exc, back)
    return redirect(f"{back}?msg=finding")


@bp.post("/console/county/spot-checks/<int:check_id>/circular")
@county
def spot_check_send(actor, check_id: int):
    s = services()
    back = f"/console/county/spot-checks/{check_id}"
    try:
        to = [audience_spec(request.form)]
        with uow() as session:
            notice = oversight.send_circular(session, actor, s.policy, check_id, to=to)
            notice_id = notice.id
    except DomainError as exc:
        return fail(actor, exc, back)
    return redirect(f"/console/county/notices/{notice_id}?msg=circular")


# ---- notices and work groups -------------------------------------------------------------------------------------

def audience_spec(form) -> str:
    """The compose form's audience (one of all / unit / tier / role / work group) as the handlers' spec."""
    kind = form.get("audience", "")
    if kind == "all":
        return "all"
    if kind not in ("unit", "tier", "role", "group"):
        raise InvalidInput("请选择接收范围", "audience_required")
    value = (form.get(kind) or "").strip()[:100]
    if not value:
        raise InvalidInput("请填写接收范围（单位、层次、角色或工作群）", "audience_required")
    return f"{kind}:{value}"


def beijing_time(raw: str | None) -> datetime | None:
    """``YYYY-MM-DDTHH:MM`` from a datetime-local input, read as Beijing time (the policy's time zone)."""
    raw = (raw or "").strip()
    if not raw:
        return None
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(raw, fmt).replace(tzinfo=ZoneInfo(services().policy.timezone))
        except ValueError:
            continue
    raise InvalidInput("发送时间格式应为 YYYY-MM-DD HH:MM（北京时间）", "bad_time")


@bp.get("/console/county/notices")
@county
def notice_list(actor):
    pager = Pager(per_page=20)
    with uow() as session:
        items = notices.list_notices(session, actor, pager.limit, pager.offset)
        pager.done(notices.count_notices(session, actor))
        reports = [notices.report(session, actor, n.id) for n in items]
        rows = list(zip(items, reports, audience.label_lists(session, [r.audience for r in reports])))
    return render("console/county/notices.html", actor, **ctx(actor, title="通知", rows=rows, pager=pager))


def _compose_page(actor, form=None, error=None, http_status=200):
    with uow() as session:
        work_groups = groups.list_groups(session, actor)
        tiers = filing_lists.tier_names(session)
    return render("console/county/notice_new.html", actor, http_status, **ctx(
        actor, title="发布通知", groups=work_groups, tiers=tiers, roles=list(ROLES.values()), form=form or {},
        error=error, title_max=notices.TITLE_MAX, body_max=notices.BODY_MAX))


@bp.get("/console/county/notices/new")
@county
def notice_new(actor):
    return _compose_page(actor)


@bp.post("/console/county/notices")
@county
def notice_create(actor):
    f = request.form
    try:
        to = [audience_spec(f)]
        with uow() as session:
            notice = notices.compose(session, actor, title=(f.get("title") or "")[:500],
                                     body=(f.get("body") or "")[:5000], to=to, link=(f.get("link") or "")[:600],
                                     send_at=beijing_time(f.get("send_at")))
            notice_id = notice.id
    except DomainError as exc:
        return _compose_page(actor, f, exc.message, exc.status)
    return redirect(f"/console/county/notices/{notice_id}?msg=notice")


@bp.get("/console/county/notices/<int:notice_id>")
@county
def notice_report(actor, notice_id: int):
    s = services()
    pager = Pager()
    with uow() as session:
        text = audit.with_names(session, notices.notice_text(session, actor, notice_id), "created_by")
        r = notices.report(session, actor, notice_id, with_rows=True, row_offset=pager.offset, row_limit=pager.limit)
        to = audience.label_lists(session, [r.audience])[0]
    pager.done(r.total)
    return render("console/county/notice.html", actor, **ctx(
        actor, title=r.title, r=r, text=text, pager=pager, audience=to,
        send_at=format_local(r.send_at, s.policy)))


@bp.get("/console/api/county/notices/<int:notice_id>/report")
@county
def notice_report_json(actor, notice_id: int):
    """Polled by the report page while deliveries are pending (``static/console_county.js``)."""
    with uow() as session:
        r = notices.report(session, actor, notice_id)
    return jsonify({k: v for k, v in r.as_dict().items() if k not in ("rows",)})


@bp.post("/console/county/notices/<int:notice_id>/cancel")
@county
def notice_cancel(actor, notice_id: int):
    back = f"/console/county/notices/{notice_id}"
    try:
        with uow() as session:
            notices.cancel(session, actor, notice_id)
    except DomainError as exc:
        return fail(actor, exc, back)
    return redirect(f"{back}?msg=cancelled")


@bp.get("/console/county/groups")
@county
def group_list(actor):
    with uow() as session:
        rows = [{"name": g.name, "key": groups.mask_key(g.wecom_key), "tag": g.oa_tag_id}
                for g in groups.list_groups(session, actor)]
    return render("console/county/groups.html", actor, **ctx(actor, title="工作群", rows=rows))


@bp.post("/console/county/groups")
@county
def group_add(actor):
    f = request.form
    try:
        with uow() as session:
            groups.add_group(session, actor, (f.get("name") or "")[:200],
                             wecom_key=(f.get("wecom_key") or "").strip()[:300] or None,
                             oa_tag_id=int_arg("oa_tag", None, lo=0, source=f))
    except DomainError as exc:
        return fail(actor, exc, "/console/county/groups")
    return redirect("/console/county/groups?msg=group")


# ---- objections across units: their age, overdue answers, escalations concluded here ---------------------------

@bp.get("/console/county/objections")
@county
def objection_list(actor):
    s = services()
    include_closed = request.args.get("all") == "1"
    with uow() as session:
        found = objections.county_list(session, actor, s.policy, include_closed=include_closed)
    rows = found.rows
    if request.args.get("overdue") == "1":
        rows = [r for r in rows if r["overdue"]]
    pager = Pager()
    return render("console/county/objections.html", actor, **ctx(
        actor, title="异议与申诉", found=found, rows=pager.slice(rows), pager=pager, include_closed=include_closed,
        overdue_only=request.args.get("overdue") == "1"))


@bp.post("/console/county/objections/<int:objection_id>/close")
@county
def objection_close(actor, objection_id: int):
    note = (request.form.get("note") or "")[:5000]
    try:
        with uow() as session:
            objections.conclude(session, actor, services().policy, objection_id, note)
    except DomainError as exc:
        return fail(actor, exc, "/console/county/objections")
    return redirect("/console/county/objections?msg=concluded")
