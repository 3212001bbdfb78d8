"""The letters of an objection (异议 / 复核): 受理通知书 when it is filed and 复核决定书 once the unit has answered.

Both say that processing does not stop the decision's execution (复核、申诉期间不停止执行); for a grade under the
civil-service law (policy ``[feedback] law_grades``) they give the law's clocks: the organ decides within
``law_decision_days``, 申诉 within ``law_appeal_days`` of the decision.
"""
from __future__ import annotations

from typing import BinaryIO

from sqlalchemy.orm import Session

from config.policy import Policy
from models import Objection, Person, Unit
from models.rules import feedback as rules
from models.rules.calendar import to_local

from handlers.identity.access import deny
from handlers.actor import Actor
from handlers.errors import Conflict, NotFound
from handlers.results.documents.forms import _document, _title

KINDS = {"accept": "受理通知书", "decision": "复核决定书"}
NOT_STOPPED = "复核、申诉期间不停止原考核结果的执行。"


def _day(moment, policy: Policy) -> str:
    d = to_local(moment, policy).date()
    return f"{d.year}年{d.month}月{d.day}日"


def letter_text(o: Objection, c, person: Person, unit: Unit, kind: str, policy: Policy) -> tuple[str, list[str]]:
    """The letter's title and paragraphs (the docx writer and the tests read the same text). ``c``: the cycle, or
    for an annual grade's 复核 the objection's subject (``handlers.quarter.objections.Subject``: its ``label``)."""
    annual = o.kind == "annual"
    law = rules.law_applies(o.grade, policy, annual)
    what = "复核申请" if law else "异议"
    period = f"{c.label}考核" if annual else f"{c.label}平时考核"
    kind_title = "年度考核" if annual else "平时考核"
    if kind == "accept":
        paras = [f"{person.name}同志：",
                 (f"你于{_day(o.created_at, policy)}对{period}确定的等次“{o.grade}”提出的{what}，"
                  f"本机关已受理。理由：{o.reason}"),
                 f"本机关将于{_day(o.answer_due, policy)}前作出{'复核决定' if law else '答复'}并书面告知你。"
                 + (f"（依照《中华人民共和国公务员法》，机关自受理之日起{policy.feedback.law_decision_days}日内作出复核决定。）"
                    if law else ""),
                 NOT_STOPPED]
        return f"{unit.name}\n{kind_title}{what}受理通知书", paras
    if o.answered_at is None:
        raise Conflict("单位尚未作出复核决定，不能出具复核决定书", "not_answered")
    if o.new_grade:
        decision = (f"经党委(党组){o.meeting_on.year}年{o.meeting_on.month}月{o.meeting_on.day}日会议研究，"
                    f"你的{period}等次由“{o.grade}”改为“{o.new_grade}”。")
    else:
        decision = f"维持你的{period}等次“{o.grade}”。"
    ends = rules.escalate_deadline(o.answered_at, policy, o.grade, annual)
    appeal = (f"如对本决定不服，可以自收到本决定之日起{policy.feedback.law_appeal_days}日内向{policy.contact}提出申诉"
              f"（{_day(ends, policy)}前）。" if law else
              f"如对本答复不服，可以于{_day(ends, policy)}前向{policy.contact}申诉。")
    paras = [f"{person.name}同志：",
             f"你于{_day(o.created_at, policy)}提出的{what}，本机关已复核。理由：{o.answer}",
             f"决定：{decision}", appeal, NOT_STOPPED]
    return f"{unit.name}\n{kind_title}复核决定书", paras


def objection_letter(session: Session, actor: Actor, policy: Policy, objection_id: int, kind: str,
                     out: BinaryIO) -> str:
    """Write the letter as docx to ``out``; the file name. The person, their unit's HR and the county office."""
    if kind not in KINDS:
        raise NotFound("没有这种文书")
    o = session.get(Objection, objection_id)
    if o is None:
        raise NotFound("找不到该异议")
    from handlers.quarter.objections import subject

    c = subject(session, o)
    if not (actor.person_id == o.person_id or actor.can_view_unit(c.unit_id)):
        raise deny(session, actor, "objection", objection_id)
    person, unit = session.get(Person, o.person_id), session.get(Unit, c.unit_id)
    title, paras = letter_text(o, c, person, unit, kind, policy)
    doc = _document()
    head, _, sub = title.partition("\n")
    _title(doc, sub, head)
    for text in paras:
        doc.add_paragraph(text)
    doc.add_paragraph("")
    signed = doc.add_paragraph(f"{unit.name}（盖章）")
    signed.alignment = 2  # right
    dated = doc.add_paragraph(_day(o.answered_at if kind == "decision" else o.created_at, policy))
    dated.alignment = 2
    doc.save(out)
    period = c.label if c.annual else f"{c.cycle.year}Q{c.cycle.quarter}"
    return f"{KINDS[kind]}_{person.staff_no}_{person.name}_{period}.docx"
