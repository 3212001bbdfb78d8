"""Results fed back: the person's sign-off (本人签署意见: 同意 / 有异议) and objections (异议).

The chat (“确认结果 同意”, “异议 <理由>”), the phone page, the Mini Program API and the console call these. Each
publication of a cycle's results (``cycles.publication``) is signed once: a filing the county returns is decided
and published again, and the people then sign the new publication. An objection is a row with a state
(``models.rules.states.OBJECTION``); today it is filed (``open``) and the unit's HR and the committee (the unit's
leaders) are told — the answer, the person's acceptance or escalation are later steps on the same row.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config.policy import Policy
from models import (
    Cycle,
    Evaluation,
    Membership,
    Objection,
    Person,
    ResultSignoff,
    Tier,
    Unit,
    utcnow,
)
from models.rules import feedback as rules
from models.rules import states
from models.rules.calendar import format_local
from models.rules.scoring import RuleViolation

from handlers import audit

from handlers.outbound import notices
from handlers.identity.access import deny
from handlers.actor import Actor
from handlers.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from handlers.outbound.reminders import unit_hr

CHANNELS = ("chat", "page", "api")
FED_BACK_STATES = ("publicity", "filed")


def _refuse(v: RuleViolation) -> DomainError:
    cls = Conflict if v.code in rules.CONFLICTS else InvalidInput
    return cls(v.message, v.code, **v.details)


def grade_text(e: Evaluation) -> str:
    return f"不定等次（{e.not_graded_reason}）" if e.not_graded_reason else (e.final_grade or "")


def _fed_back(e: Evaluation, c: Cycle) -> bool:
    """The person's result of this publication is visible to them and theirs to sign. A cycle published before
    sign-offs existed (no ``published_at``) asks nothing of anyone."""
    return (c.state in FED_BACK_STATES and c.published_at is not None
            and (e.state == "published" or bool(e.not_graded_reason)))


@dataclass
class Feedback:
    """One fed-back result as the person sees it, with what they may still do."""

    evaluation_id: int
    cycle_id: int
    cycle_label: str
    unit: str
    grade: str
    total: float | None
    published_at: str  # Beijing time, '' when unknown
    sign_due: str
    signed: str | None  # agree | object
    signed_label: str | None  # 同意 | 有异议
    signed_comment: str
    signed_at: str
    objection: dict | None
    can_sign: bool
    can_object: bool
    objection_ends: str
    reasons: dict = field(default_factory=dict)  # why not: {"sign": "...", "object": "..."}

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _target(session: Session, actor: Actor, evaluation_id: int | None) -> tuple[Evaluation, Cycle] | None:
    """The person's latest fed-back result, or the named evaluation of theirs (another's is not found)."""
    if actor.person_id is None:
        raise Forbidden("只有考核对象本人可以确认自己的考核结果", "person_only")
    q = select(Evaluation, Cycle).join(Cycle, Cycle.id == Evaluation.cycle_id).where(
        Evaluation.person_id == actor.person_id)
    if evaluation_id is not None:
        row = session.execute(q.where(Evaluation.id == evaluation_id)).first()
        if row is None:
            raise deny(session, actor, "evaluation", evaluation_id)
        return row[0], row[1]
    rows = session.execute(q.where(Cycle.state.in_(FED_BACK_STATES))
                           .order_by(Cycle.year.desc(), Cycle.quarter.desc())).all()
    return next(((e, c) for e, c in rows if _fed_back(e, c)), None)


def _facts(session: Session, policy: Policy, e: Evaluation, c: Cycle) -> tuple[rules.ResultFacts, ResultSignoff | None,
                                                                                Objection | None]:
    signoff = session.scalar(select(ResultSignoff).where(ResultSignoff.evaluation_id == e.id,
                                                         ResultSignoff.publication == c.publication))
    objection = session.scalar(select(Objection).where(Objection.evaluation_id == e.id,
                                                       Objection.publication == c.publication))
    facts = rules.ResultFacts(
        fed_back=_fed_back(e, c), signed=signoff.choice if signoff else None,
        signed_at=signoff.signed_at if signoff else None, objection=objection is not None,
        objection_ends=rules.objection_deadline(c.published_at, c.publicity_ends, policy, grade_text(e))
        if _fed_back(e, c) else None)
    return facts, signoff, objection


def objection_dict(o: Objection, policy: Policy, now: datetime | None = None) -> dict:
    """The objection with the unit's answer and what the person may do next (接受答复 / 申诉, and until when)."""
    answered = o.state in ("upheld", "changed")
    annual = o.kind == "annual"
    ends = rules.escalate_deadline(_aware(o.answered_at), policy, o.grade, annual) if o.answered_at else None
    return {"id": o.id, "state": o.state, "state_label": states.OBJECTION.label(o.state), "grade": o.grade,
            "reason": o.reason, "created_at": format_local(o.created_at, policy),
            "answer_due": format_local(o.answer_due, policy), "attachment_name": o.attachment_name,
            "answer": o.answer or "", "new_grade": o.new_grade or "", "answered_at": format_local(o.answered_at, policy),
            "meeting_on": o.meeting_on.isoformat() if o.meeting_on else "",
            "escalation_reason": o.escalation_reason or "", "county_note": o.county_note or "",
            "can_accept": answered,
            "can_escalate": answered and rules.escalate_refusal(_aware(o.answered_at), now or utcnow(), policy,
                                                                o.grade, annual) is None,
            "escalate_ends": format_local(ends, policy), "under_law": rules.law_applies(o.grade, policy, annual),
            "kind": o.kind}


def _view(session: Session, policy: Policy, e: Evaluation, c: Cycle, now: datetime) -> Feedback:
    facts, signoff, objection = _facts(session, policy, e, c)
    cannot_sign = rules.sign_refusal(facts, policy)
    cannot_object = rules.objection_refusal(facts, now, policy)
    return Feedback(
        evaluation_id=e.id, cycle_id=c.id, cycle_label=c.label, unit=session.get(Unit, c.unit_id).name,
        grade=grade_text(e), total=e.total if not e.not_graded_reason else None,
        published_at=format_local(c.published_at, policy),
        sign_due=format_local(rules.sign_deadline(c.published_at, policy), policy) if c.published_at else "",
        signed=signoff.choice if signoff else None,
        signed_label=rules.CHOICES[signoff.choice] if signoff else None,
        signed_comment=signoff.comment if signoff else "", signed_at=format_local(signoff.signed_at, policy)
        if signoff else "",
        objection=objection_dict(objection, policy, now) if objection else None,
        can_sign=cannot_sign is None, can_object=cannot_object is None,
        objection_ends=format_local(facts.objection_ends, policy),
        reasons={k: v.message for k, v in (("sign", cannot_sign), ("object", cannot_object)) if v})


def my_feedback(session: Session, actor: Actor, policy: Policy, evaluation_id: int | None = None,
                now: datetime | None = None) -> Feedback | None:
    """The person's latest fed-back result with their sign-off and objection; ``None`` before any feedback."""
    target = _target(session, actor, evaluation_id)
    return _view(session, policy, *target, now or utcnow()) if target else None


def _not_fed_back(policy: Policy) -> DomainError:
    return _refuse(rules.sign_refusal(rules.ResultFacts(fed_back=False), policy))


def sign(session: Session, actor: Actor, policy: Policy, choice: str, comment: str = "", *, channel: str,
         evaluation_id: int | None = None, now: datetime | None = None) -> Feedback:
    """本人签署意见. ``choice`` is agree/object (or 同意/有异议); 有异议 needs the reason and files an objection."""
    now = now or utcnow()
    parsed = rules.parse_choice(choice or "")
    if parsed is None:
        raise InvalidInput("请选择“同意”或“有异议”", "bad_choice")
    if parsed == rules.OBJECT:
        return file_objection(session, actor, policy, comment, channel=channel, evaluation_id=evaluation_id, now=now)
    target = _target(session, actor, evaluation_id)
    if target is None:
        raise _not_fed_back(policy)
    e, c = target
    facts, _, _ = _facts(session, policy, e, c)
    refusal = rules.sign_refusal(facts, policy) or rules.text_refusal(
        comment, "意见", policy.feedback.comment_max_chars, required=False)
    if refusal:
        raise _refuse(refusal)
    _record_signoff(session, actor, policy, e, c, rules.AGREE, comment.strip(), channel, now)
    return _view(session, policy, e, c, now)


def _lost_race(session: Session) -> None:
    """A unique key refused the row (another request recorded it first). Nothing of this request is kept: the
    whole unit of work is rolled back — not a savepoint, which SQLite's driver would commit on release when it is
    the transaction's first statement — and the caller refuses."""
    session.rollback()


def _record_signoff(session: Session, actor: Actor, policy: Policy, e: Evaluation, c: Cycle, choice: str,
                    comment: str, channel: str, now: datetime) -> ResultSignoff:
    row = ResultSignoff(evaluation_id=e.id, person_id=e.person_id, publication=c.publication, choice=choice,
                        comment=comment, channel=channel if channel in CHANNELS else "api", signed_at=now)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # two devices at once: the other answer was recorded first
        _lost_race(session)
        e, c = session.get(Evaluation, e.id), session.get(Cycle, c.id)
        facts, _, _ = _facts(session, policy, e, c)
        raise _refuse(rules.sign_refusal(facts, policy) or RuleViolation("您已确认过结果", "already_signed")) from None
    audit.record(session, actor, "result.sign", "evaluation", e.id, None,
                 {"choice": choice, "comment": comment, "publication": c.publication, "grade": grade_text(e),
                  "channel": row.channel, "signed_at": now})
    return row


def file_objection(session: Session, actor: Actor, policy: Policy, reason: str, *, channel: str,
                   attachment: tuple[str, bytes] | None = None, evaluation_id: int | None = None,
                   now: datetime | None = None) -> Feedback:
    """异议: the reason is required; an attachment (jpg/png/pdf, the policy's size) is optional. Signs the result
    “有异议” when the person had not signed yet. The unit's HR and the committee (its leaders) are told."""
    now = now or utcnow()
    target = _target(session, actor, evaluation_id)
    if target is None:
        raise _refuse(rules.objection_refusal(rules.ResultFacts(fed_back=False), now, policy))
    e, c = target
    facts, _, _ = _facts(session, policy, e, c)
    refusal = rules.objection_refusal(facts, now, policy) or rules.text_refusal(
        reason, "异议理由", policy.feedback.reason_max_chars, required=True)
    if refusal:
        raise _refuse(refusal)
    name = kind = data = None
    if attachment is not None:
        name, data = (attachment[0] or "附件")[-200:], attachment[1]
        try:
            kind = rules.attachment_kind(data, policy)
        except RuleViolation as exc:
            raise _refuse(exc) from None
    reason = reason.strip()
    objection = Objection(evaluation_id=e.id, cycle_id=c.id, person_id=e.person_id, publication=c.publication,
                          state="open", grade=grade_text(e)[:40], reason=reason, attachment_name=name,
                          attachment_type=rules.MEDIA_TYPES[kind] if kind else None, attachment=data,
                          channel=channel if channel in CHANNELS else "api", created_at=now,
                          answer_due=rules.answer_due(now, policy, grade_text(e)))
    session.add(objection)
    try:
        session.flush()
    except IntegrityError:
        _lost_race(session)
        raise Conflict("您已对本季度结果提出过异议，单位会答复您，不能重复提出", "objection_exists") from None
    audit.record(session, actor, "objection.file", "objection", objection.id, None,
                 {"evaluation_id": e.id, "cycle_id": c.id, "publication": c.publication, "grade": objection.grade,
                  "reason": reason, "state": "open", "answer_due": objection.answer_due,
                  "attachment": {"name": name, "type": objection.attachment_type, "bytes": len(data)} if data else None,
                  "channel": objection.channel})
    if facts.signed is None:
        _record_signoff(session, actor, policy, e, c, rules.OBJECT, reason, channel, now)
    _tell_unit(session, policy, e, c, objection)
    return _view(session, policy, e, c, now)


def committee(session: Session, unit_id: int) -> list[int]:
    """The unit's party committee as the system knows it: its current leaders (班子成员)."""
    return list(session.scalars(select(Membership.person_id).where(
        Membership.unit_id == unit_id, Membership.is_leader.is_(True), Membership.end_on.is_(None))))


def _tell_unit(session: Session, policy: Policy, e: Evaluation, c: Cycle, o: Objection) -> None:
    person = session.get(Person, e.person_id)
    unit = session.get(Unit, c.unit_id)
    attached = f"（附件：{o.attachment_name}）" if o.attachment_name else ""
    text = (f"{unit.name}{person.name}（{person.staff_no}）对{c.label}平时考核结果“{o.grade}”提出异议：{o.reason}"
            f"{attached}。请于 {format_local(o.answer_due, policy)} 前答复本人（维持原等次，或经党委(党组)改变等次）。")
    for pid in dict.fromkeys([*unit_hr(session, c.unit_id), *committee(session, c.unit_id)]):
        if pid == e.person_id:
            continue
        notices.notify_person(session, pid, text, kind="personal", title="平时考核结果异议",
                              dedupe_key=f"objection:{o.id}:{pid}",
                              facts={"lead": f"{person.name}对考核结果有异议"[:20], "deadline": o.answer_due})


def attachment(session: Session, actor: Actor, objection_id: int) -> tuple[str, str, bytes]:
    """(name, media type, bytes) of an objection's attachment: the person, their unit's HR, the county office."""
    o = session.get(Objection, objection_id)
    if o is None or o.attachment is None:
        raise NotFound("找不到该附件")
    c = session.get(Cycle, o.cycle_id)
    if not (actor.person_id == o.person_id or actor.can_view_unit(c.unit_id)):
        raise deny(session, actor, "objection", objection_id)
    return o.attachment_name or "附件", o.attachment_type or "application/octet-stream", o.attachment


# -- unit HR and the county office: who has confirmed, open objections ------------------------------------------------
@dataclass
class Board:
    cycle_id: int
    cycle_label: str
    unit: str
    published_at: str
    sign_due: str
    agreed: int
    objected: int
    unsigned: int
    rows: list[dict]
    objections: list[dict]

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def board(session: Session, actor: Actor, policy: Policy, cycle_id: int) -> Board:
    """Each person's sign-off of the cycle's current publication (or 未确认) and the cycle's objections."""
    c = session.get(Cycle, cycle_id)
    if c is None:
        raise NotFound("找不到该考核周期")
    if not actor.can_view_unit(c.unit_id):
        raise deny(session, actor, "cycle", cycle_id)
    signoffs = {s.evaluation_id: s for s in session.scalars(select(ResultSignoff).join(
        Evaluation, Evaluation.id == ResultSignoff.evaluation_id).where(
        Evaluation.cycle_id == c.id, ResultSignoff.publication == c.publication))}
    open_ids = {o.evaluation_id: o for o in session.scalars(select(Objection).where(
        Objection.cycle_id == c.id, Objection.publication == c.publication))}
    rows = []
    for e, staff_no, name, tier in session.execute(
            select(Evaluation, Person.staff_no, Person.name, Tier.name).join(Person, Person.id == Evaluation.person_id)
            .join(Tier, Tier.id == Evaluation.tier_id).where(Evaluation.cycle_id == c.id)
            .order_by(Tier.id, Person.staff_no)):
        if not _fed_back(e, c):
            continue
        s, o = signoffs.get(e.id), open_ids.get(e.id)
        rows.append({"evaluation_id": e.id, "staff_no": staff_no, "name": name, "tier": tier, "grade": grade_text(e),
                     "signed": s.choice if s else None, "signed_label": rules.CHOICES[s.choice] if s else "未确认",
                     "comment": s.comment if s else "", "signed_at": format_local(s.signed_at, policy) if s else "",
                     "objection": states.OBJECTION.label(o.state) if o else ""})
    now = utcnow()
    objections = [dict(objection_dict(o, policy, now), name=session.get(Person, o.person_id).name,
                       staff_no=session.get(Person, o.person_id).staff_no,
                       overdue=rules.answer_overdue(o.state, _aware(o.answer_due), now),
                       meeting_attendees=o.meeting_attendees or "", actions=states.OBJECTION.allowed_actions(o.state))
                  for o in sorted(open_ids.values(), key=lambda o: o.created_at)]
    return Board(c.id, c.label, session.get(Unit, c.unit_id).name, format_local(c.published_at, policy),
                 format_local(rules.sign_deadline(c.published_at, policy), policy) if c.published_at else "",
                 sum(r["signed"] == rules.AGREE for r in rows), sum(r["signed"] == rules.OBJECT for r in rows),
                 sum(r["signed"] is None for r in rows), rows, objections)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive UTC."""
    from datetime import UTC

    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def signoff_of(session: Session, e: Evaluation, c: Cycle) -> ResultSignoff | None:
    """The person's sign-off of the cycle's current publication (the printed forms show it)."""
    return session.scalar(select(ResultSignoff).where(ResultSignoff.evaluation_id == e.id,
                                                      ResultSignoff.publication == c.publication))


def unsigned(session: Session, c: Cycle) -> list[int]:
    """Person ids whose fed-back result of the cycle's current publication is not signed yet."""
    signed = select(ResultSignoff.evaluation_id).where(ResultSignoff.publication == c.publication)
    rows = session.scalars(select(Evaluation).where(Evaluation.cycle_id == c.id, Evaluation.id.not_in(signed))
                           .order_by(Evaluation.person_id))
    return [e.person_id for e in rows if _fed_back(e, c)]


# -- reminders: people who have not signed, per the policy -----------------------------------------------------------
REMIND_WITHIN_DAYS = 60  # cycles fed back longer ago than this are not looked at (their reminders are long past)


def remind_unsigned(session: Session, policy: Policy, now: datetime) -> list[int]:
    """Before the sign-off deadline (``[feedback] remind_offsets_days``, at the reminders' hour, never in quiet
    hours) the people who have not signed are reminded; the morning after it, once more, and unit HR gets the list
    of names. One notice per cycle, publication and moment (unique key): safe to run any number of times."""
    from datetime import timedelta

    from models.rules.reminders import OVERDUE, due

    created: list[int] = []
    cycles = session.scalars(select(Cycle).where(Cycle.state.in_(FED_BACK_STATES), Cycle.published_at.is_not(None),
                                                 Cycle.published_at >= now - timedelta(days=REMIND_WITHIN_DAYS))
                             .order_by(Cycle.id))
    for c in cycles:
        deadline = rules.sign_deadline(c.published_at, policy)
        for key in due(deadline, now, policy, policy.feedback.remind_offsets_days):
            people = unsigned(session, c)
            if not people:
                continue
            unit = session.get(Unit, c.unit_id)
            when = format_local(deadline, policy)
            late = key == OVERDUE
            body = (f"{unit.name}{c.label}平时考核结果已反馈，请{'尽快' if late else '在 ' + when + ' 前'}确认："
                    "发送“确认结果 同意”，或“异议 <理由>”提出异议；也可在“我的考核”页面确认。")
            n = notices.system_notice(session, kind="reminder", dedupe_key=f"signoff:{c.id}:{c.publication}:{key}",
                                      title="考核结果确认逾期提醒" if late else "请确认考核结果", body=body,
                                      person_ids=people, now=now,
                                      facts={"deadline": deadline, "lead": f"{c.label}考核结果待确认"})
            if n:
                created.append(n.id)
            if late:
                names = list(session.scalars(select(Person.name).where(Person.id.in_(people))
                                             .order_by(Person.staff_no)))
                hr = notices.system_notice(
                    session, kind="reminder", dedupe_key=f"signoff-unsigned:{c.id}:{c.publication}",
                    title="考核结果未确认名单",
                    body=f"{unit.name}{c.label}平时考核结果确认已于{when}截止，尚未确认的{len(names)}人："
                         f"{'、'.join(names)}。请督促本人确认（控制台“结果确认”页可查看）。",
                    person_ids=unit_hr(session, c.unit_id), now=now)
                if hr:
                    created.append(hr.id)
    return created
