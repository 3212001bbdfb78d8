"""Bodies of the county office's and unit HR's endpoints (notices, oversight, 双备案, annual uses, documents).

Requests are strict ``In`` models (unknown fields refused). Responses are ``Out`` models; the nested rows of the
oversight boards keep their documented keys and allow the handlers' extra keys (``Row``), so the OpenAPI document
names every field the console draws while a new column in a handler does not break the API.
Times: ``*_at`` are UTC (ISO 8601 with offset); ``*_local`` are the same moment in Asia/Shanghai for people.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, ConfigDict, Field

from .schemas import MAX_ID, In, Out, StaffNo

UnitName = Field(default=None, min_length=1, max_length=100, description="单位名称；县公务员办不填为全县")
Year = Field(ge=2000, le=2100, description="年度")
Quarter = Field(ge=1, le=4, description="季度 1–4")
Audience = Field(min_length=1, max_length=50,
                 description="接收范围：all、unit:<单位>、tier:<层次>、role:<角色>、group:<工作群>")


class Row(Out):
    """A row whose documented keys are listed; the handler may add more."""
    model_config = ConfigDict(from_attributes=True, extra="allow")


class ChartItem(Out):
    label: str
    value: int


# ---- notices and work groups --------------------------------------------------------------------------------------
class NoticeIn(In):
    title: str = Field(min_length=1, max_length=100)
    body: str = Field(min_length=1, max_length=2000)
    link: str | None = Field(default=None, max_length=500, description="https://… 或小程序页面 pages/…")
    to: list[str] = Audience
    send_at: AwareDatetime | None = Field(default=None, description="定时发送（带时区，如 +08:00）；不填为立即")


class SendDraftIn(In):
    to: list[str] | None = Field(default=None, min_length=1, max_length=50,
                                 description="不填则用草稿原来的接收范围")
    send_at: AwareDatetime | None = None


class NoticeOut(Out):
    id: int
    kind: str = Field(description="通知、提醒、通报草稿等（中文）")
    title: str
    body: str
    link: str | None
    state: str
    status: str = Field(description="草稿、已撤回、待发送、发送中、已完成、部分送达、未送达")
    audience: list[str]
    send_at: datetime = Field(description="UTC")
    send_at_local: str = Field(description="北京时间")
    created_by: str
    total: int
    sent: int
    pending: int
    progress: int


class FailureOut(Out):
    errcode: int | None
    reason: str | None
    count: int


class NoticeReportOut(Out):
    id: int
    kind: str
    title: str
    state: str
    status: str
    send_at: datetime
    send_at_local: str
    audience: list[str]
    total: int
    sent: int
    pending: int
    failed: int
    refused: int
    cancelled: int
    unbound: int = Field(description="发出时未绑定微信的人数（未发送，不算微信失败）")
    resolved: bool = Field(description="接收人是否已确定（定时通知到点发出时才确定）")
    outcome: str = Field(description="一句话的送达情况")
    progress: int
    failures: list[FailureOut]


class DeliveryRowOut(Out):
    recipient: str
    channel: str
    state: str
    attempts: int
    errcode: int | None
    reason: str | None
    sent_at: str | None = Field(description="UTC, ISO 8601")


class CancelOut(Out):
    notice_id: int
    stopped: int


class GroupIn(In):
    name: str = Field(min_length=1, max_length=100)
    wecom_key: str | None = Field(default=None, min_length=1, max_length=300,
                                  description="企业微信群机器人 webhook 的 key（或整个地址）")
    oa_tag_id: int | None = Field(default=None, ge=0, le=MAX_ID, description="公众号用户标签")


class GroupOut(Out):
    id: int
    name: str
    wecom_key: str = Field(description="已遮盖，只显示前后四位")
    oa_tag_id: int | None


# ---- oversight ----------------------------------------------------------------------------------------------------
class PeriodQuery(In):
    year: int = Year
    quarter: int = Quarter
    unit: str | None = UnitName


class YearQuery(In):
    year: int = Year
    unit: str | None = UnitName


class AnnualRowsQuery(YearQuery):
    status: str | None = Field(default=None, min_length=1, max_length=16,
                               description="只看年内展望为此状态的人员（priority、eligible、reachable、unreachable、"
                                           "blocked、capped、forced、no_grades）")


class BoardQuery(PeriodQuery):
    page: int | None = Field(default=None, ge=1, le=1_000_000,
                             description="分页时的页码（不填则返回全部单位）；units 为这一页，matched 为筛选后的单位数")
    per_page: int = Field(default=50, ge=1, le=500, description="每页单位数（与 page 一起使用）")
    sort: str | None = Field(default=None, max_length=16,
                             description="排序：unit、late、people、submitted、published，前加 - 为降序；默认 -late")
    q: str | None = Field(default=None, max_length=100, description="单位名称包含")
    late: bool = Field(default=False, description="只看有逾期环节的单位")


class AnomalyQuery(In):
    year: int = Year
    quarter: int = Quarter
    duplicates: bool = Field(default=True, description="是否包含个人小结雷同")


class DuplicateQuery(PeriodQuery):
    limit: int = Field(default=50, ge=1, le=200, description="最多返回的相似对数")


class BoardTier(Row):
    tier: str
    people: int
    submitted: int
    scored: int
    decided: int
    published: int
    not_graded: int


class BoardUnit(Row):
    unit: str
    step: str
    state: str
    deadlines: dict[str, str]
    filed: str | None
    tiers: list[BoardTier]
    totals: dict[str, int]
    late: list[str]


class BoardOut(Out):
    year: int
    quarter: int
    as_of: str
    units: list[BoardUnit]
    totals: dict[str, int]
    late_units: list[Row]
    chart: list[ChartItem]
    unit_count: int = Field(description="单位总数（不受筛选影响）")
    filed_units: int = Field(description="已报送结果备案的单位数")
    matched: int = Field(description="符合筛选条件的单位数（units 为其中一页或全部）")


class GradeTier(Row):
    unit: str
    tier: str
    counts: dict[str, int]
    graded: int
    quota: int
    good: int
    within_quota: bool
    min_total: float | None
    max_total: float | None


class GradesOut(Out):
    year: int
    quarter: int
    tiers: list[GradeTier]
    over_quota: list[GradeTier]
    chart: list[ChartItem]


class AnomalyOut(Row):
    kind: str = Field(description="all_good、over_quota、identical_scores、same_grades、near_duplicate")
    label: str
    unit: str
    tier: str
    detail: str


class AnomaliesOut(Out):
    year: int
    quarter: int
    items: list[AnomalyOut]
    chart: list[ChartItem] = Field(description="按问题类型计数")


class DupSide(Row):
    staff_no: str
    name: str
    unit: str
    text: str


class DupPair(Out):
    kind: Literal["colleague", "last_quarter"]
    similarity: float
    a: DupSide
    b: DupSide
    overlap: str
    text_ratio: float


class DuplicatesOut(Out):
    year: int
    quarter: int
    threshold: float
    summaries: int
    compared: int
    colleague: int
    last_quarter: int
    pairs_found: int
    pairs: list[DupPair]
    seconds: float


class SpotCheckIn(In):
    year: int = Year
    quarter: int = Quarter
    seed: int | None = Field(default=None, ge=1, le=MAX_ID, description="给出种子可复现同一次抽取")
    units: int | None = Field(default=None, ge=1, le=200)
    people_per_unit: int | None = Field(default=None, ge=1, le=100)


class SampledPerson(Out):
    staff_no: str
    name: str


class SampledUnit(Out):
    unit_id: int
    unit: str
    people: list[SampledPerson]


class FindingOut(Out):
    id: int
    unit: str
    staff_no: str | None
    name: str | None = None
    text: str


class SpotCheckOut(Out):
    id: int
    year: int
    quarter: int
    seed: int
    units: int
    people_per_unit: int
    sample: list[SampledUnit]
    created_by: str
    findings: list[FindingOut]


class SpotCheckListQuery(In):
    year: int | None = Field(default=None, ge=2000, le=2100, description="只列出该年度的抽查")


class SpotCheckListItem(Out):
    id: int
    year: int
    quarter: int
    seed: int
    units: list[str]
    people: int
    findings: int
    created_by: str
    created_at: str = Field(description="北京时间")


class FindingIn(In):
    unit: str = Field(min_length=1, max_length=100)
    text: str = Field(min_length=1, max_length=2000)
    staff_no: StaffNo | None = None


class CircularOut(Out):
    title: str
    text: str
    units: list[str]
    findings: int


class CircularSendIn(In):
    to: list[str] | None = Field(default=None, min_length=1, max_length=50,
                                 description="不填为各单位平时考核管理员（role:单位管理员）")
    send_at: AwareDatetime | None = None


class FilingQuarter(Out):
    quarter: int
    changes: str
    results: str


class FilingUnitStatus(Out):
    unit: str
    annual_plan: str
    quarters: list[FilingQuarter]


class FilingStatusOut(Out):
    year: int
    units: list[FilingUnitStatus]
    missing_annual_plan: int
    chart: list[ChartItem]


# ---- 双备案 filings -------------------------------------------------------------------------------------------------
class DualFilingIn(In):
    kind: Literal["annual_plan", "changes"] = Field(description="annual_plan 年初方案及人员；changes 人员异动")
    unit: str = Field(min_length=1, max_length=100)
    year: int = Year
    quarter: int = Field(default=0, ge=0, le=4, description="人员异动必填 1–4；年初备案为 0")


class DualReviewIn(In):
    action: Literal["accept", "return"]
    reason: str = Field(default="", max_length=500, description="退回时必填")


class DualFilingOut(Out):
    id: int
    kind: str
    label: str
    unit: str
    year: int
    quarter: int
    state: str
    state_label: str
    return_reason: str | None
    payload: dict[str, Any] = Field(description="报送时的快照：年初名册与各层次名额，或人员异动清单")


# ---- annual uses --------------------------------------------------------------------------------------------------
class Outlook(Row):
    status: str
    message: str


class YearRowOut(Row):
    staff_no: str
    name: str
    unit: str
    tier: str
    quarters: list[str | None]
    not_graded: list[str]
    excellent_eligible: bool
    excellent_priority: bool
    max_grade: str
    forced_grade: str | None
    reasons: list[str]
    good_count: int
    bad_count: int
    outlook: Outlook


class CandidateOut(YearRowOut):
    rank: int
    count: int = Field(description="窗口内计入名单的等次次数")
    window: str = Field(description="名单看的季度范围，如 2025年第4季度至2026年第3季度")
    list: str = Field(description="名单名称（政策文件）")


class CandidateQuery(In):
    year: int = Year
    kind: Literal["promotion", "training"] = "promotion"
    quarter: int | None = Field(default=None, ge=1, le=4, description="名单截至的季度（默认第四季度）")
    unit: str | None = UnitName
    tier: str | None = Field(default=None, min_length=1, max_length=100)
    min_good: int | None = Field(default=None, ge=0, le=12)


class AnnualChart(Out):
    outlook: list[ChartItem]
    max_grade: list[ChartItem]


class AnnualSummaryOut(Out):
    year: int
    unit: str | None
    people: int
    chart: AnnualChart


class TalkOut(Out):
    staff_no: str
    name: str
    unit: str
    tier: str
    grade: str
    previous_grade: str | None
    reason: str
    talk_by: str
    talk_by_staff_no: str | None
    held: bool
    held_on: str | None
    held_by: str | None
    note: str | None


class TalkIn(In):
    staff_no: StaffNo
    year: int = Year
    quarter: int = Quarter
    held_on: date
    note: str = Field(default="", max_length=2000)
    held_by_staff_no: StaffNo | None = None


class TalkRecordedOut(Out):
    staff_no: str
    year: int
    quarter: int
    held_on: str
    reason: str


# ---- documents ----------------------------------------------------------------------------------------------------
class DocumentOut(Out):
    name: str
    title: str
    suffix: Literal["docx", "xlsx", "html"]
    needs: list[str]
    note: str


class DocumentsOut(Out):
    items: list[DocumentOut]


class LinkIn(In):
    unit: str | None = Field(default=None, min_length=1, max_length=100)
    year: int | None = Field(default=None, ge=2000, le=2100)
    quarter: int | None = Field(default=None, ge=1, le=4)
    person: StaffNo | None = Field(default=None, description="人员编号（登记表、评鉴表）")
    kind: Literal["promotion", "training"] | None = None
    tier: str | None = Field(default=None, min_length=1, max_length=100)
    objection: int | None = Field(default=None, ge=1, le=2 ** 31 - 1,
                                  description="异议编号（异议受理通知书、复核决定书）")


class LinkOut(Out):
    token: str
    url: str = Field(description="GET 此地址下载（无需再带登录令牌）")
    document: str
    expires_in: int = Field(description="秒")
