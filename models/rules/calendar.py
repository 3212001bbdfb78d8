"""Quarters and deadlines. People see Asia/Shanghai; storage is UTC."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from config.policy import Policy
from models.rules.scoring import RuleViolation

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
    """Each step's deadline: the policy's days after the quarter's last day, working days for the steps the policy
    lists in ``[calendar] working_day_deadlines``."""
    _, end = quarter_bounds(year, quarter)
    d = policy.deadlines
    return {step: end_of_local_day(days_after(end, getattr(d, step), step, policy), policy) for step in STEPS}


def is_working_day(day: date, policy: Policy) -> bool:
    """China's working days: the profile's ``[calendar.<year>]`` when it gives the year, else the chinesecalendar
    package (statutory holidays and 调休). A year neither knows is a RuleViolation naming the year."""
    given = policy.calendar.year(day.year)
    if given is not None:
        if day in given.workdays:
            return True
        return day.weekday() < 5 and day not in given.holidays
    import chinese_calendar

    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        raise RuleViolation(
            f"{day.year}年的法定节假日和调休安排尚未知道，无法按工作日计算期限：请在政策文件中加入 [calendar.{day.year}]"
            "（holidays、workdays），或升级 chinesecalendar", "calendar_unknown", year=day.year) from None


def add_working_days(start: date, n: int, policy: Policy) -> date:
    """The ``n``-th working day after ``start`` (``start`` itself does not count)."""
    day, counted = start, 0
    while counted < n:
        day += timedelta(days=1)
        if is_working_day(day, policy):
            counted += 1
    return day


def days_after(start: date, n: int, step: str, policy: Policy) -> date:
    """``n`` days after ``start`` for ``step``: working days if the policy counts that step in working days."""
    if step in policy.calendar.working_day_deadlines:
        return add_working_days(start, n, policy)
    return start + timedelta(days=n)


def publicity_end(published: datetime, policy: Policy) -> datetime:
    """公示 runs until the end of the policy's ``publicity_days``-th (working) day after the day it starts."""
    n = policy.deadlines.publicity_days
    if "publicity" not in policy.calendar.working_day_deadlines:
        return published + timedelta(days=n)
    return end_of_local_day(add_working_days(to_local(published, policy).date(), n, policy), policy)


def opens_on(year: int, quarter: int, policy: Policy) -> date:
    _, end = quarter_bounds(year, quarter)
    return end - timedelta(days=policy.deadlines.open_days_before_quarter_end)


def to_local(moment: datetime, policy: Policy) -> datetime:
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(ZoneInfo(policy.timezone))


def format_local(moment: datetime | None, policy: Policy) -> str:
    return "" if moment is None else to_local(moment, policy).strftime("%Y-%m-%d %H:%M")
