"""Indicator templates, total scores and suggested grades."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from config.policy import Policy

COMMON = "common"
SPECIFIC = "specific"


class RuleViolation(ValueError):
    """A rule refused the data. ``message`` is Chinese and meant for the user."""

    def __init__(self, message: str, code: str = "rule_violation", **details):
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details


@dataclass(frozen=True)
class IndicatorDef:
    key: str
    kind: str  # common | specific
    dimension: str
    name: str
    points: float


def format_points(x: float) -> str:
    """Points as people write them: 8, 7.5 — not 8.0 (messages, pages)."""
    return f"{x:g}"


def validate_template(indicators: Iterable[IndicatorDef], policy: Policy) -> None:
    """Refuse a template whose counts or weights do not match the profile (5×common = 40, 5×specific = 60)."""
    items = list(indicators)
    t = policy.template
    common = [i for i in items if i.kind == COMMON]
    specific = [i for i in items if i.kind == SPECIFIC]
    if len(common) + len(specific) != len(items):
        raise RuleViolation("指标类别只能是共性指标或个性指标", "template_kind")
    for i in items:
        if not i.name.strip():
            raise RuleViolation("指标名称不能为空", "template_name")
        if i.points <= 0:
            raise RuleViolation(f"指标“{i.name}”的分值必须大于 0", "template_points")
    if len({i.name for i in items}) != len(items):
        raise RuleViolation("同一评鉴表中指标名称不能重复", "template_duplicate")
    checks = (
        ("共性指标", common, t.common_count, t.common_total),
        ("个性指标", specific, t.specific_count, t.specific_total),
    )
    for label, group, count, total in checks:
        if len(group) != count:
            raise RuleViolation(
                f"{label}应为 {count} 项，现有 {len(group)} 项", "template_count",
                kind=label, expected=count, actual=len(group),
            )
        actual = round(sum(i.points for i in group), 4)
        if actual != total:
            raise RuleViolation(
                f"{label}分值合计应为 {format_points(total)} 分，现为 {format_points(actual)} 分", "template_weights",
                kind=label, expected=total, actual=actual,
            )
    grand = round(sum(i.points for i in items), 4)
    if grand != t.total:
        raise RuleViolation(f"指标分值合计应为 {format_points(t.total)} 分，现为 {format_points(grand)} 分", "template_weights")


def check_score(indicator: IndicatorDef, score: float) -> float:
    """A single tapped score must lie within 0..points (half points allowed)."""
    if not 0 <= score <= indicator.points:
        raise RuleViolation(
            f"“{indicator.name}”的得分应在 0 到 {format_points(indicator.points)} 分之间，收到 {format_points(score)}",
            "score_out_of_range", indicator=indicator.key, max=indicator.points, score=score,
        )
    if round(score * 2) != score * 2:
        raise RuleViolation(f"“{indicator.name}”的得分最小单位为 0.5 分", "score_step", indicator=indicator.key)
    return float(score)


def quick_level_score(indicator: IndicatorDef, level: str, policy: Policy) -> float:
    """优/良/中/差 → points × the profile's share, rounded to half a point."""
    if level not in policy.quick_levels:
        options = "、".join(policy.quick_levels)
        raise RuleViolation(f"快捷档次只能是 {options}，收到“{level}”", "quick_level", level=level)
    return round(indicator.points * policy.quick_levels[level] * 2) / 2


def total_score(scores: Mapping[str, float], indicators: Iterable[IndicatorDef]) -> float:
    """Sum of the scores given so far (missing indicators count 0)."""
    return round(sum(float(scores.get(i.key, 0)) for i in indicators), 2)


def missing_indicators(scores: Mapping[str, float], indicators: Iterable[IndicatorDef]) -> list[str]:
    return [i.name for i in indicators if i.key not in scores]


def suggested_grade(total: float, policy: Policy) -> str:
    for band in policy.bands:
        if total >= band.min:
            return band.grade
    return policy.bands[-1].grade
