"""Unit HR: the quarter — open it, its deadlines (Beijing time), advance it, scorers; the indicator template
(40 + 60 points checked while editing, by the handler); the committee's decision, publication and the results
filing with the county's return reason.
"""
from __future__ import annotations

from datetime import date

from flask import jsonify, redirect, request

from handlers.identity import unit_desk

from handlers.quarter import cycle_steps, decisions, feedback, indicators, objections, progress, publishing
from handlers.errors import DomainError, InvalidInput
from handlers.quarter.indicators import SpecificInput

from ..ext import services
from .console import bp, uow
from .console_unit import current_unit, int_arg, page_unit, table, today
from .forms import act
from .session import page

PEOPLE_COLUMNS = ("staff_no", "name", "tier", "post", "summary", "state", "supervisor", "total", "grade")
ADVANCE_LABELS = {"start_scoring": "进入领导评鉴", "start_deciding": "进入党委(党组)审定"}
NEXT_ACTION = {"open": "start_scoring", "scoring": "start_deciding"}


@bp.get("/console/unit/cycles")
@page
def unit_cycles(actor):
    with uow() as session:
        unit_id, unit, units = current_unit(session, actor)
        cycles = unit_desk.unit_cycles(session, actor, services().policy, unit_id)
    now = today()
    return page_unit("console/unit/cycles.html", actor, title=f"季度考核 · {unit}", unit_id=unit_id, unit=unit,
                     units=units, cycles=cycles, year=now.year, quarter=(now.month - 1) // 3 + 1)


@bp.post("/console/unit/cycles/open")
@page
def unit_cycle_open(actor):
    year, quarter = int_arg("year"), int_arg("quarter")
    if year is None or not 2000 <= year <= 2100 or quarter not in (1, 2, 3, 4):
        raise InvalidInput("请选择年度和季度（1–4）", "bad_period")
    with uow() as session:
        unit_id, _, _ = current_unit(session, actor)
        opened = cycle_steps.open_for_unit(session, actor, services().policy, unit_id, year, quarter, today())
        cycle_id = (opened[0] if isinstance(opened, tuple) else opened).id  # (cycle, notes) once the guards merge
    return redirect(f"/console/unit/cycles/{cycle_id}?msg=opened")


def _cycle_page(actor, cycle_id: int, error: str | None = None, status: int = 200):
    s = services()
    with uow() as session:
        cycle, unit_id, unit = unit_desk.cycle_for_unit_admin(session, actor, s.policy, cycle_id)
        people = unit_desk.cycle_people(session, actor, cycle_id)
        prog = progress.unit_progress(session, actor, s.policy, unit_id, cycle_id)
        filing = unit_desk.results_filing(session, actor, s.policy, cycle_id)
    action = NEXT_ACTION.get(cycle.state)
    return page_unit("console/unit/cycle.html", actor, status, title=f"{unit} · {cycle.label}", c=cycle,
                     unit_id=unit_id, unit=unit, p=prog, totals=prog.totals(), filing=filing, error=error,
                     action=action, action_label=ADVANCE_LABELS.get(action or ""),
                     t=table(people, PEOPLE_COLUMNS, "staff_no"))


@bp.get("/console/unit/cycles/<int:cycle_id>")
@page
def unit_cycle(actor, cycle_id: int):
    return _cycle_page(actor, cycle_id)


@bp.post("/console/unit/cycles/<int:cycle_id>/advance")
@page
def unit_cycle_advance(actor, cycle_id: int):
    action = request.form.get("action", "")
    reason = request.form.get("reason", "")[:1000]
    return act(lambda session: cycle_steps.advance(session, actor, services().policy, cycle_id, action, reason=reason),
               f"/console/unit/cycles/{cycle_id}?msg=advanced", lambda exc: _cycle_again(actor, cycle_id, exc))


@bp.post("/console/unit/cycles/<int:cycle_id>/supervisor")
@page
def unit_cycle_supervisor(actor, cycle_id: int):
    evaluation_id = int_arg("evaluation_id") or 0
    staff_no = request.form.get("supervisor", "").strip()[:32]
    return act(lambda session: unit_desk.assign_in_cycle(session, actor, services().policy, cycle_id, evaluation_id,
                                                         staff_no),
               f"/console/unit/cycles/{cycle_id}?msg=assigned", lambda exc: _cycle_again(actor, cycle_id, exc))


def _cycle_again(actor, cycle_id: int, exc):
    return _cycle_page(actor, cycle_id, error=exc.message, status=exc.status)


# -- indicators ----------------------------------------------------------------------------------------------------
@bp.get("/console/unit/cycles/<int:cycle_id>/indicators")
@page
def unit_indicators(actor, cycle_id: int, error: str | None = None, status: int = 200, edited: dict | None = None):
    s = services()
    with uow() as session:
        cycle, unit_id, unit = unit_desk.cycle_for_unit_admin(session, actor, s.policy, cycle_id)
        by_post = indicators.list_templates(session, actor, cycle_id)
    sets = []
    for post, items in by_post.items():
        common = [i for i in items if i.kind == "common"]
        specific = [{"dimension": i.dimension, "name": i.name, "points": f"{i.points:g}"}
                    for i in items if i.kind != "common"]
        own = post == "" or any(i.post == post for i in items if i.kind != "common")
        if edited and edited["post"] == post:
            specific = edited["items"]
        sets.append({"post": post, "common": common, "specific": specific, "own": own,
                     "blank": max(0, s.policy.template.specific_count + 2 - len(specific))})
    return page_unit("console/unit/indicators.html", actor, status, title=f"考核指标 · {unit} {cycle.label}", c=cycle,
                     unit_id=unit_id, sets=sets, editable=cycle.state in indicators.EDITABLE_STATES, error=error,
                     dimensions=("德", "能", "勤", "绩", "廉"))


def _items_from_form() -> tuple[list[dict], list[SpecificInput]]:
    dims, names, points = (request.form.getlist(k) for k in ("dimension", "name", "points"))
    if not len(dims) == len(names) == len(points) or len(names) > 50:
        raise InvalidInput("表单内容不完整，请刷新页面后重试", "bad_form")
    return _items(list(zip(dims, names, points)))


def _items(triples) -> tuple[list[dict], list[SpecificInput]]:
    raw, items = [], []
    for dim, name, pts in triples:
        name, pts = str(name).strip()[:200], str(pts).strip()[:20]
        if not name and not pts:
            continue
        raw.append({"dimension": dim, "name": name, "points": pts})
        try:
            value = float(pts)
        except ValueError:
            raise InvalidInput(f"指标“{name or '（未命名）'}”的分值应为数字", "bad_points") from None
        items.append(SpecificInput(str(dim)[:4], name, value))
    return raw, items


@bp.post("/console/unit/cycles/<int:cycle_id>/indicators")
@page
def unit_indicators_save(actor, cycle_id: int):
    post = request.form.get("post", "")[:120]
    raw: list[dict] = []
    try:
        raw, items = _items_from_form()
        with uow() as session:
            indicators.set_post_specific(session, actor, services().policy, cycle_id, post, items)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return unit_indicators.__wrapped__(actor, cycle_id, error=f"{post or '单位默认'}：{exc.message}",
                                           status=exc.status, edited={"post": post, "items": raw})
    return redirect(f"/console/unit/cycles/{cycle_id}/indicators?msg=indicators")


@bp.post("/console/unit/cycles/<int:cycle_id>/indicators/reset")
@page
def unit_indicators_reset(actor, cycle_id: int):
    with uow() as session:
        indicators.reset_post(session, actor, cycle_id, request.form.get("post", "")[:120])
    return redirect(f"/console/unit/cycles/{cycle_id}/indicators?msg=reset")


@bp.post("/console/api/unit/cycles/<int:cycle_id>/indicators/check")
@page
def unit_indicators_check(actor, cycle_id: int):
    """Called while editing: the handler's own rule and message, nothing is saved."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("items"), list) or len(body["items"]) > 50 \
            or not all(isinstance(i, dict) for i in body["items"]):
        raise InvalidInput("请求内容不正确：items 应为指标数组", "invalid_body")
    _, items = _items((i.get("dimension", ""), i.get("name", ""), i.get("points", "")) for i in body["items"])
    with uow() as session:
        message = indicators.check_post_specific(session, actor, services().policy, cycle_id,
                                                 str(body.get("post", ""))[:120], items)
    return jsonify({"ok": True, "message": message})


# -- the committee: 审定等次, publication, the results filing ---------------------------------------------------------
@bp.get("/console/unit/cycles/<int:cycle_id>/decide")
@page
def unit_decide(actor, cycle_id: int, error: str | None = None, status: int = 200, chosen: dict | None = None):
    s = services()
    with uow() as session:
        cycle, unit_id, unit = unit_desk.cycle_for_unit_admin(session, actor, s.policy, cycle_id)
        o = decisions.overview(session, actor, s.policy, cycle_id)
        filing = unit_desk.results_filing(session, actor, s.policy, cycle_id)
    return page_unit("console/unit/decide.html", actor, status, title=f"审定等次 · {unit} {cycle.label}", c=cycle,
                     o=o, unit_id=unit_id, filing=filing, error=error, chosen=chosen or {},
                     today=today().isoformat())


@bp.post("/console/unit/cycles/<int:cycle_id>/meeting")
@page
def unit_decide_meeting(actor, cycle_id: int):
    try:
        meeting_on = date.fromisoformat(request.form.get("meeting_on", ""))
    except ValueError:
        return unit_decide.__wrapped__(actor, cycle_id, error="会议日期格式应为 YYYY-MM-DD", status=422)
    attendees, note = request.form.get("attendees", "")[:500], request.form.get("note", "")[:2000]
    return act(lambda session: decisions.record_meeting(session, actor, cycle_id, meeting_on, attendees, note, today()),
               f"/console/unit/cycles/{cycle_id}/decide?msg=meeting", lambda exc: _decide_again(actor, cycle_id, exc))


@bp.post("/console/unit/cycles/<int:cycle_id>/decide")
@page
def unit_decide_save(actor, cycle_id: int):
    """Many people at once: one ``grade_<evaluation id>`` field per person; empty ones are left as they are."""
    grades: dict[int, str] = {}
    for key, value in request.form.items():
        if key.startswith("grade_") and value.strip():
            if not key[6:].isdigit() or len(key) > 20:
                raise InvalidInput("表单内容不正确，请刷新页面后重试", "bad_form")
            grades[int(key[6:])] = value.strip()[:8]
    if not grades:
        return unit_decide.__wrapped__(actor, cycle_id, error="请至少为一人选择等次", status=422)
    return act(lambda session: decisions.decide(session, actor, services().policy, cycle_id, grades),
               f"/console/unit/cycles/{cycle_id}/decide?msg=graded",
               lambda exc: _decide_again(actor, cycle_id, exc, chosen=grades))


@bp.post("/console/unit/cycles/<int:cycle_id>/publish")
@page
def unit_publish(actor, cycle_id: int):
    return act(lambda session: publishing.publish(session, actor, services().policy, cycle_id),
               f"/console/unit/cycles/{cycle_id}/decide?msg=published",
               lambda exc: _decide_again(actor, cycle_id, exc))


@bp.post("/console/unit/cycles/<int:cycle_id>/file")
@page
def unit_file_results(actor, cycle_id: int):
    return act(lambda session: publishing.file_results(session, actor, services().policy, cycle_id),
               f"/console/unit/cycles/{cycle_id}/decide?msg=filed",
               lambda exc: _decide_again(actor, cycle_id, exc))


@bp.post("/console/unit/cycles/<int:cycle_id>/file/correct")
@page
def unit_correct_filing(actor, cycle_id: int):
    """更正备案: the grades changed after filing (an objection's regrade); file the current 结果一览表 again."""
    return act(lambda session: publishing.correct_results_filing(session, actor, services().policy, cycle_id),
               f"/console/unit/cycles/{cycle_id}/decide?msg=corrected",
               lambda exc: _decide_again(actor, cycle_id, exc))


def _decide_again(actor, cycle_id: int, exc, **kept):
    return unit_decide.__wrapped__(actor, cycle_id, error=exc.message, status=exc.status, **kept)


# -- the results fed back: who has confirmed (同意 / 有异议), who has not, and the objections ---------------------------
SIGNOFF_COLUMNS = ("staff_no", "name", "tier", "grade", "signed_label", "signed_at", "comment", "objection")


@bp.get("/console/unit/cycles/<int:cycle_id>/signoffs")
@page
def unit_signoffs(actor, cycle_id: int, error: str | None = None, status: int = 200):
    s = services()
    with uow() as session:
        cycle, unit_id, unit = unit_desk.cycle_for_unit_admin(session, actor, s.policy, cycle_id)
        board = feedback.board(session, actor, s.policy, cycle_id)
    rows = board.rows
    if request.args.get("only") == "unsigned":
        rows = [r for r in rows if r["signed"] is None]
    return page_unit("console/unit/signoffs.html", actor, status, title=f"{unit} · {cycle.label} · 结果确认", c=cycle,
                     unit_id=unit_id, unit=unit, b=board, only=request.args.get("only", ""), error=error,
                     grades=s.policy.grades, today=today().isoformat(),
                     t=table(rows, SIGNOFF_COLUMNS, "staff_no", only=request.args.get("only") or None))


@bp.post("/console/unit/objections/<int:objection_id>/answer")
@page
def unit_objection_answer(actor, objection_id: int):
    """维持原等次 (with the reason) or 改变等次 (new grade, the committee's meeting date and attendees)."""
    form = request.form
    cycle_id = int_arg("cycle_id") or 0
    meeting_on = None
    if form.get("action") == "change" and form.get("meeting_on"):
        try:
            meeting_on = date.fromisoformat(form["meeting_on"])
        except ValueError:
            return unit_signoffs.__wrapped__(actor, cycle_id, error="会议日期格式应为 YYYY-MM-DD", status=422)
    return act(lambda session: objections.answer(
        session, actor, services().policy, objection_id, form.get("action", ""), form.get("reason", "")[:5000],
        new_grade=form.get("new_grade", "") if form.get("action") == "change" else "", meeting_on=meeting_on,
        attendees=form.get("attendees", "")[:2000]),
        lambda out: f"/console/unit/cycles/{out['cycle_id']}/signoffs?msg=answered",
        lambda exc: unit_signoffs.__wrapped__(actor, cycle_id, error=exc.message, status=exc.status))


@bp.get("/console/unit/objections/<int:objection_id>/letter/<kind>")
@page
def unit_objection_letter(actor, objection_id: int, kind: str):
    """受理通知书 (accept) or 复核决定书 (decision) as docx."""
    from .mobile import letter_response

    return letter_response(actor, objection_id, kind)


@bp.get("/console/unit/objections/<int:objection_id>/attachment")
@page
def unit_objection_attachment(actor, objection_id: int):
    from .mobile import attachment_response

    with uow() as session:
        name, media_type, data = feedback.attachment(session, actor, objection_id)
    return attachment_response(name, media_type, data)
