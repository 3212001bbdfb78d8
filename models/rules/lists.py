"""Reference lists drawn from the results (选拔任用, 培训): which grades count, how many, over which quarters.

A list is defined in the policy profile (``[results.lists.<kind>]``), not in code: the grades that count, the
least number of them, the window (the named year's quarters up to a quarter, or the last N quarters ending
there, across the year boundary) and grades that keep a person off the list. Pure functions; table-driven tests.
"""
from __future__ import annotations

from config.policy import YEAR_WINDOW as YEAR, ListRule

__all__ = ["ListRule", "count_in", "window_label", "window_quarters"]


def window_quarters(rule: ListRule, year: int, quarter: int) -> list[tuple[int, int]]:
    """The (year, quarter) pairs the list looks at, oldest first."""
    if not 1 <= quarter <= 4:
        raise ValueError("quarter must be 1..4")
    if rule.window is YEAR:
        return [(year, q) for q in range(1, quarter + 1)]
    index = year * 4 + quarter - 1
    return [(i // 4, i % 4 + 1) for i in range(index - rule.window + 1, index + 1)]


def window_label(quarters: list[tuple[int, int]]) -> str:
    (y0, q0), (y1, q1) = quarters[0], quarters[-1]
    first, last = f"{y0}年第{q0}季度", f"{y1}年第{q1}季度"
    return first if quarters[0] == quarters[-1] else f"{first}至{last}"


def count_in(rule: ListRule, grades: list[str | None], min_count: int | None = None) -> int | None:
    """How many of ``grades`` (the window's, None = not decided / not graded) count, if the person is on the
    list; None if not (too few, or an excluding grade)."""
    if any(g in rule.exclude_grades for g in grades if g is not None):
        return None
    n = sum(1 for g in grades if g in rule.grades)
    return n if n >= (rule.min_count if min_count is None else min_count) else None
