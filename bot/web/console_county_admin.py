"""The county office's console: the annual uses of the results (roll-up, promotion / training / honours lists, talk
reminders, exports as background jobs), admin accounts (create, disable, reset TOTP) and the audit log."""
from __future__ import annotations

import io
from datetime import date
from urllib.parse import urlencode

from flask import Response, redirect, request

from handlers.county import audit_log, audit_words

from handlers.identity import admin_accounts

from handlers.results import annual_uses
from handlers.errors import DomainError, InvalidInput

from ..ext import services
from . import jobs, svg
from .console import bp, render, section, uow
from .console_county import Pager, county, ctx, fail, int_arg, period, text_arg, today

section("/console/county/annual", "结果运用", "county")
section("/console/county/accounts", "账号与日志", "county")

LISTS = {"promotion": "选拔任用参考名单", "training": "培训参考名单", "honours": "具备评优条件人员"}


# ---- annual ---------------------------------------------------------------------------------------------------

#: The outlook statuses (``models.rules.outlook``) as the filter names them.
OUTLOOK = {"priority": "优先确定优秀", "eligible": "具备评优秀资格", "reachable": "仍可达到评优秀资格",
           "unreachable": "已无法评优秀", "blocked": "有一般/较差", "capped": "等次受限", "forced": "直接确定等次",
           "no_grades": "尚无等次"}


@bp.get("/console/county/annual")
@county
def annual(actor):
    """One page of the roll-up. Its charts count everyone in scope, which at a province's size is the costly part,
    so they come as an image of their own (``annual_chart``) and the list does not wait for them."""
    s = services()
    year, _ = period(need_quarter=False)
    unit = text_arg("unit") or None
    status = text_arg("status", 16) or None
    pager = Pager()
    with uow() as session:
        found = annual_uses.year_page(session, actor, s.policy, year, unit_name=unit, status=status,
                                      offset=pager.offset, limit=pager.limit, today=today())
    pager.done(found.total)
    chart_url = "/console/county/annual/chart.svg?" + urlencode({k: v for k, v in (("year", year), ("unit", unit))
                                                                 if v})
    return render("console/county/annual.html", actor, **ctx(
        actor, title=f"{year}年度考核汇总", year=year, unit=unit or "", status=status or "",
        rows=[r.as_dict() for r in found.rows], pager=pager, chart_url=chart_url, outlook=OUTLOOK, lists=LISTS))


@bp.get("/console/county/annual/chart.svg")
@county
def annual_chart(actor):
    """The roll-up's charts for everyone in scope: the highest grade the rules allow, and the outlook."""
    s = services()
    year, _ = period(need_quarter=False)
    unit = text_arg("unit") or None
    with uow() as session:
        found = annual_uses.year_page(session, actor, s.policy, year, unit_name=unit, limit=0, summary=True,
                                      today=today())
    people = found.people or None
    drawing = svg.stack([
        svg.bars([(g, found.by_max.get(g, 0)) for g in s.policy.annual.annual_grades],
                 label=f"{year}年度按规则可评的最高等次（人）", total=people),
        svg.bars([(OUTLOOK.get(k, k), n) for k, n in sorted(found.by_status.items())],
                 label=f"{year}年度年内展望（人）", total=people, label_chars=9),
    ], label=f"{year}年度考核汇总图表")
    return Response(str(drawing), mimetype="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=60"})


@bp.get("/console/county/annual/lists/<kind>")
@county
def annual_list(actor, kind: str):
    s = services()
    if kind not in LISTS:
        raise InvalidInput("名单类型无效", "bad_kind")
    year, _ = period(need_quarter=False)
    unit = text_arg("unit") or None
    tier = text_arg("tier", 50) or None
    min_good = int_arg("min_good", None, lo=0, hi=4)
    with uow() as session:
        if kind == "honours":
            rows = annual_uses.honours(session, actor, s.policy, year, unit_name=unit, today=today())
        else:
            rows = annual_uses.candidates(session, actor, s.policy, year, kind=kind, unit_name=unit, tier=tier,
                                          min_good=min_good, today=today())
    pager = Pager()
    return render("console/county/annual_list.html", actor, **ctx(
        actor, title=f"{year}年度{LISTS[kind]}", kind=kind, year=year, unit=unit or "", tier=tier or "",
        min_good="" if min_good is None else min_good, rows=pager.slice(rows), pager=pager, lists=LISTS))


@bp.get("/console/county/talks")
@county
def talks(actor):
    s = services()
    year, quarter = period()
    unit = text_arg("unit") or None
    held = request.args.get("held", "")
    with uow() as session:
        rows = annual_uses.talk_reminders(session, actor, s.policy, year, quarter, unit_name=unit)
    if held in ("0", "1"):
        rows = [r for r in rows if r["held"] == (held == "1")]
    pager = Pager()
    return render("console/county/talks.html", actor, **ctx(
        actor, title="谈话提醒", year=year, quarter=quarter, unit=unit or "", held=held, rows=pager.slice(rows),
        pager=pager, today=today().isoformat(), lists=LISTS))


@bp.post("/console/county/talks")
@county
def talk_record(actor):
    s = services()
    f = request.form
    year, quarter = int_arg("year", None, lo=2000, hi=2100, source=f), int_arg("quarter", None, lo=1, hi=4, source=f)
    back = f"/console/county/talks?year={year or ''}&quarter={quarter or ''}"
    try:
        try:
            held_on = date.fromisoformat(text_arg("held_on", 10, f))
        except ValueError:
            raise InvalidInput("请填写谈话日期（YYYY-MM-DD）", "bad_date") from None
        with uow() as session:
            annual_uses.record_talk(session, actor, s.policy, text_arg("staff_no", 32, f), year, quarter,
                                    held_on=held_on, note=(f.get("note") or "")[:2000],
                                    held_by_staff_no=text_arg("held_by", 32, f) or None)
    except DomainError as exc:
        return fail(actor, exc, back)
    return redirect(f"{back}&msg=talk")


EXPORTS = {"annual": "年度汇总", "promotion": "选拔任用参考名单", "training": "培训参考名单",
           "honours": "评优条件名单", "talks": "谈话提醒名单"}


@bp.post("/console/county/annual/export")
@county
def annual_export(actor):
    """A county-wide list can be a province's people: built in a background job the page polls."""
    s = services()
    f = request.form
    what = f.get("what", "")
    if what not in EXPORTS:
        raise InvalidInput("导出类型无效", "bad_kind")
    year = int_arg("year", None, lo=2000, hi=2100, source=f)
    quarter = int_arg("quarter", None, lo=1, hi=4, source=f)
    unit = text_arg("unit", 100, f) or None
    day = today()

    def work(progress):
        progress(5, "正在汇总……")
        out = io.BytesIO()
        with s.db.session() as session:
            if what == "annual":
                name = annual_uses.export_annual(session, actor, s.policy, year, out, unit_name=unit, today=day)
            elif what in ("promotion", "training"):
                name = annual_uses.export_candidates(session, actor, s.policy, year, out, unit_name=unit, kind=what,
                                                     today=day)
            elif what == "honours":
                name = annual_uses.export_honours(session, actor, s.policy, year, out, unit_name=unit, today=day)
            else:
                name = annual_uses.export_talks(session, actor, s.policy, year, quarter or 1, out, unit_name=unit)
        progress(95, "正在生成文件……")
        return name, out.getvalue()

    job_id = jobs.start(s.store, actor, f"导出{EXPORTS[what]}", work)
    return render("console/job.html", actor, title=f"导出{EXPORTS[what]}", job_id=job_id,
                  job_title=f"{year}年{EXPORTS[what]}{('（' + unit + '）') if unit else ''}",
                  back=request.referrer if (request.referrer or "").startswith(request.host_url) else None)


# ---- accounts and the audit log ----------------------------------------------------------------------------------

@bp.get("/console/county/accounts")
@county
def accounts(actor):
    q = text_arg("q", 64)
    pager = Pager()
    with uow() as session:
        rows, total = admin_accounts.list_accounts(session, actor, offset=pager.offset, limit=pager.limit,
                                                   query=q or None)
    pager.done(total)
    return render("console/county/accounts.html", actor, **ctx(actor, title="管理员账号", rows=rows, pager=pager, q=q,
                                                                 min_password=admin_accounts.MIN_PASSWORD))


@bp.post("/console/county/accounts")
@county
def account_create(actor):
    f = request.form
    username = text_arg("username", 64, f)
    try:
        with uow() as session:
            _, secret = admin_accounts.create_account(session, actor, username, text_arg("staff_no", 32, f),
                                                      (f.get("password") or "")[:256], f.get("totp") == "1")
    except DomainError as exc:
        return fail(actor, exc, "/console/county/accounts")
    return _secret_page(actor, username, secret, created=True)


def _secret_page(actor, username: str, secret: str | None, created: bool):
    """The TOTP secret is shown here once (and never stored anywhere the console can show it again)."""
    return render("console/county/secret.html", actor, title="账号已创建" if created else "动态验证码已重置",
                  username=username, secret=secret,
                  uri=admin_accounts.totp_uri(secret, username) if secret else None)


@bp.post("/console/county/accounts/<username>/disable")
@county
def account_disable(actor, username: str):
    try:
        with uow() as session:
            admin_accounts.disable_account(session, services().store, actor, username[:64])
    except DomainError as exc:
        return fail(actor, exc, "/console/county/accounts")
    return redirect("/console/county/accounts?msg=disabled")


@bp.post("/console/county/accounts/<username>/totp")
@county
def account_reset_totp(actor, username: str):
    try:
        with uow() as session:
            secret = admin_accounts.reset_totp(session, services().store, actor, username[:64])
    except DomainError as exc:
        return fail(actor, exc, "/console/county/accounts")
    return _secret_page(actor, username, secret, created=False)


@bp.get("/console/county/audit")
@county
def audit_page(actor):
    s = services()
    person, unit, action = text_arg("person", 50), text_arg("unit"), text_arg("action", 64)
    pager = Pager()
    with uow() as session:
        rows, total = audit_log.search(session, actor, s.policy, person=person or None, unit=unit or None,
                                       action=action or None, offset=pager.offset, limit=pager.limit)
    pager.done(total)
    groups = audit_words.action_groups()
    known = action in audit_words.AREAS or action in audit_words.ACTIONS
    return render("console/county/audit.html", actor, **ctx(actor, title="操作日志", rows=rows, pager=pager,
                                                              person=person, unit=unit, action=action,
                                                              action_groups=groups, other_action=not known and action))
