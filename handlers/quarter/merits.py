"""加扣分、负面清单与问责: unit HR records an event for a person by picking an item of the county's catalogue
(policy ``[merits]``), with an evidence file; the county office approves it when the policy says so. Events in force
feed the rules in ``models.rules.merits``: the scoring total, the committee's screen and the annual outcome.

Scope: unit HR of the person's unit records and lists; the county office lists everything and reviews; the evidence
is served to those who may see the person (unit HR of the recording unit, the county office, the person, the
person's scorer).
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, undefer

from config.policy import MERIT_EFFECTS, Policy
from models import Cycle, Evaluation, Membership, MeritEvent, Person, utcnow
from models.rules import merits as rules
from models.rules.scoring import (
    RuleViolation,
    format_points,
    suggested_grade,
    total_score,
)

from handlers import audit
from handlers.identity.access import deny
from handlers.actor import Actor
from handlers.errors import Conflict, Forbidden, InvalidInput, NotFound, from_rule
from handlers.quarter.indicators import defs, template_for

STATE_LABELS = {"pending": "待县公务员办审核", "approved": "已生效", "rejected": "未通过审核", "withdrawn": "已撤回"}
LIVE = ("pending", "approved")  # count toward an item's cap
DESCRIPTION_MAX = 500
CONTENT_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png",
                 "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
_MAGIC = {"pdf": (b"%PDF-",), "jpg": (b"\xff\xd8\xff",), "jpeg": (b"\xff\xd8\xff",), "png": (b"\x89PNG\r\n\x1a\n",),
          "docx": (b"PK\x03\x04",)}


@dataclass(frozen=True)
class Upload:
    """An evidence file as received: the name the user gave and its bytes (read at most the limit + 1)."""

    filename: str
    data: bytes


def catalogue(policy: Policy) -> list[dict]:
    """The county's items, as units see them (read only)."""
    return [{"code": i.code, "name": i.name, "category": i.category, "points": i.points,
             "points_text": (f"{'+' if i.points > 0 else ''}{format_points(i.points)} 分/次" if i.points else ""),
             "cap_per_quarter": i.cap_per_quarter, "evidence_required": i.evidence_required,
             "evidence_hint": i.evidence_hint, "effects": list(i.effects), "effect_labels": i.effect_labels,
             "period_months": i.period_months} for i in policy.merits.items]


def check_evidence(policy: Policy, upload: Upload) -> tuple[str, str, int, str]:
    """Name, content type, size and SHA-256 of an acceptable file; a Chinese refusal otherwise. The type is what the
    extension says *and* the file's first bytes confirm."""
    m = policy.merits
    name = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed = "、".join(m.evidence_types)
    if ext not in m.evidence_types or ext not in CONTENT_TYPES:
        raise InvalidInput(f"证明材料只能是 {allowed} 格式，收到“{name or '（无文件名）'}”", "evidence_type",
                           allowed=list(m.evidence_types))
    size = len(upload.data)
    if size == 0:
        raise InvalidInput("证明材料是空文件，请重新选择", "evidence_empty")
    if size > m.evidence_max_bytes:
        raise InvalidInput(f"证明材料不能超过 {_size_text(m.evidence_max_bytes)}，收到 {_size_text(size)}",
                           "evidence_too_big", max_bytes=m.evidence_max_bytes, size=size)
    if not upload.data.startswith(_MAGIC[ext]):
        raise InvalidInput(f"证明材料的内容不是 {ext} 文件，请检查后重新上传", "evidence_type",
                           allowed=list(m.evidence_types))
    return name, CONTENT_TYPES[ext], size, hashlib.sha256(upload.data).hexdigest()


def _size_text(n: int) -> str:
    return f"{format_points(round(n / 1024 / 1024, 1))} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


def _event_dict(e: MeritEvent, person: Person | None, policy: Policy) -> dict:
    item = policy.merits.item(e.item_code)
    start, end = rules.period(item, e.occurred_on) if item else (e.occurred_on, e.occurred_on)
    return {
        "id": e.id, "person_id": e.person_id, "staff_no": person.staff_no if person else "",
        "name": person.name if person else "", "item_code": e.item_code, "item_name": e.item_name,
        "category": item.category if item else "", "points": item.points if item else 0,
        "effects": list(item.effects) if item else [], "effect_labels": item.effect_labels if item else [],
        "period_from": start.isoformat(), "period_to": end.isoformat(),
        "occurred_on": e.occurred_on.isoformat(), "description": e.description, "state": e.state,
        "state_label": STATE_LABELS.get(e.state, e.state),
        "evidence": ({"name": e.evidence_name, "type": e.evidence_type, "size": e.evidence_size,
                      "sha256": e.evidence_sha256} if e.evidence_sha256 else None),
        "recorded_by": e.recorded_by, "recorded_at": e.recorded_at.isoformat(),
        "reviewed_by": e.reviewed_by, "review_note": e.review_note,
    }


def _person_unit(session: Session, person_id: int, on: date) -> int | None:
    """The unit of the person's membership on a day (or their latest one)."""
    rows = session.execute(select(Membership.unit_id, Membership.start_on, Membership.end_on)
                           .where(Membership.person_id == person_id).order_by(Membership.start_on)).all()
    for unit_id, start, end in rows:
        if start <= on and (end is None or end >= on):
            return unit_id
    return rows[-1][0] if rows else None


def _person_by_staff_no(session: Session, actor: Actor, staff_no: str) -> Person:
    person = session.scalar(select(Person).where(Person.staff_no == (staff_no or "").strip()))
    if person is None:  # the same answer as for someone of another unit: staff numbers cannot be probed
        raise deny(session, actor, "person", staff_no)
    return person


def record(session: Session, actor: Actor, policy: Policy, staff_no: str, item_code: str, occurred_on: date,
           description: str, evidence: Upload | None, today: date) -> dict:
    """Unit HR records an event. Pending until the county office approves when ``require_approval``."""
    person = _person_by_staff_no(session, actor, staff_no)
    unit_id = _person_unit(session, person.id, min(occurred_on, today))
    if unit_id is None or not actor.can_admin_unit(unit_id):
        raise deny(session, actor, "person", staff_no)
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise InvalidInput(f"事件说明不能超过 {DESCRIPTION_MAX} 个字", "description_too_long")
    if "\x00" in description:
        raise InvalidInput("事件说明中不能包含空字符", "description_invalid")
    earlier = [rules.MeritEvent(e.id, e.item_code, e.occurred_on) for e in session.scalars(
        select(MeritEvent).where(MeritEvent.person_id == person.id, MeritEvent.item_code == item_code,
                                 MeritEvent.state.in_(LIVE)))]
    try:
        item = rules.check_record(item_code, occurred_on, today, evidence is not None, earlier, policy)
    except RuleViolation as exc:
        raise from_rule(exc) from None
    checked = check_evidence(policy, evidence) if evidence is not None else None
    state = "pending" if policy.merits.require_approval else "approved"
    event = MeritEvent(person_id=person.id, unit_id=unit_id, item_code=item.code, item_name=item.name,
                       occurred_on=occurred_on, description=description, state=state, recorded_by=actor.ref)
    if checked:
        event.evidence_name, event.evidence_type, event.evidence_size, event.evidence_sha256 = checked
        event.evidence = evidence.data
    session.add(event)
    session.flush()
    audit.record(session, actor, "merit.record", "merit_event", event.id, None,
                 {"staff_no": person.staff_no, "item": item.code, "occurred_on": occurred_on, "state": state,
                  "description": description, "evidence_sha256": checked[3] if checked else None})
    if state == "approved":
        refresh_totals(session, actor, policy, person.id, *_touched(event, policy))
    return _event_dict(event, person, policy)


def _event_for_admin(session: Session, actor: Actor, event_id: int) -> MeritEvent:
    event = session.get(MeritEvent, event_id)
    if event is None or not actor.can_view_unit(event.unit_id):
        raise deny(session, actor, "merit_event", event_id)
    return event


def review(session: Session, actor: Actor, policy: Policy, event_id: int, approve: bool, note: str = "") -> dict:
    """The county office approves or rejects a pending event (a rejection needs a reason)."""
    event = _event_for_admin(session, actor, event_id)
    if not actor.is_county:
        raise Forbidden("只有县公务员办可以审核加扣分事项", "county_only")
    if event.state != "pending":
        raise Conflict(f"该事项当前为“{STATE_LABELS.get(event.state, event.state)}”，不能审核", "not_pending")
    note = (note or "").strip()
    if not approve and not note:
        raise InvalidInput("不予通过时请填写原因", "reason_required")
    if len(note) > DESCRIPTION_MAX:
        raise InvalidInput(f"审核意见不能超过 {DESCRIPTION_MAX} 个字", "note_too_long")
    before = {"state": event.state}
    event.state = "approved" if approve else "rejected"
    event.reviewed_by, event.reviewed_at, event.review_note = actor.ref, utcnow(), note or None
    session.flush()
    audit.record(session, actor, "merit.review", "merit_event", event.id, before,
                 {"state": event.state, "note": note})
    if approve:
        refresh_totals(session, actor, policy, event.person_id, *_touched(event, policy))
    return _event_dict(event, session.get(Person, event.person_id), policy)


def withdraw(session: Session, actor: Actor, policy: Policy, event_id: int, reason: str) -> dict:
    """Unit HR withdraws an event recorded by mistake (pending, or in force when no approval is required)."""
    event = _event_for_admin(session, actor, event_id)
    if not actor.can_admin_unit(event.unit_id):
        raise Forbidden("只有本单位平时考核管理员可以撤回", "unit_admin_only")
    if event.state not in LIVE or (event.state == "approved" and policy.merits.require_approval):
        raise Conflict(f"该事项当前为“{STATE_LABELS.get(event.state, event.state)}”，不能撤回", "not_withdrawable")
    reason = (reason or "").strip()
    if not reason or len(reason) > DESCRIPTION_MAX:
        raise InvalidInput(f"请填写撤回原因（1–{DESCRIPTION_MAX} 个字）", "reason_required")
    before = {"state": event.state}
    was_live = event.state == "approved"
    event.state, event.review_note = "withdrawn", reason
    session.flush()
    audit.record(session, actor, "merit.withdraw", "merit_event", event.id, before, {"state": "withdrawn",
                                                                                     "reason": reason})
    if was_live:
        refresh_totals(session, actor, policy, event.person_id, *_touched(event, policy))
    return _event_dict(event, session.get(Person, event.person_id), policy)


def list_events(session: Session, actor: Actor, policy: Policy, *, unit_id: int | None = None,
                staff_no: str | None = None, year: int | None = None, quarter: int | None = None,
                state: str | None = None, limit: int = 200) -> list[dict]:
    """Events the actor may see: unit HR their units', the county office all (optionally one unit/person/quarter)."""
    q = select(MeritEvent, Person).join(Person, Person.id == MeritEvent.person_id)
    if unit_id is not None:
        if not actor.can_view_unit(unit_id):
            raise deny(session, actor, "unit", unit_id)
        q = q.where(MeritEvent.unit_id == unit_id)
    elif not actor.is_county:
        if not actor.admin_units:
            raise Forbidden("只有单位平时考核管理员和县公务员办可以查看加扣分记录", "admin_only")
        q = q.where(MeritEvent.unit_id.in_(sorted(actor.admin_units)))
    if staff_no:
        q = q.where(Person.staff_no == staff_no.strip())
    if year is not None:
        if quarter is not None:
            if quarter not in (1, 2, 3, 4):
                raise InvalidInput("季度只能是 1 到 4", "bad_quarter")
            first, last = rules.quarter_bounds(year, quarter)
        else:
            first, last = date(year, 1, 1), date(year, 12, 31)
        q = q.where(MeritEvent.occurred_on.between(first, last))
    if state:
        if state not in STATE_LABELS:
            raise InvalidInput(f"状态只能是 {'、'.join(STATE_LABELS)}", "bad_state")
        q = q.where(MeritEvent.state == state)
    rows = session.execute(q.order_by(MeritEvent.occurred_on.desc(), MeritEvent.id.desc()).limit(limit))
    return [_event_dict(e, p, policy) for e, p in rows]


def evidence_file(session: Session, actor: Actor, event_id: int) -> tuple[str, str, bytes]:
    """The evidence, for those who may see the person; anyone else gets 404 (audited)."""
    event = session.scalar(select(MeritEvent).options(undefer(MeritEvent.evidence)).where(MeritEvent.id == event_id))
    if event is None:
        raise NotFound("找不到该加扣分事项")
    sees = actor.can_view_unit(event.unit_id) or actor.person_id == event.person_id or (
        actor.person_id is not None and session.scalar(select(exists().where(
            Evaluation.person_id == event.person_id, Evaluation.supervisor_id == actor.person_id))))
    if not sees:
        raise deny(session, actor, "merit_event", event_id)
    if event.evidence is None:
        raise NotFound("该事项没有上传证明材料")
    return event.evidence_name or "evidence", event.evidence_type or "application/octet-stream", event.evidence


# ---- what the rules make of the events in force --------------------------------------------------------------


def in_force(session: Session, person_ids, first: date, last: date, policy: Policy) -> dict[int, list]:
    """Approved events whose 影响期 may touch ``first..last``, per person (as the rules' plain events)."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    since = rules.add_months(first, -policy.merits.longest_period_months) - timedelta(days=1)
    out: dict[int, list] = defaultdict(list)
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        rows = session.execute(select(MeritEvent.person_id, MeritEvent.id, MeritEvent.item_code,
                                      MeritEvent.occurred_on)
                               .where(MeritEvent.person_id.in_(chunk), MeritEvent.state == "approved",
                                      MeritEvent.occurred_on.between(since, last)))
        for pid, eid, code, on in rows:
            out[pid].append(rules.MeritEvent(eid, code, on))
    return out


@dataclass(frozen=True)
class QuarterEffects:
    adjustments: rules.Adjustments
    blocks: list[rules.Block]

    @property
    def lines(self) -> list[dict]:
        return [line.as_dict() for line in self.adjustments.lines]

    @property
    def block_dicts(self) -> list[dict]:
        return [b.as_dict() for b in self.blocks]


def quarter_effects(session: Session, person_ids, year: int, quarter: int, policy: Policy
                    ) -> dict[int, QuarterEffects]:
    first, last = rules.quarter_bounds(year, quarter)
    events = in_force(session, person_ids, first, last, policy)
    return {pid: QuarterEffects(rules.adjustments(events.get(pid, []), year, quarter, policy),
                                rules.quarter_blocks(events.get(pid, []), year, quarter, policy))
            for pid in set(person_ids)}


def _touched(event: MeritEvent, policy: Policy) -> tuple[date, date]:
    item = policy.merits.item(event.item_code)
    return rules.period(item, event.occurred_on) if item else (event.occurred_on, event.occurred_on)


def _is_merit_reason(reason: str, policy: Policy) -> bool:
    """A 不定等次 reason this module wrote (so it may also take it back)."""
    suffix = "，" + MERIT_EFFECTS["not_graded"]
    return reason.endswith(suffix) and any(reason.startswith(i.name + "（") for i in policy.merits.items)


def sync_evaluation(session: Session, actor: Actor, policy: Policy, evaluation: Evaluation, cycle: Cycle,
                    effects: QuarterEffects) -> None:
    """Bring one undecided evaluation in line with the events in force: 不定等次 while an item says so (taken back
    when that item no longer applies), and the stored total and suggested grade = indicators + 加扣分. Audited."""
    if evaluation.state in ("decided", "published"):
        return
    before = {"not_graded_reason": evaluation.not_graded_reason, "total": evaluation.total,
              "suggested_grade": evaluation.suggested_grade, "merit_adjustment": evaluation.merit_adjustment}
    evaluation.merit_adjustment = effects.adjustments.total
    not_graded = [b for b in effects.blocks if b.effect == "not_graded"]
    if not_graded and not evaluation.not_graded_reason:
        evaluation.not_graded_reason = not_graded[0].text[:200]
    elif not not_graded and evaluation.not_graded_reason and _is_merit_reason(evaluation.not_graded_reason, policy):
        evaluation.not_graded_reason = None
    if evaluation.scores and not evaluation.not_graded_reason:
        indicators = defs(template_for(session, cycle.id, evaluation.post))
        total = rules.adjusted_total(total_score(evaluation.scores, indicators), effects.adjustments, policy)
        complete = all(i.key in evaluation.scores for i in indicators)
        evaluation.total, evaluation.suggested_grade = total, suggested_grade(total, policy) if complete else None
    after = {"not_graded_reason": evaluation.not_graded_reason, "total": evaluation.total,
             "suggested_grade": evaluation.suggested_grade, "merit_adjustment": evaluation.merit_adjustment}
    if after == before:
        return
    session.flush()
    audit.record(session, actor, "evaluation.merits_applied", "evaluation", evaluation.id, before, after)


def refresh_totals(session: Session, actor: Actor, policy: Policy, person_id: int, first: date,
                   last: date | None = None) -> None:
    """An event came into or out of force: the person's undecided evaluations in the quarters ``first..last``
    follow (see ``sync_evaluation``)."""
    last = last or first
    y0, q0 = rules.quarter_of(first)
    y1, q1 = rules.quarter_of(last)
    rows = session.execute(select(Evaluation, Cycle).join(Cycle, Cycle.id == Evaluation.cycle_id)
                           .where(Evaluation.person_id == person_id,
                                  Cycle.year * 10 + Cycle.quarter >= y0 * 10 + q0,
                                  Cycle.year * 10 + Cycle.quarter <= y1 * 10 + q1)).all()
    for evaluation, cycle in rows:
        effects = quarter_effects(session, [person_id], cycle.year, cycle.quarter, policy)[person_id]
        sync_evaluation(session, actor, policy, evaluation, cycle, effects)


def sync_cycle(session: Session, actor: Actor, policy: Policy, cycle: Cycle) -> None:
    """A cycle just opened: its people's 加扣分 already in force are kept on their evaluations and those under an
    item's 不定等次 are marked so (two queries when nobody has any)."""
    if not policy.merits.items:
        return
    evaluations = list(session.scalars(select(Evaluation).where(Evaluation.cycle_id == cycle.id)))
    effects = quarter_effects(session, [e.person_id for e in evaluations], cycle.year, cycle.quarter, policy)
    for e in evaluations:
        if effects[e.person_id].blocks or effects[e.person_id].adjustments.lines:
            sync_evaluation(session, actor, policy, e, cycle, effects[e.person_id])


def unit_people(session: Session, actor: Actor, unit_id: int, today: date) -> list[dict]:
    """The unit's current people, for the console's form (unit HR only)."""
    if not actor.can_admin_unit(unit_id):
        raise deny(session, actor, "unit", unit_id)
    rows = session.execute(select(Person.staff_no, Person.name).join(Membership, Membership.person_id == Person.id)
                           .where(Membership.unit_id == unit_id, Membership.start_on <= today,
                                  (Membership.end_on.is_(None)) | (Membership.end_on >= today))
                           .order_by(Person.staff_no)).all()
    return [{"staff_no": s, "name": n} for s, n in rows]


def year_blocks(session: Session, year: int, policy: Policy, person_ids=None) -> dict[int, list[str]]:
    """Per person, why the year may not be 优秀 (approved events whose 影响期 touches the year)."""
    codes = [i.code for i in policy.merits.items if "no_excellent" in i.effects]
    if not codes:
        return {}
    first, last = date(year, 1, 1), date(year, 12, 31)
    since = rules.add_months(first, -policy.merits.longest_period_months) - timedelta(days=1)
    q = select(MeritEvent.person_id, MeritEvent.id, MeritEvent.item_code, MeritEvent.occurred_on).where(
        MeritEvent.state == "approved", MeritEvent.item_code.in_(codes), MeritEvent.occurred_on.between(since, last))
    if person_ids is not None:
        q = q.where(MeritEvent.person_id.in_(sorted(set(person_ids))))
    events: dict[int, list] = defaultdict(list)
    for pid, eid, code, on in session.execute(q):
        events[pid].append(rules.MeritEvent(eid, code, on))
    out = {pid: [b.text for b in rules.annual_blocks(evs, year, policy)] for pid, evs in events.items()}
    return {pid: texts for pid, texts in out.items() if texts}
