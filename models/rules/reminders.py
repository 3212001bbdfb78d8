"""When reminders are due: the policy's offsets before each deadline, one overdue notice, never in quiet hours."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from config.policy import Policy

from .calendar import to_local

OVERDUE = "overdue"


def in_quiet_hours(now: datetime, policy: Policy) -> bool:
    """Quiet hours may wrap midnight (21:30–08:00): start inclusive, end exclusive."""
    t = to_local(now, policy).time()
    start, end = policy.reminders.quiet_start, policy.reminders.quiet_end
    return (start <= t or t < end) if start > end else (start <= t < end)


def _at(day, clock: time, policy: Policy) -> datetime:
    return datetime.combine(day, clock, tzinfo=ZoneInfo(policy.timezone)).astimezone(timezone.utc)


def moments(deadline: datetime, policy: Policy, offsets: tuple[int, ...] | None = None) -> list[tuple[str, datetime]]:
    """``("d3", t)``… for each offset (days before the deadline's local day, at ``send_at``), then the overdue one
    (the morning after the deadline). ``offsets``: another step's own (e.g. ``[feedback] remind_offsets_days``)."""
    r = policy.reminders
    day = to_local(deadline, policy).date()
    offsets = r.offsets_days if offsets is None else offsets
    out = [(f"d{offset}", _at(day - timedelta(days=offset), r.send_at, policy)) for offset in offsets]
    out = [(key, min(at, deadline)) for key, at in out]  # a deadline before send_at: remind at the deadline at latest
    out.append((OVERDUE, max(_at(day + timedelta(days=1), r.send_at, policy), deadline)))
    return out


def due(deadline: datetime, now: datetime, policy: Policy, offsets: tuple[int, ...] | None = None) -> list[str]:
    """The reminder keys whose moment has come and whose grace (a scheduler that was down) has not run out."""
    if in_quiet_hours(now, policy):
        return []
    grace = timedelta(hours=policy.reminders.grace_hours)
    return [key for key, at in moments(deadline, policy, offsets) if at <= now < at + grace]
