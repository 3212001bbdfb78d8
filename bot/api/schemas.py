"""Request and response bodies. Requests are strict (no type coercion) and refuse unknown fields.

Length limits here are transport guards against oversize bodies; the policy's own limits (summary length, score
ranges) are checked by the handlers and answer with their own Chinese messages.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Text = Annotated[str, Field(max_length=5000)]
MAX_ID = 2 ** 31 - 1
StaffNo = Annotated[str, Field(min_length=1, max_length=32)]


class In(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# ---- auth ---------------------------------------------------------------------------------------------------------
class LoginIn(In):
    code: str = Field(min_length=1, max_length=128, description="wx.login 得到的 code")


class BindIn(In):
    bind_ticket: str = Field(min_length=1, max_length=128, description="登录时返回的 bind_ticket")
    code: str = Field(min_length=1, max_length=32, description="单位管理员发放的一次性绑定码")


class AdminLoginIn(In):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    totp: str | None = Field(default=None, pattern=r"^\d{6}$", description="动态验证码（已开启时必填）")


class LogoutIn(In):
    everywhere: bool = False


class MeOut(Out):
    ref: str
    name: str
    person_id: int | None
    unit_id: int | None
    roles: list[str]
    admin_units: list[int]
    supervisor_units: list[int]


class LoginOut(Out):
    status: Literal["ok", "bind_required"]
    token: str | None = None
    expires_at: datetime | None = None
    me: MeOut | None = None
    bind_ticket: str | None = None


class CountOut(Out):
    count: int


class WebTicketOut(Out):
    ticket: str
    url: str  # open this in <web-view src="…">; the ticket works once, within 60 s


class Pong(Out):
    pong: bool


# ---- summary ------------------------------------------------------------------------------------------------------
class SummarySave(In):
    paragraphs: list[Text] = Field(max_length=200)


class ReasonIn(In):
    reason: str = Field(min_length=1, max_length=500)


class SummaryOut(Out):
    id: int
    cycle_id: int
    cycle_label: str
    state: str
    state_label: str
    paragraphs: list[str]
    voice_media_ids: list[str]
    returned_reason: str | None
    version: int
    deadline: str
    editable: bool


# ---- indicators ---------------------------------------------------------------------------------------------------
class IndicatorIn(In):
    dimension: Literal["德", "能", "勤", "绩", "廉"]
    name: str = Field(min_length=1, max_length=100)
    points: float = Field(gt=0, le=100)


class TemplateIn(In):
    indicators: list[IndicatorIn] = Field(min_length=1, max_length=20)


class IndicatorOut(Out):
    id: int
    post: str
    kind: str
    dimension: str
    name: str
    points: float


class PostTemplate(Out):
    post: str
    indicators: list[IndicatorOut]
    total: float


class TemplatesOut(Out):
    templates: list[PostTemplate]
    warnings: list[str] = Field(default_factory=list, description="提醒（如：没有人在该岗位上，并列出现有岗位）")


# ---- scoring ------------------------------------------------------------------------------------------------------
class ScoreTap(In):
    indicator_id: int = Field(ge=1, le=MAX_ID)
    points: float | None = Field(default=None, ge=0, le=100)
    level: str | None = Field(default=None, min_length=1, max_length=4)


class ScoreSave(In):
    scores: list[ScoreTap] = Field(min_length=1, max_length=50)


class AdjustmentLineOut(Out):
    event_id: int
    code: str
    name: str
    occurred_on: str
    points: float = Field(description="该事项每次的分值")
    applied: float = Field(description="计入本季度的分值（已按每季度上限截取）")
    capped: bool
    text: str


class GradeBlockOut(Out):
    effect: str = Field(description="no_good | poor | not_graded | no_excellent")
    effect_label: str
    event_id: int
    item_code: str
    name: str
    occurred_on: str
    period_from: str
    period_to: str
    text: str


class ScoreOut(Out):
    evaluation_id: int
    state: str
    state_label: str
    scores: dict[str, float]
    total: float
    max_total: float
    suggested_grade: str | None
    complete: bool
    missing: list[str]
    version: int
    indicator_total: float | None = Field(default=None, description="指标得分合计（不含加扣分）")
    adjustments: list[AdjustmentLineOut] = Field(default=[], description="计入本季度的加扣分各项（评鉴表详情中列出；保存评分的返回只给合计）")
    adjustments_total: float = Field(default=0.0, description="加扣分合计；total = 指标得分 + 加扣分（按政策上下限）")
    blocks: list[GradeBlockOut] = Field(default=[], description="影响本季度等次的负面清单/问责事项（评鉴表详情中列出）")


class EvaluationIndicator(Out):
    id: int
    kind: str
    dimension: str
    name: str
    points: float
    score: float | None


class EvaluationOut(Out):
    id: int
    cycle_id: int
    cycle_label: str
    person_name: str
    staff_no: str
    tier: str
    post: str
    supervisor_name: str | None
    not_graded_reason: str | None
    final_grade: str | None
    indicators: list[EvaluationIndicator]
    summary_id: int | None
    summary_state: str | None
    summary_paragraphs: list[str]
    result: ScoreOut
    can_score: bool
    version: int
    leave_days: float | None = Field(description="本季度请假天数（单位登记；未登记时按花名册的请假状态计算）；null 表示没有请假记录")
    leave_indicator_id: int | None = Field(description="请假天数显示在哪一项指标旁（本县规定的“勤”共性指标，出勤纪律）")


class ToScoreOut(Out):
    evaluation_id: int
    cycle_id: int
    cycle_label: str
    staff_no: str
    name: str
    tier: str
    post: str
    state: str
    state_label: str
    total: float | None
    suggested_grade: str | None
    summary_state: str
    not_graded_reason: str | None
    version: int


class ScoringQuery(In):
    cycle_id: int | None = Field(default=None, ge=1, le=MAX_ID)


# ---- cycles, progress ---------------------------------------------------------------------------------------------
class OpenCycleIn(In):
    year: int = Field(ge=2000, le=2100)
    quarter: int = Field(ge=1, le=4)


class WithoutSummaryIn(In):
    action: Literal["score", "not_graded"]
    reason: str = Field(min_length=1, max_length=200)


class AdvanceIn(In):
    action: Literal["start_scoring", "start_deciding"]
    reason: str = Field(default="", max_length=500)  # required to move on before the deadline with people missing


class CycleOut(Out):
    id: int
    unit_id: int
    year: int
    quarter: int
    label: str
    state: str
    state_label: str
    summary_due: datetime
    scoring_due: datetime
    decision_due: datetime
    filing_due: datetime
    publicity_ends: datetime | None
    attention: list[str] = []  # on opening: who is not evaluated in the unit, who has no scorer and what to do


class TierProgressOut(Out):
    tier: str
    people: int
    not_graded: int
    summaries_submitted: int
    scored: int
    decided: int
    published: int
    late_summaries: list[str]
    late_scoring: list[str]


class ProgressTotals(Out):
    people: int
    not_graded: int
    summaries_submitted: int
    scored: int
    decided: int
    published: int


class ProgressOut(Out):
    unit: str
    cycle_id: int
    cycle_label: str
    step: str
    summary_deadline: str
    scoring_deadline: str
    tiers: list[TierProgressOut]
    totals: ProgressTotals


class ProgressQuery(In):
    year: int = Field(ge=2000, le=2100)
    quarter: int = Field(ge=1, le=4)


class MyStatusOut(Out):
    cycle_label: str | None
    step: str | None
    summary_state: str
    summary_label: str
    returned_reason: str | None
    scored: bool
    final_grade: str | None
    not_graded_reason: str | None
    summary_deadline: str | None
    year: int
    quarters: list[str | None]
    annual_reasons: list[str]
    excellent_eligible: bool
    summary_open: bool = False
    step_deadline: str | None = None
    not_evaluated_reason: str | None = None
    progress_note: str | None = None
    ended: str | None = None
    unit_step: str | None = None


# ---- decision, publishing, filing ---------------------------------------------------------------------------------
class MeetingIn(In):
    meeting_on: date
    attendees: str = Field(min_length=1, max_length=2000)
    note: str = Field(default="", max_length=2000)


class GradeIn(In):
    evaluation_id: int = Field(ge=1, le=MAX_ID)
    grade: str = Field(min_length=1, max_length=4)


class DecideIn(In):
    grades: list[GradeIn] = Field(min_length=1, max_length=1000)


class DecisionPerson(Out):
    evaluation_id: int
    staff_no: str
    name: str
    state: str
    state_label: str
    total: float | None
    suggested_grade: str | None
    final_grade: str | None
    adjustments: list[AdjustmentLineOut] = []
    blocks: list[GradeBlockOut] = Field(default=[], description="限制等次的事项（名称、影响期）")
    allowed_grades: list[str] = Field(default=[], description="可审定的等次（受负面清单/问责限制后）")


class TierQuotaOut(Out):
    tier: str
    size: int
    quota: int
    used: int
    remaining: int
    people: list[DecisionPerson]
    pooled_with: list[str] = []  # the tiers sharing this quota when the policy pools small tiers


class NotGradedOut(Out):
    evaluation_id: int
    staff_no: str
    name: str
    tier: str
    reason: str


class MeetingOut(Out):
    meeting_on: date
    attendees: str
    note: str
    recorded_by: str


class DecisionOut(Out):
    cycle_id: int
    cycle_label: str
    state: str
    meeting: MeetingOut | None
    tiers: list[TierQuotaOut]
    not_graded: list[NotGradedOut]
    notes: list[str]
    undecided: int


class MyResultOut(Out):
    cycle_id: int
    cycle_label: str
    unit: str
    final_grade: str | None
    not_graded_reason: str | None
    total: float | None
    published_state: str
    publicity_ends: str | None


class ResultRow(Out):
    tier: str
    staff_no: str
    name: str
    post: str
    total: float | None
    suggested_grade: str | None
    final_grade: str | None
    not_graded_reason: str | None


class FilingChange(Out):
    staff_no: str
    name: str
    from_grade: str | None = Field(description="报送时的等次")
    to_grade: str | None = Field(description="变更后的等次")
    objection_id: int | None
    at: str = Field(description="变更时间（UTC，ISO 8601）")


class FilingEarlier(Out):
    state: str
    submitted_by: str
    submitted_at: str
    reviewed_by: str | None
    reviewed_at: str | None
    superseded_at: str = Field(description="更正备案的时间（UTC）")
    changes: list[FilingChange]
    rows: list[ResultRow]


class FilingOut(Out):
    id: int
    kind: str
    unit_id: int
    unit: str
    year: int
    quarter: int
    state: str
    state_label: str
    submitted_by: str
    submitted_at: datetime
    reviewed_by: str | None
    return_reason: str | None
    rows: list[ResultRow]
    changed: bool = Field(description="报送后等次有变更（结果已变更，需更正备案）")
    changed_label: str
    changed_at: datetime | None
    changes: list[FilingChange] = Field(description="报送后的等次变更（异议复核改变等次）")
    history: list[FilingEarlier] = Field(description="更正备案前的历次报送内容")


class FilingQuery(In):
    state: Literal["submitted", "accepted", "returned"] | None = None
    unit_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class ReviewIn(In):
    accept: bool
    reason: str = Field(default="", max_length=500)


# ---- unit HR tools ------------------------------------------------------------------------------------------------
class BindCodeIn(In):
    staff_no: StaffNo


class BindCodeOut(Out):
    code: str
    staff_no: str
    name: str
    expires_at: datetime


class AssignIn(In):
    supervisor_staff_no: StaffNo


class AssignOut(Out):
    evaluation_id: int
    supervisor_staff_no: str
    version: int


class EndSessionsIn(In):
    reason: str = Field(min_length=1, max_length=200)


# ---- results fed back: the person's sign-off (本人签署意见) and objections (异议) --------------------------------------
class ObjectionOut(Out):
    id: int
    state: str = Field(description="open 待单位答复；upheld 单位维持原等次；changed 已改变等次；escalated 已向县公务员办"
                                   "申诉；closed 已办结")
    state_label: str
    grade: str = Field(description="提出异议时的等次")
    reason: str
    created_at: str = Field(description="北京时间")
    answer_due: str = Field(description="单位答复期限（北京时间）")
    attachment_name: str | None
    answer: str = Field(default="", description="单位答复（维持的理由或改变等次的说明）")
    new_grade: str = Field(default="", description="经党委(党组)改变后的等次；未改变为空")
    answered_at: str = ""
    meeting_on: str = Field(default="", description="改变等次的党委(党组)会议日期")
    escalation_reason: str = ""
    county_note: str = Field(default="", description="县公务员办的办理意见")
    can_accept: bool = False
    can_escalate: bool = False
    escalate_ends: str = Field(default="", description="申诉截止（北京时间）")
    kind: str = Field(default="quarter", description="quarter 季度异议；annual 年度考核等次的复核")


class FeedbackOut(Out):
    evaluation_id: int
    cycle_id: int
    cycle_label: str
    unit: str
    grade: str
    total: float | None
    published_at: str = Field(description="结果反馈（公示开始）时间，北京时间")
    sign_due: str = Field(description="确认期限，北京时间")
    signed: Literal["agree", "object"] | None
    signed_label: str | None
    signed_comment: str
    signed_at: str
    objection: ObjectionOut | None
    can_sign: bool
    can_object: bool
    objection_ends: str
    reasons: dict[str, str] = Field(description="不能确认（sign）或不能提出异议（object）的原因")


class MyFeedbackOut(Out):
    feedback: FeedbackOut | None = Field(description="最近一次反馈的考核结果；尚未反馈时为 null")


class SignIn(In):
    choice: Literal["agree", "object"] = Field(description="agree 同意；object 有异议（comment 即异议理由，必填）")
    comment: str = Field(default="", max_length=5000, description="意见（可选）；有异议时为理由")
    evaluation_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="缺省为最近一次反馈的结果")


class AttachmentIn(In):
    name: str = Field(min_length=1, max_length=200)
    content_base64: str = Field(min_length=1, max_length=1_000_000, description="文件内容（base64）；jpg、png 或 pdf")


class ObjectionIn(In):
    reason: str = Field(max_length=5000, description="异议理由（必填）")
    attachment: AttachmentIn | None = None
    evaluation_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class SignoffRowOut(Out):
    evaluation_id: int
    staff_no: str
    name: str
    tier: str
    grade: str
    signed: str | None
    signed_label: str
    comment: str
    signed_at: str
    objection: str


class UnitObjectionOut(ObjectionOut):
    name: str
    staff_no: str


class SignoffBoardOut(Out):
    cycle_id: int
    cycle_label: str
    unit: str
    published_at: str
    sign_due: str
    agreed: int
    objected: int
    unsigned: int
    rows: list[SignoffRowOut]
    objections: list[UnitObjectionOut]
# ---- leave and secondment ------------------------------------------------------------------------------------------
class LeaveEntryIn(In):
    staff_no: StaffNo
    year: int = Field(ge=2000, le=2100)
    quarter: int = Field(ge=1, le=4)
    days: float = Field(ge=0, le=92, description="本季度请假天数（按本县规定的最小单位，如 0.5 天）")
    note: str = Field(default="", max_length=200)


class LeaveIn(In):
    entries: list[LeaveEntryIn] = Field(min_length=1, max_length=2000)


class LeaveReportOut(Out):
    unit: str
    total: int
    saved: int
    unchanged: int
    marked: list[str] = Field(description="因请假确定为不定等次的人员")
    cleared: list[str] = Field(description="请假天数减少而取消不定等次的人员（需重新评分）")
    too_late: list[str] = Field(description="考核已进入审定或之后，等次未随请假自动调整的人员")
    lines: list[str]


class LeaveQuery(In):
    year: int = Field(ge=2000, le=2100)
    quarter: int = Field(ge=1, le=4)


class LeaveRowOut(Out):
    staff_no: str
    name: str
    year: int
    quarter: int
    days: float
    source: str
    note: str


class SecondmentIn(In):
    staff_no: StaffNo
    host_unit: str = Field(min_length=1, max_length=100, description="借调单位名称")
    start_on: date
    end_on: date
    tier: str = Field(default="", max_length=50, description="在借调单位的考评层次；空则取同名层次或其第一个层次")
    note: str = Field(default="", max_length=200)


class SecondmentOut(Out):
    id: int
    staff_no: str
    name: str
    home_unit: str
    host_unit: str
    host_tier: str
    start_on: date
    end_on: date
    note: str
    direction: str = Field(description="out：本单位人员借出；in：借入本单位")
    ended_on: date | None = Field(default=None, description="提前结束的日期（未提前结束为空）")
    end_reason: str = Field(default="", description="提前结束的原因")


class SecondmentCreated(Out):
    id: int
    notes: list[str]


class SecondmentEditIn(In):
    reason: str = Field(min_length=1, max_length=200, description="修改原因（记入操作日志，并告知两个单位）")
    host_unit: str | None = Field(default=None, min_length=1, max_length=100, description="新的借调单位名称")
    start_on: date | None = None
    end_on: date | None = None
    tier: str | None = Field(default=None, max_length=50, description="在借调单位的考评层次")
    note: str | None = Field(default=None, max_length=200)


class SecondmentEndIn(In):
    reason: str = Field(min_length=1, max_length=200, description="提前结束的原因")
    end_on: date | None = Field(default=None, description="结束日期，默认今天（北京时间）")


class SecondmentChanged(Out):
    id: int
    staff_no: str
    host_unit: str
    start_on: date
    end_on: date
    ended_on: date | None
    end_reason: str
    note: str
    notes: list[str] = Field(description="各季度由哪个单位考核；已开启的考核不受影响的提示")


class WecomLeaveIn(In):
    year: int = Field(ge=2000, le=2100)
    quarter: int = Field(ge=1, le=4)


# ---- 异议 → 复核: the unit's answer, the person's reply, the county office ---------------------------------------
class ObjectionAnswerIn(In):
    action: Literal["uphold", "change"] = Field(description="uphold 维持原等次；change 经党委(党组)改变等次")
    reason: str = Field(max_length=5000, description="维持的理由，或改变等次的说明（必填）")
    new_grade: str = Field(default="", max_length=8, description="改变后的等次（change 时必填）")
    meeting_on: date | None = Field(default=None, description="党委(党组)会议日期（change 时必填）")
    attendees: str = Field(default="", max_length=2000, description="参会人员（change 时必填）")


class ObjectionReplyIn(In):
    action: Literal["accept", "escalate"] = Field(description="accept 接受答复；escalate 向县公务员办申诉")
    reason: str = Field(default="", max_length=5000, description="申诉理由（escalate 时必填）")
    objection_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="缺省为最近一次异议")


class ObjectionCloseIn(In):
    note: str = Field(max_length=5000, description="县公务员办的办理意见（必填）")


class ObjectionCaseOut(Out):
    id: int
    kind: str = Field(default="quarter", description="quarter 季度平时考核结果；annual 年度考核等次（复核）")
    unit: str
    cycle_id: int | None = Field(description="季度异议的考核周期；年度复核为 null")
    cycle_label: str = Field(description="2026年第3季度，或 2026年度")
    staff_no: str
    name: str
    state: str
    state_label: str
    grade: str
    new_grade: str
    reason: str
    created_at: str
    answer_due: str
    age_days: int = Field(description="提出至今的天数")
    overdue: bool = Field(description="单位答复已逾期")
    answer: str
    answered_by: str
    answered_at: str
    meeting_on: str
    meeting_attendees: str
    escalation_reason: str
    responded_at: str
    county_note: str
    closed_at: str
    attachment_name: str | None
    actions: list[str] = Field(description="当前可进行的操作（uphold/change/accept/escalate/close）")


class CountyObjectionsQuery(In):
    include_closed: bool = Field(default=False, description="包括已办结的异议")


class CountyObjectionsOut(Out):
    rows: list[ObjectionCaseOut]
    open: int = Field(description="待单位答复")
    overdue: int = Field(description="其中答复已逾期")
    escalated: int = Field(description="待县公务员办办理的申诉")


# ---- the year's annual grades (年度考核等次): recorded by the unit, told, 复核 under the law ------------------------
class AnnualOut(Out):
    annual_result_id: int
    year: int
    cycle_label: str = Field(description="如 2025年度")
    unit: str
    grade: str = Field(description="现行年度考核等次（复核改变后为新等次）")
    decided_grade: str = Field(description="单位最初确定的等次")
    published_at: str = Field(description="告知本人的时间，北京时间")
    objection: ObjectionOut | None
    can_object: bool = Field(description="现在可以申请复核")
    objection_ends: str = Field(description="申请复核截止（告知后 law_request_days 日），北京时间")
    under_law: bool
    reasons: dict[str, str] = Field(description="不能申请复核的原因（object）")


class MyAnnualOut(Out):
    annual: AnnualOut | None = Field(description="最近一次告知的年度考核等次；尚未告知时为 null")


class AnnualObjectionIn(In):
    reason: str = Field(max_length=5000, description="复核理由（必填）")
    year: int | None = Field(default=None, ge=2000, le=2100, description="缺省为最近一次告知的年度")


class AnnualSheetRowOut(Out):
    person_id: int
    staff_no: str
    name: str
    tier: str
    quarters: list[str | None]
    not_graded: list[str]
    reasons: list[str]
    pending: int = Field(description="尚未审定的季度数")
    max_grade: str
    forced_grade: str
    suggested: str = Field(description="按平时考核结果建议的年度等次")
    allowed: list[str] = Field(description="规则允许确定的等次")
    grade: str = Field(description="已确定的现行等次；未确定为空")
    decided_grade: str
    decided_by: str
    decided_at: str
    fed_back_at: str
    objection_id: int | None
    objection_state: str


class AnnualSheetOut(Out):
    unit_id: int
    unit: str
    year: int
    rows: list[AnnualSheetRowOut]
    recorded: int
    fed_back: int
    grades: list[str]
    objections: list[ObjectionCaseOut] = Field(description="本年度的复核申请（单位答复用）")


class AnnualRecordIn(In):
    staff_no: StaffNo
    grade: str = Field(default="", max_length=8, description="缺省为建议等次")
    note: str = Field(default="", max_length=2000)


class AnnualRecordOut(Out):
    staff_no: str
    name: str
    year: int
    grade: str
    suggested: str
    decided_by: str
    decided_at: str


class AnnualFeedbackOut(Out):
    unit: str
    year: int
    told: int = Field(description="本次告知的人数")
