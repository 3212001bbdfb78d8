"""Who is not graded (不定等次) in a quarter, and why."""
from __future__ import annotations

from datetime import date

from config.policy import Policy


def not_graded_reason(hired_on: date | None, leave_days: float, quarter_end: date, policy: Policy,
                      probation_extended_by: int = 0) -> str | None:
    """``probation_extended_by``: days the probation is extended by (``rules.leave.probation_extension``)."""
    rules = policy.not_graded
    if hired_on is not None and (quarter_end - hired_on).days < rules.probation_days + probation_extended_by:
        return rules.probation_reason
    if leave_days > rules.leave_days_max:
        return rules.leave_reason.format(days=rules.leave_days_max)
    return None


def automatic_reasons(policy: Policy) -> tuple[str, ...]:
    """The reasons ``not_graded_reason`` gives (recomputed when leave changes; other reasons are people's choices)."""
    rules = policy.not_graded
    return rules.probation_reason, rules.leave_reason.format(days=rules.leave_days_max)


def leader_placement(is_leader: bool, policy: Policy) -> tuple[str | None, str | None]:
    """Where a unit leader is evaluated: ``(reason, None)`` when not in the unit's cycle at all (the county
    evaluates them), ``(None, tier)`` when in the unit in the policy's tier, ``(None, None)`` when like everyone."""
    rules = policy.leaders
    if not is_leader:
        return None, None
    if rules.evaluated_by == "county":
        return rules.reason, None
    return None, rules.tier or None
