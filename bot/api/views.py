"""Endpoints: parse (schemas) → the same handlers the chatbot uses → render. No rules here."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from handlers.identity import access, admin_accounts, leave, login as login_h, secondments, sessions

from handlers.quarter import cycle_steps, decisions, feedback, indicators, objections, progress, publishing, scoring, summaries
from handlers.identity.binding import issue_bind_code
from handlers.quarter.cycles import assign_supervisor
from handlers.results import annual_results
from handlers.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from models import Cycle, Evaluation, Membership, Person, Unit
from models.rules import states

from . import api
from . import schemas as S
from .registry import Ctx

AUTH, SUMMARY, SCORING, STEPS, DECISION, PUBLISH, PROGRESS, ADMIN = (
    "登录", "个人小结", "评鉴", "考核步骤", "党委审定", "公示与备案", "进度", "单位管理")


def _sessions(ctx: Ctx) -> sessions.SessionPolicy:
    return sessions.SessionPolicy.from_settings(ctx.settings)


def _today(ctx: Ctx):
    return datetime.now(ZoneInfo(ctx.policy.timezone)).date()


def _me(actor) -> S.MeOut:
    return S.MeOut(**sessions.actor_to_dict(actor))


def _logged_in(new: sessions.NewSession) -> S.LoginOut:
    return S.LoginOut(status="ok", token=new.token, expires_at=new.expires_at, me=_me(new.actor))


# ---- auth ---------------------------------------------------------------------------------------------------------
@api.endpoint("GET", "/ping", response=S.Pong, summary="连通性检查（不需登录）", tag=AUTH, auth=False)
def ping(ctx: Ctx):
    return S.Pong(pong=True)


@api.endpoint("POST", "/auth/login", body=S.LoginIn, response=S.LoginOut, auth=False, tag=AUTH,
              summary="小程序登录：用 wx.login 的 code 换取会话；未绑定时返回 bind_ticket", errors=(401, 429, 503))
def auth_login(ctx: Ctx, body: S.LoginIn):
    s = ctx.settings
    client = login_h.MiniappClient(s.miniapp_appid, s.miniapp_secret, s.wechat_api_base)
    result = login_h.login(ctx.db, ctx.store, s, _sessions(ctx), client.code_to_session, body.code, ctx.client_ip)
    if result.session is None:
        return S.LoginOut(status="bind_required", bind_ticket=result.bind_ticket)
    return _logged_in(result.session)


@api.endpoint("POST", "/auth/bind", body=S.BindIn, response=S.LoginOut, auth=False, tag=AUTH,
              summary="用一次性绑定码绑定微信并登录", errors=(409, 429))
def auth_bind(ctx: Ctx, body: S.BindIn):
    return _logged_in(login_h.bind(ctx.db, ctx.store, ctx.settings, _sessions(ctx), ctx.policy, body.bind_ticket,
                                   body.code, ctx.client_ip))


@api.endpoint("POST", "/auth/admin-login", body=S.AdminLoginIn, response=S.LoginOut, auth=False, tag=AUTH,
              summary="管理员账号密码登录（单位管理员、县公务员办；可选动态验证码）", errors=(401, 429))
def auth_admin_login(ctx: Ctx, body: S.AdminLoginIn):
    return _logged_in(admin_accounts.admin_login(ctx.db, ctx.store, ctx.settings, _sessions(ctx), body.username,
                                                 body.password, body.totp, ctx.client_ip))


@api.endpoint("POST", "/auth/logout", body=S.LogoutIn, response=S.CountOut, tag=AUTH,
              summary="退出登录（everywhere=true 时退出全部设备）")
def auth_logout(ctx: Ctx, body: S.LogoutIn):
    return S.CountOut(count=sessions.logout(ctx.db, ctx.store, ctx.actor, ctx.session_id, body.everywhere))


@api.endpoint("POST", "/auth/web-ticket", response=S.WebTicketOut, tag=AUTH,
              summary="打开手机页面的一次性凭证（小程序 web-view 使用，60 秒内有效）")
def auth_web_ticket(ctx: Ctx):
    ticket = login_h.issue_web_ticket(ctx.store, ctx.actor)
    return S.WebTicketOut(ticket=ticket, url=f"{ctx.settings.public_url.rstrip('/')}/m/auth/ticket?t={ticket}")


@api.endpoint("GET", "/me", response=S.MeOut, summary="当前用户与角色", tag=AUTH)
def me(ctx: Ctx):
    return _me(ctx.actor)


@api.endpoint("GET", "/me/status", response=S.MyStatusOut, summary="我的本季度考核进度与本年度结果", tag=PROGRESS)
def my_status(ctx: Ctx):
    return progress.my_status(ctx.db, ctx.actor, ctx.policy)


@api.endpoint("GET", "/me/results", response=S.MyResultOut, paginated=True, summary="我的考核结果（公示开始后可见）",
              tag=PUBLISH)
def my_results(ctx: Ctx):
    rows = publishing.my_results(ctx.db, ctx.actor, ctx.policy)
    return rows[ctx.offset:ctx.offset + ctx.per_page], len(rows)


# ---- step 2: summary ----------------------------------------------------------------------------------------------
def _version_conflict(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except Conflict as exc:
        if exc.code == "version_conflict":
            raise PreconditionFailed(exc.message, "version_mismatch", **exc.details) from None
        raise


@api.endpoint("GET", "/me/summary", response=S.SummaryOut, summary="我的个人小结（首次读取时创建草稿）", tag=SUMMARY,
              errors=(409,))
def get_summary(ctx: Ctx):
    return summaries.start_or_resume(ctx.db, ctx.actor, ctx.policy)


@api.endpoint("PUT", "/me/summary", body=S.SummarySave, response=S.SummaryOut, if_match=True, tag=SUMMARY,
              summary="保存个人小结草稿（自动保存；If-Match 防止多台设备互相覆盖）", errors=(409,))
def save_summary(ctx: Ctx, body: S.SummarySave):
    return _version_conflict(summaries.save_draft, ctx.db, ctx.actor, ctx.policy, body.paragraphs,
                             expected_version=ctx.version)


@api.endpoint("POST", "/me/summary/submit", response=S.SummaryOut, if_match=True, idempotent=True, tag=SUMMARY,
              summary="提交个人小结", errors=(409,))
def submit_summary(ctx: Ctx):
    return _version_conflict(summaries.submit, ctx.db, ctx.actor, ctx.policy, expected_version=ctx.version)


@api.endpoint("POST", "/me/summary/withdraw", response=S.SummaryOut, tag=SUMMARY, summary="撤回已提交的个人小结",
              errors=(409,))
def withdraw_summary(ctx: Ctx):
    return summaries.withdraw(ctx.db, ctx.actor, ctx.policy)


def _readable_summary(ctx: Ctx, summary_id: int):
    try:
        return summaries.readable_summary(ctx.db, ctx.actor, summary_id)
    except NotFound:
        raise access.deny(ctx.db, ctx.actor, "summary", summary_id) from None


@api.endpoint("GET", "/summaries/<int:summary_id>", response=S.SummaryOut, tag=SUMMARY,
              summary="读取个人小结（本人、负责评鉴的分管领导、本单位管理员、县公务员办）")
def read_summary(ctx: Ctx, summary_id: int):
    summary, _ = _readable_summary(ctx, summary_id)
    cycle = ctx.db.get(Cycle, summary.cycle_id)
    return summaries.view(summary, cycle, ctx.policy, False)


@api.endpoint("POST", "/summaries/<int:summary_id>/return", body=S.ReasonIn, response=S.SummaryOut, tag=SUMMARY,
              summary="分管领导退回个人小结（须填写原因）", errors=(403, 409))
def return_summary(ctx: Ctx, body: S.ReasonIn, summary_id: int):
    summary, evaluation = _readable_summary(ctx, summary_id)
    if evaluation is None or evaluation.supervisor_id != ctx.actor.person_id:
        raise access.forbid(ctx.db, ctx.actor, "summary", summary_id, "只有负责评鉴的分管领导可以退回个人小结",
                            "not_assigned_supervisor")
    return summaries.return_for_revision(ctx.db, ctx.actor, ctx.policy, summary_id, body.reason)


# ---- step 3: scoring ----------------------------------------------------------------------------------------------
@api.endpoint("GET", "/scoring", response=S.ToScoreOut, paginated=True, query=S.ScoringQuery, tag=SCORING,
              summary="分管领导：待评鉴人员列表")
def scoring_list(ctx: Ctx, query: S.ScoringQuery):
    return scoring.my_people(ctx.db, ctx.actor, offset=ctx.offset, limit=ctx.per_page, cycle_id=query.cycle_id)


@api.endpoint("GET", "/evaluations/<int:evaluation_id>", response=S.EvaluationOut, tag=SCORING,
              summary="考核评鉴表：指标、已评分数、个人小结")
def evaluation_detail(ctx: Ctx, evaluation_id: int):
    return scoring.detail(ctx.db, ctx.actor, ctx.policy, evaluation_id)


@api.endpoint("PUT", "/evaluations/<int:evaluation_id>/scores", body=S.ScoreSave, response=S.ScoreOut, if_match=True,
              tag=SCORING, summary="保存一项或多项指标得分（分数或快捷档次），返回合计与建议等次", errors=(403, 409))
def save_scores(ctx: Ctx, body: S.ScoreSave, evaluation_id: int):
    taps = [scoring.Tap(t.indicator_id, t.points, t.level) for t in body.scores]
    return scoring.save_scores(ctx.db, ctx.actor, ctx.policy, evaluation_id, taps, ctx.version)


@api.endpoint("POST", "/evaluations/<int:evaluation_id>/submit", response=S.ScoreOut, if_match=True, idempotent=True,
              tag=SCORING, summary="提交评鉴", errors=(403, 409))
def submit_evaluation(ctx: Ctx, evaluation_id: int):
    return scoring.submit(ctx.db, ctx.actor, ctx.policy, evaluation_id, ctx.version)


@api.endpoint("POST", "/evaluations/<int:evaluation_id>/reopen", response=S.ScoreOut, tag=SCORING,
              summary="重新评鉴已提交的评鉴表（考核仍在评鉴阶段时）", errors=(403, 409))
def reopen_evaluation(ctx: Ctx, evaluation_id: int):
    return scoring.reopen(ctx.db, ctx.actor, ctx.policy, evaluation_id)


@api.endpoint("POST", "/evaluations/<int:evaluation_id>/without-summary", body=S.WithoutSummaryIn,
              response=S.ScoreOut, tag=SCORING, errors=(403, 409, 422),
              summary="考核对象未提交个人小结：填写原因后照常评分（score），或按规定确定为不定等次（not_graded）")
def evaluation_without_summary(ctx: Ctx, body: S.WithoutSummaryIn, evaluation_id: int):
    return scoring.without_summary(ctx.db, ctx.actor, ctx.policy, evaluation_id, body.action, body.reason)


# ---- step 1 and the cycle -----------------------------------------------------------------------------------------
def _cycle_out(cycle: Cycle, attention: list[str] | None = None) -> S.CycleOut:
    return S.CycleOut(id=cycle.id, unit_id=cycle.unit_id, year=cycle.year, quarter=cycle.quarter, label=cycle.label,
                      state=cycle.state, state_label=states.CYCLE.label(cycle.state), summary_due=cycle.summary_due,
                      scoring_due=cycle.scoring_due, decision_due=cycle.decision_due, filing_due=cycle.filing_due,
                      publicity_ends=cycle.publicity_ends, attention=attention or [])


@api.endpoint("POST", "/units/<int:unit_id>/cycles", body=S.OpenCycleIn, response=S.CycleOut, status=201, tag=STEPS,
              summary="单位管理员开启某季度考核（按花名册生成考核对象和默认指标）", errors=(409,))
def open_cycle(ctx: Ctx, body: S.OpenCycleIn, unit_id: int):
    cycle, notes = cycle_steps.open_for_unit(ctx.db, ctx.actor, ctx.policy, unit_id, body.year, body.quarter,
                                             _today(ctx))
    return _cycle_out(cycle, notes.lines())


@api.endpoint("GET", "/units/<int:unit_id>/cycles", response=S.CycleOut, paginated=True, tag=STEPS,
              summary="单位的考核周期列表")
def unit_cycles(ctx: Ctx, unit_id: int):
    if not ctx.actor.can_view_unit(unit_id):
        raise access.deny(ctx.db, ctx.actor, "unit", unit_id)
    rows = list(ctx.db.scalars(select(Cycle).where(Cycle.unit_id == unit_id)
                               .order_by(Cycle.year.desc(), Cycle.quarter.desc())))
    return [_cycle_out(c) for c in rows[ctx.offset:ctx.offset + ctx.per_page]], len(rows)


@api.endpoint("GET", "/cycles/<int:cycle_id>", response=S.CycleOut, tag=STEPS, summary="考核周期详情")
def get_cycle(ctx: Ctx, cycle_id: int):
    return _cycle_out(access.cycle_for_viewer(ctx.db, ctx.actor, cycle_id))


@api.endpoint("POST", "/cycles/<int:cycle_id>/advance", body=S.AdvanceIn, response=S.CycleOut, tag=STEPS,
              summary="推进考核：进入领导评鉴 / 进入党委(党组)审定", errors=(403, 409))
def advance_cycle(ctx: Ctx, body: S.AdvanceIn, cycle_id: int):
    return _cycle_out(cycle_steps.advance(ctx.db, ctx.actor, ctx.policy, cycle_id, body.action, reason=body.reason))


def _templates(by_post, warnings=()) -> S.TemplatesOut:
    return S.TemplatesOut(templates=[
        S.PostTemplate(post=post, indicators=[S.IndicatorOut.model_validate(i) for i in items],
                       total=sum(i.points for i in items)) for post, items in by_post.items()],
        warnings=[w for w in warnings if w])


@api.endpoint("GET", "/cycles/<int:cycle_id>/indicators", response=S.TemplatesOut, tag=STEPS,
              summary="本季度指标：单位默认（post 为空）及各岗位")
def get_indicators(ctx: Ctx, cycle_id: int):
    return _templates(indicators.list_templates(ctx.db, ctx.actor, cycle_id))


@api.endpoint("PUT", "/cycles/<int:cycle_id>/indicators/<path:post>", body=S.TemplateIn, response=S.TemplatesOut,
              tag=STEPS, summary="设置某岗位的个性指标（post 为 _ 表示单位默认）；分值须合计正确", errors=(403, 409))
def set_indicators(ctx: Ctx, body: S.TemplateIn, cycle_id: int, post: str):
    post = "" if post == "_" else post
    items = [indicators.SpecificInput(i.dimension, i.name, i.points) for i in body.indicators]
    saved = indicators.set_post_specific(ctx.db, ctx.actor, ctx.policy, cycle_id, post, items)
    return _templates({post: saved}, [indicators.unheld_post_warning(ctx.db, cycle_id, post)])


@api.endpoint("DELETE", "/cycles/<int:cycle_id>/indicators/<path:post>", response=S.TemplatesOut, tag=STEPS,
              summary="删除某岗位的个性指标，恢复使用单位默认", errors=(403, 409))
def reset_indicators(ctx: Ctx, cycle_id: int, post: str):
    return _templates({post: indicators.reset_post(ctx.db, ctx.actor, cycle_id, post)})


# ---- step 4: decision ---------------------------------------------------------------------------------------------
@api.endpoint("GET", "/cycles/<int:cycle_id>/decision", response=S.DecisionOut, tag=DECISION,
              summary="审定情况：各层次好等次名额（剩余）、建议等次、不确定等次人员及原因")
def get_decision(ctx: Ctx, cycle_id: int):
    return decisions.overview(ctx.db, ctx.actor, ctx.policy, cycle_id)


@api.endpoint("PUT", "/cycles/<int:cycle_id>/decision/meeting", body=S.MeetingIn, response=S.DecisionOut,
              tag=DECISION, summary="记录党委(党组)会议：日期、参会人员、备注", errors=(403, 409))
def record_meeting(ctx: Ctx, body: S.MeetingIn, cycle_id: int):
    decisions.record_meeting(ctx.db, ctx.actor, cycle_id, body.meeting_on, body.attendees, body.note, _today(ctx))
    return decisions.overview(ctx.db, ctx.actor, ctx.policy, cycle_id)


@api.endpoint("POST", "/cycles/<int:cycle_id>/decision/grades", body=S.DecideIn, response=S.DecisionOut,
              idempotent=True, tag=DECISION, summary="录入审定等次（超出层次好等次名额时整批拒绝）", errors=(403, 409))
def decide(ctx: Ctx, body: S.DecideIn, cycle_id: int):
    grades = {g.evaluation_id: g.grade for g in body.grades}
    return decisions.decide(ctx.db, ctx.actor, ctx.policy, cycle_id, grades)


# ---- step 5: publicity and filing ---------------------------------------------------------------------------------
def _filing_out(ctx: Ctx, filing) -> S.FilingOut:
    unit = ctx.db.get(Unit, filing.unit_id)
    return S.FilingOut(id=filing.id, kind=filing.kind, unit_id=filing.unit_id, unit=unit.name, year=filing.year,
                       quarter=filing.quarter, state=filing.state, state_label=states.FILING.label(filing.state),
                       submitted_by=filing.submitted_by, submitted_at=filing.submitted_at,
                       reviewed_by=filing.reviewed_by, return_reason=filing.return_reason,
                       rows=(filing.payload or {}).get("rows", []), changed=filing.changed_at is not None,
                       changed_label=publishing.CHANGED_LABEL if filing.changed_at is not None else "",
                       changed_at=filing.changed_at,
                       changes=[_change(c) for c in filing.changes or []],
                       history=[S.FilingEarlier.model_validate({**h, "changes": [_change(c) for c in h["changes"]],
                                                                "rows": (h.get("payload") or {}).get("rows", [])})
                                for h in filing.history or []])


def _change(c: dict) -> S.FilingChange:
    return S.FilingChange(staff_no=c["staff_no"], name=c["name"], from_grade=c["from"], to_grade=c["to"],
                          objection_id=c.get("objection_id"), at=c["at"])


@api.endpoint("POST", "/cycles/<int:cycle_id>/publish", response=S.CycleOut, idempotent=True, tag=PUBLISH,
              summary="开始结果公示（天数按政策）；公示开始后本人可见结果", errors=(403, 409))
def publish(ctx: Ctx, cycle_id: int):
    return _cycle_out(publishing.publish(ctx.db, ctx.actor, ctx.policy, cycle_id))


@api.endpoint("POST", "/cycles/<int:cycle_id>/filing", response=S.FilingOut, status=201, idempotent=True, tag=PUBLISH,
              summary="公示期满后报送《结果一览表》备案", errors=(403, 409))
def file_results(ctx: Ctx, cycle_id: int):
    return _filing_out(ctx, publishing.file_results(ctx.db, ctx.actor, ctx.policy, cycle_id))


@api.endpoint("POST", "/cycles/<int:cycle_id>/filing/correction", response=S.FilingOut, status=201, idempotent=True,
              tag=PUBLISH, summary="更正备案：报送后等次有变更（异议复核）时重新报送当前《结果一览表》，原报送内容留在历史中",
              errors=(403, 404, 409))
def correct_filing(ctx: Ctx, cycle_id: int):
    return _filing_out(ctx, publishing.correct_results_filing(ctx.db, ctx.actor, ctx.policy, cycle_id))


@api.endpoint("GET", "/filings", response=S.FilingOut, paginated=True, query=S.FilingQuery, tag=PUBLISH,
              summary="备案列表（县公务员办：全部单位；单位管理员：本单位）")
def list_filings(ctx: Ctx, query: S.FilingQuery):
    rows, total = publishing.filings(ctx.db, ctx.actor, offset=ctx.offset, limit=ctx.per_page, state=query.state,
                                     unit_id=query.unit_id)
    return [_filing_out(ctx, f) for f in rows], total


@api.endpoint("GET", "/filings/<int:filing_id>", response=S.FilingOut, tag=PUBLISH, summary="备案详情（结果一览表）")
def get_filing(ctx: Ctx, filing_id: int):
    return _filing_out(ctx, access.filing_for_viewer(ctx.db, ctx.actor, filing_id))


@api.endpoint("POST", "/filings/<int:filing_id>/review", body=S.ReviewIn, response=S.FilingOut, tag=PUBLISH,
              summary="县公务员办审核备案：通过，或退回并说明原因", errors=(403, 409))
def review_filing(ctx: Ctx, body: S.ReviewIn, filing_id: int):
    return _filing_out(ctx, publishing.review_filing(ctx.db, ctx.actor, filing_id, body.accept, body.reason))


# ---- progress -----------------------------------------------------------------------------------------------------
def _progress_out(p) -> S.ProgressOut:
    return S.ProgressOut.model_validate(p.as_dict())


@api.endpoint("GET", "/cycles/<int:cycle_id>/progress", response=S.ProgressOut, tag=PROGRESS,
              summary="单位进度：各层次已提交、已评鉴、已审定人数及逾期人员")
def cycle_progress(ctx: Ctx, cycle_id: int):
    cycle = ctx.db.get(Cycle, cycle_id)
    if cycle is None:
        raise NotFound("找不到该考核周期")
    try:
        return _progress_out(progress.unit_progress(ctx.db, ctx.actor, ctx.policy, cycle.unit_id, cycle.id))
    except NotFound:
        raise access.deny(ctx.db, ctx.actor, "cycle", cycle_id) from None


@api.endpoint("GET", "/progress", response=S.ProgressOut, paginated=True, query=S.ProgressQuery, tag=PROGRESS,
              summary="全县进度（县公务员办）或所管理单位的进度：按单位、按层次")
def all_progress(ctx: Ctx, query: S.ProgressQuery):
    q = select(Cycle).where(Cycle.year == query.year, Cycle.quarter == query.quarter).order_by(Cycle.unit_id)
    if not ctx.actor.is_county:
        q = q.where(Cycle.unit_id.in_(sorted(ctx.actor.admin_units) or [-1]))
    cycles = list(ctx.db.scalars(q))
    page = cycles[ctx.offset:ctx.offset + ctx.per_page]
    return [_progress_out(progress.unit_progress(ctx.db, ctx.actor, ctx.policy, c.unit_id, c.id)) for c in page], \
        len(cycles)


# ---- unit HR tools ------------------------------------------------------------------------------------------------
@api.endpoint("POST", "/units/<int:unit_id>/bind-codes", body=S.BindCodeIn, response=S.BindCodeOut, status=201,
              tag=ADMIN, summary="为本单位人员生成一次性微信绑定码（旧码作废）", errors=(409,))
def new_bind_code(ctx: Ctx, body: S.BindCodeIn, unit_id: int):
    if not ctx.actor.is_county:
        access.unit_for_admin(ctx.db, ctx.actor, unit_id)
    member_of = ctx.db.scalar(select(Membership.unit_id).join(Person, Person.id == Membership.person_id)
                              .where(Person.staff_no == body.staff_no, Membership.end_on.is_(None)))
    if member_of != unit_id:
        raise access.deny(ctx.db, ctx.actor, "person", body.staff_no)
    issued = issue_bind_code(ctx.db, ctx.actor, body.staff_no, ctx.policy)
    return S.BindCodeOut(code=issued.code, staff_no=issued.staff_no, name=issued.name, expires_at=issued.expires_at)


@api.endpoint("PUT", "/evaluations/<int:evaluation_id>/supervisor", body=S.AssignIn, response=S.AssignOut,
              tag=ADMIN, summary="更换考核对象的评鉴人（分管领导）", errors=(409, 422))
def reassign(ctx: Ctx, body: S.AssignIn, evaluation_id: int):
    evaluation = ctx.db.get(Evaluation, evaluation_id)
    cycle = ctx.db.get(Cycle, evaluation.cycle_id) if evaluation else None
    if evaluation is None:
        raise NotFound("找不到该考核对象")
    if not ctx.actor.can_admin_unit(cycle.unit_id):
        raise access.deny(ctx.db, ctx.actor, "evaluation", evaluation_id)
    e = assign_supervisor(ctx.db, ctx.actor, evaluation_id, body.supervisor_staff_no, ctx.policy)
    ctx.db.flush()
    return S.AssignOut(evaluation_id=e.id, supervisor_staff_no=body.supervisor_staff_no, version=e.version)


@api.endpoint("POST", "/people/<staff_no>/end-sessions", body=S.EndSessionsIn, response=S.CountOut, tag=ADMIN,
              summary="结束某人的全部登录会话（离职、手机遗失）")
def end_person_sessions(ctx: Ctx, body: S.EndSessionsIn, staff_no: str):
    person = ctx.db.scalar(select(Person).where(Person.staff_no == staff_no))
    unit_id = None
    if person is not None:
        unit_id = ctx.db.scalar(select(Membership.unit_id).where(Membership.person_id == person.id)
                                .order_by(Membership.start_on.desc()).limit(1))
    if person is None or not (ctx.actor.is_county or (unit_id is not None and ctx.actor.can_admin_unit(unit_id))):
        raise access.deny(ctx.db, ctx.actor, "person", staff_no)
    return S.CountOut(count=sessions.end_all_sessions(ctx.db, ctx.store, ctx.actor, person.id, body.reason))


# ---- results fed back: sign-off and objections ----------------------------------------------------------------------
@api.endpoint("GET", "/me/feedback", response=S.MyFeedbackOut, tag=PUBLISH,
              summary="我最近一次反馈的考核结果、本人签署意见与异议")
def my_feedback(ctx: Ctx):
    return {"feedback": feedback.my_feedback(ctx.db, ctx.actor, ctx.policy)}


@api.endpoint("POST", "/me/feedback/sign", body=S.SignIn, response=S.FeedbackOut, idempotent=True, tag=PUBLISH,
              summary="确认考核结果：同意，或有异议（附理由）", errors=(409,))
def sign_feedback(ctx: Ctx, body: S.SignIn):
    return feedback.sign(ctx.db, ctx.actor, ctx.policy, body.choice, body.comment, channel="api",
                         evaluation_id=body.evaluation_id)


@api.endpoint("POST", "/me/objections", body=S.ObjectionIn, response=S.FeedbackOut, idempotent=True, status=201,
              tag=PUBLISH, summary="对考核结果提出异议（理由必填，可附 jpg/png/pdf）", errors=(409,))
def file_objection(ctx: Ctx, body: S.ObjectionIn):
    attachment = None
    if body.attachment is not None:
        import base64
        import binascii

        try:
            data = base64.b64decode(body.attachment.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput("附件内容不是有效的 base64", "bad_attachment") from None
        attachment = (body.attachment.name, data)
    return feedback.file_objection(ctx.db, ctx.actor, ctx.policy, body.reason, channel="api", attachment=attachment,
                                   evaluation_id=body.evaluation_id)


@api.endpoint("GET", "/cycles/<int:cycle_id>/signoffs", response=S.SignoffBoardOut, tag=PUBLISH,
              summary="结果确认情况：谁已确认（同意/有异议）、谁未确认，以及异议（单位人事、县公务员办）")
def signoff_board(ctx: Ctx, cycle_id: int):
    return feedback.board(ctx.db, ctx.actor, ctx.policy, cycle_id)
# ---- leave and secondment -----------------------------------------------------------------------------------------
def _leave_out(report) -> S.LeaveReportOut:
    return S.LeaveReportOut(unit=report.unit, total=report.total, saved=report.saved, unchanged=report.unchanged,
                            marked=report.marked, cleared=report.cleared, too_late=report.too_late,
                            lines=report.lines())


@api.endpoint("POST", "/units/<int:unit_id>/leave", body=S.LeaveIn, response=S.LeaveReportOut, tag=ADMIN,
              summary="登记本单位人员的季度请假天数（有一条错误则全部不保存）；考核进行中时按规定自动调整不定等次",
              errors=(422,))
def record_leave(ctx: Ctx, body: S.LeaveIn, unit_id: int):
    entries = [leave.LeaveEntry(e.staff_no, e.year, e.quarter, e.days, e.note.strip(), row=i)
               for i, e in enumerate(body.entries, start=1)]
    return _leave_out(leave.record(ctx.db, ctx.actor, ctx.policy, unit_id, entries, source="api"))


@api.endpoint("GET", "/units/<int:unit_id>/leave", response=S.LeaveRowOut, paginated=True, query=S.LeaveQuery,
              tag=ADMIN, summary="本单位某季度的请假记录")
def unit_leave(ctx: Ctx, query: S.LeaveQuery, unit_id: int):
    rows = leave.unit_leave(ctx.db, ctx.actor, unit_id, query.year, query.quarter)
    return rows[ctx.offset:ctx.offset + ctx.per_page], len(rows)


@api.endpoint("POST", "/units/<int:unit_id>/secondments", body=S.SecondmentIn, response=S.SecondmentCreated,
              status=201, tag=ADMIN, summary="登记借调（本单位人员借出或借入本单位）", errors=(409, 422))
def record_secondment(ctx: Ctx, body: S.SecondmentIn, unit_id: int):
    access.unit_for_admin(ctx.db, ctx.actor, unit_id)
    row, notes = secondments.record(ctx.db, ctx.actor, ctx.policy, staff_no=body.staff_no, host_unit=body.host_unit,
                                    start_on=body.start_on, end_on=body.end_on, tier=body.tier, note=body.note)
    return S.SecondmentCreated(id=row.id, notes=notes)


@api.endpoint("GET", "/units/<int:unit_id>/secondments", response=S.SecondmentOut, paginated=True, tag=ADMIN,
              summary="本单位的借调记录（借出与借入）")
def unit_secondments(ctx: Ctx, unit_id: int):
    rows = secondments.unit_secondments(ctx.db, ctx.actor, unit_id)
    return rows[ctx.offset:ctx.offset + ctx.per_page], len(rows)


def _secondment_changed(ctx: Ctx, row, notes) -> S.SecondmentChanged:
    return S.SecondmentChanged(id=row.id, staff_no=ctx.db.get(Person, row.person_id).staff_no,
                               host_unit=ctx.db.get(Unit, row.host_unit_id).name,
                               start_on=row.start_on, end_on=row.end_on,
                               ended_on=row.end_on if row.ended_at else None, end_reason=row.end_reason or "",
                               note=row.note, notes=notes)


@api.endpoint("PUT", "/secondments/<int:secondment_id>", body=S.SecondmentEditIn, response=S.SecondmentChanged,
              tag=ADMIN, errors=(404, 409, 422),
              summary="修改借调（只改给出的字段：日期、借调单位、层次、备注；本单位或借调单位管理员）：会改变已审定季度的考核单位时拒绝")
def edit_secondment(ctx: Ctx, body: S.SecondmentEditIn, secondment_id: int):
    row, notes = secondments.edit(ctx.db, ctx.actor, ctx.policy, secondment_id, reason=body.reason,
                                  host_unit=body.host_unit, start_on=body.start_on, end_on=body.end_on,
                                  tier=body.tier, note=body.note)
    return _secondment_changed(ctx, row, notes)


@api.endpoint("POST", "/secondments/<int:secondment_id>/end", body=S.SecondmentEndIn, response=S.SecondmentChanged,
              tag=ADMIN, errors=(404, 409, 422),
              summary="提前结束借调（结束日期默认今天，须说明原因）：会改变已审定季度的考核单位时拒绝")
def end_secondment(ctx: Ctx, body: S.SecondmentEndIn, secondment_id: int):
    row, notes = secondments.end(ctx.db, ctx.actor, ctx.policy, secondment_id, reason=body.reason,
                                 end_on=body.end_on, today=_today(ctx))
    return _secondment_changed(ctx, row, notes)


@api.endpoint("POST", "/units/<int:unit_id>/leave/wecom", body=S.WecomLeaveIn, response=S.LeaveReportOut, tag=ADMIN,
              summary="从企业微信考勤（打卡月报的请假）获取本单位某季度的请假天数（需配置企业微信）", errors=(409, 503))
def wecom_leave(ctx: Ctx, body: S.WecomLeaveIn, unit_id: int):
    from bot.channels.wecom_checkin import fetcher

    access.unit_for_admin(ctx.db, ctx.actor, unit_id)
    fetch = fetcher(ctx.settings)
    return _leave_out(leave.pull_from_wecom(ctx.db, ctx.actor, ctx.policy, unit_id, body.year, body.quarter, fetch))


# ---- 异议 → 复核 -------------------------------------------------------------------------------------------------
@api.endpoint("POST", "/objections/<int:objection_id>/answer", body=S.ObjectionAnswerIn, response=S.ObjectionCaseOut,
              idempotent=True, tag=PUBLISH, errors=(409,),
              summary="单位答复异议：维持原等次（附理由），或经党委(党组)会议改变等次（重新核对“好”等次名额）")
def answer_objection(ctx: Ctx, objection_id: int, body: S.ObjectionAnswerIn):
    return objections.answer(ctx.db, ctx.actor, ctx.policy, objection_id, body.action, body.reason,
                             new_grade=body.new_grade, meeting_on=body.meeting_on, attendees=body.attendees)


@api.endpoint("POST", "/me/objections/reply", body=S.ObjectionReplyIn, response=S.FeedbackOut, idempotent=True,
              tag=PUBLISH, errors=(409,), summary="本人对单位答复：接受，或向县公务员办申诉（附理由）")
def reply_objection(ctx: Ctx, body: S.ObjectionReplyIn):
    return objections.respond(ctx.db, ctx.actor, ctx.policy, body.action, body.reason, channel="api",
                              objection_id=body.objection_id, kind="quarter")


# ---- the year's annual grades: recorded by unit HR, told to each person, 复核 under the law ------------------------
@api.endpoint("GET", "/units/<int:unit_id>/annual/<int:year>", response=S.AnnualSheetOut, tag=PUBLISH,
              summary="本单位年度考核等次：每人四个季度、建议等次、允许的等次、已确定的等次与复核情况")
def annual_sheet(ctx: Ctx, unit_id: int, year: int):
    return annual_results.year_sheet(ctx.db, ctx.actor, ctx.policy, unit_id, year)


@api.endpoint("POST", "/units/<int:unit_id>/annual/<int:year>/grades", body=S.AnnualRecordIn,
              response=S.AnnualRecordOut, idempotent=True, tag=PUBLISH, errors=(409,),
              summary="确定一人的年度考核等次（缺省为建议等次；只能在规则允许的范围内）")
def annual_record(ctx: Ctx, unit_id: int, year: int, body: S.AnnualRecordIn):
    return annual_results.record(ctx.db, ctx.actor, ctx.policy, unit_id, year, body.staff_no, body.grade, body.note)


@api.endpoint("POST", "/units/<int:unit_id>/annual/<int:year>/feedback", response=S.AnnualFeedbackOut,
              idempotent=True, tag=PUBLISH, errors=(409,), summary="把已确定的年度考核等次告知本人")
def annual_feedback(ctx: Ctx, unit_id: int, year: int):
    return annual_results.feed_back(ctx.db, ctx.actor, ctx.policy, unit_id, year)


@api.endpoint("GET", "/me/annual", response=S.MyAnnualOut, tag=PUBLISH,
              summary="我最近一次被告知的年度考核等次与复核情况")
def my_annual(ctx: Ctx):
    return {"annual": annual_results.my_annual(ctx.db, ctx.actor, ctx.policy)}


@api.endpoint("POST", "/me/annual/objection", body=S.AnnualObjectionIn, response=S.AnnualOut, idempotent=True,
              status=201, tag=PUBLISH, errors=(409,), summary="对年度考核等次申请复核（理由必填；告知后规定期限内）")
def annual_objection(ctx: Ctx, body: S.AnnualObjectionIn):
    return annual_results.file_objection(ctx.db, ctx.actor, ctx.policy, body.reason, channel="api", year=body.year)


@api.endpoint("POST", "/me/annual/reply", body=S.ObjectionReplyIn, response=S.AnnualOut, idempotent=True,
              tag=PUBLISH, errors=(409,), summary="本人对年度复核决定：接受，或向县公务员办申诉（附理由）")
def annual_reply(ctx: Ctx, body: S.ObjectionReplyIn):
    return objections.respond(ctx.db, ctx.actor, ctx.policy, body.action, body.reason, channel="api",
                              objection_id=body.objection_id, kind="annual")


@api.endpoint("GET", "/county/objections", response=S.CountyObjectionsOut, query=S.CountyObjectionsQuery,
              tag=PUBLISH, summary="各单位的异议：办理中的（或全部），提出天数与答复逾期（县公务员办）")
def county_objections(ctx: Ctx, query: S.CountyObjectionsQuery):
    return objections.county_list(ctx.db, ctx.actor, ctx.policy, include_closed=query.include_closed)


@api.endpoint("POST", "/objections/<int:objection_id>/close", body=S.ObjectionCloseIn, response=S.ObjectionCaseOut,
              idempotent=True, tag=PUBLISH, errors=(409,), summary="县公务员办办结申诉（附办理意见）")
def close_objection(ctx: Ctx, objection_id: int, body: S.ObjectionCloseIn):
    return objections.conclude(ctx.db, ctx.actor, ctx.policy, objection_id, body.note)
