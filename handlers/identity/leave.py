"""Leave days per person and quarter (请假天数): entered by unit HR (console, API) or imported from a spreadsheet
validated like the roster (row, column, problem; nothing written until every row is right).

Recorded days replace the roster's 请假 status for that quarter. The policy's not-graded rules read them when a cycle
opens (``cycles.open_cycle``) and again whenever leave is recorded while the quarter's cycle is open or scoring: long
leave marks the evaluation 不定等次 with the policy's reason, and leave lowered again clears a reason the rules gave
(the supervisor then scores afresh). Once the cycle has reached the committee (审定) or later the grade is no longer
changed by a leave record: the record is kept and the answer says so (correcting a decided grade is the committee's).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from config.policy import Policy
from models import Cycle, Evaluation, Membership, Person, Unit
from models.leave import LeaveRecord, Secondment
from models.rules import states
from models.rules.calendar import quarter_bounds, quarter_of
from models.rules.eligibility import automatic_reasons, not_graded_reason
from models.rules.leave import check_leave_days, probation_extension
from models.rules.scoring import RuleViolation, format_points

from handlers import audit
from handlers.identity.access import unit_for_admin
from handlers.actor import Actor
from handlers.errors import InvalidInput, NotFound
from handlers.identity.roster_format import STAFF_NO, RowError

# (header, field, required) — the leave spreadsheet
COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("人员编号", "staff_no", True),
    ("姓名", "name", False),
    ("年度", "year", True),
    ("季度", "quarter", True),
    ("请假天数", "days", True),
    ("备注", "note", False),
)
MAX_ROWS = 20000
OPEN_STATES = ("open", "scoring")  # a leave record still changes who is not graded
SOURCES = ("import", "console", "api", "wecom")


@dataclass(frozen=True)
class LeaveEntry:
    staff_no: str
    year: int
    quarter: int
    days: object  # as given: a number or text, checked by the rule
    note: str = ""
    row: int = 0  # the spreadsheet row (0: not from a file)


@dataclass
class LeaveReport:
    unit: str
    total: int
    errors: list[RowError] = field(default_factory=list)
    saved: int = 0
    unchanged: int = 0
    marked: list[str] = field(default_factory=list)  # "name（staff_no）" newly 不定等次
    cleared: list[str] = field(default_factory=list)  # a rule's 不定等次 lifted
    too_late: list[str] = field(default_factory=list)  # recorded, but the cycle is past scoring

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors})

    def lines(self) -> list[str]:
        out = [f"共 {self.total} 条：保存 {self.saved} 条，无变化 {self.unchanged} 条"]
        if self.marked:
            out.append(f"因请假确定为不定等次 {len(self.marked)} 人：{'、'.join(self.marked)}")
        if self.cleared:
            out.append(f"请假天数减少，取消不定等次 {len(self.cleared)} 人（需由评鉴人重新评分）：{'、'.join(self.cleared)}")
        if self.too_late:
            out.append(f"考核已进入党委(党组)审定或之后的阶段，等次不再随请假天数自动调整 {len(self.too_late)} 人"
                       f"（如需更正，请按规定报党委(党组)研究）：{'、'.join(self.too_late)}")
        return out


def _unit(session: Session, actor: Actor, unit_id: int) -> Unit:
    unit_for_admin(session, actor, unit_id)
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("找不到该单位")
    return unit


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _int(value, low: int, high: int) -> int | None:
    text = _text(value)
    return int(text) if text.isdigit() and low <= int(text) <= high else None


def _belongs(session: Session, unit_id: int, person_ids: list[int], year: int, quarter: int) -> set[int]:
    """Who the unit keeps leave for in the quarter: its members during the quarter, and people seconded to it."""
    start, end = quarter_bounds(year, quarter)
    members = set(session.scalars(select(Membership.person_id).where(
        Membership.unit_id == unit_id, Membership.person_id.in_(person_ids), Membership.start_on <= end,
        or_(Membership.end_on.is_(None), Membership.end_on >= start))))
    hosted = set(session.scalars(select(Secondment.person_id).where(
        Secondment.host_unit_id == unit_id, Secondment.person_id.in_(person_ids), Secondment.start_on <= end,
        Secondment.end_on >= start)))
    return members | hosted


def validate(session: Session, actor: Actor, policy: Policy, unit_id: int, entries: list[LeaveEntry],
             names: dict[int, str] | None = None) -> tuple[Unit, list[tuple[LeaveEntry, Person, float]], list[RowError]]:
    """Every check in one pass: each entry (staff number, year, quarter, days), the name when the file gives one,
    duplicates, and whether the person belongs to this unit in that quarter."""
    unit = _unit(session, actor, unit_id)
    if len(entries) > MAX_ROWS:
        raise InvalidInput(f"一次最多导入 {MAX_ROWS} 行", "leave_too_large")
    errors: list[RowError] = []
    wanted = {e.staff_no for e in entries if e.staff_no and STAFF_NO.match(e.staff_no)}
    people = {p.staff_no: p for p in session.scalars(select(Person).where(Person.staff_no.in_(wanted)))} if wanted \
        else {}
    seen: dict[tuple, int] = {}
    checked: list[tuple[LeaveEntry, Person | None, float, bool]] = []
    for e in entries:
        ok = True
        person = people.get(e.staff_no)
        if not e.staff_no:
            errors.append(RowError(e.row, "人员编号", "不能为空"))
            ok = False
        elif person is None:
            errors.append(RowError(e.row, "人员编号", f"系统中没有人员编号 {e.staff_no[:32]}"))
            ok = False
        elif names and names.get(e.row) and names[e.row] != person.name:
            errors.append(RowError(e.row, "姓名", f"与人员编号 {e.staff_no} 的姓名“{person.name}”不符"))
            ok = False
        if not e.year:
            errors.append(RowError(e.row, "年度", "应为 2000 到 2100 之间的年份"))
            ok = False
        if not e.quarter:
            errors.append(RowError(e.row, "季度", "应为 1 到 4"))
            ok = False
        days = 0.0
        if e.year and e.quarter:
            try:
                days = check_leave_days(e.days, e.year, e.quarter, policy)
            except RuleViolation as exc:
                errors.append(RowError(e.row, "请假天数", exc.message))
                ok = False
        if len(e.note) > 200:
            errors.append(RowError(e.row, "备注", "不能超过 200 个字"))
            ok = False
        key = (e.staff_no, e.year, e.quarter)
        if e.staff_no and e.year and e.quarter:
            if key in seen:
                errors.append(RowError(e.row, "人员编号", f"与第 {seen[key]} 行重复（同一人同一季度只能有一行）"))
                ok = False
            else:
                seen[key] = e.row
        checked.append((e, person, days, ok))
    # whether each person belongs to the unit in that quarter: checked for every row that names a person and a
    # quarter, even one with other problems, so the first report is complete
    by_quarter: dict[tuple[int, int], list[int]] = {}
    for e, person, _, _ in checked:
        if person is not None and e.year and e.quarter:
            by_quarter.setdefault((e.year, e.quarter), []).append(person.id)
    belongs = {yq: _belongs(session, unit.id, ids, *yq) for yq, ids in by_quarter.items()}
    good: list[tuple[LeaveEntry, Person, float]] = []
    for e, person, days, ok in checked:
        if person is not None and e.year and e.quarter and person.id not in belongs[(e.year, e.quarter)]:
            errors.append(RowError(e.row, "人员编号",
                                   f"{person.name}（{e.staff_no}）{e.year}年第{e.quarter}季度不在{unit.name}"))
        elif ok:
            good.append((e, person, days))
    errors.sort(key=lambda x: x.row)
    return unit, good, errors


def _save(session: Session, actor: Actor, policy: Policy, unit: Unit, good: list[tuple[LeaveEntry, Person, float]],
          source: str, report: LeaveReport) -> None:
    touched: dict[tuple[int, int], list[int]] = {}
    existing = {}
    for e, person, _ in good:
        existing.setdefault((e.year, e.quarter), []).append(person.id)
    records: dict[tuple[int, int, int], LeaveRecord] = {}
    for (year, quarter), ids in existing.items():
        for r in session.scalars(select(LeaveRecord).where(LeaveRecord.year == year, LeaveRecord.quarter == quarter,
                                                            LeaveRecord.person_id.in_(ids))):
            records[(r.person_id, year, quarter)] = r
    for e, person, days in good:
        record = records.get((person.id, e.year, e.quarter))
        if record is not None and record.days == days and record.note == e.note:
            report.unchanged += 1
            continue
        before = {"days": record.days, "note": record.note} if record else None
        if record is None:
            record = LeaveRecord(person_id=person.id, year=e.year, quarter=e.quarter, days=days, source=source,
                                 note=e.note, updated_by=actor.ref)
            session.add(record)
        else:
            record.days, record.note, record.source, record.updated_by = days, e.note, source, actor.ref
        session.flush()
        audit.record(session, actor, "leave.record", "leave", record.id, before,
                     {"staff_no": person.staff_no, "unit_id": unit.id, "year": e.year, "quarter": e.quarter,
                      "days": days, "note": e.note, "source": source})
        report.saved += 1
        touched.setdefault((e.year, e.quarter), []).append(person.id)
    for (year, quarter), ids in touched.items():
        _apply_to_cycles(session, actor, policy, ids, year, quarter, report)


def record(session: Session, actor: Actor, policy: Policy, unit_id: int, entries: list[LeaveEntry], *,
           source: str = "console") -> LeaveReport:
    """Record leave days (console, API, WeCom): refused as a whole when any entry is wrong. Audited per entry."""
    if source not in SOURCES:
        raise ValueError(source)
    unit, good, errors = validate(session, actor, policy, unit_id, entries)
    if errors:
        if len(entries) == 1 and not entries[0].row:
            raise InvalidInput(errors[0].message, "leave_invalid")
        raise InvalidInput(f"请假记录有 {len({e.row for e in errors})} 条错误，未保存任何数据", "leave_invalid",
                           errors=[str(e) for e in errors])
    report = LeaveReport(unit.name, len(entries))
    _save(session, actor, policy, unit, good, source, report)
    return report


def entries_from_rows(raw_rows: list[tuple[int, dict]]) -> tuple[list[LeaveEntry], dict[int, str]]:
    """Spreadsheet rows (from ``roster.read_workbook(path, COLUMNS)``) as entries, and the names the file gives."""
    entries, names = [], {}
    for row, raw in raw_rows:
        entries.append(LeaveEntry(_text(raw.get("staff_no"))[:64], _int(raw.get("year"), 2000, 2100) or 0,
                                  _int(raw.get("quarter"), 1, 4) or 0, raw.get("days"), _text(raw.get("note")), row))
        names[row] = _text(raw.get("name"))
    return entries, names


def check_import(session: Session, actor: Actor, policy: Policy, unit_id: int,
                 raw_rows: list[tuple[int, dict]]) -> LeaveReport:
    """The validation report of a leave spreadsheet; writes nothing."""
    entries, names = entries_from_rows(raw_rows)
    unit, _, errors = validate(session, actor, policy, unit_id, entries, names)
    return LeaveReport(unit.name, len(entries), errors)


def import_rows(session: Session, actor: Actor, policy: Policy, unit_id: int,
                raw_rows: list[tuple[int, dict]]) -> LeaveReport:
    """Import a leave spreadsheet: refused as a whole (nothing written) if any row has a problem."""
    entries, names = entries_from_rows(raw_rows)
    unit, good, errors = validate(session, actor, policy, unit_id, entries, names)
    if errors:
        raise InvalidInput(f"请假表有 {len({e.row for e in errors})} 行错误，未导入任何数据", "leave_invalid",
                           errors=[str(e) for e in errors])
    report = LeaveReport(unit.name, len(entries))
    _save(session, actor, policy, unit, good, "import", report)
    return report


def recorded_days(session: Session, person_ids: list[int], year: int, quarter: int) -> dict[int, float]:
    if not person_ids:
        return {}
    return dict(session.execute(select(LeaveRecord.person_id, LeaveRecord.days).where(
        LeaveRecord.year == year, LeaveRecord.quarter == quarter, LeaveRecord.person_id.in_(person_ids))).all())


def probation_leave(session: Session, hired: dict[int, date | None], year: int, quarter: int) -> dict[int, float]:
    """Recorded leave from the quarter of joining up to this quarter, for people hired within the policy's reach."""
    out: dict[int, float] = {}
    ids = [pid for pid, h in hired.items() if h is not None]
    if not ids:
        return out
    rows = session.execute(select(LeaveRecord.person_id, LeaveRecord.year, LeaveRecord.quarter, LeaveRecord.days)
                           .where(LeaveRecord.person_id.in_(ids),
                                  (LeaveRecord.year * 4 + LeaveRecord.quarter) <= year * 4 + quarter))
    for pid, y, q, days in rows:
        if (y, q) >= quarter_of(hired[pid]):
            out[pid] = out.get(pid, 0) + days
    return out


def reason_for(session: Session, policy: Policy, person_id: int, hired_on: date | None, leave_days: float,
               year: int, quarter: int) -> str | None:
    """The policy's not-graded reason for one person and quarter, with recorded leave (and probation extended)."""
    _, end = quarter_bounds(year, quarter)
    extra = probation_extension(probation_leave(session, {person_id: hired_on}, year, quarter).get(person_id, 0),
                                policy)
    return not_graded_reason(hired_on, leave_days, end, policy, extra)


def _label(person: Person) -> str:
    return f"{person.name}（{person.staff_no}）"


def _apply_to_cycles(session: Session, actor: Actor, policy: Policy, person_ids: list[int], year: int, quarter: int,
                     report: LeaveReport) -> None:
    """Leave recorded for a quarter whose cycle exists: while open or scoring the rules' 不定等次 follows the leave
    (audited); later it is only reported."""
    rows = session.execute(select(Evaluation, Cycle, Person).join(Cycle, Cycle.id == Evaluation.cycle_id)
                           .join(Person, Person.id == Evaluation.person_id)
                           .where(Cycle.year == year, Cycle.quarter == quarter,
                                  Evaluation.person_id.in_(person_ids))).all()
    if not rows:
        return
    days = recorded_days(session, person_ids, year, quarter)
    automatic = automatic_reasons(policy)
    for evaluation, cycle, person in rows:
        reason = reason_for(session, policy, person.id, person.hired_on, days.get(person.id, 0), year, quarter)
        current = evaluation.not_graded_reason
        if current == reason or (current is not None and current not in automatic):
            continue  # nothing changes, or a reason a person chose (e.g. no summary) stays
        if cycle.state not in OPEN_STATES:
            report.too_late.append(_label(person))
            audit.record(session, actor, "evaluation.leave_not_applied", "evaluation", evaluation.id,
                         {"not_graded_reason": current},
                         {"would_be": reason, "cycle_state": states.CYCLE.label(cycle.state),
                          "leave_days": format_points(days.get(person.id, 0))})
            continue
        before = {"not_graded_reason": current, "scores": dict(evaluation.scores or {}), "state": evaluation.state}
        evaluation.not_graded_reason = reason
        evaluation.scores, evaluation.total, evaluation.suggested_grade = {}, None, None
        if evaluation.state == "submitted":
            evaluation.state = states.EVALUATION.next_state(evaluation.state, "reopen")
            evaluation.submitted_at = None
        (report.marked if reason else report.cleared).append(_label(person))
        audit.record(session, actor, "evaluation.not_graded" if reason else "evaluation.graded_again", "evaluation",
                     evaluation.id, before, {"not_graded_reason": reason, "because": "leave",
                                             "leave_days": days.get(person.id, 0)})
    session.flush()


def _month_bounds(year: int, quarter: int, policy: Policy) -> list[tuple[int, int]]:
    """Each month of the quarter as (first second, last second), Unix time at the policy's local midnight."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(policy.timezone)
    out = []
    for month in range(3 * quarter - 2, 3 * quarter + 1):
        first = date(year, month, 1)
        after = date(year + (month == 12), month % 12 + 1, 1)
        start = datetime.combine(first, time(0), tzinfo=zone)
        end = datetime.combine(after - timedelta(days=1), time(23, 59, 59), tzinfo=zone)
        out.append((int(start.timestamp()), int(end.timestamp())))
    return out


def pull_from_wecom(session: Session, actor: Actor, policy: Policy, unit_id: int, year: int, quarter: int,
                    fetch) -> LeaveReport:
    """Leave days from WeCom attendance (打卡月报): for each member of the unit in the quarter (and each person
    seconded to it), the 请假 items (type 1) of the quarter's three months, counted in days (hours at the policy's
    hours a day), rounded to the policy's step, then recorded like any entry (source ``wecom``; audited). The WeCom
    userid is the 人员编号; people WeCom does not return are left as they are. ``fetch(userids, start, end)`` is the
    edge's client (``bot.channels.wecom_checkin``); it fails before anything is written."""
    unit = _unit(session, actor, unit_id)
    if not 2000 <= year <= 2100 or quarter not in (1, 2, 3, 4):
        raise InvalidInput("年度应为 2000–2100，季度应为 1–4", "bad_quarter")
    start, end = quarter_bounds(year, quarter)
    member_ids = set(session.scalars(select(Membership.person_id).where(
        Membership.unit_id == unit_id, Membership.start_on <= end,
        or_(Membership.end_on.is_(None), Membership.end_on >= start))))
    member_ids |= set(session.scalars(select(Secondment.person_id).where(
        Secondment.host_unit_id == unit_id, Secondment.start_on <= end, Secondment.end_on >= start)))
    staff = sorted(session.scalars(select(Person.staff_no).where(Person.id.in_(member_ids)))) if member_ids else []
    days_of: dict[str, float] = {}
    for first, last in _month_bounds(year, quarter, policy):
        for i in range(0, len(staff), 100):
            for data in fetch(staff[i:i + 100], first, last):
                userid = str((data.get("base_info") or {}).get("acctid", ""))
                if userid not in staff:
                    continue
                total = days_of.setdefault(userid, 0.0)
                for item in data.get("sp_items") or []:
                    if item.get("type") != 1:  # 1: 请假; others are 补卡, 出差, 外出…
                        continue
                    duration = float(item.get("duration") or 0)
                    hours_a_day = 24 if item.get("time_type", 0) == 0 else policy.leave.wecom_hours_per_day
                    total += duration / 3600 / hours_a_day
                days_of[userid] = total
    step = policy.leave.step
    entries = [LeaveEntry(no, year, quarter, round(days / step) * step, "企业微信考勤") for no, days in days_of.items()]
    audit.record(session, actor, "leave.wecom_pull", "unit", unit.id, None,
                 {"year": year, "quarter": quarter, "asked": len(staff), "returned": len(entries)})
    if not entries:
        return LeaveReport(unit.name, 0)
    return record(session, actor, policy, unit_id, entries, source="wecom")


@dataclass(frozen=True)
class LeaveRow:
    staff_no: str
    name: str
    year: int
    quarter: int
    days: float
    source: str
    note: str


def unit_leave(session: Session, actor: Actor, unit_id: int, year: int, quarter: int) -> list[LeaveRow]:
    """The unit's recorded leave for a quarter (its members and those seconded to it)."""
    _unit(session, actor, unit_id)
    rows = session.execute(select(LeaveRecord, Person).join(Person, Person.id == LeaveRecord.person_id)
                           .where(LeaveRecord.year == year, LeaveRecord.quarter == quarter)
                           .order_by(Person.staff_no)).all()
    belongs = _belongs(session, unit_id, [p.id for _, p in rows], year, quarter)
    return [LeaveRow(p.staff_no, p.name, r.year, r.quarter, r.days, r.source, r.note)
            for r, p in rows if p.id in belongs]
