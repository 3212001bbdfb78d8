"""Spreadsheets: 《结果一览表》 (one unit, grouped by tier), the county's combined table (streamed),
人员异动 and 年初备案. Every text cell goes through ``safe_cell`` so nothing typed runs as a formula.
"""
from __future__ import annotations

import itertools
from datetime import date
from typing import BinaryIO, Iterable, Iterator

from openpyxl import Workbook  # imported with the module, once per process: 0.14–0.26 s a cold import costs
from openpyxl.styles import Alignment, Font
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from config.policy import Policy
from models import (
    CommitteeDecision,
    Cycle,
    Evaluation,
    Membership,
    Person,
    ResultSignoff,
    Section,
    Tier,
    Unit,
)
from models.rules.calendar import format_local, step_deadlines
from models.rules.feedback import CHOICES
from models.rules.quota import quota_by_tier
from models.rules.states import CYCLE

from handlers import audit
from handlers.actor import Actor
from handlers.identity.changes import HEADERS as CHANGE_HEADERS
from handlers.identity.changes import quarterly_changes
from handlers.errors import NotFound
from handlers.identity.scope import require_county, unit_named
from handlers.results.xlsx import safe_cell

RESULT_HEADERS = ["序号", "人员编号", "姓名", "岗位", "评鉴得分", "建议等次", "审定等次", "不定等次原因", "本人确认",
                  "确认意见（理由）", "确认时间", "加扣分"]
COUNTY_HEADERS = ["单位", "考评组（层次）", "人员编号", "姓名", "岗位", "评鉴得分", "建议等次", "审定等次",
                  "不定等次原因", "审定会议日期"]


def _row(values: Iterable) -> list:
    return [safe_cell(v) for v in values]


def _cycle(session: Session, unit: Unit, year: int, quarter: int) -> Cycle:
    cycle = session.scalar(select(Cycle).where(Cycle.unit_id == unit.id, Cycle.year == year, Cycle.quarter == quarter))
    if cycle is None:
        raise NotFound(f"{unit.name}没有 {year}年第{quarter}季度的考核")
    return cycle


def result_list_data(session: Session, actor: Actor, policy: Policy, unit_name: str, year: int, quarter: int) -> dict:
    """The 一览表 as plain data: meeting, and per tier the rows, grade counts and the 好 quota."""
    unit = unit_named(session, actor, unit_name)
    cycle = _cycle(session, unit, year, quarter)
    decision = session.scalar(select(CommitteeDecision).where(CommitteeDecision.cycle_id == cycle.id))
    rows = session.execute(
        select(Tier.name, Person.staff_no, Person.name, Evaluation.post, Evaluation.total, Evaluation.suggested_grade,
               Evaluation.final_grade, Evaluation.not_graded_reason, Evaluation.state, ResultSignoff)
        .join(Tier, Tier.id == Evaluation.tier_id).join(Person, Person.id == Evaluation.person_id)
        .outerjoin(ResultSignoff, (ResultSignoff.evaluation_id == Evaluation.id)
                   & (ResultSignoff.publication == cycle.publication))
        .where(Evaluation.cycle_id == cycle.id).order_by(Tier.id, Person.staff_no)
    ).all()
    fed_back = cycle.state in ("publicity", "filed") and cycle.published_at is not None  # else: before sign-offs
    applied = _applied_merits(session, policy, [r[1] for r in rows], year, quarter)
    tiers: dict[str, dict] = {}
    for tier, staff_no, name, post, total, suggested, final, reason, state, signoff in rows:
        t = tiers.setdefault(tier, {"tier": tier, "rows": [], "counts": {g: 0 for g in policy.grades},
                                    "not_graded": 0, "graded": 0})
        decided = state in ("decided", "published")
        final = final if decided else None
        t["rows"].append({"staff_no": staff_no, "name": name, "post": post, "total": total, "suggested": suggested,
                          "final": final, "not_graded_reason": reason,
                          "signed": CHOICES[signoff.choice] if signoff else ("未确认" if fed_back else ""),
                          "signed_comment": signoff.comment if signoff else "",
                          "signed_at": format_local(signoff.signed_at, policy) if signoff else "",
                          "merits": applied.get(staff_no, [])})
        if reason:
            t["not_graded"] += 1
        else:
            t["graded"] += 1
        if final:
            t["counts"][final] += 1
    groups = quota_by_tier({k: (t["graded"], t["counts"][policy.good_grade]) for k, t in tiers.items()}, policy)
    for k, t in tiers.items():
        t["quota"], t["quota_group"], t["within_quota"] = groups[k].quota, groups[k].tier, not groups[k].exceeded
    return {
        "unit": unit.name, "year": year, "quarter": quarter, "state": cycle.state,
        "state_label": CYCLE.label(cycle.state),
        "meeting": {"date": decision.meeting_on.isoformat(), "attendees": decision.attendees, "note": decision.note,
                    "recorded_by_name": audit.who(session, [decision.recorded_by]).get(decision.recorded_by, ""),
                    "recorded_at": format_local(decision.recorded_at, policy)}
        if decision else None,
        "tiers": list(tiers.values()),
    }


def _applied_merits(session: Session, policy: Policy, staff_nos: list[str], year: int, quarter: int
                    ) -> dict[str, list[str]]:
    """加扣分: each person's items applied this quarter (points, capped per quarter) and the 负面清单 effects in force,
    as the 登记表 prints them; staff number → texts."""
    from handlers.quarter import merits

    if not policy.merits.items or not staff_nos:
        return {}
    ids = dict(session.execute(select(Person.id, Person.staff_no).where(Person.staff_no.in_(staff_nos))).all())
    effects = merits.quarter_effects(session, list(ids), year, quarter, policy)
    return {ids[pid]: [line.text for line in e.adjustments.lines] + [b.text for b in e.blocks]
            for pid, e in effects.items() if e.adjustments.lines or e.blocks}


def result_list(session: Session, actor: Actor, policy: Policy, unit_name: str, year: int, quarter: int,
                out: BinaryIO) -> str:

    data = result_list_data(session, actor, policy, unit_name, year, quarter)
    wb = Workbook()
    ws = wb.active
    ws.title = "结果一览表"
    ws.append(_row([f"{data['unit']}{year}年第{quarter}季度公务员平时考核结果一览表"]))
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(RESULT_HEADERS))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    m = data["meeting"]
    # as the print view: 姓名（人员编号）, or 系统 when the system recorded the meeting
    recorded = ["录入", f"{m['recorded_by_name']} {m['recorded_at']}"] if m and m["recorded_by_name"] else []
    ws.append(_row(["党委(党组)会议", m["date"], "参加人员", m["attendees"], "备注", m["note"], *recorded] if m
                   else ["党委(党组)会议", "尚未审定"]))
    for t in data["tiers"]:
        counts = "，".join(f"{g}{n}人" for g, n in t["counts"].items())
        ws.append(_row([f"考评组：{t['tier']}（{len(t['rows'])}人，确定等次{t['graded']}人，"
                        f"{policy.good_grade}等次名额{t['quota']}人；{counts}；不定等次{t['not_graded']}人）"]))
        ws.cell(ws.max_row, 1).font = Font(bold=True)
        ws.append(RESULT_HEADERS)
        for i, r in enumerate(t["rows"], start=1):
            ws.append(_row([i, r["staff_no"], r["name"], r["post"], r["total"], r["suggested"] or "",
                            r["final"] or ("不定等次" if r["not_graded_reason"] else ""), r["not_graded_reason"] or "",
                            r["signed"], r["signed_comment"], r["signed_at"], "；".join(r["merits"])]))
    ws.append(_row(["单位盖章：　　　　　　　　　　主要负责人签字：　　　　　　　　　　填表日期：　　年　月　日"]))
    for col, width in zip("ABCDEFGHIJKL", (6, 12, 10, 20, 10, 10, 10, 36, 10, 30, 17, 40)):
        ws.column_dimensions[col].width = width
    wb.save(out)
    return f"结果一览表_{data['unit']}_{year}Q{quarter}.xlsx"


def county_rows(session: Session, year: int, quarter: int) -> Iterator[list]:
    """Every evaluation of the quarter across units, streamed from the database (``yield_per``)."""
    q = (
        select(Unit.name, Tier.name, Person.staff_no, Person.name, Evaluation.post, Evaluation.total,
               Evaluation.suggested_grade, Evaluation.final_grade, Evaluation.not_graded_reason, Evaluation.state,
               CommitteeDecision.meeting_on)
        .select_from(Evaluation)
        .join(Cycle, Cycle.id == Evaluation.cycle_id).join(Unit, Unit.id == Cycle.unit_id)
        .join(Tier, Tier.id == Evaluation.tier_id).join(Person, Person.id == Evaluation.person_id)
        .outerjoin(CommitteeDecision, CommitteeDecision.cycle_id == Cycle.id)
        .where(Cycle.year == year, Cycle.quarter == quarter)
        .order_by(Unit.id, Tier.id, Person.staff_no)
        .execution_options(yield_per=5000)
    )
    for unit, tier, staff_no, name, post, total, suggested, final, reason, state, meeting in session.execute(q):
        final = final if state in ("decided", "published") else None
        yield [unit, tier, staff_no, name, post, total, suggested or "",
               final or ("不定等次" if reason else ""), reason or "", meeting.isoformat() if meeting else ""]


def county_result_table(session: Session, actor: Actor, policy: Policy, year: int, quarter: int,
                        out: BinaryIO) -> str:
    """The county's combined table, streamed: each row goes into the sheet's XML as it comes from the database
    (``yield_per``), never all in memory (``xlsx_stream``: at 300,000 rows the general writers spent ~5 µs of
    Python per cell). Cells as openpyxl's write-only writer wrote them (text inline, numbers as numbers, nothing for
    empty values; text that looks like a formula is escaped as in every export)."""
    from handlers.results.documents.xlsx_stream import write_sheet

    require_county(actor)
    title = [f"{policy.county}{year}年第{quarter}季度公务员平时考核结果汇总表"]
    rows = (_row(row) for row in county_rows(session, year, quarter))
    write_sheet(out, "全县结果汇总", itertools.chain([title, COUNTY_HEADERS], rows))
    return f"全县结果汇总表_{year}Q{quarter}.xlsx"


def changes_sheet(session: Session, actor: Actor, policy: Policy, unit_name: str | None, year: int, quarter: int,
                  out: BinaryIO) -> str:
    """人员异动 of the quarter, for the quarterly filing (one unit, or the county)."""

    unit = unit_named(session, actor, unit_name) if unit_name else None
    if unit is None:
        require_county(actor)
    label = unit.name if unit else policy.county
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("人员异动")
    ws.append(_row([f"{label}{year}年第{quarter}季度公务员人员异动备案表"]))
    ws.append(["序号", *CHANGE_HEADERS])
    for i, c in enumerate(quarterly_changes(session, year, quarter, unit.id if unit else None), start=1):
        ws.append(_row([i, *c.as_row()]))
    wb.save(out)
    return f"人员异动_{label}_{year}Q{quarter}.xlsx"


ROSTER_FILING_HEADERS = ["序号", "人员编号", "姓名", "股室", "考评组（层次）", "岗位", "职级", "编制类型",
                         "是否领导班子成员", "分管领导", "参加工作日期"]


def roster_filing_rows(session: Session, unit: Unit, as_of: date) -> list[list]:
    sup = aliased(Person)
    rows = session.execute(
        select(Person.staff_no, Person.name, Section.name, Tier.name, Membership.post, Membership.rank,
               Person.staffing_type, Membership.is_leader, sup.name, Person.hired_on)
        .join(Membership, Membership.person_id == Person.id)
        .join(Tier, Tier.id == Membership.tier_id)
        .outerjoin(Section, Section.id == Membership.section_id)
        .outerjoin(sup, sup.id == Membership.supervisor_id)
        .where(Membership.unit_id == unit.id, Membership.start_on <= as_of,
               or_(Membership.end_on.is_(None), Membership.end_on >= as_of))
        .order_by(Tier.id, Person.staff_no)
    ).all()
    return [[i, staff_no, name, section or "", tier, post, rank, staffing, "是" if leader else "否", sup_name or "",
             hired.isoformat() if hired else ""]
            for i, (staff_no, name, section, tier, post, rank, staffing, leader, sup_name, hired)
            in enumerate(rows, start=1)]


def annual_filing(session: Session, actor: Actor, policy: Policy, unit_name: str, year: int, out: BinaryIO,
                  as_of: date | None = None) -> str:
    """年初备案: the year's plan (tiers, quotas, indicators, deadlines) and the roster on 1 January."""

    unit = unit_named(session, actor, unit_name)
    as_of = as_of or date(year, 1, 1)
    roster = roster_filing_rows(session, unit, as_of)
    wb = Workbook(write_only=True)
    plan = wb.create_sheet("考核方案")
    plan.append(_row([f"{unit.name}{year}年度公务员平时考核实施方案备案表"]))
    plan.append(["考评组（层次）", "人数", f"{policy.good_grade}等次名额（每季度）"])
    per_tier: dict[str, int] = {}
    for r in roster:
        per_tier[r[4]] = per_tier.get(r[4], 0) + 1
    names = list(session.scalars(select(Tier.name).where(Tier.unit_id == unit.id).order_by(Tier.id)))
    groups = quota_by_tier({t: (per_tier.get(t, 0), 0) for t in names}, policy)
    for tier in names:
        group = groups[tier]
        plan.append(_row([tier, per_tier.get(tier, 0),
                          group.quota if len(group.members) == 1 else f"{group.quota}（{group.tier}）"]))
    plan.append([])
    plan.append(["类别", "维度", "评鉴指标", "分值"])
    for kind, specs in (("共性指标", policy.template.common), ("个性指标", policy.template.specific)):
        for s in specs:
            plan.append(_row([kind, s.dimension, s.name, s.points]))
    plan.append([])
    plan.append(["季度", "个人小结截止", "领导评鉴截止", "党委(党组)审定截止", "结果备案截止"])
    from models.rules.calendar import format_local

    for quarter in (1, 2, 3, 4):
        due = step_deadlines(year, quarter, policy)
        plan.append([f"第{quarter}季度", *(format_local(due[s], policy) for s in ("summary", "scoring", "decision",
                                                                                  "filing"))])
    ws = wb.create_sheet("人员名册")
    ws.append(_row([f"{unit.name}{year}年度平时考核人员名册（截至{as_of.isoformat()}，共{len(roster)}人）"]))
    ws.append(ROSTER_FILING_HEADERS)
    for r in roster:
        ws.append(_row(r))
    wb.save(out)
    return f"年初备案_{unit.name}_{year}.xlsx"


def count_evaluations(session: Session, year: int, quarter: int) -> int:
    return session.scalar(select(func.count()).select_from(Evaluation).join(Cycle, Cycle.id == Evaluation.cycle_id)
                          .where(Cycle.year == year, Cycle.quarter == quarter)) or 0
