"""Calendar duties the scheduler performs: open quarters when the policy says, close publicity periods."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.policy import Policy
from models import Cycle, Unit
from models.rules.calendar import format_local, opens_on, quarter_of, step_deadlines

from handlers.actor import system_actor
from handlers.quarter.cycles import get_cycle, open_cycle
from handlers.outbound.notices import system_notice
from handlers.outbound.reminders import unit_hr


def open_due_cycles(session: Session, policy: Policy, today: date) -> list[int]:
    """Open this quarter (and a previous one still within its summary deadline) for every unit that lacks it."""
    year, quarter = quarter_of(today)
    prev = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    opened = []
    for y, q in (prev, (year, quarter)):
        if not opens_on(y, q, policy) <= today <= step_deadlines(y, q, policy)["summary"].date():
            continue
        for unit_id in session.scalars(select(Unit.id).order_by(Unit.id)):
            if get_cycle(session, unit_id, y, q) is None:
                with session.begin_nested():
                    opened.append(open_cycle(session, system_actor("scheduler"), unit_id, y, q, policy, today=today).id)
    return opened


def end_publicity(session: Session, policy: Policy, now: datetime) -> list[int]:
    """A publicity period (公示) that ended: tell unit HR, once, that the results may now be filed."""
    told = []
    for cycle in session.scalars(select(Cycle).where(Cycle.state == "publicity", Cycle.publicity_ends <= now,
                                                     Cycle.publicity_ends > now - timedelta(days=30))):
        unit = session.get(Unit, cycle.unit_id)
        notice = system_notice(
            session, kind="reminder", dedupe_key=f"publicity-ended:{cycle.id}", title="公示期已结束",
            body=f"{unit.name}{cycle.label}平时考核结果公示已于{format_local(cycle.publicity_ends, policy)}结束，"
                 f"请于{format_local(cycle.filing_due, policy)}前报县公务员办备案。",
            person_ids=unit_hr(session, cycle.unit_id), now=now)
        if notice:
            told.append(cycle.id)
    return told
