"""Results fed back to the person: signing them (本人签署意见: 同意 / 有异议) and objecting (异议).

Pure rules: the caller gathers the facts (is the result fed back, has the person signed, is there an objection,
the time) and asks; the answer is ``None`` (go ahead) or a :class:`RuleViolation` with a Chinese message.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from config.policy import Policy

from .calendar import add_working_days, end_of_local_day, format_local, to_local
from .scoring import RuleViolation

AGREE, OBJECT = "agree", "object"
CHOICES = {AGREE: "同意", OBJECT: "有异议"}
# what a person may type or tap for each choice (the chat's “确认结果 同意”, a form's value)
CHOICE_WORDS = {"同意": AGREE, "无异议": AGREE, "agree": AGREE,
                "有异议": OBJECT, "异议": OBJECT, "不同意": OBJECT, "object": OBJECT}
# refusals that are about the state of things (409), not the input (422)
CONFLICTS = frozenset({"not_fed_back", "already_signed", "objection_exists", "objection_window_closed",
                       "signed_agree", "illegal_transition", "escalation_window_closed", "not_graded",
                       "not_answered", "quota_exceeded", "not_reviewable",
                       "annual_forced", "annual_above_max", "not_recorded", "already_fed_back"})


def parse_choice(word: str) -> str | None:
    return CHOICE_WORDS.get(word.strip().lower() if word.isascii() else word.strip())


def sign_deadline(published_at: datetime, policy: Policy) -> datetime:
    """The end of the policy's ``sign_working_days``-th working day after the day of feedback."""
    day = to_local(published_at, policy).date()
    return end_of_local_day(add_working_days(day, policy.feedback.sign_working_days, policy), policy)


def law_applies(grade: str | None, policy: Policy, annual: bool = False) -> bool:
    """An objection to this grade is a 复核 under the civil-service law's clocks (the policy's ``law_grades``; for
    a recorded annual grade, ``annual_law_grades``)."""
    return bool(grade) and grade in (policy.feedback.annual_law_grades if annual else policy.feedback.law_grades)


def _days_after(moment: datetime, days: int, policy: Policy) -> datetime:
    """The end of the local day ``days`` calendar days after ``moment``'s local day (the law counts calendar days)."""
    return end_of_local_day(to_local(moment, policy).date() + timedelta(days=days), policy)


def objection_deadline(published_at: datetime | None, publicity_ends: datetime | None,
                       policy: Policy, grade: str | None = None) -> datetime | None:
    """Objections are taken during 公示 and until the end of the ``objection_working_days``-th working day after
    feedback, whichever is later — for a grade under the law, at least ``law_request_days`` calendar days after
    feedback. ``None``: neither is known (the window never opened)."""
    ends = [publicity_ends] if publicity_ends else []
    if published_at is not None:
        day = to_local(published_at, policy).date()
        ends.append(end_of_local_day(add_working_days(day, policy.feedback.objection_working_days, policy), policy))
        if law_applies(grade, policy):
            ends.append(_days_after(published_at, policy.feedback.law_request_days, policy))
    return max(ends) if ends else None


def answer_due(filed_at: datetime, policy: Policy, grade: str | None = None, annual: bool = False) -> datetime:
    """When the unit's answer to an objection filed at ``filed_at`` is due (end of that working day; for a grade
    under the law, ``law_decision_days`` calendar days)."""
    if law_applies(grade, policy, annual):
        return _days_after(filed_at, policy.feedback.law_decision_days, policy)
    day = to_local(filed_at, policy).date()
    return end_of_local_day(add_working_days(day, policy.feedback.answer_working_days, policy), policy)


def escalate_deadline(answered_at: datetime, policy: Policy, grade: str | None = None,
                      annual: bool = False) -> datetime:
    """Until when the person may escalate the unit's answer to the county office (end of that working day; for a
    grade under the law, 申诉 within ``law_appeal_days`` calendar days of the review decision)."""
    if law_applies(grade, policy, annual):
        return _days_after(answered_at, policy.feedback.law_appeal_days, policy)
    day = to_local(answered_at, policy).date()
    return end_of_local_day(add_working_days(day, policy.feedback.escalate_working_days, policy), policy)


def answer_overdue(state: str, answer_due: datetime | None, now: datetime) -> bool:
    """An objection still waiting for the unit's answer after its limit."""
    return state == "open" and answer_due is not None and now > answer_due


def age_days(created_at: datetime, now: datetime) -> int:
    """Whole days since the objection was filed (calendar days, as the county office counts age)."""
    return max(0, (now - created_at).days)


UPHOLD, CHANGE = "uphold", "change"


@dataclass(frozen=True)
class AnswerFacts:
    """The unit's answer as entered: the action, the reason, and for a change the new grade and the meeting."""

    action: str  # uphold | change
    reason: str
    new_grade: str = ""
    current_grade: str | None = None  # the evaluation's final grade now (None: 不定等次)
    not_graded: bool = False
    meeting_on: date | None = None
    attendees: str = ""
    grades: tuple[str, ...] = ()  # the grades a change may pick (default: the policy's quarterly grades)


def answer_refusal(facts: AnswerFacts, today: date, policy: Policy) -> RuleViolation | None:
    """Why the unit's answer cannot be recorded as entered (the state is checked by the state machine)."""
    if facts.action not in (UPHOLD, CHANGE):
        return RuleViolation("请选择“维持原等次”或“改变等次”", "bad_answer")
    refusal = text_refusal(facts.reason, "答复理由", policy.feedback.reason_max_chars, required=True)
    if refusal:
        return refusal
    if facts.action == UPHOLD:
        return None
    if facts.not_graded:
        return RuleViolation("该人员本季度不确定等次，不能改变等次；如需调整请答复维持并说明", "not_graded")
    grades = facts.grades or policy.grades
    if facts.new_grade not in grades:
        return RuleViolation(f"等次只能是 {'、'.join(grades)}", "bad_grade")
    if facts.new_grade == facts.current_grade:
        return RuleViolation(f"新等次与原等次相同（{facts.new_grade}），请选择“维持原等次”", "same_grade")
    if facts.meeting_on is None:
        return RuleViolation("改变等次须经党委(党组)会议决定，请填写会议日期", "meeting_required")
    if facts.meeting_on > today:
        return RuleViolation("会议日期不能晚于今天", "meeting_in_future")
    if not facts.attendees.strip():
        return RuleViolation("请填写参会人员", "attendees_required")
    return None


def escalate_refusal(answered_at: datetime | None, now: datetime, policy: Policy,
                     grade: str | None = None, annual: bool = False) -> RuleViolation | None:
    """The person escalates only after the unit's answer and within the policy's (or the law's) days."""
    if answered_at is None:
        return RuleViolation("单位尚未答复您的异议，答复后才能申诉", "not_answered")
    ends = escalate_deadline(answered_at, policy, grade, annual)
    if now > ends:
        return RuleViolation(f"申诉期限已过（已于 {format_local(ends, policy)} 截止）", "escalation_window_closed")
    return None


@dataclass(frozen=True)
class ResultFacts:
    fed_back: bool  # the person's result of this quarter is visible to them (公示 began, not withdrawn)
    signed: str | None = None  # agree | object | None
    signed_at: datetime | None = None
    objection: bool = False  # an objection to this publication exists
    objection_ends: datetime | None = None  # objection_deadline(...)


def sign_refusal(facts: ResultFacts, policy: Policy) -> RuleViolation | None:
    if not facts.fed_back:
        return RuleViolation("本季度考核结果还没有反馈给您（公示开始后才能确认结果）", "not_fed_back")
    if facts.signed:
        return RuleViolation(f"您已于 {format_local(facts.signed_at, policy)} 确认结果（{CHOICES[facts.signed]}），"
                             "不能重复确认", "already_signed")
    return None


def objection_refusal(facts: ResultFacts, now: datetime, policy: Policy) -> RuleViolation | None:
    if not facts.fed_back:
        return RuleViolation("本季度考核结果还没有反馈给您，公示开始后才能提出异议", "not_fed_back")
    if facts.objection:
        return RuleViolation("您已对本季度结果提出过异议，单位会答复您，不能重复提出", "objection_exists")
    if facts.signed == AGREE:
        return RuleViolation(f"您已于 {format_local(facts.signed_at, policy)} 签署“同意”，不能再提出异议；"
                             "如有特殊情况请联系单位人事", "signed_agree")
    if facts.objection_ends is None or now > facts.objection_ends:
        ends = f"（已于 {format_local(facts.objection_ends, policy)} 截止）" if facts.objection_ends else ""
        return RuleViolation(f"提出异议的期限已过{ends}", "objection_window_closed")
    return None


# -- a recorded annual grade (年度考核等次): a 复核 only for the policy's ``annual_law_grades``, on the law's clocks --
def annual_objection_deadline(fed_back_at: datetime | None, policy: Policy) -> datetime | None:
    """A 复核 of the annual grade is asked within ``law_request_days`` calendar days of being told it."""
    return _days_after(fed_back_at, policy.feedback.law_request_days, policy) if fed_back_at else None


@dataclass(frozen=True)
class AnnualFacts:
    grade: str | None  # the annual grade in force (None: not recorded)
    fed_back_at: datetime | None = None  # when the person was told it
    objection: bool = False  # a 复核 of it was already asked


def annual_objection_refusal(facts: AnnualFacts, now: datetime, policy: Policy) -> RuleViolation | None:
    """Why the person may not ask for a 复核 of their annual grade now (``None``: they may)."""
    if not facts.grade or facts.fed_back_at is None:
        return RuleViolation("本年度考核等次还没有告知您，告知后才能申请复核", "not_fed_back")
    if facts.objection:
        return RuleViolation("您已对本年度考核等次申请过复核，单位会作出复核决定，不能重复申请", "objection_exists")
    if not law_applies(facts.grade, policy, annual=True):
        allowed = "、".join(policy.feedback.annual_law_grades) or "（无）"
        return RuleViolation(f"年度考核等次为“{facts.grade}”，不属于可以申请复核的等次（{allowed}）；"
                             "如有意见请联系单位人事", "not_reviewable")
    ends = annual_objection_deadline(facts.fed_back_at, policy)
    if now > ends:
        return RuleViolation(f"申请复核的期限已过（已于 {format_local(ends, policy)} 截止）", "objection_window_closed")
    return None


def text_refusal(text: str, what: str, max_chars: int, required: bool) -> RuleViolation | None:
    """A reason (required) or comment (optional): trimmed, within the policy's length."""
    text = text.strip()
    if required and not text:
        return RuleViolation(f"请写明{what}", "comment_required" if what == "意见" else "reason_required")
    if len(text) > max_chars:
        return RuleViolation(f"{what}最多 {max_chars} 字，现在 {len(text)} 字", "too_long", max=max_chars)
    return None


SIGNATURES = {"jpg": (b"\xff\xd8\xff",), "png": (b"\x89PNG\r\n\x1a\n",), "pdf": (b"%PDF-",)}
MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}
KIND_NAMES = {"jpg": "JPG 图片", "png": "PNG 图片", "pdf": "PDF 文件"}


def attachment_kind(data: bytes, policy: Policy) -> str:
    """The attachment's kind, read from its first bytes (never from its name), within the policy's size."""
    limit = policy.feedback.attachment_max_kb
    if not data:
        raise RuleViolation("附件是空文件", "attachment_empty")
    if len(data) > limit * 1024:
        raise RuleViolation(f"附件不能超过 {limit} KB（现在 {len(data) // 1024} KB）", "attachment_too_large",
                            max_kb=limit)
    for kind in policy.feedback.attachment_types:
        if data.startswith(SIGNATURES[kind]):
            return kind
    allowed = "、".join(KIND_NAMES[k] for k in policy.feedback.attachment_types)
    raise RuleViolation(f"附件只能是 {allowed}", "attachment_type")
