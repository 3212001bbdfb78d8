"""The year's annual grades (年度考核等次): recorded by the unit, told to each person, objected to under the law.

Unit HR records each person's annual grade from the roll-up (``annual_uses`` rows: the four quarters and what the
county's rules make of them): the suggested grade, or another grade the rules allow (``models.rules.annual``:
``allowed_grades`` / ``grade_refusal``). Each recording is audited (``annual.record``). Feeding back
(``feed_back``) stamps ``fed_back_at`` and tells each person their grade through ``notices.notify_person``; for a
grade in ``[feedback] annual_law_grades`` the message says how to ask for a 复核 and until when.

The 复核 itself is an :class:`models.Objection` of ``kind`` ``annual`` (``annual_result_id``, no cycle): filed here
(``file_objection``), then answered, accepted, escalated and concluded by the same code as a quarter's objection
(``handlers.quarter.objections``), on the law's clocks. A 复核 that changes the grade calls ``regrade``: the new
grade must be one the rules allow; ``grade`` is replaced, ``decided_grade`` keeps the first one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config.policy import Policy
from handlers import audit
from handlers.actor import Actor
from handlers.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from handlers.identity.scope import check_period
from handlers.outbound import notices
from handlers.outbound.reminders import unit_hr
from handlers.results import annual_uses
from models import AnnualResult, Objection, Person, Unit, utcnow
from models.rules import annual as annual_rules
from models.rules import feedback as rules
from models.rules.calendar import format_local
from models.rules.scoring import RuleViolation

CHANNELS = ("chat", "page", "api")


def _refuse(v: RuleViolation) -> DomainError:
    cls = Conflict if v.code in rules.CONFLICTS else InvalidInput
    return cls(v.message, v.code, **v.details)


def label(year: int) -> str:
    return f"{year}年度"


def _admin_unit(session: Session, actor: Actor, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None or not actor.can_view_unit(unit_id):
        raise NotFound("找不到该单位")
    if not actor.can_admin_unit(unit_id):
        raise Forbidden("只有本单位平时考核管理员可以确定年度考核等次", "unit_admin_only")
    return unit


def _year_row(session: Session, policy: Policy, year: int, person_id: int,
              today: date | None) -> annual_uses.YearRow | None:
    q = annual_uses._year_query(year, None).where(Person.id == person_id)
    return next(iter(annual_uses._rows(session, policy, year, q, today, stream=False)), None)


def _stored(session: Session, year: int, person_ids) -> dict[int, AnnualResult]:
    ids = list(person_ids)
    if not ids:
        return {}
    return {r.person_id: r for r in session.scalars(select(AnnualResult).where(
        AnnualResult.year == year, AnnualResult.person_id.in_(ids)))}


def _objections(session: Session, result_ids) -> dict[int, Objection]:
    ids = list(result_ids)
    if not ids:
        return {}
    return {o.annual_result_id: o for o in session.scalars(select(Objection).where(
        Objection.annual_result_id.in_(ids)))}


def stored_grades(session: Session, year: int, person_ids) -> dict[int, str]:
    """The recorded annual grade in force per person (the roll-up and the lists show it where one exists)."""
    return {pid: r.grade for pid, r in _stored(session, year, person_ids).items()}


# -- unit HR: the year's sheet, recording grades, feeding them back -------------------------------------------------
@dataclass
class YearSheet:
    unit_id: int
    unit: str
    year: int
    rows: list[dict]
    recorded: int
    fed_back: int
    grades: list[str] = field(default_factory=list)
    objections: list[dict] = field(default_factory=list)  # the year's 复核 (as unit HR answers them)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def year_sheet(session: Session, actor: Actor, policy: Policy, unit_id: int, year: int, *,
               today: date | None = None) -> YearSheet:
    """Each person the unit evaluated in ``year``: the quarters, the suggested grade and those allowed, and the
    recorded grade (with who/when, whether told, and any 复核)."""
    check_period(year, need_quarter=False)
    unit = session.get(Unit, unit_id)
    if unit is None or not actor.can_view_unit(unit_id):
        raise NotFound("找不到该单位")
    people = list(annual_uses._rows(session, policy, year, annual_uses._year_query(year, unit_id), today,
                                    stream=False))
    stored = _stored(session, year, [r.person_id for r in people])
    objections = _objections(session, [r.id for r in stored.values()])
    names = audit.who(session, [s.decided_by for s in stored.values()])
    rows = []
    for r in people:
        s = stored.get(r.person_id)
        o = objections.get(s.id) if s else None
        rows.append({
            "person_id": r.person_id, "staff_no": r.staff_no, "name": r.name, "tier": r.tier,
            "quarters": r.quarters, "not_graded": r.not_graded, "reasons": list(r.outcome.reasons),
            "pending": r.outlook.remaining, "max_grade": r.outcome.max_grade,
            "forced_grade": r.outcome.forced_grade or "",
            "suggested": annual_rules.suggested_grade(r.outcome, policy),
            "allowed": annual_rules.allowed_grades(r.outcome, policy),
            "grade": s.grade if s else "", "decided_grade": s.decided_grade if s else "",
            "decided_by": s.decided_by if s else "", "decided_by_name": names.get(s.decided_by, "") if s else "",
            "decided_at": format_local(s.decided_at, policy) if s else "",
            "fed_back_at": format_local(s.fed_back_at, policy) if s else "",
            "objection_id": o.id if o else None, "objection_state": o.state if o else "",
        })
    from handlers.quarter.objections import view as objection_view

    now = utcnow()
    cases = [dict(objection_view(session, policy, o, now), allowed=rows_by_person[o.person_id]["allowed"])
             for o in sorted(objections.values(), key=lambda o: o.id)
             for rows_by_person in [{r["person_id"]: r for r in rows}]]
    return YearSheet(unit.id, unit.name, year, rows, sum(1 for r in rows if r["grade"]),
                     sum(1 for r in rows if r["fed_back_at"]), list(policy.annual.annual_grades), cases)


def record(session: Session, actor: Actor, policy: Policy, unit_id: int, year: int, staff_no: str,
           grade: str | None = None, note: str = "", *, today: date | None = None,
           now: datetime | None = None) -> dict:
    """Unit HR records one person's annual grade: ``grade`` (default: the roll-up's suggestion) must be one the
    rules allow, every quarter of the year decided, and the grade not yet told to the person (after that only a
    复核 changes it). Audited ``annual.record`` (before/after)."""
    now = now or utcnow()
    check_period(year, need_quarter=False)
    unit = _admin_unit(session, actor, unit_id)
    person = session.scalar(select(Person).where(Person.staff_no == (staff_no or "").strip()))
    evaluated = person is not None and session.scalar(
        annual_uses._members(year, unit.id).where(annual_uses.Evaluation.person_id == person.id).limit(1))
    if not evaluated:
        raise NotFound(f"{unit.name}{year}年没有考核人员编号为 {staff_no} 的人员", "person_not_found")
    row = _year_row(session, policy, year, person.id, today)
    if row.outlook.remaining:
        raise Conflict(f"{person.name}{year}年还有 {row.outlook.remaining} 个季度的等次未审定，"
                       "全部审定后才能确定年度考核等次", "quarters_pending")
    suggested = annual_rules.suggested_grade(row.outcome, policy)
    grade = (grade or "").strip() or suggested
    refusal = annual_rules.grade_refusal(grade, row.outcome, policy)
    if refusal:
        raise _refuse(refusal)
    if len(note.strip()) > policy.feedback.comment_max_chars:
        raise InvalidInput(f"说明最多 {policy.feedback.comment_max_chars} 字", "too_long")
    existing = session.scalar(select(AnnualResult).where(AnnualResult.person_id == person.id,
                                                         AnnualResult.year == year))
    before = None
    if existing is not None:
        if existing.unit_id != unit.id:
            raise Conflict(f"{person.name}{year}年度考核等次已由其他单位确定", "recorded_elsewhere")
        if existing.fed_back_at is not None:
            raise Conflict(f"{person.name}的{year}年度考核等次（{existing.grade}）已于 "
                           f"{format_local(existing.fed_back_at, policy)} 告知本人，不能再修改；"
                           "如本人申请复核，按复核决定改变", "already_fed_back")
        before = {"grade": existing.grade, "decided_by": existing.decided_by, "decided_at": existing.decided_at}
        existing.grade = existing.decided_grade = grade
        existing.suggested_grade, existing.note = suggested, note.strip()
        existing.decided_by, existing.decided_at = actor.ref, now
        result = existing
    else:
        result = AnnualResult(person_id=person.id, unit_id=unit.id, year=year, grade=grade, decided_grade=grade,
                              suggested_grade=suggested, note=note.strip(), decided_by=actor.ref, decided_at=now)
        session.add(result)
    try:
        session.flush()
    except IntegrityError:  # two clerks at once: the other one recorded first
        session.rollback()
        raise Conflict("该人员的年度考核等次刚刚已被确定，请刷新后查看", "annual_changed") from None
    audit.record(session, actor, "annual.record", "annual_result", result.id, before,
                 {"staff_no": person.staff_no, "year": year, "grade": grade, "suggested": suggested,
                  "quarters": row.quarters, "note": result.note, "decided_at": now})
    return {"staff_no": person.staff_no, "name": person.name, "year": year, "grade": grade,
            "suggested": suggested, "decided_by": actor.ref, "decided_at": format_local(now, policy)}


def record_suggested(session: Session, actor: Actor, policy: Policy, unit_id: int, year: int, *,
                     today: date | None = None, now: datetime | None = None) -> dict:
    """Record the suggested grade for everyone in the unit not recorded yet whose quarters are all decided."""
    sheet = year_sheet(session, actor, policy, unit_id, year, today=today)
    done, skipped = [], []
    for r in sheet.rows:
        if r["grade"]:
            continue
        if r["pending"]:
            skipped.append(r["name"])
            continue
        done.append(record(session, actor, policy, unit_id, year, r["staff_no"], r["suggested"], today=today,
                           now=now))
    return {"recorded": len(done), "skipped_pending": skipped}


def feed_back(session: Session, actor: Actor, policy: Policy, unit_id: int, year: int, *,
              now: datetime | None = None) -> dict:
    """Tell each person of the unit whose grade is recorded and not yet told: stamps ``fed_back_at`` (audited
    ``annual.feed_back``) and sends the grade — for a grade under the law, with how to ask for a 复核 and until when."""
    now = now or utcnow()
    unit = _admin_unit(session, actor, unit_id)
    told = []
    for r in session.scalars(select(AnnualResult).where(AnnualResult.unit_id == unit.id, AnnualResult.year == year,
                                                        AnnualResult.fed_back_at.is_(None))
                             .order_by(AnnualResult.id)):
        r.fed_back_at = now
        audit.record(session, actor, "annual.feed_back", "annual_result", r.id, {"fed_back_at": None},
                     {"fed_back_at": now, "grade": r.grade})
        text = f"{unit.name}{label(year)}考核等次已确定：{r.grade}。"
        facts: dict = {"lead": f"{label(year)}考核等次已确定", "grade": r.grade[:5]}
        if rules.law_applies(r.grade, policy, annual=True):
            ends = rules.annual_objection_deadline(now, policy)
            text += (f"如对等次有异议，可于 {format_local(ends, policy)} 前申请复核：发送“年度异议 <理由>”，"
                     "或在“我的考核”页面“年度考核”办理。复核期间不停止原考核结果的执行。")
            facts["deadline"] = ends
        notices.notify_person(session, r.person_id, text, kind="personal", title="年度考核等次",
                              dedupe_key=f"annual-feedback:{r.id}", facts=facts)
        told.append(r.person_id)
    session.flush()
    if not told:
        raise Conflict(f"{unit.name}{year}年没有已确定且尚未告知本人的年度考核等次", "nothing_to_feed_back")
    return {"unit": unit.name, "year": year, "told": len(told)}


# -- the person: their annual grade and the 复核 ----------------------------------------------------------------------
@dataclass
class AnnualView:
    """The person's recorded annual grade as they see it, shaped like ``feedback.Feedback`` so the chat's and the
    pages' objection parts serve both."""

    annual_result_id: int
    year: int
    cycle_label: str
    unit: str
    grade: str
    decided_grade: str
    published_at: str  # when the person was told
    objection: dict | None
    can_object: bool
    objection_ends: str
    under_law: bool
    reasons: dict = field(default_factory=dict)
    total: float | None = None
    signed: str | None = None
    kind: str = "annual"

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _mine(session: Session, actor: Actor, year: int | None) -> AnnualResult | None:
    if actor.person_id is None:
        raise Forbidden("只有考核对象本人可以查看自己的年度考核等次", "person_only")
    q = select(AnnualResult).where(AnnualResult.person_id == actor.person_id, AnnualResult.fed_back_at.is_not(None))
    if year is not None:
        q = q.where(AnnualResult.year == year)
    return session.scalar(q.order_by(AnnualResult.year.desc()).limit(1))


def _facts(session: Session, r: AnnualResult) -> tuple[rules.AnnualFacts, Objection | None]:
    o = session.scalar(select(Objection).where(Objection.annual_result_id == r.id))
    return rules.AnnualFacts(grade=r.grade, fed_back_at=r.fed_back_at, objection=o is not None), o


def view_of(session: Session, policy: Policy, r: AnnualResult, now: datetime) -> AnnualView:
    from handlers.quarter.feedback import objection_dict

    facts, o = _facts(session, r)
    cannot = rules.annual_objection_refusal(facts, now, policy)
    return AnnualView(
        annual_result_id=r.id, year=r.year, cycle_label=label(r.year), unit=session.get(Unit, r.unit_id).name,
        grade=r.grade, decided_grade=r.decided_grade, published_at=format_local(r.fed_back_at, policy),
        objection=objection_dict(o, policy, now) if o else None, can_object=cannot is None,
        objection_ends=format_local(rules.annual_objection_deadline(r.fed_back_at, policy), policy),
        under_law=rules.law_applies(r.decided_grade, policy, annual=True),
        reasons={"object": cannot.message} if cannot else {})


def my_annual(session: Session, actor: Actor, policy: Policy, year: int | None = None,
              now: datetime | None = None) -> AnnualView | None:
    """The person's latest annual grade they have been told (or the given year's); ``None`` before any."""
    r = _mine(session, actor, year)
    return view_of(session, policy, r, now or utcnow()) if r else None


def file_objection(session: Session, actor: Actor, policy: Policy, reason: str, *, channel: str,
                   year: int | None = None, now: datetime | None = None) -> AnnualView:
    """申请复核 of the annual grade: only a grade in ``annual_law_grades``, within ``law_request_days`` of being
    told; the unit's answer is due within ``law_decision_days``. Unit HR and the committee are told."""
    from handlers.quarter.feedback import committee

    now = now or utcnow()
    r = _mine(session, actor, year)
    if r is None:
        raise _refuse(rules.annual_objection_refusal(rules.AnnualFacts(grade=None), now, policy))
    facts, _ = _facts(session, r)
    refusal = rules.annual_objection_refusal(facts, now, policy) or rules.text_refusal(
        reason or "", "复核理由", policy.feedback.reason_max_chars, required=True)
    if refusal:
        raise _refuse(refusal)
    o = Objection(kind="annual", annual_result_id=r.id, person_id=r.person_id, publication=0, state="open",
                  grade=r.grade, reason=reason.strip(), channel=channel if channel in CHANNELS else "api",
                  created_at=now, answer_due=rules.answer_due(now, policy, r.grade, annual=True))
    session.add(o)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict("您已对本年度考核等次申请过复核，不能重复申请", "objection_exists") from None
    audit.record(session, actor, "objection.file", "objection", o.id, None,
                 {"kind": "annual", "annual_result_id": r.id, "year": r.year, "grade": o.grade, "reason": o.reason,
                  "state": "open", "answer_due": o.answer_due, "channel": o.channel})
    person, unit = session.get(Person, r.person_id), session.get(Unit, r.unit_id)
    text = (f"{unit.name}{person.name}（{person.staff_no}）对{label(r.year)}考核等次“{o.grade}”申请复核：{o.reason}。"
            f"请于 {format_local(o.answer_due, policy)} 前作出复核决定（维持原等次，或经党委(党组)改变等次）并告知本人。")
    for pid in dict.fromkeys([*unit_hr(session, r.unit_id), *committee(session, r.unit_id)]):
        if pid != r.person_id:
            notices.notify_person(session, pid, text, kind="personal", title="年度考核复核申请",
                                  dedupe_key=f"objection:{o.id}:{pid}",
                                  facts={"lead": f"{person.name}申请年度考核复核"[:20], "deadline": o.answer_due})
    return view_of(session, policy, r, now)


def allowed_for(session: Session, policy: Policy, r: AnnualResult, today: date | None = None) -> list[str]:
    row = _year_row(session, policy, r.year, r.person_id, today)
    return annual_rules.allowed_grades(row.outcome, policy) if row else list(policy.annual.annual_grades)


def regrade(session: Session, actor: Actor, policy: Policy, r: AnnualResult, new_grade: str,
            objection_id: int, meeting_on: date | None, attendees: str) -> None:
    """A 复核 changes the annual grade: only to a grade the rules allow; ``grade`` is replaced (``decided_grade``
    keeps the first); audited ``annual.regrade``."""
    row = _year_row(session, policy, r.year, r.person_id, None)
    if row is not None:
        refusal = annual_rules.grade_refusal(new_grade, row.outcome, policy)
        if refusal:
            raise _refuse(refusal)
    old = r.grade
    r.grade = new_grade
    audit.record(session, actor, "annual.regrade", "annual_result", r.id, {"grade": old},
                 {"grade": new_grade, "objection_id": objection_id, "meeting_on": meeting_on,
                  "attendees": attendees})


def result_of(session: Session, o: Objection) -> AnnualResult:
    r = session.get(AnnualResult, o.annual_result_id)
    if r is None:
        raise NotFound("找不到该年度考核结果")
    return r
