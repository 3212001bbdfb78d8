"""Unit HR: leave days per person and quarter (upload → validation report → import; or one entry at a time) and
secondments (借调). Parse → ``handlers.identity.leave`` / ``handlers.identity.secondments`` → render; the upload waits like the
roster's (``console_unit_roster``): checked first, nothing written until the officer presses 导入."""
from __future__ import annotations


from flask import request

from handlers.identity import leave, secondments
from handlers.errors import InvalidInput
from handlers.identity.roster import read_workbook
from models.rules.calendar import quarter_of

from ..ext import services
from .console import bp, render, section, uow
from .console_unit import current_unit, int_arg, page_unit, today
from .console_unit_roster import _discard, _open_upload, _path, _save_upload
from .session import page

section("/console/unit/leave", "请假与借调", "unit")
KIND, WHAT = "leave", "请假表"  # the upload's kind and name (console_unit_roster's upload helpers)


def _quarter() -> tuple[int, int]:
    year, quarter = quarter_of(today())
    year = int_arg("year", default=year)
    quarter = int_arg("quarter", default=quarter)
    if not 2000 <= year <= 2100 or not 1 <= quarter <= 4:
        raise InvalidInput("年度应为 2000–2100，季度应为 1–4", "bad_quarter")
    return year, quarter


def _page(actor, report=None, status: int = 200):
    year, quarter = _quarter()
    with uow() as session:
        unit_id, unit, units = current_unit(session, actor)
        rows = leave.unit_leave(session, actor, unit_id, year, quarter)
        seconded = secondments.unit_secondments(session, actor, unit_id)
    return page_unit("console/unit/leave.html", actor, status, title=f"请假与借调 · {unit}", unit_id=unit_id,
                     unit=unit, units=units, year=year, quarter=quarter, rows=rows, seconded=seconded, report=report,
                     today=today().isoformat(),
                     wecom=bool(services().settings.wecom_corp_id and services().settings.wecom_checkin_secret))


@bp.get("/console/unit/leave")
@page
def unit_leave_page(actor):
    return _page(actor)


@bp.post("/console/unit/leave")
@page
def unit_leave_record(actor):
    s = services()
    year, quarter = _quarter()
    entry = leave.LeaveEntry(request.form.get("staff_no", "").strip()[:64], year, quarter,
                             request.form.get("days", "")[:20], request.form.get("note", "").strip()[:300])
    with uow() as session:
        unit_id, _, _ = current_unit(session, actor)
        report = leave.record(session, actor, s.policy, unit_id, [entry], source="console")
    return _page(actor, report.lines())


@bp.post("/console/unit/leave/check")
@page
def unit_leave_check(actor):
    s = services()
    with uow() as session:
        unit_id, unit, _ = current_unit(session, actor)
    token = _save_upload(actor, unit_id, KIND, WHAT)
    try:
        raw = read_workbook(_path(token), leave.COLUMNS)
        with s.db.session() as session:
            report = leave.check_import(session, actor, s.policy, unit_id, raw)
    except Exception:
        _discard(token, kind=KIND)
        raise
    if report.errors:
        _discard(token, kind=KIND)
        token = None
    return render("console/unit/leave_check.html", actor, 422 if report.errors else 200,
                  title=f"请假表检查 · {unit}", r=report, unit_id=unit_id, token=token,
                  error=f"有 {report.bad_rows} 行错误，未导入任何数据。请修改后重新上传。" if report.errors else None)


@bp.post("/console/unit/leave/import")
@page
def unit_leave_import(actor):
    s = services()
    token = request.form.get("token", "")
    path, unit_id = _open_upload(actor, token, KIND, WHAT)
    raw = read_workbook(path, leave.COLUMNS)
    with uow() as session:
        report = leave.import_rows(session, actor, s.policy, unit_id, raw)
    _discard(token, kind=KIND)
    return render("console/unit/leave_done.html", actor, title="请假表已导入", r=report, unit_id=unit_id)


@bp.post("/console/unit/secondments")
@page
def unit_secondment_record(actor):
    f = request.form
    with uow() as session:
        current_unit(session, actor)
        _, notes = secondments.record(
            session, actor, services().policy, staff_no=f.get("staff_no", "")[:64],
            host_unit=f.get("host_unit", "")[:100], start_on=f.get("start_on", "")[:20],
            end_on=f.get("end_on", "")[:20], tier=f.get("tier", "")[:50], note=f.get("note", "")[:300])
    return _page(actor, ["借调已登记。", *notes])


@bp.post("/console/unit/secondments/<int:secondment_id>/edit")
@page
def unit_secondment_edit(actor, secondment_id: int):
    """Dates, host unit, tier or note of a secondment from or to the unit, with the reason (audited; the other unit
    is told). A change that would move a quarter already decided is refused with the handler's message."""
    f = request.form
    with uow() as session:
        current_unit(session, actor)
        _, notes = secondments.edit(
            session, actor, services().policy, secondment_id, reason=f.get("reason", "")[:300],
            host_unit=f.get("host_unit", "")[:100], start_on=f.get("start_on", "")[:20],
            end_on=f.get("end_on", "")[:20], tier=f.get("tier", "")[:50], note=f.get("note", "")[:300])
    return _page(actor, ["借调已修改。", *notes])


@bp.post("/console/unit/secondments/<int:secondment_id>/end")
@page
def unit_secondment_end(actor, secondment_id: int):
    """End a secondment early (the day given, or today) with the reason."""
    f = request.form
    with uow() as session:
        current_unit(session, actor)
        row, notes = secondments.end(session, actor, services().policy, secondment_id,
                                     reason=f.get("reason", "")[:300], end_on=f.get("end_on", "")[:20],
                                     today=today())
    return _page(actor, [f"借调已提前结束（{row.end_on.isoformat()}）。", *notes])



@bp.post("/console/unit/leave/wecom")
@page
def unit_leave_wecom(actor):
    """Leave days from WeCom attendance for the chosen quarter (only where the county uses WeCom)."""
    from ..channels.wecom_checkin import fetcher

    s = services()
    year, quarter = _quarter()
    fetch = fetcher(s.settings)
    with uow() as session:
        unit_id, _, _ = current_unit(session, actor)
        report = leave.pull_from_wecom(session, actor, s.policy, unit_id, year, quarter, fetch)
    return _page(actor, ["已从企业微信考勤获取请假天数。", *report.lines()])
