"""Messages that follow a decision, to the person who must act on it (through ``notices.notify_person``):

- a filing (annual plan, changes, results) accepted or returned by the county office → the unit's HR, with the
  reason of a return and what to do next;
- a published quarter whose grade calls for a talk (谈话提醒) → the person who must hold it (the scorer; unit HR
  when the person has none), saying with whom and why.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.policy import Policy
from models import Cycle, Evaluation, Filing, Person, Unit
from models.cycle import period_label
from models.rules.outlook import talk_reason

from handlers.outbound import notices
from handlers.outbound.reminders import unit_hr

FILING_LABELS = {"annual_plan": "年初方案及人员备案", "changes": "人员异动备案", "results": "平时考核结果备案"}
DECIDED = ("decided", "published")


def tell_filing_reviewed(session: Session, filing: Filing) -> int:
    """Unit HR hears that the county office accepted or returned a filing. Once per review. Returns how many."""
    unit = session.get(Unit, filing.unit_id)
    label = FILING_LABELS.get(filing.kind, "备案")
    what = f"{unit.name}{period_label(filing.year, filing.quarter)}{label}"
    if filing.state == "returned":
        then = ("本季度考核已退回“党委(党组)审定”阶段，请按原因修改、重新审定并公示后再报送。"
                if filing.kind == "results" else "请按原因修改后重新报送。")
        text, title = f"{what}被县公务员办退回。退回原因：{filing.return_reason}。{then}", "备案被退回"
        facts = {"lead": f"退回原因：{filing.return_reason}"}
    else:
        text, title = f"{what}已通过县公务员办审核。", "备案已通过"
        facts = {"lead": f"{period_label(filing.year, filing.quarter)}{label}"}
    when = filing.reviewed_at.isoformat() if filing.reviewed_at else ""
    told = 0
    for pid in unit_hr(session, filing.unit_id):
        if notices.notify_person(session, pid, text, title=title, facts=facts,
                                 dedupe_key=f"filing-{filing.state}:{filing.id}:{when}:{pid}"):
            told += 1
    return told


def tell_talk_holders(session: Session, policy: Policy, cycle: Cycle, evaluations: list[Evaluation]) -> int:
    """For each person whose published grade calls for a talk, the scorer (or unit HR) is told with whom and why.
    Once per publication (the key carries the evaluation's version, as the result message does)."""
    graded = [e for e in evaluations if e.final_grade and not e.not_graded_reason]
    if not graded:
        return 0
    py, pq = (cycle.year, cycle.quarter - 1) if cycle.quarter > 1 else (cycle.year - 1, 4)
    previous = dict(session.execute(
        select(Evaluation.person_id, Evaluation.final_grade).join(Cycle, Cycle.id == Evaluation.cycle_id)
        .where(Cycle.year == py, Cycle.quarter == pq, Evaluation.state.in_(DECIDED),
               Evaluation.final_grade.is_not(None), Evaluation.person_id.in_([e.person_id for e in graded]))).all())
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_([e.person_id for e in graded])))}
    hr = None
    told = 0
    for e in graded:
        why = talk_reason(previous.get(e.person_id), e.final_grade, policy)
        if why is None:
            continue
        if e.supervisor_id:
            holders = [e.supervisor_id]
        else:
            hr = unit_hr(session, cycle.unit_id) if hr is None else hr
            holders = hr
        p = people[e.person_id]
        text = (f"谈话提醒：{cycle.label}平时考核，{p.name}（{p.staff_no}）{why}。请您与{p.name}谈话，"
                "了解情况、指出不足、提出改进要求；谈话后请登记（单位人事可用 kaohe talk-done）。")
        for holder in holders:
            if notices.notify_person(session, holder, text, title="谈话提醒", facts={"lead": f"请与{p.name}谈话",
                                                                                  "grade": e.final_grade},
                                     dedupe_key=f"talk-reminder:{e.id}:v{e.version}:{holder}"):
                told += 1
    return told
