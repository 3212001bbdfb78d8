"""Quarters and deadlines. People see Asia/Shanghai; storage is UTC."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from config.policy import Policy

STEPS = ("summary", "scoring", "decision", "filing")
STEP_LABELS = {"summary": "填写个人小结", "scoring": "领导评鉴", "decision": "党委(党组)审定", "filing": "结果备案"}


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    if quarter not in (1, 2, 3, 4):
        raise ValueError("季度只能是 1 到 4")
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - timedelta(days=1)
    return start, end


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def end_of_local_day(day: date, policy: Policy) -> datetime:
    """23:59:59 local on ``day``, as an aware UTC datetime."""
    local = datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo(policy.timezone))
    return local.astimezone(timezone.utc)


def step_deadlines(year: int, quarter: int, policy: Policy) -> dict[str, datetime]:
    _, end = quarter_bounds(year, quarter)
    d = policy.deadlines
    return {step: end_of_local_day(end + timedelta(days=getattr(d, step)), policy) for step in STEPS}


def opens_on(year: int, quarter: int, policy: Policy) -> date:
    _, end = quarter_bounds(year, quarter)
    return end - timedelta(days=policy.deadlines.open_days_before_quarter_end)


def to_local(moment: datetime, policy: Policy) -> datetime:
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(ZoneInfo(policy.timezone))


def format_local(moment: datetime | None, policy: Policy) -> str:
    return "" if moment is None else to_local(moment, policy).strftime("%Y-%m-%d %H:%M")
