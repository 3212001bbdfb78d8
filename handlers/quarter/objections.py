"""异议 → 复核: the unit's answer to an objection, the person's reply, the county office's list and conclusion.

An objection (``handlers.quarter.feedback.file_objection``) moves through ``models.rules.states.OBJECTION``: unit HR answers
it within the policy's working days — ``uphold`` (维持原等次, with the reason) or ``change`` (改变等次: the committee's
meeting is recorded, the tier's 好 quota is checked again and the evaluation's final grade changes; the objection
keeps the grade objected to and the new one) —; the person accepts the answer (closed) or escalates it to the county
office within the policy's working days (escalated); the county office concludes an escalated objection (closed).
Every step is audited and the person (or whoever owes the next step) is told.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from config.policy import Policy
from models import Cycle, Evaluation, Objection, Person, RoleGrant, Unit, utcnow
from models.rules import feedback as rules
from models.rules import states
from models.rules.calendar import format_local, to_local
from models.rules.scoring import RuleViolation

from handlers import audit

from handlers.outbound import notices

from handlers.quarter import decisions, publishing
from handlers.identity.access import deny, forbid
from handlers.actor import Actor
from handlers.errors import Conflict, Forbidden, NotFound
from handlers.quarter.feedback import _refuse, my_feedback
from handlers.outbound.reminders import unit_hr

ACTIVE = ("open", "upheld", "changed", "escalated")
LAW_NOTE = "复核、申诉期间不停止原考核结果（复核决定）的执行。"


@dataclass(frozen=True)
class Subject:
    """What an objection is about: a quarter's published grade (``kind`` quarter, the cycle) or a year's recorded
    annual grade (``kind`` annual, a 复核 under the law). The steps below are the same for both."""

    unit_id: int
    label: str  # 2026年第3季度 | 2026年度
    what: str  # 2026年第3季度平时考核结果 | 2026年度考核等次
    annual: bool
    cycle: Cycle | None


def subject(session: Session, o: Objection) -> Subject:
    if o.kind == "annual":
        from handlers.results import annual_results

        r = annual_results.result_of(session, o)
        lab = annual_results.label(r.year)
        return Subject(r.unit_id, lab, f"{lab}考核等次", True, None)
    c = session.get(Cycle, o.cycle_id)
    return Subject(c.unit_id, c.label, f"{c.label}平时考核结果", False, c)


def _load(session: Session, objection_id: int) -> tuple[Objection, Subject]:
    o = session.get(Objection, objection_id)
    if o is None:
        raise NotFound("找不到该异议")
    return o, subject(session, o)


def law_applies(o: Objection, policy: Policy) -> bool:
    return rules.law_applies(o.grade, policy, o.kind == "annual")


def escalate_ends(o: Objection, policy: Policy) -> datetime | None:
    return rules.escalate_deadline(_aware(o.answered_at), policy, o.grade, o.kind == "annual") if o.answered_at \
        else None


def _move(o: Objection, action: str) -> str:
    try:
        return states.OBJECTION.next_state(o.state, action)
    except RuleViolation as exc:
        raise _refuse(exc) from None


def _claim(session: Session, o: Objection, target: str) -> None:
    """Move the row from the state read to ``target`` only if nobody moved it meanwhile (a conditional UPDATE: two
    HR clerks answering at once — one wins, the other is refused and nothing of its request is kept)."""
    current = o.state
    moved = session.execute(update(Objection).where(Objection.id == o.id, Objection.state == current)
                            .values(state=target).execution_options(synchronize_session=False)).rowcount
    if not moved:
        session.rollback()
        raise Conflict("该异议刚刚已被处理，请刷新后查看", "objection_changed")
    o.state = target


def _person(session: Session, o: Objection) -> Person:
    return session.get(Person, o.person_id)


def county_office(session: Session) -> list[int]:
    return list(session.scalars(select(RoleGrant.person_id).where(RoleGrant.role == "county_admin")
                                .order_by(RoleGrant.person_id)))


# -- the unit's answer ----------------------------------------------------------------------------------------------
def answer(session: Session, actor: Actor, policy: Policy, objection_id: int, action: str, reason: str, *,
           new_grade: str = "", meeting_on: date | None = None, attendees: str = "",
           now: datetime | None = None) -> dict:
    """Unit HR answers an open objection: ``uphold`` with the reason, or ``change`` to ``new_grade`` as the committee
    decided at its meeting (date, attendees) — refused when the tier's 好 quota would break."""
    now = now or utcnow()
    o, s = _load(session, objection_id)
    if not actor.can_admin_unit(s.unit_id):
        if actor.can_view_unit(s.unit_id):
            raise forbid(session, actor, "objection", objection_id, "只有本单位平时考核管理员可以答复异议",
                         "unit_admin_only")
        raise deny(session, actor, "objection", objection_id)
    if action not in (rules.UPHOLD, rules.CHANGE):
        raise _refuse(RuleViolation("请选择“维持原等次”或“改变等次”", "bad_answer"))
    target = _move(o, action)
    if s.annual:
        from handlers.results import annual_results

        e, r = None, annual_results.result_of(session, o)
        facts = rules.AnswerFacts(action=action, reason=reason or "", new_grade=(new_grade or "").strip(),
                                  current_grade=r.grade, meeting_on=meeting_on, attendees=attendees or "",
                                  grades=policy.annual.annual_grades)
    else:
        e = session.get(Evaluation, o.evaluation_id)
        facts = rules.AnswerFacts(action=action, reason=reason or "", new_grade=(new_grade or "").strip(),
                                  current_grade=e.final_grade, not_graded=bool(e.not_graded_reason),
                                  meeting_on=meeting_on, attendees=attendees or "")
    refusal = rules.answer_refusal(facts, to_local(now, policy).date(), policy)
    if refusal:
        raise _refuse(refusal)
    if action == rules.CHANGE and not s.annual:  # as the committee's decision: no blocked grade, the tier's quota
        c = s.cycle
        rows = decisions.rows_of(session, c)
        decisions.check_blocks(session, actor, policy, c, {r[0].id: r for r in rows}, {e.id: facts.new_grade})
        decisions.check_quota(policy, rows, {e.id: facts.new_grade}, "改变等次后")
    elif action == rules.CHANGE:  # the annual grade: only one the rules allow for the year's quarters
        annual_results.regrade(session, actor, policy, r, facts.new_grade, o.id, meeting_on, (attendees or "").strip())
    before = {"state": o.state}
    _claim(session, o, target)
    o.answer, o.answered_by, o.answered_at = reason.strip(), actor.ref, now
    after: dict = {"state": target, "answer": o.answer, "answered_at": now, "answer_due": o.answer_due,
                   "late": rules.answer_overdue("open", _aware(o.answer_due), now)}
    if action == rules.CHANGE:
        o.new_grade, o.meeting_on, o.meeting_attendees = facts.new_grade, meeting_on, attendees.strip()
        if e is not None:
            old = e.final_grade
            e.final_grade = facts.new_grade  # decided_at stays the committee's first decision; the objection dates it
            audit.record(session, actor, "evaluation.regrade", "evaluation", e.id, {"final_grade": old},
                         {"final_grade": facts.new_grade, "objection_id": o.id, "meeting_on": meeting_on,
                          "attendees": o.meeting_attendees})
            # a result list already filed no longer matches: marked 结果已变更，需更正备案 (never silently kept)
            publishing.mark_results_changed(session, actor, policy, s.cycle, e, old, facts.new_grade,
                                            objection_id=o.id, now=now)
        after |= {"grade": o.grade, "new_grade": facts.new_grade, "meeting_on": meeting_on,
                  "attendees": o.meeting_attendees}
    session.flush()
    audit.record(session, actor, f"objection.{action}", "objection", o.id, before, after)
    _tell_person(session, policy, o, s)
    return view(session, policy, o, now)


def _tell_person(session: Session, policy: Policy, o: Objection, s: Subject) -> None:
    deadline = escalate_ends(o, policy)
    ends = format_local(deadline, policy)
    if o.state == "changed":
        what = (f"经党委(党组){o.meeting_on.isoformat()}会议研究，您的等次由“{o.grade}”改为“{o.new_grade}”。"
                f"说明：{o.answer}")
    else:
        what = f"维持原等次“{o.grade}”。理由：{o.answer}"
    text = (f"您对{s.what}提出的{'复核申请' if s.annual else '异议'}，单位已{'作出复核决定' if s.annual else '答复'}："
            f"{what}\n"
            f"接受答复请发送“接受答复”；如不服，可于 {ends} 前发送“申诉 <理由>”向县公务员办申诉"
            "（也可在“我的考核”页面办理）。" + (LAW_NOTE if law_applies(o, policy) else ""))
    notices.notify_person(session, o.person_id, text, kind="personal", title="异议答复",
                          dedupe_key=f"objection-answer:{o.id}",
                          facts={"lead": "单位已答复您的异议", "deadline": deadline})


# -- the person's reply: accept, or escalate to the county office ---------------------------------------------------
def respond(session: Session, actor: Actor, policy: Policy, action: str, reason: str = "", *, channel: str,
            objection_id: int | None = None, kind: str | None = None, now: datetime | None = None):
    """The person accepts the unit's answer (``accept``: closed) or escalates it (``escalate``, with the reason,
    within the policy's working days after the answer). Without ``objection_id``: their latest objection (of
    ``kind`` quarter/annual when given). Returns the person's view of what was objected to: ``Feedback`` for a
    quarter, ``annual_results.AnnualView`` for an annual grade."""
    now = now or utcnow()
    if actor.person_id is None:
        raise Forbidden("只有提出异议的本人可以接受答复或申诉", "person_only")
    if objection_id is None:
        q = select(Objection).where(Objection.person_id == actor.person_id)
        if kind:
            q = q.where(Objection.kind == kind)
        o = session.scalar(q.order_by(Objection.created_at.desc(), Objection.id.desc()))
        if o is None:
            raise NotFound("您没有提出过异议", "no_objection")
    else:
        o = session.get(Objection, objection_id)
        if o is None or o.person_id != actor.person_id or (kind and o.kind != kind):
            raise deny(session, actor, "objection", objection_id)
    if action not in ("accept", "escalate"):
        raise _refuse(RuleViolation("请选择“接受答复”或“申诉”", "bad_reply"))
    if action == "escalate" and o.state in ("open", "upheld", "changed"):
        refusal = rules.escalate_refusal(_aware(o.answered_at), now, policy, o.grade,
                                         o.kind == "annual") or rules.text_refusal(
            reason or "", "申诉理由", policy.feedback.reason_max_chars, required=True)
        if refusal:
            raise _refuse(refusal)
    if action == "accept" and o.state == "open":
        raise _refuse(RuleViolation("单位尚未答复您的异议，答复后才能接受或申诉", "not_answered"))
    target = _move(o, action)
    before = {"state": o.state}
    _claim(session, o, target)
    o.responded_at = now
    after: dict = {"state": target, "channel": channel, "at": now}
    if action == "escalate":
        o.escalation_reason = reason.strip()
        after["reason"] = o.escalation_reason
    session.flush()
    audit.record(session, actor, f"objection.{action}", "objection", o.id, before, after)
    if action == "escalate":
        _tell_county(session, policy, o)
    if o.kind == "annual":
        from handlers.results import annual_results

        return annual_results.view_of(session, policy, annual_results.result_of(session, o), now)
    return my_feedback(session, actor, policy, evaluation_id=o.evaluation_id, now=now)


def _tell_county(session: Session, policy: Policy, o: Objection) -> None:
    s = subject(session, o)
    p, unit = _person(session, o), session.get(Unit, s.unit_id)
    answered = f"单位改为“{o.new_grade}”" if o.new_grade else "单位维持原等次"
    text = (f"{unit.name}{p.name}（{p.staff_no}）对{s.what}“{o.grade}”的{'复核申请' if s.annual else '异议'}，"
            f"{answered}（{o.answer}），本人不服，向县公务员办申诉：{o.escalation_reason}。请在控制台“异议”页办理。")
    for pid in county_office(session):
        notices.notify_person(session, pid, text, kind="personal",
                              title="年度考核结果申诉" if s.annual else "平时考核结果申诉",
                              dedupe_key=f"objection-escalate:{o.id}:{pid}",
                              facts={"lead": f"{p.name}对异议答复申诉"[:20]})


# -- the county office: every unit's objections, their age, the overdue ones; concluding an escalated one ---------
def conclude(session: Session, actor: Actor, policy: Policy, objection_id: int, note: str,
             now: datetime | None = None) -> dict:
    """The county office concludes an escalated objection (办结) with its note; the person and unit HR are told."""
    now = now or utcnow()
    o, s = _load(session, objection_id)
    if not actor.is_county:
        raise deny(session, actor, "objection", objection_id)
    target = _move(o, "close")
    refusal = rules.text_refusal(note or "", "办理意见", policy.feedback.reason_max_chars, required=True)
    if refusal:
        raise _refuse(refusal)
    before = {"state": o.state}
    _claim(session, o, target)
    o.closed_by, o.closed_at, o.county_note = actor.ref, now, note.strip()
    session.flush()
    audit.record(session, actor, "objection.close", "objection", o.id, before,
                 {"state": target, "note": o.county_note, "closed_at": now})
    text = f"您对{s.what}的申诉，县公务员办已办结：{o.county_note}"
    notices.notify_person(session, o.person_id, text, kind="personal", title="申诉办结",
                          dedupe_key=f"objection-close:{o.id}")
    for pid in unit_hr(session, s.unit_id):
        notices.notify_person(session, pid, f"{_person(session, o).name}的申诉：{text[2:]}", kind="personal",
                              title="申诉办结", dedupe_key=f"objection-close:{o.id}:{pid}")
    return view(session, policy, o, now)


def view(session: Session, policy: Policy, o: Objection, now: datetime | None = None) -> dict:
    """One objection as unit HR and the county office see it (the person's own view is in ``handlers.quarter.feedback``)."""
    now = now or utcnow()
    s = subject(session, o)
    p = _person(session, o)
    return {
        "id": o.id, "kind": o.kind, "unit": session.get(Unit, s.unit_id).name,
        "cycle_id": s.cycle.id if s.cycle else None, "cycle_label": s.label, "what": s.what,
        "staff_no": p.staff_no, "name": p.name, "state": o.state, "state_label": states.OBJECTION.label(o.state),
        "grade": o.grade, "new_grade": o.new_grade or "", "reason": o.reason,
        "created_at": format_local(o.created_at, policy), "answer_due": format_local(o.answer_due, policy),
        "age_days": rules.age_days(_aware(o.created_at), now),
        "overdue": rules.answer_overdue(o.state, _aware(o.answer_due), now),
        "answer": o.answer or "", "answered_by": o.answered_by or "", "answered_at": format_local(o.answered_at, policy),
        "meeting_on": o.meeting_on.isoformat() if o.meeting_on else "", "meeting_attendees": o.meeting_attendees or "",
        "escalation_reason": o.escalation_reason or "", "responded_at": format_local(o.responded_at, policy),
        "county_note": o.county_note or "", "closed_at": format_local(o.closed_at, policy),
        "attachment_name": o.attachment_name, "actions": states.OBJECTION.allowed_actions(o.state),
        "under_law": law_applies(o, policy),
    }


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


@dataclass
class CountyObjections:
    rows: list[dict]
    open: int  # waiting for the unit's answer
    overdue: int  # of them, past the answer's limit
    escalated: int  # waiting for the county office

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def county_list(session: Session, actor: Actor, policy: Policy, *, include_closed: bool = False,
                now: datetime | None = None) -> CountyObjections:
    """Every unit's objections still in progress (or all), oldest first, with their age and the overdue flag."""
    if not actor.is_county:
        raise Forbidden("仅县公务员办可以查看各单位的异议", "county_only")
    now = now or utcnow()
    q = select(Objection).order_by(Objection.created_at, Objection.id)
    if not include_closed:
        q = q.where(Objection.state.in_(ACTIVE))
    rows = [view(session, policy, o, now) for o in session.scalars(q)]
    active = [r for r in rows if r["state"] in ACTIVE]
    return CountyObjections(rows, sum(r["state"] == "open" for r in active), sum(r["overdue"] for r in active),
                            sum(r["state"] == "escalated" for r in active))


def counts(session: Session, now: datetime | None = None) -> dict:
    """For the county board: objections waiting for an answer, overdue ones, escalated ones."""
    now = now or utcnow()
    waiting = list(session.execute(select(Objection.state, Objection.answer_due)
                                   .where(Objection.state.in_(("open", "escalated")))))
    return {"open": sum(s == "open" for s, _ in waiting),
            "overdue": sum(rules.answer_overdue(s, _aware(d), now) for s, d in waiting),
            "escalated": sum(s == "escalated" for s, _ in waiting)}


# -- reminders: unit HR before an answer is due and once when it is overdue --------------------------------------
def remind_answers(session: Session, policy: Policy, now: datetime) -> list[int]:
    """Unit HR is reminded of each unanswered objection at ``[feedback] answer_remind_offsets_days`` before its
    answer is due (the reminders' hour, never in quiet hours) and once when overdue. One notice per objection and
    moment (unique key): safe to run any number of times."""
    from models.rules.reminders import OVERDUE, due

    created: list[int] = []
    for o in session.scalars(select(Objection).where(Objection.state == "open", Objection.answer_due.is_not(None))
                             .order_by(Objection.id)):
        for key in due(_aware(o.answer_due), now, policy, policy.feedback.answer_remind_offsets_days):
            s = subject(session, o)
            p = _person(session, o)
            late = key == OVERDUE
            when = format_local(o.answer_due, policy)
            page = "年度考核" if s.annual else "结果确认"
            body = (f"{p.name}（{p.staff_no}）对{s.what}“{o.grade}”的{'复核申请' if s.annual else '异议'}"
                    f"{'已超过答复期限（' + when + '）' if late else '须于 ' + when + ' 前答复'}，"
                    f"请在控制台“{page}”页答复（维持原等次，或经党委(党组)改变等次）。")
            n = notices.system_notice(session, kind="reminder", dedupe_key=f"objection-due:{o.id}:{key}",
                                      title="异议答复逾期提醒" if late else "请答复异议", body=body,
                                      person_ids=unit_hr(session, s.unit_id), now=now,
                                      facts={"deadline": _aware(o.answer_due), "lead": f"{p.name}的异议待答复"[:20]})
            if n:
                created.append(n.id)
    created += _remind_replies(session, policy, now)
    return created


def _remind_replies(session: Session, policy: Policy, now: datetime) -> list[int]:
    """The person owes the next step after the unit's answer: reminded at ``reply_remind_offsets_days`` before
    escalation closes (no overdue reminder: after it the answer simply stands)."""
    from models.rules.reminders import OVERDUE, due

    created: list[int] = []
    for o in session.scalars(select(Objection).where(Objection.state.in_(("upheld", "changed")),
                                                     Objection.answered_at.is_not(None)).order_by(Objection.id)):
        ends = escalate_ends(o, policy)
        for key in due(ends, now, policy, policy.feedback.reply_remind_offsets_days):
            if key == OVERDUE:
                continue
            s = subject(session, o)
            body = (f"单位已答复您对{s.what}的{'复核申请' if s.annual else '异议'}。接受答复请发送“接受答复”；"
                    f"如不服，请于 {format_local(ends, policy)} 前发送“申诉 <理由>”向县公务员办申诉（逾期不能再申诉）。"
                    + (LAW_NOTE if law_applies(o, policy) else ""))
            n = notices.system_notice(session, kind="reminder", dedupe_key=f"objection-reply:{o.id}:{key}",
                                      title="异议答复待您回复", body=body, person_ids=[o.person_id], now=now,
                                      facts={"deadline": ends, "lead": "单位已答复您的异议"})
            if n:
                created.append(n.id)
    return created
