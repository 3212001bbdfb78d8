"""The annual evaluation implied by a year's quarterly grades (the county's rules, in the profile).

Chinese legal usage: 以上/以下/达 include the number, 超过/不满 exclude it. So "好等次2次以上" is
``good >= 2``, "达4次" is ``good >= 4`` and "累计超过2次" is ``bad > 2``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from config.policy import Policy

from .scoring import RuleViolation


@dataclass(frozen=True)
class AnnualOutcome:
    excellent_eligible: bool
    excellent_priority: bool
    max_grade: str
    forced_grade: str | None
    reasons: list[str] = field(default_factory=list)
    good_count: int = 0
    bad_count: int = 0
    graded_count: int = 0

    def as_dict(self) -> dict:
        return {
            "excellent_eligible": self.excellent_eligible,
            "excellent_priority": self.excellent_priority,
            "max_grade": self.max_grade,
            "forced_grade": self.forced_grade,
            "reasons": list(self.reasons),
            "good_count": self.good_count,
            "bad_count": self.bad_count,
            "graded_count": self.graded_count,
        }


def annual_outcome(quarter_grades: Sequence[str | None], policy: Policy, excellent_blocks: Sequence[str] = ()
                   ) -> AnnualOutcome:
    """``quarter_grades``: the year's quarters in order, each a grade or ``None`` (不定等次, not counted).
    ``excellent_blocks``: why the year may not be 优秀 (``models.rules.merits.annual_blocks`` texts)."""
    outcome = _outcome(quarter_grades, policy)
    if not excellent_blocks:
        return outcome
    excellent, competent, *_ = policy.annual.annual_grades
    reasons = list(outcome.reasons) + [f"{b}，年度考核不得评为{excellent}" for b in excellent_blocks]
    max_grade = competent if outcome.max_grade == excellent else outcome.max_grade
    return AnnualOutcome(False, False, max_grade, outcome.forced_grade, reasons, outcome.good_count,
                         outcome.bad_count, outcome.graded_count)


def _outcome(quarter_grades: Sequence[str | None], policy: Policy) -> AnnualOutcome:
    rules = policy.annual
    good_grade = policy.good_grade
    excellent, competent, *_ = rules.annual_grades
    for g in quarter_grades:
        if g is not None and g not in policy.grades:
            raise ValueError(f"未知的平时考核等次：{g!r}")
    graded = [g for g in quarter_grades if g is not None]
    good = sum(1 for g in graded if g == good_grade)
    bad = sum(1 for g in graded if g in rules.capped_grades)
    blocking = [g for g in graded if g in rules.excellent_blocking_grades]
    reasons: list[str] = []
    counts = dict(good_count=good, bad_count=bad, graded_count=len(graded))
    blocking_label = "、".join(rules.excellent_blocking_grades)

    if not graded:
        reasons.append("本年度没有确定等次的平时考核结果，年度考核等次按有关规定确定")
        return AnnualOutcome(False, False, competent, None, reasons, **counts)

    if all(g == rules.all_poor_grade for g in graded):
        reasons.append(
            f"平时考核结果均为{rules.all_poor_grade}等次（{len(graded)} 次），"
            f"年度考核直接确定为{rules.all_poor_forced}"
        )
        return AnnualOutcome(False, False, rules.all_poor_forced, rules.all_poor_forced, reasons, **counts)

    eligible = good >= rules.excellent_min_good and not blocking
    priority = eligible and good >= rules.excellent_priority_good

    if bad > rules.capped_more_than:
        reasons.append(
            f"平时考核{'、'.join(rules.capped_grades)}等次累计 {bad} 次，超过 {rules.capped_more_than} 次，"
            f"年度考核应确定为{rules.capped_max_grade}或{rules.all_poor_forced}"
        )
        max_grade = rules.capped_max_grade
    elif eligible:
        max_grade = excellent
    else:
        max_grade = competent

    if eligible:
        reasons.append(
            f"平时考核{good_grade}等次 {good} 次（{rules.excellent_min_good} 次以上）且无{blocking_label}等次，"
            f"具备年度考核评{excellent}条件"
        )
        if priority:
            reasons.append(f"{good_grade}等次达 {rules.excellent_priority_good} 次，优先确定为{excellent}")
    elif blocking:
        reasons.append(f"有{blocking_label}等次 {len(blocking)} 次，不具备评{excellent}条件")
    else:
        reasons.append(
            f"平时考核{good_grade}等次 {good} 次，不满 {rules.excellent_min_good} 次，不具备评{excellent}条件"
        )
    return AnnualOutcome(eligible, priority, max_grade, None, reasons, **counts)


# -- recording the year's grade: the unit confirms the roll-up's suggestion or picks another grade the rules allow --
def allowed_grades(outcome: AnnualOutcome, policy: Policy) -> list[str]:
    """The annual grades the unit may record: the forced grade alone, else every grade no better than
    ``max_grade`` (``annual_grades`` run from best to worst)."""
    grades = list(policy.annual.annual_grades)
    if outcome.forced_grade:
        return [outcome.forced_grade]
    return grades[grades.index(outcome.max_grade):]


def suggested_grade(outcome: AnnualOutcome, policy: Policy) -> str:
    """What the roll-up suggests: the forced grade; 优秀 only where the rules give it priority (优秀 is otherwise
    the unit's choice within its 优秀 share); else the highest grade allowed."""
    excellent, competent, *_ = policy.annual.annual_grades
    if outcome.forced_grade:
        return outcome.forced_grade
    if outcome.max_grade == excellent and not outcome.excellent_priority:
        return competent
    return outcome.max_grade


def grade_refusal(grade: str, outcome: AnnualOutcome, policy: Policy) -> RuleViolation | None:
    """Why ``grade`` cannot be recorded as the year's annual grade (``None``: it can)."""
    grades = policy.annual.annual_grades
    if grade not in grades:
        return RuleViolation(f"年度考核等次只能是 {'、'.join(grades)}", "bad_grade")
    if outcome.forced_grade and grade != outcome.forced_grade:
        why = "；".join(outcome.reasons)
        return RuleViolation(f"按规定年度考核应直接确定为“{outcome.forced_grade}”，不能定为“{grade}”（{why}）",
                             "annual_forced")
    if grade not in allowed_grades(outcome, policy):
        why = "；".join(outcome.reasons)
        return RuleViolation(f"按平时考核结果，年度考核最高只能定为“{outcome.max_grade}”，不能定为“{grade}”（{why}）",
                             "annual_above_max")
    return None
