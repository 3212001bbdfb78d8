"""《平时考核登记表》 and 《考核评鉴表》 for one person and quarter, as Word (docx) documents.

Why docx: the county office prints these forms, the person and the leaders sign them by hand, and the
signed paper goes into the personnel file. Unit HR often fixes a line (a post title, a meeting date) in Word
or WPS before printing; a docx opens in both, prints on A4 exactly as laid out, and stays editable, which a
PDF does not. Text is placed in table cells, never interpreted, so nothing a user typed can run.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.policy import Policy
from models import (
    CommitteeDecision,
    Cycle,
    Evaluation,
    Indicator,
    Objection,
    Person,
    ResultSignoff,
    Summary,
    Tier,
    Unit,
)
from models.rules.calendar import format_local
from models.rules.feedback import CHOICES

from handlers.actor import Actor
from handlers.errors import NotFound
from handlers.quarter.feedback import signoff_of

FONT = "宋体"
SIGN = "签字：　　　　　　　　　　年　　月　　日"


@dataclass
class PersonQuarter:
    person: Person
    unit: Unit
    tier: Tier
    cycle: Cycle
    evaluation: Evaluation
    summary: Summary | None
    indicators: list[Indicator]
    decision: CommitteeDecision | None
    supervisor: Person | None
    signoff: ResultSignoff | None = None  # 本人签署意见 of the current publication
    recorder: str = ""  # who entered the committee's decision (name), for its sign-off line
    merit_lines: list[str] = field(default_factory=list)  # 加扣分 applied and effects on the grade (handlers.quarter.merits)
    regrade: Objection | None = None  # an objection that changed the grade (复核): the form shows both grades


def person_quarter(session: Session, actor: Actor, staff_no: str, year: int, quarter: int,
                   policy: Policy | None = None) -> PersonQuarter:
    """The person's evaluation in the quarter, for the person, their scorer, unit HR and the county office. With the
    policy, also the quarter's 加扣分 and the items that limit its grade."""
    missing = NotFound(f"找不到人员 {staff_no} 在 {year}年第{quarter}季度的考核")
    row = session.execute(
        select(Evaluation, Cycle, Person)
        .join(Cycle, Cycle.id == Evaluation.cycle_id)
        .join(Person, Person.id == Evaluation.person_id)
        .where(Person.staff_no == staff_no, Cycle.year == year, Cycle.quarter == quarter)
    ).first()
    if row is None:
        raise missing
    evaluation, cycle, person = row
    allowed = (actor.can_view_unit(cycle.unit_id) or actor.person_id in (person.id, evaluation.supervisor_id))
    if not allowed:
        raise missing
    indicators = [i for i in session.scalars(select(Indicator).where(Indicator.cycle_id == cycle.id)
                                             .order_by(Indicator.position, Indicator.id))
                  if i.post in ("", evaluation.post)]
    # a post's own indicators replace the unit-wide post-specific set
    if any(i.post for i in indicators):
        indicators = [i for i in indicators if i.kind == "common" or i.post]
    decision = session.scalar(select(CommitteeDecision).where(CommitteeDecision.cycle_id == cycle.id))
    return PersonQuarter(
        person=person, unit=session.get(Unit, cycle.unit_id), tier=session.get(Tier, evaluation.tier_id),
        cycle=cycle, evaluation=evaluation,
        summary=session.scalar(select(Summary).where(Summary.cycle_id == cycle.id, Summary.person_id == person.id)),
        indicators=indicators,
        decision=decision,
        supervisor=session.get(Person, evaluation.supervisor_id) if evaluation.supervisor_id else None,
        signoff=signoff_of(session, evaluation, cycle),
        recorder=name_of_ref(session, decision.recorded_by) if decision else "",
        merit_lines=_merit_lines(session, person.id, year, quarter, policy) if policy else [],
        regrade=session.scalar(select(Objection).where(Objection.evaluation_id == evaluation.id,
                                                       Objection.new_grade.is_not(None))
                               .order_by(Objection.id.desc()).limit(1)),
    )


def _merit_lines(session: Session, person_id: int, year: int, quarter: int, policy: Policy) -> list[str]:
    from handlers.quarter import merits

    if not policy.merits.items:
        return []
    effects = merits.quarter_effects(session, [person_id], year, quarter, policy)[person_id]
    return [line.text for line in effects.adjustments.lines] + [b.text for b in effects.blocks]


INDICATOR_HEADS = ("类别", "维度", "评鉴指标", "分值", "得分")


def summary_paragraphs(pq: PersonQuarter) -> list[str]:
    return list(pq.summary.paragraphs or []) if pq.summary else []


def registration_tail(pq: PersonQuarter, policy: Policy) -> list[tuple[str, str]]:
    """The rows under the summary in 《平时考核登记表》 (label, text); shared by the docx and the HTML. Each sign-off
    recorded in the system (the scorer's submission, the committee's decision, the person's 本人签署意见) shows its
    name and Beijing time; the handwritten signature line stays for the paper file."""
    e = pq.evaluation
    score = "" if e.total is None else f"{e.total:g}"
    return [
        ("分管领导评鉴意见",
         f"评鉴得分：{score or '（未评鉴）'}　建议等次：{e.suggested_grade or '（未评鉴）'}\n"
         f"{_scorer_signed(pq, policy)}分管领导" + SIGN),
        ("党委(党组)审定等次", _decided_text(pq)),
        ("审定会议", _meeting(pq, policy)),
        ("本人签署意见", _signoff_lines(pq, policy) + "本人" + SIGN),
        ("备注", f"本表由{pq.unit.name}平时考核办公室存档；结果备案至{policy.contact}。"),
    ]


def _signoff_lines(pq: PersonQuarter, policy: Policy) -> str:
    """The recorded sign-off (or （未确认） once the result is fed back) above the handwritten line; nothing for a
    quarter not fed back through the system (not yet published, or published before sign-offs existed)."""
    if pq.signoff is None and pq.cycle.published_at is None:
        return ""
    return signoff_text(pq.signoff, policy) + "\n"


def signoff_text(signoff: ResultSignoff | None, policy: Policy) -> str:
    """本人签署意见 as printed: 同意 / 有异议, the comment or reason, the time (Beijing)."""
    if signoff is None:
        return "（未确认）"
    label = "意见" if signoff.choice == "agree" else "理由"
    comment = f"　{label}：{signoff.comment}" if signoff.comment else ""
    return f"{CHOICES[signoff.choice]}{comment}　{format_local(signoff.signed_at, policy)}"


def _scorer_signed(pq: PersonQuarter, policy: Policy) -> str:
    e = pq.evaluation
    if pq.supervisor is None or e.submitted_at is None:
        return ""
    return f"评鉴人：{pq.supervisor.name}　{format_local(e.submitted_at, policy)} 提交\n"


def name_of_ref(session: Session, ref: str) -> str:
    """An audit ref (``person:<staff_no>``) as the person's name (a paper form names people as they sign); the system
    (``system:…``, e.g. a meeting recorded by an import) as 系统, as the print view and the 一览表 say."""
    if ref.startswith("system:"):
        return "系统"
    if not ref.startswith("person:"):
        return ""
    return session.scalar(select(Person.name).where(Person.staff_no == ref.split(":", 1)[1])) or ""


def indicator_rows(pq: PersonQuarter) -> list[tuple[str, str, str, str, str]]:
    """(类别, 维度, 评鉴指标, 分值, 得分) for each indicator of 《考核评鉴表》."""
    scores = pq.evaluation.scores or {}
    rows = []
    for ind in pq.indicators:
        got = scores.get(str(ind.id))
        rows.append(("共性指标" if ind.kind == "common" else "个性指标", ind.dimension, ind.name, f"{ind.points:g}",
                     "" if got is None else f"{float(got):g}"))
    return rows


def evaluation_tail(pq: PersonQuarter, policy: Policy) -> list[tuple[str, str]]:
    e = pq.evaluation
    total = "" if e.total is None else f"{e.total:g}"
    scored_at = format_local(e.submitted_at, policy)
    merits = [("加扣分与问责", "；".join(pq.merit_lines))] if pq.merit_lines else []
    return [
        ("合计得分", total or "（未评鉴）"),
        *merits,
        ("建议等次", e.suggested_grade or "（未评鉴）"),
        ("审定等次", _decided_text(pq)),
        ("审定会议", _meeting(pq, policy)),
        ("评鉴人", f"{pq.supervisor.name if pq.supervisor else ''}　{scored_at}　" + SIGN),
    ]


def _document():
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin = section.bottom_margin = Cm(2)
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(11)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    doc._center = WD_ALIGN_PARAGRAPH.CENTER  # type: ignore[attr-defined]
    return doc


def _title(doc, text: str, subtitle: str) -> None:
    from docx.shared import Pt

    p = doc.add_paragraph()
    p.alignment = doc._center
    run = p.add_run(text)
    run.bold = True
    run.font.size = Pt(18)
    s = doc.add_paragraph(subtitle)
    s.alignment = doc._center


def _grade_text(e: Evaluation) -> str:
    if e.not_graded_reason:
        return f"不定等次（{e.not_graded_reason}）"
    return e.final_grade or "（待审定）"


def _decided_text(pq: PersonQuarter) -> str:
    """The grade in force; when an objection changed it, also the grade first decided."""
    o = pq.regrade
    note = f"（原定“{o.grade}”，经异议复核改定）" if o is not None else ""
    return _grade_text(pq.evaluation) + note


def _meeting(pq: PersonQuarter, policy: Policy) -> str:
    """The committee's sign-off: meeting date and attendees, who recorded it and when (Beijing); and the review
    meeting that changed the grade, if any."""
    d = pq.decision
    if not d:
        return "（尚未审定）"
    recorded = f"　录入：{pq.recorder} {format_local(d.recorded_at, policy)}" if pq.recorder else ""
    o = pq.regrade
    review = (f"\n复核会议：{o.meeting_on.isoformat()}　{o.meeting_attendees}"
              if o is not None and o.meeting_on else "")
    return f"{d.meeting_on.isoformat()}　{d.attendees}{recorded}{review}"


def info_rows(pq: PersonQuarter) -> list[tuple[str, str, str, str]]:
    return [
        ("姓名", pq.person.name, "人员编号", pq.person.staff_no),
        ("单位", pq.unit.name, "考评组（层次）", pq.tier.name),
        ("岗位（职务）", pq.evaluation.post or "", "分管领导", pq.supervisor.name if pq.supervisor else ""),
    ]


def _grid(doc, rows: int, cols: int, widths_cm: tuple[float, ...] | None = None):
    """A bordered table; column widths in cm so the printed A4 form keeps its shape in Word and WPS."""
    from docx.shared import Cm

    table = doc.add_table(rows=rows, cols=cols)
    table.style = "Table Grid"
    table.autofit = False
    if widths_cm:
        for row in table.rows:
            for cell, width in zip(row.cells, widths_cm):
                cell.width = Cm(width)
    return table


def _full_row(table, row: int, label: str, text: str) -> None:
    cells = table.rows[row].cells
    cells[0].text = label
    merged = cells[1].merge(cells[-1])
    merged.text = text


def registration_form(session: Session, actor: Actor, policy: Policy, staff_no: str, year: int, quarter: int,
                      out: BinaryIO) -> str:
    """《平时考核登记表》: who, the personal summary, the leader's view, the committee's grade, signatures."""
    pq = person_quarter(session, actor, staff_no, year, quarter)
    doc = _document()
    _title(doc, "公务员平时考核登记表", f"（{year}年第{quarter}季度）")
    info = info_rows(pq)
    tail = registration_tail(pq, policy)
    table = _grid(doc, len(info) + 1 + len(tail), 4, (3.2, 5.2, 3.2, 5.0))
    for r, values in enumerate(info):
        for c, value in enumerate(values):
            table.rows[r].cells[c].text = value
    r = len(info)
    paragraphs = summary_paragraphs(pq)
    cells = table.rows[r].cells
    cells[0].text = "个人小结"
    body = cells[1].merge(cells[3])
    body.text = paragraphs[0] if paragraphs else "（未填写）"
    for para in paragraphs[1:]:
        body.add_paragraph(para)
    body.add_paragraph("本人" + SIGN)
    for i, (label, text) in enumerate(tail, start=1):
        _full_row(table, r + i, label, text)
    doc.save(out)
    return f"平时考核登记表_{pq.person.staff_no}_{pq.person.name}_{year}Q{quarter}.docx"


def evaluation_form(session: Session, actor: Actor, policy: Policy, staff_no: str, year: int, quarter: int,
                    out: BinaryIO) -> str:
    """《考核评鉴表》: each indicator with its points and the score given, the total and the grades."""
    pq = person_quarter(session, actor, staff_no, year, quarter, policy)
    doc = _document()
    _title(doc, "公务员平时考核评鉴表", f"（{year}年第{quarter}季度）")
    info = info_rows(pq)
    head = _grid(doc, len(info), 4, (3.2, 5.2, 3.2, 5.0))
    for r, values in enumerate(info):
        for c, value in enumerate(values):
            head.rows[r].cells[c].text = value
    doc.add_paragraph()
    table = _grid(doc, len(pq.indicators) + 1, 5, (2.4, 1.4, 8.4, 2.2, 2.2))
    for c, h in enumerate(INDICATOR_HEADS):
        table.rows[0].cells[c].text = h
    for r, values in enumerate(indicator_rows(pq), start=1):
        for c, value in enumerate(values):
            table.rows[r].cells[c].text = value
    doc.add_paragraph()
    rows = evaluation_tail(pq, policy)
    tail = _grid(doc, len(rows), 2, (3.2, 13.4))
    for r, (label, value) in enumerate(rows):
        tail.rows[r].cells[0].text = label
        tail.rows[r].cells[1].text = value
    doc.save(out)
    return f"考核评鉴表_{pq.person.staff_no}_{pq.person.name}_{year}Q{quarter}.docx"
