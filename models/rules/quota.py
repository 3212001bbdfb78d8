"""The 好 quota: at most a share of each tier may be graded 好; tiers never borrow."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from config.policy import Policy


def good_quota(group_size: int, policy: Policy) -> int:
    """The largest number of 好 allowed in a tier of ``group_size`` people (exact integer arithmetic)."""
    if group_size < 0:
        raise ValueError("group_size must not be negative")
    scaled = group_size * policy.quota.good_percent  # the quota × 100
    if policy.quota.rounding == "down":
        return scaled // 100
    if policy.quota.rounding == "up":
        return -(-scaled // 100)
    return (scaled + 50) // 100  # nearest, half up


@dataclass(frozen=True)
class TierQuota:
    tier: str
    size: int  # people graded in the tier (not-graded people excluded)
    quota: int
    used: int

    @property
    def remaining(self) -> int:
        return self.quota - self.used

    @property
    def exceeded(self) -> bool:
        return self.used > self.quota

    @property
    def zero_quota(self) -> bool:
        return self.size > 0 and self.quota == 0


@dataclass(frozen=True)
class QuotaReport:
    tiers: tuple[TierQuota, ...]
    violations: tuple[str, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.violations


def check_quotas(grades_by_tier: Mapping[str, Sequence[str | None]], policy: Policy) -> QuotaReport:
    """Check each tier on its own. ``None`` grades (不定等次 or not decided) do not count toward size.

    A tier whose quota is 0 is reported in ``notes`` (and any 好 in it is a violation), never passed silently.
    """
    good = policy.good_grade
    tiers, violations, notes = [], [], []
    for tier, grades in grades_by_tier.items():
        graded = [g for g in grades if g is not None]
        q = TierQuota(tier, len(graded), good_quota(len(graded), policy), sum(1 for g in graded if g == good))
        tiers.append(q)
        if q.zero_quota:
            notes.append(f"“{tier}”仅 {q.size} 人，按 {policy.quota.good_percent}% 计算“{good}”等次名额为 0")
        if q.exceeded:
            violations.append(
                f"“{tier}”共 {q.size} 人，“{good}”等次最多 {q.quota} 人，现为 {q.used} 人"
            )
    return QuotaReport(tuple(tiers), tuple(violations), tuple(notes))
