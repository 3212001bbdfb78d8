"""Roster import and export: the spreadsheet is the unit's truth; changes become membership history."""
from __future__ import annotations

from collections import Counter
from difflib import get_close_matches
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.policy import Policy
from models import County, Membership, Person, RoleGrant, Section, Tier, Unit
from models.db import refresh_statistics

from handlers import audit
from handlers.actor import Actor
from handlers.errors import Forbidden, InvalidInput
from handlers.identity.roster_format import COLUMNS, STAFF_NO, STATUS_LABELS, RosterRow, RowError, validate_row

#: An import that adds or changes at least this many people refreshes the planner's statistics of the tables it
#: wrote (a fresh county's first roster is all of them; see ``models.db.refresh_statistics``).
BULK_ROWS = 1000
ROSTER_TABLES = ("units", "tiers", "sections", "people", "memberships", "role_grants")

Progress = Callable[[int], None]


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    changed: Counter = field(default_factory=Counter)
    unchanged: int = 0
    skipped: list[RowError] = field(default_factory=list)
    created_units: list[str] = field(default_factory=list)
    created_tiers: list[str] = field(default_factory=list)  # "单位/层次"

    def lines(self) -> list[str]:
        from models.org import CHANGE_KINDS

        out = [f"共 {self.total} 行：新增 {self.created} 人，无变化 {self.unchanged} 人"]
        if self.created_units:
            out.append(f"新建单位 {len(self.created_units)} 个：{'、'.join(self.created_units)}")
        if self.created_tiers:
            out.append(f"新建考评层次 {len(self.created_tiers)} 个：{'、'.join(self.created_tiers)}")
        for kind, n in sorted(self.changed.items()):
            out.append(f"  {CHANGE_KINDS.get(kind, kind)}：{n} 人")
        if self.skipped:
            out.append(f"跳过有错误的行 {len({e.row for e in self.skipped})} 行：")
            out.extend(f"  {e}" for e in self.skipped)
        return out


def read_workbook(path: str | Path, columns: tuple[tuple[str, str, bool], ...] = COLUMNS) -> list[tuple[int, dict]]:
    """Read the first sheet: a header row of Chinese column names (``columns``: header, field, required), then one
    person per row."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise InvalidInput(f"找不到文件：{path}", "file_not_found") from None
    except Exception as exc:  # openpyxl raises many kinds for a file that is not xlsx
        raise InvalidInput(f"无法读取 Excel 文件（仅支持 .xlsx）：{exc}", "bad_file") from None
    try:
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise InvalidInput("表格是空的", "empty_file")
        names = [str(h).strip() if h is not None else "" for h in header]
        missing = [h for h, _, required in columns if required and h not in names]
        if missing:
            raise InvalidInput(f"表头缺少列：{'、'.join(missing)}", "missing_columns", missing=missing)
        headers = {h: f for h, f, _ in columns}
        index = {headers[n]: i for i, n in enumerate(names) if n in headers}
        out = []
        for row_no, values in enumerate(rows, start=2):
            if values is None or all(v is None or str(v).strip() == "" for v in values):
                continue
            out.append((row_no, {f: values[i] if i < len(values) else None for f, i in index.items()}))
        return out
    finally:
        wb.close()


def _hint(name: str, existing: Iterable[str]) -> str:
    """The nearest existing names, as a hint for a typo."""
    names = sorted(set(existing))
    near = get_close_matches(name, names, n=3, cutoff=0.5)
    if near:
        return f"，是否为：{'、'.join(near)}？"
    return f"（现有：{'、'.join(names[:8])}{'等' if len(names) > 8 else ''}）" if names else ""


def _check_org(session: Session, rows: list[RosterRow], county_name: str, create_units: bool,
               errors: list[RowError]) -> None:
    """A unit or tier the system does not know is a typo until the operator says to create it."""
    if create_units:
        return
    units = dict(session.execute(select(Unit.name, Unit.id).join(County, County.id == Unit.county_id)
                                 .where(County.name == county_name)).all())
    tiers: dict[int, set[str]] = {}
    for unit_id, name in session.execute(select(Tier.unit_id, Tier.name)):
        tiers.setdefault(unit_id, set()).add(name)
    flag = "如确需新建，请使用 --create-units"
    for r in rows:
        if not r.unit:
            continue
        if r.unit not in units:
            errors.append(RowError(r.row, "单位", f"系统中没有单位“{r.unit}”{_hint(r.unit, units)}{flag}"))
        elif r.tier and r.tier not in tiers.get(units[r.unit], set()):
            known = tiers.get(units[r.unit], set())
            errors.append(RowError(r.row, "考评层次", f"{r.unit}没有考评层次“{r.tier}”{_hint(r.tier, known)}{flag}"))


def validate_rows(session: Session, raw_rows: Iterable[tuple[int, dict]], *, county_name: str = "",
                  create_units: bool = False) -> tuple[list[RosterRow], list[RowError]]:
    """Every check in one pass, so the first report is complete: each row on its own, unknown units and tiers
    (unless ``create_units``), then across rows: duplicates and supervisors that exist nowhere."""
    errors: list[RowError] = []
    rows = [validate_row(row_no, raw, errors) for row_no, raw in raw_rows]
    _check_org(session, rows, county_name, create_units, errors)
    seen: dict[str, int] = {}
    for r in rows:
        if not r.staff_no:
            continue
        if r.staff_no in seen:
            errors.append(RowError(r.row, "人员编号", f"与第 {seen[r.staff_no]} 行重复"))
        else:
            seen[r.staff_no] = r.row
    wanted = {r.supervisor for r in rows if r.supervisor and r.supervisor not in seen}
    wanted = {w for w in wanted if STAFF_NO.match(w)}
    known: dict[str, str | None] = {}  # staff_no -> name of the unit of the current membership (None: none)
    if wanted:
        known = dict.fromkeys(session.scalars(select(Person.staff_no).where(Person.staff_no.in_(wanted))))
        known.update(session.execute(
            select(Person.staff_no, Unit.name).join(Membership, Membership.person_id == Person.id)
            .join(Unit, Unit.id == Membership.unit_id)
            .where(Person.staff_no.in_(wanted), Membership.end_on.is_(None), Person.status == "active")).all())
    in_file = {r.staff_no: r for r in rows}
    for r in rows:
        if not r.supervisor or not STAFF_NO.match(r.supervisor):
            continue
        if r.supervisor not in in_file and r.supervisor not in known:
            errors.append(RowError(r.row, "分管领导编号", f"人员编号 {r.supervisor} 既不在本表中，也不在系统中"))
            continue
        # the named supervisor is given the right to read and score this person: only someone of the same unit
        sup = in_file.get(r.supervisor)
        sup_unit = (sup.unit if sup.status not in ("retired", "left") else None) if sup else known[r.supervisor]
        if sup_unit != r.unit:
            errors.append(RowError(r.row, "分管领导编号", f"人员编号 {r.supervisor} 不是{r.unit}的在职人员，不能担任分管领导"))
    bad_rows = {e.row for e in errors}
    errors.sort(key=lambda e: e.row)
    return [r for r in rows if r.row not in bad_rows], errors


class _Org:
    """Get-or-create units, tiers and sections, cached for one import."""

    def __init__(self, session: Session, actor: Actor, county_name: str):
        self.s, self.actor = session, actor
        self.county = session.scalar(select(County).where(County.name == county_name))
        if self.county is None:
            self.county = County(name=county_name)
            session.add(self.county)
            session.flush()
        self.units = {u.name: u for u in session.scalars(select(Unit).where(Unit.county_id == self.county.id))}
        self.tiers = {(t.unit_id, t.name): t for t in session.scalars(select(Tier))}
        self.sections = {(x.unit_id, x.name): x for x in session.scalars(select(Section))}
        self.created_units: list[str] = []
        self.created_tiers: list[str] = []

    def unit(self, name: str, kind: str) -> Unit:
        unit = self.units.get(name)
        if unit is None:
            unit = Unit(county_id=self.county.id, name=name, kind=kind)
            self.s.add(unit)
            self.s.flush()
            self.units[name] = unit
            self.created_units.append(name)
            audit.record(self.s, self.actor, "unit.create", "unit", unit.id, after={"name": name, "kind": kind})
        elif unit.kind != kind:
            audit.record(self.s, self.actor, "unit.update", "unit", unit.id, {"kind": unit.kind}, {"kind": kind})
            unit.kind = kind
        return unit

    def tier(self, unit: Unit, name: str) -> Tier:
        tier = self.tiers.get((unit.id, name))
        if tier is None:
            tier = Tier(unit_id=unit.id, name=name)
            self.s.add(tier)
            self.s.flush()
            self.tiers[(unit.id, name)] = tier
            self.created_tiers.append(f"{unit.name}/{name}")
            audit.record(self.s, self.actor, "tier.create", "tier", tier.id, after={"unit": unit.name, "name": name})
        return tier

    def section(self, unit: Unit, name: str) -> Section | None:
        if not name:
            return None
        section = self.sections.get((unit.id, name))
        if section is None:
            section = Section(unit_id=unit.id, name=name)
            self.s.add(section)
            self.s.flush()
            self.sections[(unit.id, name)] = section
        return section


def _snapshot(m: Membership | None, staff_no_of: dict[int, str]) -> dict | None:
    if m is None:
        return None
    return {
        "unit_id": m.unit_id, "section_id": m.section_id, "tier_id": m.tier_id, "post": m.post, "rank": m.rank,
        "is_leader": m.is_leader, "supervisor": staff_no_of.get(m.supervisor_id) if m.supervisor_id else None,
        "on_leave": m.on_leave, "start_on": m.start_on,
    }


def _change_kind(old: dict, new: dict) -> str | None:
    keys = ("unit_id", "section_id", "tier_id", "post", "rank", "is_leader", "supervisor", "on_leave")
    if all(old[k] == new[k] for k in keys):
        return None
    if old["unit_id"] != new["unit_id"]:
        return "transfer"
    if old["tier_id"] != new["tier_id"]:
        return "promotion"
    if old["on_leave"] != new["on_leave"]:
        return "leave" if new["on_leave"] else "return"
    return "post_change"


def import_roster(
    session: Session, actor: Actor, raw_rows: list[tuple[int, dict]], policy: Policy, *,
    today: date, skip_invalid: bool = False, create_units: bool = False, progress: Progress | None = None,
) -> ImportReport:
    """Validate everything first; refuse the whole file on any error unless ``skip_invalid``. A unit or tier the
    system does not know is a row error unless ``create_units`` (the report then lists what was created)."""
    if not actor.is_county:
        raise Forbidden("只有县公务员办可以导入全县花名册")
    rows, errors = validate_rows(session, raw_rows, county_name=policy.county, create_units=create_units)
    if errors and not skip_invalid:
        raise InvalidInput(
            f"花名册有 {len({e.row for e in errors})} 行错误，未导入任何数据", "roster_invalid",
            errors=[str(e) for e in errors],
        )
    return apply_rows(session, actor, rows, errors, len(raw_rows), policy, today=today, progress=progress)


def apply_rows(session: Session, actor: Actor, rows: list[RosterRow], errors: list[RowError], total: int,
               policy: Policy, *, today: date, progress: Progress | None = None) -> ImportReport:
    """Write validated rows (the caller has checked who may import them): people, memberships, roles, audit."""
    report = ImportReport(total=total, skipped=errors)
    org = _Org(session, actor, policy.county)
    staff_nos = [r.staff_no for r in rows] + [r.supervisor for r in rows if r.supervisor]
    people = {p.staff_no: p for p in session.scalars(select(Person).where(Person.staff_no.in_(staff_nos)))}
    current = {
        m.person_id: m
        for m in session.scalars(
            select(Membership).join(Person, Person.id == Membership.person_id)
            .where(Person.staff_no.in_(staff_nos), Membership.end_on.is_(None))
        )
    }
    # pass 1: people exist
    for r in rows:
        p = people.get(r.staff_no)
        if p is None:
            p = Person(staff_no=r.staff_no, name=r.name, phone=r.phone or None, staffing_type=r.staffing_type,
                       hired_on=r.hired_on, status="active")
            session.add(p)
            people[r.staff_no] = p
    session.flush()
    staff_no_of = {p.id: s for s, p in people.items()}
    supervisors = {r.supervisor for r in rows if r.supervisor}
    grants = _grants_of(session, [people[r.staff_no].id for r in rows])
    # pass 2: memberships and attributes
    for i, r in enumerate(rows, start=1):
        p = people[r.staff_no]
        effective = r.effective_on or today
        unit = org.unit(r.unit, r.unit_kind)
        tier = org.tier(unit, r.tier)
        section = org.section(unit, r.section)
        sup = people.get(r.supervisor) if r.supervisor else None
        m = current.get(p.id)
        person_before = {"name": p.name, "phone": p.phone, "staffing_type": p.staffing_type,
                         "hired_on": p.hired_on, "status": p.status}
        p.name, p.phone, p.staffing_type = r.name, r.phone or None, r.staffing_type
        if r.hired_on:
            p.hired_on = r.hired_on
        departing = r.status in ("retired", "left")
        p.status = r.status if departing else "active"
        person_after = {"name": p.name, "phone": p.phone, "staffing_type": p.staffing_type,
                        "hired_on": p.hired_on, "status": p.status}
        new = {
            "unit_id": unit.id, "section_id": section.id if section else None, "tier_id": tier.id, "post": r.post,
            "rank": r.rank, "is_leader": r.is_leader, "supervisor": r.supervisor or None,
            "on_leave": r.status == "leave", "start_on": effective,
        }
        old = _snapshot(m, staff_no_of)
        kind: str | None
        if departing:
            kind = ("retire" if r.status == "retired" else "exit") if m else None
            if m:
                m.end_on = max(effective - timedelta(days=1), m.start_on)
        elif m is None:
            kind = "hire"
        else:
            kind = _change_kind(old, new)
            if kind:
                if effective <= m.start_on:  # a correction of the current period: amend it, no new period
                    kind = "update"
                else:
                    m.end_on = effective - timedelta(days=1)
                    m = None
        if not departing and (m is None or kind):
            if m is None:
                m = Membership(person_id=p.id, change=kind or "hire", start_on=effective)
                session.add(m)
            m.unit_id, m.section_id, m.tier_id = unit.id, new["section_id"], tier.id
            m.post, m.rank, m.is_leader, m.on_leave = r.post, r.rank, r.is_leader, new["on_leave"]
            m.supervisor_id = sup.id if sup else None
        if old is None and not departing:
            report.created += 1
            audit.record(session, actor, "roster.hire", "person", r.staff_no, None, {**person_after, **new})
        elif kind:
            report.changed[kind] += 1
            audit.record(session, actor, f"roster.{kind}", "person", r.staff_no, {**person_before, **(old or {})},
                         {**person_after, **({} if departing else new)})
        elif person_before != person_after:
            report.changed["update"] += 1
            audit.record(session, actor, "roster.update", "person", r.staff_no, person_before, person_after)
        else:
            report.unchanged += 1
        _sync_roles(session, actor, p, unit, set(r.roles) | ({"supervisor"} if r.staff_no in supervisors else set()),
                    grants.get(p.id, []))
        if progress and i % 200 == 0:
            progress(200)
    if progress:
        progress(len(rows) % 200)
    session.flush()
    if report.created + sum(report.changed.values()) >= BULK_ROWS:  # a big import: the planner must know
        refresh_statistics(session, ROSTER_TABLES)
    report.created_units, report.created_tiers = org.created_units, org.created_tiers
    return report


def _grants_of(session: Session, person_ids: list[int], chunk: int = 500) -> dict[int, list[RoleGrant]]:
    """Everyone's role grants in a few queries, read before the rows are applied: a query per row would flush
    the pending rows each time (the import's main cost on a roster of thousands)."""
    out: dict[int, list[RoleGrant]] = {}
    for i in range(0, len(person_ids), chunk):
        for g in session.scalars(select(RoleGrant).where(RoleGrant.person_id.in_(person_ids[i:i + chunk]))):
            out.setdefault(g.person_id, []).append(g)
    return out


def _sync_roles(session: Session, actor: Actor, person: Person, unit: Unit, roles: set[str],
                current: list[RoleGrant]) -> None:
    wanted = {(role, None if role == "county_admin" else unit.id) for role in roles}
    have = {(g.role, g.unit_id): g for g in current}
    for key, grant in have.items():
        if key not in wanted:
            session.delete(grant)
            audit.record(session, actor, "role.revoke", "person", person.staff_no, {"role": key[0], "unit_id": key[1]})
    for role, unit_id in wanted - set(have):
        session.add(RoleGrant(person_id=person.id, role=role, unit_id=unit_id))
        audit.record(session, actor, "role.grant", "person", person.staff_no, None, {"role": role, "unit_id": unit_id})


def roster_rows(session: Session, unit_name: str | None = None) -> list[list]:
    """The current roster in the import format (phones in full: this file is for HR, not for lists)."""
    sup = select(Person.id, Person.staff_no).subquery()
    q = (
        select(Person, Membership, Unit, Tier, Section, sup.c.staff_no)
        .join(Membership, (Membership.person_id == Person.id) & Membership.end_on.is_(None))
        .join(Unit, Unit.id == Membership.unit_id)
        .join(Tier, Tier.id == Membership.tier_id)
        .outerjoin(Section, Section.id == Membership.section_id)
        .outerjoin(sup, sup.c.id == Membership.supervisor_id)
        .order_by(Unit.name, Tier.name, Person.staff_no)
    )
    if unit_name:
        q = q.where(Unit.name == unit_name)
    grants: dict[int, list[str]] = {}
    from models.org import ROLES

    for pid, role in session.execute(select(RoleGrant.person_id, RoleGrant.role)):
        if role != "supervisor":
            grants.setdefault(pid, []).append(ROLES[role])
    out = []
    for p, m, u, t, s, sup_no in session.execute(q):
        status = "leave" if m.on_leave else p.status
        out.append([
            p.staff_no, p.name, u.name, u.kind, s.name if s else "", t.name, m.post, m.rank,
            "是" if m.is_leader else "否", sup_no or "", p.phone or "", p.staffing_type,
            p.hired_on.isoformat() if p.hired_on else "", STATUS_LABELS.get(status, "在职"),
            "、".join(sorted(grants.get(p.id, []))), m.start_on.isoformat(),
        ])
    return out


def write_workbook(path: str | Path, rows: list[list], title: str = "花名册") -> None:
    from openpyxl import Workbook

    from handlers.results.xlsx import safe_cell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    ws.append([h for h, _, _ in COLUMNS])
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    wb.save(path)
