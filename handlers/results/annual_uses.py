"""Uses of the results: the live annual roll-up, promotion/training candidates, honours, talk reminders.

Every function takes an explicit actor (county office: everything; unit HR: its unit) and returns plain data.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import BinaryIO, Iterator

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from config.policy import Policy
from models import AnnualResult, Cycle, Evaluation, Membership, Person, TalkRecord, Tier, Unit
from models.rules.annual import AnnualOutcome, annual_outcome
from models.rules.calendar import quarter_of
from models.rules.lists import count_in, window_label, window_quarters
from models.rules.outlook import Outlook, outlook, talk_reason

from handlers import audit

from handlers.quarter import merits
from handlers.actor import Actor
from handlers.errors import Conflict, InvalidInput, NotFound
from handlers.identity.scope import check_period, unit_scope
from handlers.results.xlsx import safe_cell

DECIDED = ("decided", "published")


@dataclass
class YearRow:
    person_id: int
    staff_no: str
    name: str
    unit: str
    tier: str
    quarters: list[str | None]
    outcome: AnnualOutcome
    outlook: Outlook
    not_graded: list[str] = field(default_factory=list)
    annual_grade: str | None = None  # the unit's recorded annual grade in force (after any 复核), when recorded

    def as_dict(self) -> dict:
        return {"staff_no": self.staff_no, "name": self.name, "unit": self.unit, "tier": self.tier,
                "quarters": self.quarters, "not_graded": self.not_graded, **self.outcome.as_dict(),
                "outlook": self.outlook.as_dict(), "annual_grade": self.annual_grade}


def _year_query(year: int, unit_id: int | None):
    """One row per (person, quarter evaluated in ``year``), in staff-number order; the unit's people only if given."""
    q = (
        select(Person.id, Person.staff_no, Person.name, Unit.name, Tier.name, Cycle.quarter, Evaluation.final_grade,
               Evaluation.state, Evaluation.not_graded_reason)
        .join(Evaluation, Evaluation.person_id == Person.id)
        .join(Cycle, Cycle.id == Evaluation.cycle_id)
        .join(Unit, Unit.id == Cycle.unit_id)
        .join(Tier, Tier.id == Evaluation.tier_id)
        .where(Cycle.year == year)
        .order_by(Person.staff_no, Cycle.quarter)
    )
    if unit_id is not None:
        q = q.where(Person.id.in_(_members(year, unit_id)))
    return q


def _members(year: int, unit_id: int | None):
    """The ids of the people evaluated in ``year`` (by the unit, if given)."""
    q = select(Evaluation.person_id).join(Cycle, Cycle.id == Evaluation.cycle_id).where(Cycle.year == year)
    return q.where(Cycle.unit_id == unit_id) if unit_id is not None else q


def _rows(session: Session, policy: Policy, year: int, q, today: date | None, *,
          stream: bool = True) -> Iterator[YearRow]:
    """Fold ``_year_query`` rows (one per quarter) into one ``YearRow`` per person. ``stream``: through a server-side
    cursor, for the whole county; not for one page (PostgreSQL plans a cursor for its first rows, and for a page's
    fifty people that plan walked the whole people table in staff-number order)."""
    today_q = quarter_of(today or date.today())
    memo: dict = {}
    current: list | None = None
    blocks = merits.year_blocks(session, year, policy)  # 年度不得评优秀 (问责): few rows, read once
    # the recorded annual grades (one per person and year) of the people in this selection
    recorded = dict(session.execute(select(AnnualResult.person_id, AnnualResult.grade).where(
        AnnualResult.year == year, AnnualResult.person_id.in_(q.with_only_columns(Person.id).order_by(None)))).all())
    # streamed through Core on the session's connection (same transaction): the ORM's per-row loading was a third
    # of a province's roll-up, and these are plain columns
    result = (session.connection().execute(q.execution_options(stream_results=True, max_row_buffer=5000))
              if stream else session.execute(q))
    for pid, staff_no, name, unit_label, tier, quarter, grade, state, reason in result:
        if current is None or current[0] != pid:
            if current is not None:
                yield _recorded(_finish(current, policy, year, today_q, memo, blocks.get(current[0], ())), recorded)
            current = [pid, staff_no, name, unit_label, tier, [None] * 4, [False] * 4, [None] * 4, [False] * 4]
        current[3], current[4] = unit_label, tier
        # _fill, inlined: this loop runs once per person and quarter (over a million times for a province)
        i = quarter - 1
        decided = state in DECIDED
        current[5][i] = grade if decided and not reason else None
        current[6][i] = not decided
        current[7][i] = f"第{quarter}季度：{reason}" if reason and decided else None
        current[8][i] = decided
    if current is not None:
        yield _recorded(_finish(current, policy, year, today_q, memo, blocks.get(current[0], ())), recorded)


def _recorded(row: YearRow, recorded: dict[int, str]) -> YearRow:
    row.annual_grade = recorded.get(row.person_id)
    return row


def _fill(c: list, quarter: int, grade: str | None, state: str | None, reason: str | None) -> None:
    """Quarter ``quarter`` of person ``c``: a grade once decided, pending before, the reason when not graded."""
    i = quarter - 1
    decided = state in DECIDED
    c[5][i] = grade if decided and not reason else None
    c[6][i] = not decided
    c[7][i] = f"第{quarter}季度：{reason}" if reason and decided else None
    c[8][i] = decided


def _finish(c: list, policy: Policy, year: int, today_q: tuple[int, int], memo: dict | None = None,
            blocks: tuple = ()) -> YearRow:
    """``memo``: the rules' (frozen) answers by grades, quarters remaining and the person's 优秀 blocks (问责, rare),
    shared by the people they fit (a county has a few dozen combinations, so a province's roll-up runs the rules a
    few dozen times)."""
    grades, pending, reasons = c[5], c[6], c[7]
    remaining = sum(1 for i in range(4) if pending[i] or
                    (grades[i] is None and not reasons[i] and not c[8][i] and (year, i + 1) >= today_q))
    key = (tuple(grades), remaining, tuple(blocks))
    answer = memo.get(key) if memo is not None else None
    if answer is None:
        answer = (annual_outcome(grades, policy, blocks), outlook(grades, remaining, policy))
        if memo is not None:
            memo[key] = answer
    return YearRow(c[0], c[1], c[2], c[3], c[4], grades, *answer, [r for r in reasons if r])


def year_rows(session: Session, actor: Actor, policy: Policy, year: int, *, unit_name: str | None = None,
              today: date | None = None) -> Iterator[YearRow]:
    """Each person the unit (or the county) evaluated in the year, in staff-number order, streamed.

    Quarters count once decided. ``outlook`` is live: quarters still open count as remaining.
    """
    check_period(year, need_quarter=False)
    unit = unit_scope(session, actor, unit_name)
    return _rows(session, policy, year, _year_query(year, unit.id if unit else None), today)


# ---- one page of the roll-up, paged and counted in the database ------------------------------------------------
#
# A person's year is fully described by what each of the four quarters holds: nothing, pending, a grade, or a
# not-graded reason. The database folds each person into that "signature" and counts people per signature (a
# county has a few dozen distinct ones); the rules then run once per signature, not once per person. That gives
# the totals, the charts and which signatures a status filter keeps, without loading the province into Python.

_PENDING, _GRADE, _REASON = "P", "G", "R"


def _signature_columns():
    code = case(
        (Evaluation.state.in_(DECIDED),
         case((Evaluation.not_graded_reason.is_not(None), literal(_REASON) + Evaluation.not_graded_reason),
              else_=literal(_GRADE) + func.coalesce(Evaluation.final_grade, ""))),
        else_=literal(_PENDING))
    return [func.max(case((Cycle.quarter == i, code))).label(f"q{i}") for i in (1, 2, 3, 4)]


def _signature_row(sig: tuple, policy: Policy, year: int, today_q: tuple[int, int], blocks: tuple = ()) -> YearRow:
    c = [0, "", "", "", "", [None] * 4, [False] * 4, [None] * 4, [False] * 4]
    for i, code in enumerate(sig):
        if code is None:
            continue
        kind, value = code[0], code[1:]
        if kind == _PENDING:
            _fill(c, i + 1, None, "pending", None)
        elif kind == _REASON:
            _fill(c, i + 1, None, DECIDED[0], value)
        else:
            _fill(c, i + 1, value or None, DECIDED[0], None)
    return _finish(c, policy, year, today_q, blocks=blocks)


@dataclass
class YearPage:
    """One page of the roll-up and what the whole selection adds up to."""
    rows: list[YearRow]
    total: int  # people matching the filters
    people: int | None = None  # everyone in scope (filters aside); only with ``summary``
    by_status: dict[str, int] = field(default_factory=dict)  # outlook status → people (filters aside)
    by_max: dict[str, int] = field(default_factory=dict)  # the highest grade the rules allow → people


def _count_blocks(session: Session, piv, cols, out: "YearPage", policy: Policy, year: int,
                 today_q: tuple[int, int]) -> None:
    """A person with a 年度不得评优秀 item (问责, a handful) has a lower highest grade than their signature alone
    gives: move them in ``by_max`` (their outlook, and so the status filter, is unchanged)."""
    blocked = merits.year_blocks(session, year, policy)
    if not blocked:
        return
    for pid, *sig in session.execute(select(piv.c.person_id, *cols).where(piv.c.person_id.in_(sorted(blocked)))):
        plain = _signature_row(tuple(sig), policy, year, today_q).outcome.max_grade
        held = _signature_row(tuple(sig), policy, year, today_q, tuple(blocked[pid])).outcome.max_grade
        if plain != held:
            out.by_max[plain] -= 1
            out.by_max[held] = out.by_max.get(held, 0) + 1
    out.by_max = {grade: n for grade, n in out.by_max.items() if n}


def year_page(session: Session, actor: Actor, policy: Policy, year: int, *, unit_name: str | None = None,
              status: str | None = None, offset: int = 0, limit: int = 50, summary: bool = False,
              today: date | None = None) -> YearPage:
    """Rows ``offset``..``offset + limit`` of ``year_rows`` (optionally only people whose outlook is ``status``)
    and the total; with ``summary`` also the counts by outlook status and by highest grade. The database pages
    and counts; only this page's people are read row by row."""
    check_period(year, need_quarter=False)
    unit = unit_scope(session, actor, unit_name)
    unit_id = unit.id if unit else None
    today_q = quarter_of(today or date.today())
    members = _members(year, unit_id)
    page_ids = select(Person.id).where(Person.id.in_(members))
    out = YearPage(rows=[], total=0)
    if summary or status:
        piv = (select(Evaluation.person_id.label("person_id"), *_signature_columns())
               .join(Cycle, Cycle.id == Evaluation.cycle_id).where(Cycle.year == year))
        if unit_id is not None:
            piv = piv.where(Evaluation.person_id.in_(members))
        piv = piv.group_by(Evaluation.person_id).subquery()
        cols = (piv.c.q1, piv.c.q2, piv.c.q3, piv.c.q4)
        kept = []
        for *sig, n in session.execute(select(*cols, func.count()).group_by(*cols)):
            row = _signature_row(tuple(sig), policy, year, today_q)
            out.by_status[row.outlook.status] = out.by_status.get(row.outlook.status, 0) + n
            out.by_max[row.outcome.max_grade] = out.by_max.get(row.outcome.max_grade, 0) + n
            if not status or row.outlook.status == status:
                kept.append(tuple(sig))
                out.total += n
        out.people = sum(out.by_status.values())
        _count_blocks(session, piv, cols, out, policy, year, today_q)
        if status:
            if not kept:
                return out
            match = or_(*(and_(*(c.is_(None) if v is None else c == v for c, v in zip(cols, sig))) for sig in kept))
            page_ids = select(Person.id).join(piv, piv.c.person_id == Person.id).where(match)
    else:
        everyone = members.subquery()
        out.total = session.scalar(select(func.count(func.distinct(everyone.c.person_id)))) or 0
    ids = list(session.scalars(page_ids.order_by(Person.staff_no).offset(offset).limit(limit))) if limit > 0 else []
    if ids:
        q = _year_query(year, None).where(Person.id.in_(ids))
        out.rows = list(_rows(session, policy, year, q, today, stream=False))
    return out


def annual_summary(session: Session, actor: Actor, policy: Policy, year: int, *, unit_name: str | None = None,
                   today: date | None = None) -> dict:
    """Counts for a chart: people by outlook status and by the cap the rules imply (counted in the database by
    quarter signature, see ``year_page``)."""
    found = year_page(session, actor, policy, year, unit_name=unit_name, limit=0, summary=True, today=today)
    return {"year": year, "unit": unit_name, "people": found.people or 0,
            "chart": {"outlook": [{"label": k, "value": v} for k, v in sorted(found.by_status.items())],
                      "max_grade": [{"label": g, "value": found.by_max.get(g, 0)}
                                    for g in policy.annual.annual_grades]}}


def candidates(session: Session, actor: Actor, policy: Policy, year: int, *, kind: str = "promotion",
               quarter: int | None = None, unit_name: str | None = None, tier: str | None = None,
               min_good: int | None = None, today: date | None = None) -> list[dict]:
    """A reference list (选拔任用 ``promotion``, 培训 ``training``, or any list the policy defines) as the policy's
    ``[results.lists.<kind>]`` says: which grades count, how many at least (``min_good`` overrides), over which
    quarters — the window ends at ``quarter`` of ``year`` (the fourth without it). Most matches first."""
    rule = policy.results.list_rule(kind, policy.good_grade)
    if rule is None:
        kinds = "、".join(sorted({r.kind for r in policy.results.lists} | {"promotion", "training"}))
        raise InvalidInput(f"名单类型“{kind}”无效，可选：{kinds}")
    check_period(year, quarter, need_quarter=quarter is not None)
    window = window_quarters(rule, year, quarter or 4)
    rows = [r for r in year_rows(session, actor, policy, year, unit_name=unit_name, today=today)
            if tier is None or r.tier == tier]
    earlier = sorted({yq for yq in window if yq[0] != year})
    before: dict[tuple[int, int, int], str] = {}
    if earlier and rows:
        for pid, y, q, grade in session.execute(
                select(Evaluation.person_id, Cycle.year, Cycle.quarter, Evaluation.final_grade)
                .join(Cycle, Cycle.id == Evaluation.cycle_id)
                .where(Evaluation.state.in_(DECIDED), Evaluation.final_grade.is_not(None),
                       Evaluation.person_id.in_([r.person_id for r in rows]),
                       or_(*(and_(Cycle.year == y, Cycle.quarter == q) for y, q in earlier)))):
            before[(pid, y, q)] = grade
    label = window_label(window)
    out = []
    for r in rows:
        grades = [r.quarters[q - 1] if y == year else before.get((r.person_id, y, q)) for y, q in window]
        n = count_in(rule, grades, min_good)
        if n is not None:
            out.append((n, r))
    out.sort(key=lambda x: (-x[0], x[1].outcome.bad_count, x[1].staff_no))
    return [{"rank": i, **r.as_dict(), "count": n, "window": label, "list": rule.title}
            for i, (n, r) in enumerate(out, start=1)]


def honours(session: Session, actor: Actor, policy: Policy, year: int, *, unit_name: str | None = None,
            today: date | None = None) -> list[dict]:
    """People who meet the conditions for 优秀 (priority first)."""
    excellent = policy.annual.annual_grades[0]
    rows = [r for r in year_rows(session, actor, policy, year, unit_name=unit_name, today=today)
            if r.outcome.excellent_eligible and (r.annual_grade is None or r.annual_grade == excellent)]
    rows.sort(key=lambda r: (not r.outcome.excellent_priority, -r.outcome.good_count, r.staff_no))
    return [r.as_dict() for r in rows]


def _previous(year: int, quarter: int) -> tuple[int, int]:
    return (year, quarter - 1) if quarter > 1 else (year - 1, 4)


def talk_reminders(session: Session, actor: Actor, policy: Policy, year: int, quarter: int, *,
                   unit_name: str | None = None) -> list[dict]:
    """谈话提醒 for a quarter: 一般/较差, or worse than the quarter before; who holds the talk; whether it was held.

    The county office sees the county (or a unit), unit HR its unit; a supervisor without either sees the talks
    they are to hold.
    """
    check_period(year, quarter)
    own_talks = unit_name is None and not actor.is_county and actor.person_id is not None
    unit = None if own_talks else unit_scope(session, actor, unit_name)
    sup = aliased(Person)
    q = (
        select(Person.id, Person.staff_no, Person.name, Unit.name, Tier.name, Evaluation.final_grade,
               sup.staff_no, sup.name)
        .join(Evaluation, Evaluation.person_id == Person.id)
        .join(Cycle, Cycle.id == Evaluation.cycle_id)
        .join(Unit, Unit.id == Cycle.unit_id).join(Tier, Tier.id == Evaluation.tier_id)
        .outerjoin(sup, sup.id == Evaluation.supervisor_id)
        .where(Cycle.year == year, Cycle.quarter == quarter, Evaluation.state.in_(DECIDED),
               Evaluation.final_grade.is_not(None))
        .order_by(Unit.id, Person.staff_no)
    )
    if unit is not None:
        q = q.where(Cycle.unit_id == unit.id)
    if own_talks:
        q = q.where(Evaluation.supervisor_id == actor.person_id)
    current = session.execute(q).all()
    py, pq = _previous(year, quarter)
    prev_q = (select(Evaluation.person_id, Evaluation.final_grade).join(Cycle, Cycle.id == Evaluation.cycle_id)
              .where(Cycle.year == py, Cycle.quarter == pq, Evaluation.state.in_(DECIDED),
                     Evaluation.final_grade.is_not(None)))
    if unit is not None or own_talks:
        prev_q = prev_q.where(Evaluation.person_id.in_([r[0] for r in current]))
    previous = dict(session.execute(prev_q).all())
    held_by = aliased(Person)
    talks = {pid: (held_on, name, note, no) for pid, held_on, name, note, no in session.execute(
        select(TalkRecord.person_id, TalkRecord.held_on, held_by.name, TalkRecord.note, held_by.staff_no)
        .outerjoin(held_by, held_by.id == TalkRecord.held_by_id)
        .where(TalkRecord.year == year, TalkRecord.quarter == quarter))}
    out = []
    for pid, staff_no, name, unit_label, tier, grade, sup_no, sup_name in current:
        reason = talk_reason(previous.get(pid), grade, policy)
        if reason is None:
            continue
        talk = talks.get(pid)
        out.append({"staff_no": staff_no, "name": name, "unit": unit_label, "tier": tier, "grade": grade,
                    "previous_grade": previous.get(pid), "reason": reason,
                    "talk_by": sup_name or "上级党组织负责人", "talk_by_staff_no": sup_no,
                    "talk_by_name": _named(sup_name, sup_no) or "上级党组织负责人",
                    "held": talk is not None, "held_on": talk[0].isoformat() if talk else None,
                    "held_by": talk[1] if talk else None, "held_by_staff_no": talk[3] if talk else None,
                    "held_by_name": _named(talk[1], talk[3]) if talk else "", "note": talk[2] if talk else None})
    return out


def _named(name: str | None, staff_no: str | None) -> str:
    """A person as the console shows one: 姓名（人员编号）."""
    return f"{name}（{staff_no}）" if name and staff_no else (name or "")


def record_talk(session: Session, actor: Actor, policy: Policy, staff_no: str, year: int, quarter: int, *,
                held_on: date, note: str = "", held_by_staff_no: str | None = None) -> dict:
    """Record that the reminder talk was held (by the scorer, unit HR or the county office). Audited."""
    check_period(year, quarter)
    row = session.execute(
        select(Evaluation, Cycle).join(Cycle, Cycle.id == Evaluation.cycle_id).join(Person, Person.id ==
                                                                                     Evaluation.person_id)
        .where(Person.staff_no == staff_no, Cycle.year == year, Cycle.quarter == quarter)
    ).first()
    if row is None:
        raise NotFound(f"找不到人员 {staff_no} 在 {year}年第{quarter}季度的考核")
    evaluation, cycle = row
    if not (actor.can_view_unit(cycle.unit_id) or actor.person_id == evaluation.supervisor_id):
        raise NotFound(f"找不到人员 {staff_no} 在 {year}年第{quarter}季度的考核")
    if held_on > date.today():
        raise InvalidInput("谈话日期不能晚于今天")
    if len(note) > 2000:
        raise InvalidInput("谈话记录不能超过 2000 字")
    holder_id = evaluation.supervisor_id or actor.person_id
    if held_by_staff_no:
        holder_id = _talk_holder(session, actor, cycle.unit_id, evaluation, staff_no, held_by_staff_no)
    existing = session.scalar(select(TalkRecord).where(TalkRecord.person_id == evaluation.person_id,
                                                       TalkRecord.year == year, TalkRecord.quarter == quarter))
    if existing is not None:
        raise Conflict(f"{year}年第{quarter}季度的谈话已于 {existing.held_on.isoformat()} 记录")
    prev = session.execute(
        select(Evaluation.final_grade).join(Cycle, Cycle.id == Evaluation.cycle_id)
        .where(Evaluation.person_id == evaluation.person_id, Cycle.year == _previous(year, quarter)[0],
               Cycle.quarter == _previous(year, quarter)[1], Evaluation.state.in_(DECIDED))
    ).scalar()
    reason = talk_reason(prev, evaluation.final_grade if evaluation.state in DECIDED else None, policy) or "其他"
    talk = TalkRecord(person_id=evaluation.person_id, year=year, quarter=quarter, held_by_id=holder_id,
                      held_on=held_on, reason=reason, note=note, recorded_by=actor.ref)
    session.add(talk)
    session.flush()
    audit.record(session, actor, "talk.record", "person", staff_no, None,
                 {"year": year, "quarter": quarter, "held_on": held_on, "held_by_id": holder_id, "reason": reason})
    return {"staff_no": staff_no, "year": year, "quarter": quarter, "held_on": held_on.isoformat(), "reason": reason}


def _talk_holder(session: Session, actor: Actor, unit_id: int, evaluation: Evaluation, staff_no: str,
                 held_by_staff_no: str) -> int:
    """Who held the talk: the acting person themself, or an active member of the person's unit (not the person).
    Anyone else (another unit's staff, someone departed) is refused and the refusal audited."""
    holder = session.scalar(select(Person).where(Person.staff_no == held_by_staff_no))
    if holder is not None and holder.id == actor.person_id:
        return holder.id
    in_unit = holder is not None and holder.status == "active" and holder.id != evaluation.person_id and bool(
        session.scalar(select(Membership.id).where(Membership.person_id == holder.id, Membership.unit_id == unit_id,
                                                   Membership.end_on.is_(None)).limit(1)))
    if not in_unit:
        audit.record(session, actor, "talk.holder_refused", "person", staff_no, None, {"held_by": held_by_staff_no})
        raise InvalidInput(f"谈话人 {held_by_staff_no} 不是该单位的在职人员（也不能是谈话对象本人）",
                           "talk_holder_not_allowed").keeping_changes()
    return holder.id


# ---- exports ---------------------------------------------------------------------------------------------------

ANNUAL_HEADERS = ["人员编号", "姓名", "单位", "考评组（层次）", "一季度", "二季度", "三季度", "四季度", "好等次次数",
                  "一般/较差次数", "可评优秀", "优先确定优秀", "年度最高等次", "直接确定", "年内展望", "说明", "年度考核等次（已确定）"]


def _annual_cells(r: dict) -> list:
    return [r["staff_no"], r["name"], r["unit"], r["tier"], *[g or "—" for g in r["quarters"]], r["good_count"],
            r["bad_count"], "是" if r["excellent_eligible"] else "否", "是" if r["excellent_priority"] else "否",
            r["max_grade"], r["forced_grade"] or "", r["outlook"]["message"], "；".join(r["reasons"] + r["not_graded"]),
            r.get("annual_grade") or ""]


def _sheet(out: BinaryIO, title: str, caption: str, headers: list[str], rows) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    ws.append([safe_cell(caption)])
    ws.append(headers)
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    wb.save(out)


def export_annual(session: Session, actor: Actor, policy: Policy, year: int, out: BinaryIO, *,
                  unit_name: str | None = None, today: date | None = None) -> str:
    label = unit_name or policy.county
    rows = (_annual_cells(r.as_dict()) for r in year_rows(session, actor, policy, year, unit_name=unit_name,
                                                           today=today))
    _sheet(out, "年度汇总", f"{label}{year}年度平时考核结果汇总", ANNUAL_HEADERS, rows)
    return f"年度汇总_{label}_{year}.xlsx"


def export_candidates(session: Session, actor: Actor, policy: Policy, year: int, out: BinaryIO, *,
                      unit_name: str | None = None, kind: str = "promotion", tier: str | None = None,
                      quarter: int | None = None, today: date | None = None) -> str:
    label = unit_name or policy.county
    rule = policy.results.list_rule(kind, policy.good_grade)
    title = rule.title if rule else kind
    rows = candidates(session, actor, policy, year, kind=kind, quarter=quarter, unit_name=unit_name, tier=tier,
                      today=today)
    window = rows[0]["window"] if rows else window_label(window_quarters(rule, year, quarter or 4))
    _sheet(out, title, f"{label}{title}（{window}，按{'、'.join(rule.grades)}等次次数排序）", ["序号", *ANNUAL_HEADERS],
           ([r["rank"], *_annual_cells(r)] for r in rows))
    return f"{title}_{label}_{year}.xlsx"


def export_honours(session: Session, actor: Actor, policy: Policy, year: int, out: BinaryIO, *,
                   unit_name: str | None = None, today: date | None = None) -> str:
    label = unit_name or policy.county
    rows = honours(session, actor, policy, year, unit_name=unit_name, today=today)
    _sheet(out, "评优条件", f"{label}{year}年度具备评优条件人员名单", ANNUAL_HEADERS, (_annual_cells(r) for r in rows))
    return f"评优条件名单_{label}_{year}.xlsx"


TALK_HEADERS = ["人员编号", "姓名", "单位", "考评组（层次）", "本季度等次", "上季度等次", "提醒原因", "谈话人",
                "是否已谈话", "谈话日期", "实际谈话人", "谈话记录"]


def export_talks(session: Session, actor: Actor, policy: Policy, year: int, quarter: int, out: BinaryIO, *,
                 unit_name: str | None = None) -> str:
    label = unit_name or policy.county
    rows = talk_reminders(session, actor, policy, year, quarter, unit_name=unit_name)
    _sheet(out, "谈话提醒", f"{label}{year}年第{quarter}季度谈话提醒名单", TALK_HEADERS,
           ([r["staff_no"], r["name"], r["unit"], r["tier"], r["grade"], r["previous_grade"] or "", r["reason"],
             r["talk_by_name"], "是" if r["held"] else "否", r["held_on"] or "", r["held_by_name"] or "", r["note"] or ""]
            for r in rows))
    return f"谈话提醒_{label}_{year}Q{quarter}.xlsx"
