"""Bodies of the 加扣分、负面清单与问责 endpoints (``merits_views``) and the pieces the score sheet and the committee's
screen show (applied adjustments, blocked grades)."""
from __future__ import annotations

from datetime import date

from pydantic import Field

from .schemas import AdjustmentLineOut, GradeBlockOut, In, Out, StaffNo  # noqa: F401  (re-exported)


class CatalogueItemOut(Out):
    code: str
    name: str
    category: str
    points: float
    points_text: str
    cap_per_quarter: float
    evidence_required: bool
    evidence_hint: str
    effects: list[str]
    effect_labels: list[str]
    period_months: int


class CatalogueOut(Out):
    require_approval: bool = Field(description="记录的事项是否须经县公务员办审核后生效")
    evidence_max_bytes: int
    evidence_types: list[str]
    items: list[CatalogueItemOut]


class EvidenceIn(In):
    name: str = Field(min_length=1, max_length=200, description="文件名（含扩展名，如 诫勉决定书.pdf）")
    content_base64: str = Field(min_length=1, max_length=1_400_000,
                                description="文件内容，Base64 编码（经接口上传受请求大小 1 MiB 限制；大文件请在管理台上传）")


class MeritIn(In):
    staff_no: StaffNo
    item_code: str = Field(min_length=1, max_length=32, description="县里加扣分目录中的事项编号")
    occurred_on: date = Field(description="事件日期 YYYY-MM-DD")
    description: str = Field(default="", max_length=500)
    evidence: EvidenceIn | None = None


class ReviewIn(In):
    approve: bool
    note: str = Field(default="", max_length=500, description="审核意见；不予通过时必填")


class WithdrawIn(In):
    reason: str = Field(min_length=1, max_length=500)


class EvidenceMetaOut(Out):
    name: str
    type: str
    size: int
    sha256: str


class MeritOut(Out):
    id: int
    person_id: int
    staff_no: str
    name: str
    item_code: str
    item_name: str
    category: str
    points: float
    effects: list[str]
    effect_labels: list[str]
    period_from: str
    period_to: str
    occurred_on: str
    description: str
    state: str = Field(description="pending 待审核 | approved 已生效 | rejected 未通过 | withdrawn 已撤回")
    state_label: str
    evidence: EvidenceMetaOut | None
    recorded_by: str
    recorded_at: str
    reviewed_by: str | None
    review_note: str | None


class MeritQuery(In):
    unit_id: int | None = Field(default=None, ge=1, le=2 ** 31 - 1)
    staff_no: str | None = Field(default=None, max_length=32)
    year: int | None = Field(default=None, ge=2000, le=2100)
    quarter: int | None = Field(default=None, ge=1, le=4)
    state: str | None = Field(default=None, max_length=16)
