"""Unit HR: the roster (upload → validation report → import → 人员异动; export) and WeChat bind codes.

An upload is checked first and nothing is written until the officer presses 导入; the checked file waits in the
process's temporary directory under a random token bound to the officer (the store remembers whose it is), like the
background jobs' result files — so several web hosts need a shared temporary directory or sticky sessions.
A roster of more than :data:`INLINE_ROWS` rows is checked and imported as background jobs with progress.
"""
from __future__ import annotations

import io
import json
import os
import secrets
import tempfile

from flask import request, send_file

from handlers.identity import binding, unit_desk, unit_roster
from handlers.errors import InvalidInput, NotFound
from handlers.identity.roster import read_workbook

from ..ext import services
from . import jobs
from .console import bp, render, uow
from .console_unit import current_unit, page_unit, table, today
from .session import page

INLINE_ROWS = 300
MAX_UPLOAD = 10 * 1024 * 1024
UPLOAD_TTL = 3600
_DIR = os.path.join(tempfile.gettempdir(), "kaohe-uploads")
ROSTER_COLUMNS = ("staff_no", "name", "tier", "section", "post", "rank", "leader", "supervisor", "status", "bound",
                  "since")


@bp.get("/console/unit/roster")
@page
def unit_roster_page(actor):
    with uow() as session:
        unit_id, unit, units = current_unit(session, actor)
        rows = unit_desk.roster(session, actor, unit_id)
    return page_unit("console/unit/roster.html", actor, title=f"花名册 · {unit}", unit_id=unit_id, unit=unit,
                     units=units, t=table(rows, ROSTER_COLUMNS, "staff_no", unit=unit_id))


@bp.get("/console/unit/roster/export")
@page
def unit_roster_export(actor):
    with uow() as session:
        unit_id, _, _ = current_unit(session, actor)
        name, data = unit_roster.export_unit_roster(session, actor, unit_id)
    return send_file(io.BytesIO(data), as_attachment=True, download_name=name,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _path(token: str) -> str:
    return os.path.join(_DIR, f"{token}.xlsx")  # openpyxl goes by the file's extension


def _save_upload(actor, unit_id: int, kind: str = "roster", what: str = "花名册") -> str:
    """Keep an uploaded xlsx until the officer presses 导入 (checked first, nothing written before): the file in the
    temporary directory, its owner and unit in the store under a random token. Shared by the roster and the leave
    sheet (``kind`` keeps one upload from being imported as the other)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput(f"请选择要上传的{what}（.xlsx）", "file_required")
    data = upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise InvalidInput("文件超过 10 MB，请拆分后分批上传", "file_too_large")
    token = secrets.token_urlsafe(16)
    os.makedirs(_DIR, exist_ok=True)
    with open(_path(token), "wb") as out:
        out.write(data)
    services().store.set(f"upload:{kind}:{token}", json.dumps({"owner": actor.ref, "unit_id": unit_id}),
                         ttl=UPLOAD_TTL)
    return token


def _open_upload(actor, token: str, kind: str = "roster", what: str = "花名册") -> tuple[str, int]:
    raw = services().store.get(f"upload:{kind}:{token}") if token and len(token) <= 32 else None
    value = json.loads(raw) if raw else None
    path = _path(token) if value else ""
    if value is None or value["owner"] != actor.ref or not os.path.exists(path):
        raise NotFound(f"找不到已上传的{what}或已过期，请重新上传")
    return path, value["unit_id"]


def _discard(token: str, store=None, kind: str = "roster") -> None:
    (store or services().store).delete(f"upload:{kind}:{token}")
    if os.path.exists(_path(token)):
        os.remove(_path(token))


def _stepper(progress, total: int, verb: str):
    """``apply_rows`` reports rows done in steps; the job shows a percentage."""
    done = [0]

    def step(n: int) -> None:
        done[0] += n
        progress(done[0] * 100 // max(1, total), f"已{verb} {done[0]} / {total} 行")

    return step


def _check_result(check, token: str, unit_id: int, large: bool) -> dict:
    """The report as plain data (a background check keeps it in the job's state)."""
    return {"unit": check.unit, "unit_id": unit_id, "total": check.total, "bad_rows": check.bad_rows,
            "errors": [[e.row, e.column, e.message] for e in check.errors],
            "lines": check.preview.lines() if check.preview else [], "changes": [c.as_row() for c in check.changes],
            "token": None if check.errors else token, "large": large}


def _show_check(actor, r: dict):
    return render("console/unit/roster_check.html", actor, 422 if r["errors"] else 200,
                  title=f"花名册检查 · {r['unit']}", r=r,
                  error=f"有 {r['bad_rows']} 行错误，未导入任何数据。请修改后重新上传。" if r["errors"] else None)


@bp.post("/console/unit/roster/check")
@page
def unit_roster_check(actor):
    """Validate and preview; nothing is written. A large file is checked in the background."""
    s = services()
    with uow() as session:
        unit_id, unit, _ = current_unit(session, actor)
    token = _save_upload(actor, unit_id)
    try:
        raw = read_workbook(_path(token))
    except Exception:
        _discard(token)
        raise
    large, on = len(raw) > INLINE_ROWS, today()

    def check(progress=None) -> dict:
        try:
            with s.db.session() as session:
                report = unit_roster.check_unit_roster(session, actor, s.policy, unit_id, raw, today=on,
                                                       progress=progress)
        except Exception:
            _discard(token, s.store)
            raise
        if report.errors:  # nothing can be imported from this file: keep nothing of it
            _discard(token, s.store)
        return _check_result(report, token, unit_id, large)

    if not large:
        return _show_check(actor, check())
    job_id = jobs.start(s.store, actor, "检查花名册", lambda progress: check(_stepper(progress, len(raw), "检查")))
    return render("console/unit/roster_job.html", actor, title="正在检查花名册", job_id=job_id,
                  job_title=f"检查花名册（{len(raw)} 行）", after=f"/console/unit/roster/checked/{job_id}",
                  after_label="查看检查结果", back=f"/console/unit/roster?unit={unit_id}")


@bp.get("/console/unit/roster/checked/<job_id>")
@page
def unit_roster_checked(actor, job_id: str):
    state = jobs.state(services().store, job_id, actor)
    if state.get("state") != "done":
        raise NotFound(state.get("message") or "检查尚未完成")
    return _show_check(actor, state["result"])


def _result(check) -> dict:
    return {"unit": check.unit, "lines": check.preview.lines() if check.preview else [],
            "changes": [c.as_row() for c in check.changes]}


@bp.post("/console/unit/roster/import")
@page
def unit_roster_import(actor):
    token = request.form.get("token", "")
    path, unit_id = _open_upload(actor, token)
    raw = read_workbook(path)
    s = services()
    if len(raw) <= INLINE_ROWS:
        with uow() as session:
            check = unit_roster.import_unit_roster(session, actor, s.policy, unit_id, raw, today=today())
        _discard(token)
        return page_unit("console/unit/roster_done.html", actor, title="花名册已导入", r=_result(check),
                         unit_id=unit_id)
    on = today()

    def work(progress):
        try:
            with s.db.session() as session:
                check = unit_roster.import_unit_roster(session, actor, s.policy, unit_id, raw, today=on,
                                                       progress=_stepper(progress, len(raw), "导入"))
        finally:
            _discard(token, s.store)
        return _result(check)

    job_id = jobs.start(s.store, actor, "导入花名册", work)
    return render("console/unit/roster_job.html", actor, title="正在导入花名册", job_id=job_id,
                  job_title=f"导入花名册（{len(raw)} 行）", after=f"/console/unit/roster/imported/{job_id}",
                  after_label="查看导入结果", back=f"/console/unit/roster?unit={unit_id}")


@bp.get("/console/unit/roster/imported/<job_id>")
@page
def unit_roster_imported(actor, job_id: str):
    state = jobs.state(services().store, job_id, actor)
    if state.get("state") != "done":
        raise NotFound(state.get("message") or "导入尚未完成")
    return page_unit("console/unit/roster_done.html", actor, title="花名册已导入", r=state["result"], unit_id=None)


# -- bind codes ----------------------------------------------------------------------------------------------------
@bp.get("/console/unit/bind-codes")
@page
def unit_bind_codes(actor):
    with uow() as session:
        unit_id, unit, units = current_unit(session, actor)
        rows = unit_desk.unbound_people(session, actor, unit_id)
    return page_unit("console/unit/bind_codes.html", actor, title=f"微信绑定码 · {unit}", unit_id=unit_id, unit=unit,
                     units=units, t=table(rows, ("staff_no", "name", "tier", "section", "post"), "staff_no",
                                          unit=unit_id))


@bp.post("/console/unit/bind-codes")
@page
def unit_bind_codes_issue(actor):
    staff_nos = [x.strip() for x in request.form.getlist("staff_no") if x.strip()][:500]
    if not staff_nos:
        raise InvalidInput("请至少勾选一名人员", "nobody_selected")
    s = services()
    with uow() as session:
        unit_id, unit, _ = current_unit(session, actor)
        issued = [binding.issue_bind_code(session, actor, n[:32], s.policy) for n in staff_nos]
    return render("console/unit/bind_sheet.html", actor, title=f"微信绑定码 · {unit}", unit=unit, unit_id=unit_id,
                  issued=issued, hours=s.policy.binding.code_ttl_hours)
