"""Unit HR imports its own unit's roster (the console), with the same validation as the county-wide import plus
what a unit may not do: rows of another unit, taking in someone who is a member of another unit (a transfer goes
through the county office), granting or taking away the county office's role, or taking away one's own.

Checking never writes: ``check_unit_roster`` validates and then previews what importing would change (counts and
the 人员异动 it implies) by applying the rows inside a savepoint that is always rolled back.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.policy import Policy
from models import Membership, Person, RoleGrant, Unit

from handlers.identity.access import unit_for_admin
from handlers.actor import Actor
from handlers.identity.changes import Change, quarterly_changes
from handlers.errors import InvalidInput, NotFound
from handlers.identity.roster import ImportReport, Progress, apply_rows, validate_rows
from handlers.identity.roster_format import RosterRow, RowError

MAX_ROWS = 20000


@dataclass
class RosterCheck:
    unit: str
    total: int
    errors: list[RowError]
    preview: ImportReport | None = None  # None when there are errors: nothing is previewed or imported
    changes: list[Change] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors})


def _unit(session: Session, actor: Actor, unit_id: int) -> Unit:
    unit_for_admin(session, actor, unit_id)
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("找不到该单位")
    return unit


def validate_for_unit(session: Session, actor: Actor, unit_id: int,
                      raw_rows: list[tuple[int, dict]]) -> tuple[Unit, list[RosterRow], list[RowError]]:
    unit = _unit(session, actor, unit_id)
    if len(raw_rows) > MAX_ROWS:
        raise InvalidInput(f"一次最多导入 {MAX_ROWS} 行", "roster_too_large")
    from models import County

    # unit HR never creates units or tiers: an unknown one is a row error with the nearest names
    rows, errors = validate_rows(session, raw_rows, county_name=session.get(County, unit.county_id).name)
    for r in rows:
        if r.unit != unit.name:
            errors.append(RowError(r.row, "单位", f"只能导入本单位（{unit.name}）的人员，此行为“{r.unit}”"))
        if "county_admin" in r.roles:
            errors.append(RowError(r.row, "角色", "单位管理员不能授予“县公务员办”角色"))
    elsewhere = dict(session.execute(
        select(Person.staff_no, Unit.name).join(Membership, Membership.person_id == Person.id)
        .join(Unit, Unit.id == Membership.unit_id)
        .where(Person.staff_no.in_([r.staff_no for r in rows]), Membership.end_on.is_(None),
               Membership.unit_id != unit.id)).all()) if rows else {}
    county_role = set(session.scalars(
        select(Person.staff_no).join(RoleGrant, RoleGrant.person_id == Person.id)
        .where(RoleGrant.role == "county_admin", Person.staff_no.in_([r.staff_no for r in rows])))) if rows else set()
    for r in rows:
        if r.staff_no in county_role:  # the county office's role is the county's to give and to take away
            r.roles = tuple(sorted(set(r.roles) | {"county_admin"}))
        if r.staff_no == actor.ref.removeprefix("person:") and "unit_admin" not in r.roles:
            errors.append(RowError(r.row, "角色", "不能在导入中取消自己的“单位管理员”角色（请由县公务员办调整）"))
        if r.staff_no in elsewhere:
            errors.append(RowError(r.row, "人员编号",
                                   f"该人员现属“{elsewhere[r.staff_no]}”，调入须由县公务员办办理调动后再导入"))
    bad = {e.row for e in errors}
    errors.sort(key=lambda e: (e.row, e.column))
    return unit, [r for r in rows if r.row not in bad], errors


def _quarters(rows: list[RosterRow], today: date) -> list[tuple[int, int]]:
    return sorted({((r.effective_on or today).year, ((r.effective_on or today).month - 1) // 3 + 1) for r in rows})


def _changes(session: Session, unit_id: int, rows: list[RosterRow], today: date) -> list[Change]:
    out: list[Change] = []
    for year, quarter in _quarters(rows, today):
        out.extend(quarterly_changes(session, year, quarter, unit_id))
    wanted = {r.staff_no for r in rows}
    return [c for c in out if c.staff_no in wanted]


def check_unit_roster(session: Session, actor: Actor, policy: Policy, unit_id: int,
                      raw_rows: list[tuple[int, dict]], *, today: date,
                      progress: Progress | None = None) -> RosterCheck:
    """The validation report, and — when the file is clean — what importing it would do. Writes nothing."""
    unit, rows, errors = validate_for_unit(session, actor, unit_id, raw_rows)
    check = RosterCheck(unit.name, len(raw_rows), errors)
    if errors:
        return check
    savepoint = session.begin_nested()
    try:
        check.preview = apply_rows(session, actor, rows, [], len(raw_rows), policy, today=today, progress=progress)
        check.changes = _changes(session, unit.id, rows, today)
    finally:
        savepoint.rollback()
    return check


def import_unit_roster(session: Session, actor: Actor, policy: Policy, unit_id: int,
                       raw_rows: list[tuple[int, dict]], *, today: date,
                       progress: Progress | None = None) -> RosterCheck:
    """Import the unit's roster; refused as a whole (nothing written) if any row has a problem. Audited per person."""
    unit, rows, errors = validate_for_unit(session, actor, unit_id, raw_rows)
    if errors:
        raise InvalidInput(f"花名册有 {len({e.row for e in errors})} 行错误，未导入任何数据", "roster_invalid",
                           errors=[str(e) for e in errors])
    report = apply_rows(session, actor, rows, [], len(raw_rows), policy, today=today, progress=progress)
    return RosterCheck(unit.name, len(raw_rows), [], report, _changes(session, unit.id, rows, today))


def export_unit_roster(session: Session, actor: Actor, unit_id: int) -> tuple[str, bytes]:
    """The unit's current roster in the import format: ``(file name, xlsx bytes)``."""
    import io

    from handlers.identity.roster import roster_rows, write_workbook

    unit = _unit(session, actor, unit_id)
    out = io.BytesIO()
    write_workbook(out, roster_rows(session, unit.name))
    return f"花名册_{unit.name}.xlsx", out.getvalue()
