"""Deadline reminders, driven by the policy: only to the people who have not done the step, once per person,
step and offset (a notice per cycle/step/offset with a unique key, one delivery row per person); after the
deadline an overdue notice, the laggard list to unit HR, and a draft circular (通报) for the county office.

Nobody is reminded to score a person who has no scorer, so with each scoring reminder unit HR is told who has none
(by name) and where to assign one; the overdue list marks them too."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.policy import Policy
from models import Cycle, Evaluation, Person, RoleGrant, Summary, Unit
from models.rules.calendar import STEP_LABELS, STEPS, format_local
from models.rules.reminders import OVERDUE, due

from handlers.outbound.notices import system_notice

# While the cycle is in one of these states, the step is still to be done.
OPEN_FOR = {
    "summary": ("open", "scoring"),
    "scoring": ("open", "scoring"),
    "decision": ("open", "scoring", "deciding"),
    "filing": ("open", "scoring", "deciding", "publicity"),
}
WHO = {"summary": "您", "scoring": "您分管的考核对象", "decision": "本单位", "filing": "本单位"}
TODO = {
    "summary": "个人小结尚未提交，请及时填写并提交",
    "scoring": "中仍有人未完成评鉴，请及时评鉴",
    "decision": "平时考核等次尚未经党委(党组)审定并公示",
    "filing": "平时考核结果尚未报县公务员办备案",
}


@dataclass
class ReminderRun:
    notices: list[int] = field(default_factory=list)
    people: int = 0


def unit_hr(session: Session, unit_id: int) -> list[int]:
    return list(session.scalars(select(RoleGrant.person_id).where(RoleGrant.role == "unit_admin",
                                                                  RoleGrant.unit_id == unit_id)))


def laggards(session: Session, cycle: Cycle, step: str) -> list[int]:
    """Who still has to act: staff without a submitted summary, supervisors with unscored people, unit HR."""
    if step == "summary":
        done = select(Summary.person_id).where(Summary.cycle_id == cycle.id, Summary.state.in_(("submitted", "locked")))
        return list(session.scalars(select(Evaluation.person_id).where(
            Evaluation.cycle_id == cycle.id, Evaluation.person_id.not_in(done)).order_by(Evaluation.person_id)))
    if step == "scoring":
        return list(session.scalars(select(Evaluation.supervisor_id).distinct().where(
            Evaluation.cycle_id == cycle.id, Evaluation.state.in_(("pending", "scoring")),
            Evaluation.supervisor_id.is_not(None))))
    return unit_hr(session, cycle.unit_id) if cycle.state in OPEN_FOR[step] else []


def _late_names(session: Session, cycle: Cycle, step: str) -> list[str]:
    if step == "summary":
        ids = laggards(session, cycle, step)
        return list(session.scalars(select(Person.name).where(Person.id.in_(ids)).order_by(Person.staff_no)))
    rows = session.execute(select(Person.name, Evaluation.supervisor_id).join(Person, Person.id == Evaluation.person_id)
                           .where(Evaluation.cycle_id == cycle.id, Evaluation.state.in_(("pending", "scoring")))
                           .order_by(Person.staff_no))
    return [name if supervisor else f"{name}（未指定评鉴人）" for name, supervisor in rows]


def without_scorer(session: Session, cycle: Cycle) -> list[str]:
    """「姓名（人员编号）」 of everyone still to be scored who has no scorer: no reminder reaches anyone for them."""
    rows = session.execute(select(Person.name, Person.staff_no).join(Evaluation, Evaluation.person_id == Person.id)
                           .where(Evaluation.cycle_id == cycle.id, Evaluation.state.in_(("pending", "scoring")),
                                  Evaluation.supervisor_id.is_(None)).order_by(Person.staff_no))
    return [f"{name}（{staff_no}）" for name, staff_no in rows]


def _tell_hr_who_has_no_scorer(session: Session, cycle: Cycle, unit: Unit, key: str, when: str,
                               now: datetime) -> list[int]:
    names = without_scorer(session, cycle)
    if not names:
        return []
    notice = system_notice(
        session, kind="reminder", dedupe_key=f"no-scorer:{cycle.id}:{key}", title="评鉴人未指定提醒",
        body=f"{unit.name}{cycle.label}“{STEP_LABELS['scoring']}”{'已于' if key == OVERDUE else '将于'}{when}截止，"
             f"以下{len(names)}人没有评鉴人，无人能为其评鉴，也不能进入党委(党组)审定：{'、'.join(names)}。"
             "请在管理控制台本季度页面的“考核对象与评鉴人”中指定评鉴人。",
        person_ids=unit_hr(session, cycle.unit_id), now=now,
        facts={"deadline": cycle.scoring_due, "lead": f"{cycle.label}评鉴人未指定"})
    return [notice.id] if notice else []


def send_due(session: Session, policy: Policy, now: datetime) -> ReminderRun:
    """Create every reminder that is due now and not yet created. Safe to run any number of times, anywhere."""
    run = ReminderRun()
    lagging: dict[tuple[int, int, str], list[str]] = {}
    cycles = session.scalars(select(Cycle).where(Cycle.state.in_(OPEN_FOR["filing"])).order_by(Cycle.id))
    for cycle in cycles:
        unit = session.get(Unit, cycle.unit_id)
        for step in STEPS:
            if cycle.state not in OPEN_FOR[step]:
                continue
            deadline = getattr(cycle, f"{step}_due")
            for key in due(deadline, now, policy):
                people = laggards(session, cycle, step)
                if not people:
                    continue
                when = format_local(deadline, policy)
                late = key == OVERDUE
                title = f"{STEP_LABELS[step]}{'逾期' if late else ''}提醒"
                body = (f"{unit.name}{cycle.label}平时考核“{STEP_LABELS[step]}”"
                        f"{'已于' if late else '将于'}{when}截止，{WHO[step]}{TODO[step]}。")
                notice = system_notice(session, kind="reminder", dedupe_key=f"reminder:{cycle.id}:{step}:{key}",
                                       title=title, body=body, person_ids=people, now=now,
                                       facts={"deadline": deadline, "lead": f"{cycle.label}{STEP_LABELS[step]}"})
                if notice:
                    run.notices.append(notice.id)
                    run.people += len(people)
                if step == "scoring":
                    run.notices.extend(_tell_hr_who_has_no_scorer(session, cycle, unit, key, when, now))
                if late and step in ("summary", "scoring"):
                    names = _late_names(session, cycle, step)
                    lagging.setdefault((cycle.year, cycle.quarter, step), []).append(f"{unit.name}（{len(names)}人）")
                    hr = system_notice(
                        session, kind="reminder", dedupe_key=f"laggards:{cycle.id}:{step}",
                        title=f"{STEP_LABELS[step]}逾期名单",
                        body=f"{unit.name}{cycle.label}“{STEP_LABELS[step]}”已于{when}截止，尚未完成的{len(names)}人："
                             f"{'、'.join(names)}。请督促完成。",
                        person_ids=unit_hr(session, cycle.unit_id), now=now)
                    if hr:
                        run.notices.append(hr.id)
    for (year, quarter, step), units in lagging.items():
        draft = system_notice(
            session, kind="circular", state="draft", dedupe_key=f"circular:{year}:{quarter}:{step}",
            title=f"关于{year}年第{quarter}季度平时考核“{STEP_LABELS[step]}”进度滞后单位的通报（草稿）",
            body=f"截至{format_local(now, policy)}，以下单位{year}年第{quarter}季度平时考核“{STEP_LABELS[step]}”"
                 f"逾期未完成：{'、'.join(units)}。请相关单位抓紧完成，并将情况报县委组织部公务员办。",
            audience_specs=["role:单位管理员"], now=now)
        if draft:
            run.notices.append(draft.id)
    return run
