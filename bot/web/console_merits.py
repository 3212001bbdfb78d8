"""加扣分、负面清单与问责 in the console: unit HR records an event for a person (item from the county's catalogue,
date, description, evidence file) and sees the list per person and quarter; the county office reviews pending
events when the policy requires approval; the evidence downloads for those who may see the person.

Parse → ``handlers.quarter.merits`` with the signed-in actor → render. The upload's size and type are checked by the handler
(policy ``[merits]``); the request body limit is raised for the one form that carries a file.
"""
from __future__ import annotations

from datetime import date

from flask import redirect, request

from handlers import audit
from handlers.quarter import merits
from handlers.errors import InvalidInput

from ..api.merits_views import evidence_response
from ..ext import services
from .console import bp, render, section, uow
from .console_county import county
from .console_unit import current_unit, page_unit, today
from .forms import int_arg
from .session import page

section("/console/unit/merits", "加扣分与问责", "unit")
section("/console/county/merits", "加扣分审核", "county")

RECORD_PATH = "/console/unit/merits"
FORM_OVERHEAD = 256 * 1024  # the form's other fields and multipart framing around the file


@bp.before_request
def _room_for_evidence():
    """The app refuses bodies over 1 MiB; the evidence form may carry a file up to the policy's limit."""
    if request.method == "POST" and request.path == RECORD_PATH:
        request.max_content_length = services().policy.merits.evidence_max_bytes + FORM_OVERHEAD


def _date(raw: str) -> date:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        raise InvalidInput("请填写事件日期（YYYY-MM-DD）", "bad_date") from None


def _filters() -> dict:
    quarter = int_arg("quarter")
    if quarter is not None and quarter not in (1, 2, 3, 4):
        raise InvalidInput("季度只能是 1 到 4", "bad_quarter")
    year = int_arg("year")
    return {"staff_no": (request.args.get("staff_no") or "").strip()[:32] or None,
            "year": year if year and 2000 <= year <= 2100 else None, "quarter": quarter if year else None}


def _unit_page(actor, error: str | None = None, status: int = 200, form: dict | None = None):
    s = services()
    with uow() as session:
        unit_id, unit, units = current_unit(session, actor)
        people = merits.unit_people(session, actor, unit_id, today())
        f = _filters()
        rows = merits.list_events(session, actor, s.policy, unit_id=unit_id, **f)
    return page_unit("console/unit/merits.html", actor, status, title=f"加扣分与问责 · {unit}", unit_id=unit_id,
                     unit=unit, units=units, people=people, rows=rows, f=f, catalogue=merits.catalogue(s.policy),
                     m=s.policy.merits, error=error, form=form or {}, max_mb=s.policy.merits.evidence_max_bytes
                     / 1024 / 1024)


@bp.get(RECORD_PATH)
@page
def unit_merits(actor):
    return _unit_page(actor)


@bp.post(RECORD_PATH)
@page
def unit_merit_record(actor):
    s = services()
    form = {k: (request.form.get(k) or "").strip() for k in ("staff_no", "item_code", "occurred_on", "description")}
    upload = request.files.get("evidence")
    evidence = None
    if upload is not None and upload.filename:
        evidence = merits.Upload(upload.filename, upload.read(s.policy.merits.evidence_max_bytes + 1))
    try:
        with uow() as session:
            unit_id, _, _ = current_unit(session, actor)
            merits.record(session, actor, s.policy, form["staff_no"], form["item_code"], _date(form["occurred_on"]),
                          form["description"], evidence, today())
    except InvalidInput as exc:  # the form again, with what was typed, and the reason
        return _unit_page(actor, exc.message, exc.status, form)
    return redirect(f"{RECORD_PATH}?unit={unit_id}&staff_no={form['staff_no']}&msg=merit")


@bp.post("/console/unit/merits/<int:event_id>/withdraw")
@page
def unit_merit_withdraw(actor, event_id: int):
    s = services()
    with uow() as session:
        unit_id, _, _ = current_unit(session, actor)
        merits.withdraw(session, actor, s.policy, event_id, request.form.get("reason", ""))
    return redirect(f"{RECORD_PATH}?unit={unit_id}&msg=merit_withdrawn")


@bp.get("/console/merits/<int:event_id>/evidence")
@page
def merit_evidence_file(actor, event_id: int):
    with uow() as session:
        name, content_type, data = merits.evidence_file(session, actor, event_id)
    return evidence_response(name, content_type, data)


@bp.get("/console/county/merits")
@county
def county_merits(actor):
    s = services()
    state = (request.args.get("state") or "pending").strip()[:16]
    with uow() as session:
        rows = merits.list_events(session, actor, s.policy, state=state or None,
                                  staff_no=(request.args.get("staff_no") or "").strip()[:32] or None)
        rows = audit.rows_with_names(session, rows, "recorded_by")
    done = {"approved": "已通过，该事项即日生效。", "rejected": "已不予通过。"}.get(request.args.get("msg", ""))
    return render("console/county/merits.html", actor, title="加扣分审核", rows=rows, state=state,
                  states=merits.STATE_LABELS, done=done, require_approval=s.policy.merits.require_approval)


@bp.post("/console/county/merits/<int:event_id>/review")
@county
def county_merit_review(actor, event_id: int):
    s = services()
    approve = request.form.get("decision") == "approve"
    with uow() as session:
        merits.review(session, actor, s.policy, event_id, approve, request.form.get("note", ""))
    return redirect(f"/console/county/merits?msg={'approved' if approve else 'rejected'}")
