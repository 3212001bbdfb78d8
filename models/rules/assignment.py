"""Who may score an evaluation (评鉴人): the rule every assignment path asks, with the facts gathered by the caller.

The scorer reads the person's summary and writes their scores, so naming one is granting a right. Allowed: an
active member of the evaluation's unit who holds the supervisor role there (a leader, or a 分管领导 grant), not the
evaluatee, and not the unit HR officer making the assignment unless the policy says so.
"""
from __future__ import annotations

from dataclasses import dataclass

from config.policy import AssignmentPolicy

from .scoring import RuleViolation


@dataclass(frozen=True)
class ScorerFacts:
    staff_no: str
    active: bool  # the person exists and is in service
    in_unit: bool  # a current member of the evaluation's unit
    supervisor_role: bool  # a leader of that unit or holding its supervisor grant
    is_evaluatee: bool
    is_acting_admin: bool  # the unit HR officer making this assignment


def scorer_refusal(facts: ScorerFacts, policy: AssignmentPolicy) -> RuleViolation | None:
    """``None`` when the person may be assigned; otherwise why not (Chinese message, stable code).

    A person who does not exist, is out of service or belongs to another unit gets the same message, so unit HR
    cannot probe other units' staff numbers through this answer."""
    if facts.is_evaluatee:
        return RuleViolation("评鉴人不能是考核对象本人", "self_supervision")
    if not (facts.active and facts.in_unit):
        return RuleViolation(f"人员编号 {facts.staff_no} 不是本单位在职人员，不能担任评鉴人", "scorer_not_in_unit")
    if not facts.supervisor_role:
        return RuleViolation(f"{facts.staff_no} 不是本单位的领导或分管领导，不能担任评鉴人", "scorer_not_supervisor")
    if facts.is_acting_admin and not policy.acting_admin_may_score:
        return RuleViolation("单位平时考核管理员不能把自己指定为评鉴人", "scorer_is_acting_admin")
    return None
