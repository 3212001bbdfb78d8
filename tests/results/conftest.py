"""A small, fixed county for the results tests: two units, named people, decided quarters with summaries."""
from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from handlers.actor import actor_for_person, system_actor
from handlers.quarter.cycles import add_default_indicators
from models import CommitteeDecision, Cycle, Evaluation, Indicator, Summary
from models.rules.calendar import step_deadlines
from models.rules.scoring import suggested_grade
from tests import factories as f

GOLDEN = Path(__file__).parent / "golden"


def at(y, m, d, h=9) -> datetime:
    return datetime(y, m, d, h, tzinfo=timezone.utc)


def add_quarter(session, policy, unit, year, quarter, people: dict, *, decided=True, summaries=None, meeting=True,
                state="filed"):
    """``people``: person → (total, final grade, not-graded reason). Scores are spread over the indicators."""
    due = step_deadlines(year, quarter, policy)
    cycle = Cycle(unit_id=unit.id, year=year, quarter=quarter, state=state if decided else "open",
                  summary_due=due["summary"], scoring_due=due["scoring"], decision_due=due["decision"],
                  filing_due=due["filing"], opened_at=at(year, 3 * quarter, 20))
    session.add(cycle)
    session.flush()
    add_default_indicators(session, cycle, policy)
    session.flush()
    indicators = list(session.scalars(select(Indicator).where(Indicator.cycle_id == cycle.id)
                                      .order_by(Indicator.position)))
    for person, (total, final, reason) in people.items():
        membership = person.memberships[-1]
        scores = {}
        if total is not None:
            share = total / 100
            for ind in indicators:
                scores[str(ind.id)] = round(ind.points * share * 2) / 2
            scores[str(indicators[-1].id)] += round(total - sum(scores.values()), 1)
        session.add(Evaluation(
            cycle_id=cycle.id, person_id=person.id, tier_id=membership.tier_id, post=membership.post,
            supervisor_id=membership.supervisor_id, state="published" if decided else "pending", scores=scores,
            total=total, suggested_grade=suggested_grade(total, policy) if total is not None else None,
            final_grade=final if decided else None, not_graded_reason=reason,
            submitted_at=at(year, 3 * quarter, 28) if total is not None else None,
            decided_at=at(year, 3 * quarter, 29) if decided else None))
    for person, paragraphs in (summaries or {}).items():
        session.add(Summary(cycle_id=cycle.id, person_id=person.id, state="locked" if decided else "submitted",
                            paragraphs=paragraphs, submitted_at=at(year, 3 * quarter, 27)))
    if decided and meeting:
        session.add(CommitteeDecision(cycle_id=cycle.id, meeting_on=date(year, 3 * quarter, 29),
                                      attendees="张书记、李局长、王副局长", note="按程序审定", recorded_by="system:test",
                                      recorded_at=at(year, 3 * quarter, 29, 10)))
    session.flush()
    return cycle


@dataclass
class County:
    units: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)
    admin: object = None  # 县财政局 HR
    county_admin: object = None


SUMMARY_A = ["本季度认真完成预算编制工作，按时报送各类报表十二份，未出现差错。",
             "积极参加单位组织的政治理论学习，撰写心得体会两篇。"]
SUMMARY_B = ["本季度认真完成预算编制工作，按时报送各类报表十三份，未出现差错。",
             "积极参加单位组织的政治理论学习，撰写心得体会两篇。"]
SUMMARY_C = ["负责全县国有资产清查，完成三个乡镇的实地核查，形成专题报告一份并提出整改建议。"]


@pytest.fixture
def county(session, policy) -> County:
    c = County()
    fin = c.units["fin"] = f.unit(session, "县财政局")
    edu = c.units["edu"] = f.unit(session, "县教育局", tiers=("一般干事",))
    lead = f.person(session, fin, "中层干部", name="张局长", staff_no="F001", leader=True, post="局长")
    a = f.person(session, fin, "一般干事", name="李明", staff_no="F002", supervisor=lead, post="预算管理")
    b = f.person(session, fin, "一般干事", name="王芳", staff_no="F003", supervisor=lead, post="预算管理")
    cc = f.person(session, fin, "一般干事", name="赵强", staff_no="F004", supervisor=lead, post="资产管理")
    new = f.person(session, fin, "一般干事", name="钱新", staff_no="F005", supervisor=lead, post="综合文秘",
                   hired_on=date(2026, 2, 1), start_on=date(2026, 2, 1))
    hr = f.person(session, fin, "一般干事", name="孙人事", staff_no="F006", supervisor=lead, post="人事",
                  roles=("unit_admin",))
    e1 = f.person(session, edu, name="周一", staff_no="E001", post="教研")
    e2 = f.person(session, edu, name="吴二", staff_no="E002", post="教研")
    e3 = f.person(session, edu, name="郑三", staff_no="E003", post="教研")
    boss = f.person(session, edu, name="冯主任", staff_no="E004", post="公务员管理", roles=("county_admin",))
    c.people = {p.staff_no: p for p in (lead, a, b, cc, new, hr, e1, e2, e3, boss)}
    probation = policy.not_graded.probation_reason
    grades = {  # (total, final, reason) per quarter
        1: {lead: (91, "好", None), a: (92, "好", None), b: (85, "较好", None), cc: (70, "一般", None),
            new: (None, None, probation), hr: (84, "较好", None)},
        2: {lead: (88, "较好", None), a: (93, "好", None), b: (86, "较好", None), cc: (75, "一般", None),
            new: (None, None, probation), hr: (86, "较好", None)},
    }
    add_quarter(session, policy, fin, 2026, 1, grades[1], summaries={a: SUMMARY_A, b: SUMMARY_C, cc: SUMMARY_C})
    add_quarter(session, policy, fin, 2026, 2, grades[2], summaries={a: SUMMARY_A, b: SUMMARY_B, cc: SUMMARY_C})
    for q in (1, 2):
        add_quarter(session, policy, edu, 2026, q, {e1: (95, "好", None), e2: (95, "好", None),
                                                    e3: (95, "好", None), boss: (95, "好", None)})
    session.flush()
    c.admin = actor_for_person(session, hr.id)
    c.county_admin = actor_for_person(session, boss.id)
    return c


@pytest.fixture
def cli_actor():
    return system_actor()


def render_bytes(session, actor, policy, name, **params) -> tuple[str, bytes]:
    from handlers.results.documents import Params, render

    buf = io.BytesIO()
    filename = render(session, actor, policy, name, Params(**params), buf)
    return filename, buf.getvalue()


def docx_structure(data: bytes) -> dict:
    """Paragraphs and table cells (merged cells once), the parts a person reads on paper."""
    from docx import Document

    doc = Document(io.BytesIO(data))
    tables = []
    for t in doc.tables:
        rows = []
        for row in t.rows:
            cells, seen = [], set()
            for cell in row.cells:
                if id(cell._tc) in seen:
                    continue
                seen.add(id(cell._tc))
                cells.append(cell.text)
            rows.append(cells)
        tables.append(rows)
    return {"paragraphs": [p.text for p in doc.paragraphs if p.text], "tables": tables}


def xlsx_structure(data: bytes) -> dict:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    return {ws.title: [[v for v in row] for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def assert_golden(name: str, structure: dict) -> None:
    """Compare with ``golden/<name>.json``; ``KAOHE_UPDATE_GOLDEN=1`` rewrites it (review the diff!)."""
    path = GOLDEN / f"{name}.json"
    text = json.dumps(structure, ensure_ascii=False, indent=1, default=str)
    if os.environ.get("KAOHE_UPDATE_GOLDEN") == "1":
        path.write_text(text + "\n", encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert json.loads(text) == expected
