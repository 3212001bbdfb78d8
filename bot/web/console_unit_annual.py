"""Unit HR: the year's annual grades (年度考核等次) — the roll-up's suggestion per person, recording the grade
(within what the rules allow), telling each person, and answering a 复核 of an annual grade."""
from __future__ import annotations

from datetime import date

from flask import request

from handlers.quarter import objections
from handlers.results import annual_results

from ..ext import services
from .console import bp, uow
from .console_unit import DONE, current_unit, int_arg, page_unit, today
from .forms import act
from .session import page

DONE.update({"annual_recorded": "年度考核等次已确定。", "annual_all": "已按建议确定未确定人员的年度考核等次。",
             "annual_told": "已告知本人年度考核等次。", "annual_answered": "复核决定已作出，已通知本人。"})


def _year() -> int:
    year = int_arg("year")
    if year is None:
        now = today()
        year = now.year if now.month == 12 else now.year - 1
    return year


@bp.get("/console/unit/annual")
@page
def unit_annual(actor, error: str | None = None, status: int = 200):
    s = services()
    year = _year()
    with uow() as session:
        unit_id, unit, units = current_unit(session, actor)
        sheet = annual_results.year_sheet(session, actor, s.policy, unit_id, year)
    return page_unit("console/unit/annual.html", actor, status, title=f"年度考核等次 · {unit} · {year}年",
                     unit_id=unit_id, unit=unit, units=units, year=year, sheet=sheet, error=error,
                     today=today().isoformat())


def _again(actor):
    return lambda exc: unit_annual.__wrapped__(actor, error=exc.message, status=exc.status)


@bp.post("/console/unit/annual/record")
@page
def unit_annual_record(actor):
    form, year = request.form, _year()
    unit_id = int_arg("unit")
    return act(lambda session: annual_results.record(session, actor, services().policy, unit_id, year,
                                                     form.get("staff_no", ""), form.get("grade", ""),
                                                     form.get("note", "")[:2000]),
               f"/console/unit/annual?unit={unit_id}&year={year}&msg=annual_recorded", _again(actor))


@bp.post("/console/unit/annual/record-suggested")
@page
def unit_annual_record_suggested(actor):
    year, unit_id = _year(), int_arg("unit")
    return act(lambda session: annual_results.record_suggested(session, actor, services().policy, unit_id, year),
               f"/console/unit/annual?unit={unit_id}&year={year}&msg=annual_all", _again(actor))


@bp.post("/console/unit/annual/feedback")
@page
def unit_annual_feedback(actor):
    year, unit_id = _year(), int_arg("unit")
    return act(lambda session: annual_results.feed_back(session, actor, services().policy, unit_id, year),
               f"/console/unit/annual?unit={unit_id}&year={year}&msg=annual_told", _again(actor))


@bp.post("/console/unit/annual/objections/<int:objection_id>/answer")
@page
def unit_annual_answer(actor, objection_id: int):
    """复核决定: 维持原等次 (with the reason) or 改变等次 (a grade the rules allow, the committee's meeting)."""
    form, year, unit_id = request.form, _year(), int_arg("unit")
    meeting_on = None
    if form.get("action") == "change" and form.get("meeting_on"):
        try:
            meeting_on = date.fromisoformat(form["meeting_on"])
        except ValueError:
            return unit_annual.__wrapped__(actor, error="会议日期格式应为 YYYY-MM-DD", status=422)
    return act(lambda session: objections.answer(
        session, actor, services().policy, objection_id, form.get("action", ""), form.get("reason", "")[:5000],
        new_grade=form.get("new_grade", "") if form.get("action") == "change" else "", meeting_on=meeting_on,
        attendees=form.get("attendees", "")[:2000]),
        f"/console/unit/annual?unit={unit_id}&year={year}&msg=annual_answered", _again(actor))
