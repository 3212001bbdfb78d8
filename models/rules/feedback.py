"""Results fed back to the person: signing them (本人签署意见: 同意 / 有异议) and objecting (异议).

Pure rules: the caller gathers the facts (is the result fed back, has the person signed, is there an objection,
the time) and asks; the answer is ``None`` (go ahead) or a :class:`RuleViolation` with a Chinese message.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
                       "signed_agree"})


def parse_choice(word: str) -> str | None:
    return CHOICE_WORDS.get(word.strip().lower() if word.isascii() else word.strip())


def sign_deadline(published_at: datetime, policy: Policy) -> datetime:
    """The end of the policy's ``sign_working_days``-th working day after the day of feedback."""
    day = to_local(published_at, policy).date()
    return end_of_local_day(add_working_days(day, policy.feedback.sign_working_days, policy), policy)


def objection_deadline(published_at: datetime | None, publicity_ends: datetime | None,
                       policy: Policy) -> datetime | None:
    """Objections are taken during 公示 and until the end of the ``objection_working_days``-th working day after
    feedback, whichever is later. ``None``: neither is known (the window never opened)."""
    ends = [publicity_ends] if publicity_ends else []
    if published_at is not None:
        day = to_local(published_at, policy).date()
        ends.append(end_of_local_day(add_working_days(day, policy.feedback.objection_working_days, policy), policy))
    return max(ends) if ends else None


def answer_due(filed_at: datetime, policy: Policy) -> datetime:
    """When the unit's answer to an objection filed at ``filed_at`` is due (end of that working day)."""
    day = to_local(filed_at, policy).date()
    return end_of_local_day(add_working_days(day, policy.feedback.answer_working_days, policy), policy)


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


def text_refusal(text: str, what: str, max_chars: int, required: bool) -> RuleViolation | None:
    """A reason (required) or comment (optional): trimmed, within the policy's length."""
    text = text.strip()
    if required and not text:
        return RuleViolation(f"请写明{what}", f"{'reason' if what == '异议理由' else 'comment'}_required")
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
