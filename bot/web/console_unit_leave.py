"""Unit HR: leave days per person and quarter (upload → validation report → import; or one entry at a time) and
secondments (借调). Parse → ``handlers.identity.leave`` / ``handlers.identity.secondments`` → render; the upload waits like the
roster's (``console_unit_roster``): checked first, nothing written until the officer presses 导入."""
from __future__ import annotations

import json
import os
import secrets

from flask import request

from handlers.identity import leave, secondments
from handlers.errors import InvalidInput, NotFound
from handlers.identity.roster import read_workbook
from models.rules.calendar import quarter_of

from ..ext import services
from .console import bp, render, section, uow
from .console_unit import current_unit, int_arg, page_unit, today
from .console_unit_roster import _DIR, MAX_UPLOAD, UPLOAD_TTL, _path
from .session import page

section("/console/unit/leave", "请假与借调", "unit")


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
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput("请选择要上传的请假表（.xlsx）", "file_required")
    data = upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise InvalidInput("文件超过 10 MB，请拆分后分批上传", "file_too_large")
    token = secrets.token_urlsafe(16)
    os.makedirs(_DIR, exist_ok=True)
    with open(_path(token), "wb") as out:
        out.write(data)
    try:
        raw = read_workbook(_path(token), leave.COLUMNS)
        with s.db.session() as session:
            report = leave.check_import(session, actor, s.policy, unit_id, raw)
    except Exception:
        os.remove(_path(token))
        raise
    if report.errors:
        os.remove(_path(token))
        token = None
    else:
        s.store.set(f"leave-upload:{token}", json.dumps({"owner": actor.ref, "unit_id": unit_id}),
                    ttl=UPLOAD_TTL)
    return render("console/unit/leave_check.html", actor, 422 if report.errors else 200,
                  title=f"请假表检查 · {unit}", r=report, unit_id=unit_id, token=token,
                  error=f"有 {report.bad_rows} 行错误，未导入任何数据。请修改后重新上传。" if report.errors else None)


@bp.post("/console/unit/leave/import")
@page
def unit_leave_import(actor):
    s = services()
    token = request.form.get("token", "")
    raw_value = s.store.get(f"leave-upload:{token}") if token and len(token) <= 32 else None
    value = json.loads(raw_value) if raw_value else None
    if value is None or value["owner"] != actor.ref or not os.path.exists(_path(token)):
        raise NotFound("找不到已上传的请假表或已过期，请重新上传")
    raw = read_workbook(_path(token), leave.COLUMNS)
    with uow() as session:
        report = leave.import_rows(session, actor, s.policy, value["unit_id"], raw)
    s.store.delete(f"leave-upload:{token}")
    os.remove(_path(token))
    return render("console/unit/leave_done.html", actor, title="请假表已导入", r=report, unit_id=value["unit_id"])


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
