"""The 好 quota: at most a share of each tier may be graded 好.

Two options of the policy (``[quota]``) change what a tier's quota is, both off in ``hengyang`` (tiers never borrow):
- ``min_one_from = N``: a quota group of at least N graded people gets at least one 好 even when the percentage
  rounds down to 0;
- ``pool_below = N``: the tiers of a unit with fewer than N graded people share one quota, computed on their total
  (as counties that pool small groups such as a 包村 group of 2 do). Tiers of N or more keep their own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from config.policy import Policy


def good_quota(group_size: int, policy: Policy) -> int:
    """The largest number of 好 allowed in a quota group of ``group_size`` people (exact integer arithmetic)."""
    if group_size < 0:
        raise ValueError("group_size must not be negative")
    scaled = group_size * policy.quota.good_percent  # the quota × 100
    if policy.quota.rounding == "down":
        quota = scaled // 100
    elif policy.quota.rounding == "up":
        quota = -(-scaled // 100)
    else:
        quota = (scaled + 50) // 100  # nearest, half up
    minimum = policy.quota.min_one_from
    if quota == 0 and minimum and group_size >= minimum:
        return 1
    return quota


def quota_groups(sizes: Mapping[str, int], policy: Policy) -> list[tuple[str, ...]]:
    """Which tiers of one unit share a quota: each tier alone, except the small ones when the policy pools them."""
    limit = policy.quota.pool_below
    small = tuple(t for t, n in sizes.items() if limit and n < limit)
    groups = [(t,) for t in sizes if t not in small]
    if small:
        groups.append(small)
    return groups


@dataclass(frozen=True)
class TierQuota:
    """One quota group: a tier, or several small tiers pooled."""

    tier: str  # the label: the tier's name, or the pooled tiers' names
    size: int  # people graded in the group (not-graded people excluded)
    quota: int
    used: int
    members: tuple[str, ...] = ()

    @property
    def remaining(self) -> int:
        return self.quota - self.used

    @property
    def exceeded(self) -> bool:
        return self.used > self.quota

    @property
    def over(self) -> int:
        return max(0, self.used - self.quota)

    @property
    def zero_quota(self) -> bool:
        return self.size > 0 and self.quota == 0


def group_label(members: Sequence[str]) -> str:
    return "、".join(members) + ("（合并计算名额）" if len(members) > 1 else "")


@dataclass(frozen=True)
class QuotaReport:
    tiers: tuple[TierQuota, ...]
    violations: tuple[str, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.violations

    def for_tier(self, tier: str) -> TierQuota:
        """The quota group a tier belongs to."""
        return next(q for q in self.tiers if tier in q.members)


def check_quotas(grades_by_tier: Mapping[str, Sequence[str | None]], policy: Policy) -> QuotaReport:
    """Check one unit's tiers (pooled as the policy says). ``None`` grades (不定等次 or not decided) do not count
    toward size. Every group over its quota is a violation (all of them, not the first); a group whose quota is 0
    is reported in ``notes``, never passed silently."""
    good = policy.good_grade
    graded = {t: [g for g in grades if g is not None] for t, grades in grades_by_tier.items()}
    tiers, violations, notes = [], [], []
    for members in quota_groups({t: len(gs) for t, gs in graded.items()}, policy):
        grades = [g for t in members for g in graded[t]]
        q = TierQuota(group_label(members), len(grades), good_quota(len(grades), policy),
                      sum(1 for g in grades if g == good), members)
        tiers.append(q)
        if q.zero_quota:
            notes.append(f"“{q.tier}”仅 {q.size} 人，按 {policy.quota.good_percent}% 计算“{good}”等次名额为 0")
        if q.exceeded:
            violations.append(f"“{q.tier}”共 {q.size} 人，“{good}”等次最多 {q.quota} 人，现为 {q.used} 人，超出 {q.over} 人")
    return QuotaReport(tuple(tiers), tuple(violations), tuple(notes))


def quota_by_tier(counts: Mapping[str, tuple[int, int]], policy: Policy) -> dict[str, TierQuota]:
    """For one unit's tiers given as ``tier -> (graded people, 好 so far)``: the quota group each tier belongs to."""
    good = policy.good_grade
    report = check_quotas({t: [good] * used + [""] * (graded - used) for t, (graded, used) in counts.items()}, policy)
    return {t: report.for_tier(t) for t in counts}
