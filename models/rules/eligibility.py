"""Who is not graded (不定等次) in a quarter, and why."""
from __future__ import annotations

from datetime import date

from config.policy import Policy


def not_graded_reason(hired_on: date | None, leave_days: int, quarter_end: date, policy: Policy) -> str | None:
    rules = policy.not_graded
    if hired_on is not None and (quarter_end - hired_on).days < rules.probation_days:
        return rules.probation_reason
    if leave_days > rules.leave_days_max:
        return rules.leave_reason.format(days=rules.leave_days_max)
    return None
