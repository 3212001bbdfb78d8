"""The phone pages (``/m/…``): staff (登记表), supervisors (评鉴表) and the committee (审定等次).

Each view parses the request, calls the same ``handlers/`` function as the chat and the API with the signed-in
actor, and renders the result. No rule lives here or in the templates: totals, suggested grades, quotas and what
may be edited all come from the handlers.
"""
from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, Response, jsonify, redirect, render_template, request

from handlers.outbound import notices

from handlers.quarter import decisions, feedback, objections, progress, scoring, summaries
from handlers.errors import DomainError, InvalidInput
from handlers.quarter.scoring import Tap
from models.rules.calendar import to_local

from ..ext import services
from .forms import act, int_arg
from .session import page

bp = Blueprint("mobile", __name__)

#: ``?msg=`` after a redirect → what the person is told (never free text from the URL).
DONE = {
    "submitted": "个人小结已提交。",
    "withdrawn": "已撤回，现在可以继续修改。",
    "scored": "评鉴已提交。",
    "reopened": "已撤回评鉴，可以继续修改。",
    "returned": "已退回个人小结，本人会收到通知。",
    "meeting": "会议记录已保存。",
    "graded": "等次已保存。",
    "signed": "已确认考核结果。",
    "objected": "已提出异议，单位人事和党委(党组)会收到通知。",
    "reviewed": "已申请复核，单位人事和党委(党组)会收到通知。",
    "accepted": "已接受单位的答复，异议办结。", "escalated": "已向县公务员办申诉，办理结果会通知您。",
}


def uow():
    return services().db.session()


def _today() -> date:
    from datetime import timezone

    return to_local(datetime.now(timezone.utc), services().policy).date()


def _render(template: str, actor, http_status: int = 200, **context):
    s = services()
    return render_template(template, actor=actor, policy=s.policy, done=DONE.get(request.args.get("msg", "")),
                           **context), http_status


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    if request.path.startswith("/m/api/"):
        body = {"code": exc.code, "message": exc.message}
        if exc.details:
            body["details"] = exc.details
        return jsonify(body), exc.status
    return render_template("m/message.html", title="无法完成", message=exc.message, link=request.referrer
                           if (request.referrer or "").startswith(services().settings.public_url) else "/m/me",
                           link_label="返回"), exc.status


@bp.errorhandler(413)
def _too_large(exc):
    """A form (an objection's attachment) larger than the app takes: a page saying so, not a bare JSON error."""
    if request.path.startswith("/m/api/"):
        return jsonify({"code": "payload_too_large", "message": "请求内容过大"}), 413
    limit = services().policy.feedback.attachment_max_kb
    return render_template("m/message.html", title="无法完成", message=f"上传的内容过大：附件不能超过 {limit} KB，"
                           "请压缩图片或拆分文件后重试。", link="/m/result", link_label="返回"), 413


# -- everyone ------------------------------------------------------------------------------------------------------
@bp.get("/m/")
def index():
    return redirect("/m/me")


@bp.get("/m/me")
@page
def me(actor):
    with uow() as session:
        status = progress.my_status(session, actor, services().policy) if actor.person_id else None
        fed = feedback.my_feedback(session, actor, services().policy) if actor.person_id else None
        from handlers.results import annual_results

        year = annual_results.my_annual(session, actor, services().policy) if actor.person_id else None
    return _render("m/me.html", actor, status=status, fed=fed, year=year, title="我的考核")


# -- staff: the result fed back — 本人签署意见 (同意 / 有异议) and 异议 ---------------------------------------------------
@bp.get("/m/result")
@page
def result(actor, error: str | None = None, http_status: int = 200):
    with uow() as session:
        fed = feedback.my_feedback(session, actor, services().policy)
    return _render("m/result.html", actor, http_status, fed=fed, error=error, title="确认考核结果",
                   form=request.form if error else {})


def _result_again(actor, exc: DomainError):
    return result.__wrapped__(actor, error=exc.message, http_status=exc.status)


@bp.post("/m/result/sign")
@page
def result_sign(actor):
    choice, comment = request.form.get("choice", ""), request.form.get("comment", "")[:5000]
    return act(lambda session: feedback.sign(session, actor, services().policy, choice, comment, channel="page",
                                             evaluation_id=int_arg("evaluation_id")),
               lambda fed: f"/m/result?msg={'signed' if fed.signed == 'agree' else 'objected'}",
               lambda exc: _result_again(actor, exc))


@bp.post("/m/result/object")
@page
def result_object(actor):
    upload = request.files.get("attachment")
    attachment = None
    if upload is not None and upload.filename:
        attachment = (upload.filename, upload.read())
    reason = request.form.get("reason", "")[:5000]
    return act(lambda session: feedback.file_objection(session, actor, services().policy, reason, channel="page",
                                                       attachment=attachment, evaluation_id=int_arg("evaluation_id")),
               "/m/result?msg=objected", lambda exc: _result_again(actor, exc))


@bp.post("/m/result/reply")
@page
def result_reply(actor):
    """接受答复, or 申诉 with the reason: the unit's answer to the person's objection."""
    action, reason = request.form.get("action", ""), request.form.get("reason", "")[:5000]
    return act(lambda session: objections.respond(session, actor, services().policy, action, reason, channel="page",
                                                  objection_id=int_arg("objection_id"), kind="quarter"),
               f"/m/result?msg={'escalated' if action == 'escalate' else 'accepted'}",
               lambda exc: _result_again(actor, exc))


# -- staff: the year's annual grade as told, and the 复核 of it (under the law's clocks) ------------------------------
@bp.get("/m/annual")
@page
def annual(actor, error: str | None = None, http_status: int = 200):
    from handlers.results import annual_results

    with uow() as session:
        view = annual_results.my_annual(session, actor, services().policy) if actor.person_id else None
    return _render("m/annual.html", actor, http_status, fed=view, error=error, title="年度考核等次",
                   form=request.form if error else {})


def _annual_again(actor, exc: DomainError):
    return annual.__wrapped__(actor, error=exc.message, http_status=exc.status)


@bp.post("/m/annual/object")
@page
def annual_object(actor):
    from handlers.results import annual_results

    reason = request.form.get("reason", "")[:5000]
    year = int_arg("year")
    return act(lambda session: annual_results.file_objection(session, actor, services().policy, reason,
                                                             channel="page", year=year),
               "/m/annual?msg=reviewed", lambda exc: _annual_again(actor, exc))


@bp.post("/m/annual/reply")
@page
def annual_reply(actor):
    action, reason = request.form.get("action", ""), request.form.get("reason", "")[:5000]
    return act(lambda session: objections.respond(session, actor, services().policy, action, reason, channel="page",
                                                  objection_id=int_arg("objection_id"), kind="annual"),
               f"/m/annual?msg={'escalated' if action == 'escalate' else 'accepted'}",
               lambda exc: _annual_again(actor, exc))


@bp.get("/m/objections/<int:objection_id>/letter/<kind>")
@page
def objection_letter(actor, objection_id: int, kind: str):
    """The person's copy of the 受理通知书 / 复核决定书 (docx)."""
    return letter_response(actor, objection_id, kind)


def letter_response(actor, objection_id: int, kind: str) -> Response:
    """An objection's letter as docx, downloaded (the person, their unit's HR, the county office)."""
    import io

    from handlers.results.documents.letters import objection_letter

    buf = io.BytesIO()
    with uow() as session:
        name = objection_letter(session, actor, services().policy, objection_id, kind, buf)
    return attachment_response(name, "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                               buf.getvalue())


@bp.get("/m/objections/<int:objection_id>/attachment")
@page
def objection_attachment(actor, objection_id: int):
    with uow() as session:
        name, media_type, data = feedback.attachment(session, actor, objection_id)
    return attachment_response(name, media_type, data)


def attachment_response(name: str, media_type: str, data: bytes) -> Response:
    """An objection's attachment, always downloaded (never shown inline: a PDF or picture from a person)."""
    from urllib.parse import quote

    resp = Response(data, mimetype=media_type)
    resp.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


# -- staff: 平时考核登记表 ---------------------------------------------------------------------------------------------
@bp.get("/m/summary")
@page
def summary(actor):
    with uow() as session:
        status = progress.my_status(session, actor, services().policy)
        try:
            view, editable = summaries.editor(session, actor, services().policy)
        except DomainError as exc:  # no cycle yet: say so on the page
            view, editable, status.step = None, False, exc.message
    return _render("m/summary.html", actor, view=view, editable=editable, status=status, title="个人小结")


@bp.get("/m/api/summary")
@page
def summary_json(actor):
    with uow() as session:
        view = summaries.my_summary(session, actor, services().policy)
    return jsonify(view.as_dict() if view else None)


@bp.put("/m/api/summary")
@page
def summary_save(actor):
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("paragraphs"), list) \
            or not all(isinstance(p, str) for p in body["paragraphs"]):
        raise InvalidInput("请求内容不正确：paragraphs 应为文本数组", "invalid_body")
    version = int_arg("version", body)
    with uow() as session:
        view = summaries.save_draft(session, actor, services().policy, body["paragraphs"],
                                    expected_version=0 if version is None else version)
    return jsonify(view.as_dict())


@bp.get("/m/summary/preview")
@page
def summary_preview(actor):
    with uow() as session:
        view = summaries.my_summary(session, actor, services().policy)
    return _render("m/summary_preview.html", actor, view=view, title="预览并提交")


@bp.post("/m/summary/submit")
@page
def summary_submit(actor):
    with uow() as session:
        summaries.submit(session, actor, services().policy, expected_version=int_arg("version"))
    return redirect("/m/summary?msg=submitted")


@bp.post("/m/summary/withdraw")
@page
def summary_withdraw(actor):
    with uow() as session:
        summaries.withdraw(session, actor, services().policy)
    return redirect("/m/summary?msg=withdrawn")


# -- supervisor: 考核评鉴表 --------------------------------------------------------------------------------------------
@bp.get("/m/score")
@page
def score_list(actor):
    with uow() as session:
        people, total = scoring.my_people(session, actor, offset=0, limit=500)
    done = sum(1 for p in people if p.state not in ("pending", "scoring") or p.not_graded_reason)
    return _render("m/score_list.html", actor, people=people, total=total, finished=done, title="待评人员")


@bp.get("/m/score/<int:evaluation_id>")
@page
def score_detail(actor, evaluation_id: int):
    with uow() as session:
        detail = scoring.detail(session, actor, services().policy, evaluation_id)
    return _render("m/score.html", actor, d=detail, levels=list(services().policy.quick_levels),
                   title=f"评鉴：{detail.person_name}")


@bp.get("/m/api/evaluations/<int:evaluation_id>")
@page
def score_json(actor, evaluation_id: int):
    with uow() as session:
        detail = scoring.detail(session, actor, services().policy, evaluation_id)
    return jsonify(_detail_dict(detail))


def _detail_dict(detail) -> dict:
    return {"indicators": detail.indicators, "result": detail.result.__dict__, "version": detail.version,
            "can_score": detail.can_score}


@bp.put("/m/api/evaluations/<int:evaluation_id>/scores")
@page
def score_save(actor, evaluation_id: int):
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("taps"), list) or not body["taps"] \
            or len(body["taps"]) > 50:
        raise InvalidInput("请求内容不正确：taps 应为 1–50 项", "invalid_body")
    version = int_arg("version", body)
    if version is None:
        raise InvalidInput("请求内容不正确：缺少 version", "invalid_body")
    taps = []
    for t in body["taps"]:
        if not isinstance(t, dict) or set(t) - {"indicator_id", "points", "level"}:
            raise InvalidInput("请求内容不正确：taps 的每一项应为 {indicator_id, points 或 level}", "invalid_body")
        points, level = t.get("points"), t.get("level")
        if (points is not None and (isinstance(points, bool) or not isinstance(points, (int, float)))) or \
                (level is not None and not isinstance(level, str)):
            raise InvalidInput("请求内容不正确：分数应为数字，档次应为文本", "invalid_body")
        taps.append(Tap(int_arg("indicator_id", t) or 0, float(points) if points is not None else None, level))
    with uow() as session:
        result = scoring.save_scores(session, actor, services().policy, evaluation_id, taps, version)
    return jsonify(result.__dict__)


@bp.post("/m/score/<int:evaluation_id>/submit")
@page
def score_submit(actor, evaluation_id: int):
    with uow() as session:
        scoring.submit(session, actor, services().policy, evaluation_id, int_arg("version"))
    return redirect("/m/score?msg=scored")


@bp.post("/m/score/<int:evaluation_id>/reopen")
@page
def score_reopen(actor, evaluation_id: int):
    with uow() as session:
        scoring.reopen(session, actor, services().policy, evaluation_id)
    return redirect(f"/m/score/{evaluation_id}?msg=reopened")


@bp.post("/m/score/<int:evaluation_id>/return")
@page
def score_return(actor, evaluation_id: int):
    with uow() as session:
        detail = scoring.detail(session, actor, services().policy, evaluation_id)
        if detail.summary_id is None:
            raise InvalidInput("该人员还没有个人小结，无需退回", "no_summary")
        summaries.return_for_revision(session, actor, services().policy, detail.summary_id,
                                      request.form.get("reason", "")[:1000])
    return redirect("/m/score?msg=returned")


# -- committee: 审定等次 (unit HR enters the party committee's decision) ----------------------------------------------
@bp.get("/m/decide")
@page
def decide_list(actor):
    with uow() as session:
        cycles = decisions.cycles_to_decide(session, actor)
    return _render("m/decide_list.html", actor, cycles=cycles, title="审定等次")


@bp.get("/m/decide/<int:cycle_id>")
@page
def decide_page(actor, cycle_id: int, error: str | None = None, status: int = 200):
    with uow() as session:
        overview = decisions.overview(session, actor, services().policy, cycle_id)
    return _render("m/decide.html", actor, status, o=overview, error=error, today=_today().isoformat(),
                   title=f"审定等次：{overview.cycle_label}")


@bp.post("/m/decide/<int:cycle_id>/grade")
@page
def decide_grade(actor, cycle_id: int):
    evaluation_id = int_arg("evaluation_id")
    grade = request.form.get("grade", "")
    return act(lambda session: decisions.decide(session, actor, services().policy, cycle_id, {evaluation_id: grade}),
               f"/m/decide/{cycle_id}?msg=graded#e{evaluation_id}", lambda exc: _decide_again(actor, cycle_id, exc))


def _decide_again(actor, cycle_id: int, exc: DomainError):
    return decide_page.__wrapped__(actor, cycle_id, error=exc.message, status=exc.status)


@bp.post("/m/decide/<int:cycle_id>/meeting")
@page
def decide_meeting(actor, cycle_id: int):
    try:
        meeting_on = date.fromisoformat(request.form.get("meeting_on", ""))
    except ValueError:
        raise InvalidInput("会议日期格式应为 YYYY-MM-DD", "bad_date") from None
    return act(lambda session: decisions.record_meeting(
        session, actor, cycle_id, meeting_on, request.form.get("attendees", "")[:500],
        request.form.get("note", "")[:2000], _today()),
        f"/m/decide/{cycle_id}?msg=meeting", lambda exc: _decide_again(actor, cycle_id, exc))


# -- everyone: the full text of what was pushed (pushes are cut to WeChat's field limits) -------------------------
NOTICES_PER_PAGE = 20


@bp.get("/m/notices")
@page
def notice_list(actor):
    page_no = max(1, min(int_arg("page", request.args) or 1, 1000))
    with uow() as session:
        rows = notices.my_notices(session, actor, offset=(page_no - 1) * NOTICES_PER_PAGE, limit=NOTICES_PER_PAGE + 1)
    return _render("m/notices.html", actor, rows=rows[:NOTICES_PER_PAGE], page_no=page_no,
                   more=len(rows) > NOTICES_PER_PAGE, title="通知与结果")


@bp.get("/m/notices/<int:notice_id>")
@page
def notice_page(actor, notice_id: int):
    with uow() as session:
        row = notices.my_notice(session, actor, notice_id)
    return _render("m/notice.html", actor, n=row, title=row["title"])
