"""加扣分、负面清单与问责影响期: what recorded events do to a quarter's total, the committee's grades and the annual
outcome. The catalogue (items, points, caps, effects, periods) is the county's, in the policy's ``[merits]``.

Plain data in, values or ``RuleViolation`` out. An event counts here only once it is in force (approved when the
policy requires approval) — the caller passes only those.
"""
from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from config.policy import MERIT_EFFECTS, MeritItem, Policy

from .scoring import RuleViolation, format_points

GRADE_EFFECTS = ("not_graded", "poor", "no_good")  # strongest first


@dataclass(frozen=True)
class MeritEvent:
    """A recorded event, as the rules need it."""

    id: int
    code: str
    occurred_on: date


@dataclass(frozen=True)
class AppliedLine:
    event_id: int
    code: str
    name: str
    occurred_on: date
    points: float  # the item's points per occurrence
    applied: float  # what counts after the item's quarterly cap
    capped: bool

    def as_dict(self) -> dict:
        return {"event_id": self.event_id, "code": self.code, "name": self.name,
                "occurred_on": self.occurred_on.isoformat(), "points": self.points, "applied": self.applied,
                "capped": self.capped, "text": self.text}

    @property
    def text(self) -> str:
        sign = "+" if self.applied > 0 else ""
        note = f"（每季度上限，按 {sign}{format_points(self.applied)} 分计）" if self.capped else ""
        return f"{self.name}（{self.occurred_on.isoformat()}）{sign}{format_points(self.applied)} 分{note}"


@dataclass(frozen=True)
class Adjustments:
    lines: tuple[AppliedLine, ...]

    @property
    def total(self) -> float:
        return round(sum(line.applied for line in self.lines), 2)


@dataclass(frozen=True)
class Block:
    """An effect on grades: which item, when, for which period, and what it does."""

    effect: str  # no_good | poor | not_graded | no_excellent
    event_id: int
    code: str
    name: str
    occurred_on: date
    period_from: date
    period_to: date

    @property
    def period_text(self) -> str:
        return f"{self.period_from.isoformat()} 至 {self.period_to.isoformat()}"

    @property
    def text(self) -> str:
        return (f"{self.name}（{self.occurred_on.isoformat()}，影响期 {self.period_text}），"
                f"{MERIT_EFFECTS[self.effect]}")

    def as_dict(self) -> dict:
        return {"effect": self.effect, "effect_label": MERIT_EFFECTS[self.effect], "event_id": self.event_id,
                "item_code": self.code, "name": self.name, "occurred_on": self.occurred_on.isoformat(),
                "period_from": self.period_from.isoformat(), "period_to": self.period_to.isoformat(),
                "text": self.text}


def quarter_of(d: date) -> tuple[int, int]:
    return d.year, (d.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    first = date(year, 3 * quarter - 2, 1)
    last_month = 3 * quarter
    return first, date(year, last_month, _calendar.monthrange(year, last_month)[1])


def add_months(d: date, months: int) -> date:
    month0 = d.month - 1 + months
    year, month = d.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(d.day, _calendar.monthrange(year, month)[1]))


def period(item: MeritItem, occurred_on: date) -> tuple[date, date]:
    """The 影响期, both days included: ``period_months`` from the event's date, or the event's quarter when 0."""
    if item.period_months <= 0:
        return occurred_on, quarter_bounds(*quarter_of(occurred_on))[1]
    return occurred_on, add_months(occurred_on, item.period_months) - timedelta(days=1)


def item_for(code: str, policy: Policy) -> MeritItem:
    item = policy.merits.item(code)
    if item is None:
        raise RuleViolation(f"加扣分目录中没有编号为“{code}”的事项，请从县里的目录中选择", "unknown_item", item=code)
    return item


def check_record(code: str, occurred_on: date, today: date, has_evidence: bool, earlier: Iterable[MeritEvent],
                 policy: Policy) -> MeritItem:
    """May this event be recorded? ``earlier``: the person's events in force or waiting (any items)."""
    item = item_for(code, policy)
    if occurred_on > today:
        raise RuleViolation("事件日期不能晚于今天", "date_in_future")
    if item.evidence_required and not has_evidence:
        hint = f"（{item.evidence_hint}）" if item.evidence_hint else ""
        raise RuleViolation(f"“{item.name}”须上传证明材料{hint}", "evidence_required", item=code)
    if item.points:
        quarter = quarter_of(occurred_on)
        same = sum(1 for e in earlier if e.code == code and quarter_of(e.occurred_on) == quarter)
        if abs(item.points) * same >= abs(item.cap_per_quarter):
            year, q = quarter
            raise RuleViolation(
                f"“{item.name}”{year}年第{q}季度已达上限 {format_points(item.cap_per_quarter)} 分"
                f"（每次 {format_points(item.points)} 分，已记录 {same} 次），不能再记录", "over_cap",
                item=code, cap=item.cap_per_quarter, recorded=same)
    return item


def adjustments(events: Iterable[MeritEvent], year: int, quarter: int, policy: Policy) -> Adjustments:
    """The quarter's 加扣分: every event of the quarter with points, each item's sum capped per quarter
    (occurrences counted in date order; the one that crosses the cap counts only up to it)."""
    first, last = quarter_bounds(year, quarter)
    lines = []
    running: dict[str, float] = {}
    for e in sorted(events, key=lambda e: (e.occurred_on, e.id)):
        item = policy.merits.item(e.code)
        if item is None or not item.points or not first <= e.occurred_on <= last:
            continue
        so_far = running.get(item.code, 0.0)
        room = max(0.0, abs(item.cap_per_quarter) - abs(so_far))
        magnitude = min(abs(item.points), room)
        applied = magnitude if item.points > 0 else -magnitude
        running[item.code] = so_far + applied
        lines.append(AppliedLine(e.id, item.code, item.name, e.occurred_on, item.points, applied,
                                 magnitude < abs(item.points)))
    return Adjustments(tuple(lines))


def adjusted_total(indicator_total: float, adj: Adjustments | float, policy: Policy) -> float:
    """指标得分 + 加扣分 (the applied lines, or their sum), kept within the policy's bounds."""
    m = policy.merits
    extra = adj.total if isinstance(adj, Adjustments) else float(adj)
    return round(min(m.total_max, max(m.total_min, indicator_total + extra)), 2)


def quarter_blocks(events: Iterable[MeritEvent], year: int, quarter: int, policy: Policy) -> list[Block]:
    """Effects on a quarter's grade: 不定等次 and 不得评为好 while the quarter overlaps the 影响期; 当季较差 in the
    event's own quarter. Strongest effect first."""
    first, last = quarter_bounds(year, quarter)
    out = []
    for e in events:
        item = policy.merits.item(e.code)
        if item is None:
            continue
        start, end = period(item, e.occurred_on)
        for effect in GRADE_EFFECTS:
            if effect not in item.effects:
                continue
            hits = quarter_of(e.occurred_on) == (year, quarter) if effect == "poor" else start <= last and end >= first
            if hits:
                shown_end = quarter_bounds(*quarter_of(e.occurred_on))[1] if effect == "poor" else end
                out.append(Block(effect, e.id, item.code, item.name, e.occurred_on, start, shown_end))
    return sorted(out, key=lambda b: (GRADE_EFFECTS.index(b.effect), b.occurred_on, b.event_id))


def allowed_grades(blocks: Sequence[Block], policy: Policy) -> tuple[str, ...]:
    """The grades the committee may give: none under 不定等次, only the lowest under 当季较差, all but 好 under
    不得评为好."""
    effects = {b.effect for b in blocks}
    if "not_graded" in effects:
        return ()
    if "poor" in effects:
        return (policy.grades[-1],)
    if "no_good" in effects:
        return tuple(g for g in policy.grades if g != policy.good_grade)
    return policy.grades


def check_grade(grade: str, blocks: Sequence[Block], policy: Policy) -> None:
    """Refuse a grade an effect forbids, naming the item and its period."""
    allowed = allowed_grades(blocks, policy)
    if grade in allowed:
        return
    if not allowed:
        b = next(b for b in blocks if b.effect == "not_graded")
        raise RuleViolation(f"{b.text}，不能审定等次", "merit_not_graded", **b.as_dict())
    b = next(b for b in blocks if b.effect == ("poor" if len(allowed) == 1 else "no_good"))
    raise RuleViolation(f"{b.text}，不能审定为“{grade}”（可选：{'、'.join(allowed)}）", "merit_blocked",
                        grade=grade, allowed=list(allowed), **b.as_dict())


def annual_blocks(events: Iterable[MeritEvent], year: int, policy: Policy) -> list[Block]:
    """年度不得评优秀: events whose 影响期 overlaps the year."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    out = []
    for e in events:
        item = policy.merits.item(e.code)
        if item is None or "no_excellent" not in item.effects:
            continue
        start, end = period(item, e.occurred_on)
        if start <= last and end >= first:
            out.append(Block("no_excellent", e.id, item.code, item.name, e.occurred_on, start, end))
    return sorted(out, key=lambda b: (b.occurred_on, b.event_id))
