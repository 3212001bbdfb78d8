"""Leave days (请假天数) per person and quarter, and secondments (借调): pure rules, the policy's numbers."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from config.policy import Policy

from .calendar import quarter_bounds
from .scoring import RuleViolation, format_points


def check_leave_days(value, year: int, quarter: int, policy: Policy) -> float:
    """A quarter's leave days as recorded: a number ≥ 0, in the policy's steps, at most the quarter's length."""
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        raise RuleViolation("请填写请假天数", "leave_required")
    try:
        days = float(str(value).strip())
    except ValueError:
        raise RuleViolation(f"请假天数应为数字，实际为“{str(value)[:20]}”", "leave_not_number") from None
    start, end = quarter_bounds(year, quarter)
    length = (end - start).days + 1
    if not 0 <= days <= length:  # also refuses nan and inf
        raise RuleViolation(f"请假天数应在 0 到 {length} 之间（{year}年第{quarter}季度共 {length} 天）", "leave_range")
    step = policy.leave.step
    if abs(days / step - round(days / step)) > 1e-9:
        raise RuleViolation(f"请假天数以 {format_points(step)} 天为单位", "leave_step")
    return days


def probation_extension(leave_in_probation: float, policy: Policy) -> int:
    """Days the probation is extended by: the leave taken in it, when that exceeds the policy's threshold (超过)."""
    over = policy.not_graded.probation_leave_over
    if over <= 0 or leave_in_probation <= over:
        return 0
    return int(-(-leave_in_probation // 1))  # a started day counts


def leave_indicator(indicators: Iterable[tuple[int, str, str]], policy: Policy) -> int | None:
    """The indicator (id, kind, dimension) the leave days are shown beside: the first common one of the policy's
    dimension (勤: 工作态度和出勤纪律)."""
    for indicator_id, kind, dimension in indicators:
        if kind == "common" and dimension == policy.leave.dimension:
            return indicator_id
    return None


def whole_months(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end`` inclusive: 1 Feb–31 Mar is 2; 15 Jan–31 Mar is 2; 1 Jan–31 Mar is 3."""
    if end < start:
        return 0
    after = end + timedelta(days=1)
    months = (after.year - start.year) * 12 + after.month - start.month
    if after.day < start.day:
        months -= 1
    return max(months, 0)


def host_evaluates(start: date, end: date, year: int, quarter: int, policy: Policy) -> bool:
    """Does the host unit evaluate a person seconded ``start``..``end`` (inclusive) for the quarter? Only when the
    policy says so and the secondment covers at least ``min_months`` whole months of that quarter."""
    rules = policy.secondment
    if not rules.host_evaluates:
        return False
    q_start, q_end = quarter_bounds(year, quarter)
    return whole_months(max(start, q_start), min(end, q_end)) >= rules.min_months


def secondment_reason(host: str, policy: Policy) -> str:
    return policy.secondment.reason.format(host=host)
