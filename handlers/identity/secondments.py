"""Secondments (借调): a person of one unit working in another (the host) from one date to another.

With the policy's ``[secondment] host_evaluates``, the host unit evaluates the person for each quarter the secondment
covers for at least ``min_months`` whole months (``models.rules.leave.host_evaluates``): opening the host's cycle adds
them, opening the home unit's cycle lists them as not evaluated there with the host's name. Evaluation follows the
person: their forms are in the host's cycle. A secondment recorded after a cycle opened does not move that cycle's
evaluation (the opening is the quarter's snapshot); the answer says so.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from config.policy import Policy
from models import Cycle, Evaluation, Membership, Person, Tier, Unit, utcnow
from models.leave import Secondment
from models.rules.calendar import quarter_bounds
from models.rules.leave import host_evaluates, secondment_reason

from handlers import audit
from handlers.identity.access import deny
from handlers.actor import Actor
from handlers.errors import Conflict, InvalidInput, NotFound


@dataclass(frozen=True)
class SecondmentRow:
    id: int
    staff_no: str
    name: str
    home_unit: str
    host_unit: str
    host_tier: str
    start_on: date
    end_on: date
    note: str
    direction: str  # out (from this unit) | in (to this unit)
    ended_on: date | None = None  # ended early (提前结束) on end_on, with the reason
    end_reason: str = ""


def _home_unit_id(session: Session, person_id: int, on: date) -> int | None:
    return session.scalar(select(Membership.unit_id).where(
        Membership.person_id == person_id, Membership.start_on <= on,
        or_(Membership.end_on.is_(None), Membership.end_on >= on)).order_by(Membership.start_on.desc()).limit(1))


def _date(value, label: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{label}应写成 YYYY-MM-DD，例如 2026-03-01", "bad_date") from None


def record(session: Session, actor: Actor, policy: Policy, *, staff_no: str, host_unit: str, start_on, end_on,
           tier: str = "", note: str = "") -> tuple[Secondment, list[str]]:
    """Record a secondment (home unit HR, host unit HR or the county office). Returns the record and notes for the
    officer (quarters the host evaluates; cycles already open that it does not change). Audited."""
    start, end = _date(start_on, "借调开始日期"), _date(end_on, "借调结束日期")
    if end < start:
        raise InvalidInput("借调结束日期不能早于开始日期", "bad_period")
    if (end - start).days > 366 * 5:
        raise InvalidInput("借调期限不能超过 5 年，请分段登记", "bad_period")
    note = (note or "").strip()
    if len(note) > 200:
        raise InvalidInput("备注不能超过 200 个字", "note_too_long")
    person = session.scalar(select(Person).where(Person.staff_no == (staff_no or "").strip()[:32]))
    home_id = _home_unit_id(session, person.id, start) if person else None
    host = session.scalar(select(Unit).where(Unit.name == (host_unit or "").strip()[:100]))
    if person is None or home_id is None:
        raise NotFound(f"找不到人员编号 {staff_no[:32]}，或其在 {start.isoformat()} 不属于任何单位")
    if host is None:
        raise InvalidInput(f"找不到借调单位“{(host_unit or '')[:100]}”", "unknown_host")
    if not (actor.can_admin_unit(home_id) or actor.can_admin_unit(host.id)):
        raise deny(session, actor, "person", person.staff_no)
    if host.id == home_id:
        raise InvalidInput("借调单位不能是本人所在单位", "same_unit")
    tier, tier_id = _host_tier(session, person, home_id, host, tier)
    _refuse_overlap(session, person, start, end)
    row = Secondment(person_id=person.id, host_unit_id=host.id, host_tier_id=tier_id, start_on=start, end_on=end,
                     note=note, recorded_by=actor.ref)
    session.add(row)
    session.flush()
    audit.record(session, actor, "secondment.create", "secondment", row.id, None,
                 {"staff_no": person.staff_no, "home_unit_id": home_id, "host_unit_id": host.id, "tier": tier,
                  "start_on": start, "end_on": end, "note": note})
    return row, _notes(session, policy, row, home_id, host)


def _host_tier(session: Session, person: Person, home_id: int, host: Unit, tier: str) -> tuple[str, int]:
    """The person's tier at the host: as asked, else the tier of the same name as at home, else the host's first."""
    tiers = dict(session.execute(select(Tier.name, Tier.id).where(Tier.unit_id == host.id)
                                 .order_by(Tier.id)).all())
    if not tiers:
        raise InvalidInput(f"{host.name}还没有考评层次，请先导入其花名册", "host_without_tiers")
    tier = (tier or "").strip()
    if not tier:
        home_tier = session.scalar(select(Tier.name).join(Membership, Membership.tier_id == Tier.id).where(
            Membership.person_id == person.id, Membership.unit_id == home_id).order_by(Membership.start_on.desc())
            .limit(1))
        tier = home_tier if home_tier in tiers else next(iter(tiers))
    if tier not in tiers:
        raise InvalidInput(f"{host.name}没有考评层次“{tier[:50]}”（现有：{'、'.join(tiers)}）", "unknown_tier")
    return tier, tiers[tier]


def _refuse_overlap(session: Session, person: Person, start: date, end: date, but: int | None = None) -> None:
    q = select(Secondment).where(Secondment.person_id == person.id, Secondment.start_on <= end,
                                 Secondment.end_on >= start)
    if but is not None:
        q = q.where(Secondment.id != but)
    overlap = session.scalar(q)
    if overlap is not None:
        raise Conflict(f"{person.name}在 {overlap.start_on.isoformat()} 至 {overlap.end_on.isoformat()} 已登记借调，"
                       "借调期不能重叠", "secondment_overlap")


def _quarters(start: date, end: date) -> list[tuple[int, int]]:
    out, y, q = [], start.year, (start.month - 1) // 3 + 1
    while quarter_bounds(y, q)[0] <= end:
        out.append((y, q))
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return out


def _notes(session: Session, policy: Policy, row: Secondment, home_id: int, host: Unit) -> list[str]:
    hosted = [(y, q) for y, q in _quarters(row.start_on, row.end_on)
              if host_evaluates(row.start_on, row.end_on, y, q, policy)]
    out = []
    if hosted:
        out.append(f"由{host.name}考核的季度：{'、'.join(f'{y}年第{q}季度' for y, q in hosted)}")
    else:
        out.append("按本县规定，借调期内各季度仍由本单位考核")
    opened = session.scalars(select(Cycle).where(Cycle.unit_id.in_((home_id, host.id)),
                                                 (Cycle.year * 4 + Cycle.quarter).in_([y * 4 + q for y, q in hosted])))
    for cycle in opened:
        out.append(f"{session.get(Unit, cycle.unit_id).name}{cycle.label}的考核已经开启，本次登记不改变该季度的考核对象"
                   "（如需调整，请联系县公务员办）")
    return out


def away(session: Session, policy: Policy, unit_id: int, person_ids: list[int], year: int, quarter: int
         ) -> dict[int, str]:
    """Members of ``unit_id`` the host evaluates this quarter: person id → the reason listing them (host's name)."""
    if not person_ids or not policy.secondment.host_evaluates:
        return {}
    start, end = quarter_bounds(year, quarter)
    rows = session.execute(select(Secondment, Unit.name).join(Unit, Unit.id == Secondment.host_unit_id).where(
        Secondment.person_id.in_(person_ids), Secondment.host_unit_id != unit_id, Secondment.start_on <= end,
        Secondment.end_on >= start)).all()
    return {s.person_id: secondment_reason(name, policy) for s, name in rows
            if host_evaluates(s.start_on, s.end_on, year, quarter, policy)}


def hosted(session: Session, policy: Policy, unit_id: int, year: int, quarter: int) -> list[Secondment]:
    """Secondments to ``unit_id`` that make it evaluate the person this quarter."""
    if not policy.secondment.host_evaluates:
        return []
    start, end = quarter_bounds(year, quarter)
    rows = session.scalars(select(Secondment).where(Secondment.host_unit_id == unit_id, Secondment.start_on <= end,
                                                    Secondment.end_on >= start).order_by(Secondment.person_id))
    return [s for s in rows if host_evaluates(s.start_on, s.end_on, year, quarter, policy)]


def unit_secondments(session: Session, actor: Actor, unit_id: int) -> list[SecondmentRow]:
    """Secondments from and to the unit (home unit HR sees where its people are; host HR whom it hosts)."""
    if not actor.can_admin_unit(unit_id):
        raise deny(session, actor, "unit", unit_id)
    rows = session.execute(select(Secondment, Person, Unit.name, Tier.name)
                           .join(Person, Person.id == Secondment.person_id)
                           .join(Unit, Unit.id == Secondment.host_unit_id).join(Tier, Tier.id == Secondment.host_tier_id)
                           .order_by(Secondment.start_on.desc())).all()
    out = []
    for s, person, host_name, tier_name in rows:
        home_id = _home_unit_id(session, person.id, s.start_on)
        if unit_id not in (home_id, s.host_unit_id):
            continue
        home = session.get(Unit, home_id).name if home_id else ""
        out.append(SecondmentRow(s.id, person.staff_no, person.name, home, host_name, tier_name, s.start_on,
                                 s.end_on, s.note, "in" if s.host_unit_id == unit_id else "out",
                                 s.end_on if s.ended_at else None, s.end_reason or ""))
    return out



# -- changing a secondment: edit (dates, host unit) and end early -------------------------------------------------
DECIDED_CYCLES = ("publicity", "filed")  # the committee's grades are out: that quarter's evaluator is history


def _evaluator(start: date, end: date, host_id: int, year: int, quarter: int, policy: Policy) -> int | None:
    """Who evaluates the person for the quarter under this secondment: the host's id, or ``None`` (the home unit)."""
    return host_id if host_evaluates(start, end, year, quarter, policy) else None


def _moved_quarters(old: tuple[date, date, int], new: tuple[date, date, int], policy: Policy) -> list[tuple[int, int]]:
    """Quarters whose evaluating unit the change moves (home ↔ host, or one host to another)."""
    span = sorted(set(_quarters(old[0], old[1])) | set(_quarters(new[0], new[1])))
    return [(y, q) for y, q in span if _evaluator(*old, y, q, policy) != _evaluator(*new, y, q, policy)]


def _refuse_decided(session: Session, person: Person, unit_ids: set[int], quarters: list[tuple[int, int]]) -> None:
    """A quarter already decided is never rewritten: its evaluation (by the home unit or the host) stands as the
    committee decided it. Refused naming the quarter, the unit and what can still be done."""
    if not quarters:
        return
    keys = [y * 4 + q for y, q in quarters]
    cycles = session.scalars(select(Cycle).where(Cycle.unit_id.in_(sorted(unit_ids)),
                                                 (Cycle.year * 4 + Cycle.quarter).in_(keys))
                             .order_by(Cycle.year, Cycle.quarter, Cycle.unit_id))
    for cycle in cycles:
        decided = cycle.state in DECIDED_CYCLES or session.scalar(select(Evaluation.id).where(
            Evaluation.cycle_id == cycle.id, Evaluation.person_id == person.id,
            Evaluation.state.in_(("decided", "published"))).limit(1)) is not None
        if decided:
            unit = session.get(Unit, cycle.unit_id).name
            raise Conflict(f"{cycle.year}年第{cycle.quarter}季度{unit}已审定等次，这次修改会改变{person.name}该季度由哪个单位"
                           "考核；已审定的季度不能改写。请让修改只影响尚未审定的季度（例如把结束日期定在该季度之后），"
                           "如确需更正已审定的季度，请联系县公务员办", "quarter_decided",
                           year=cycle.year, quarter=cycle.quarter, unit=unit)


def _for_change(session: Session, actor: Actor, secondment_id: int) -> tuple[Secondment, Person, int]:
    row = session.get(Secondment, secondment_id)
    person = session.get(Person, row.person_id) if row else None
    home_id = _home_unit_id(session, person.id, row.start_on) if person else None
    if row is None or not (actor.can_admin_unit(row.host_unit_id) or (home_id and actor.can_admin_unit(home_id))):
        raise deny(session, actor, "secondment", secondment_id)
    return row, person, home_id


def _reason(reason: str, label: str) -> str:
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise InvalidInput(f"请填写{label}（1–200 个字）", "reason_required")
    return reason


def _state(row: Secondment) -> dict:
    return {"host_unit_id": row.host_unit_id, "host_tier_id": row.host_tier_id, "start_on": row.start_on,
            "end_on": row.end_on, "note": row.note}


def _tell_units(session: Session, actor: Actor, row: Secondment, person: Person, unit_ids: set[int], text: str,
                key: str) -> None:
    """Unit HR of the home unit and of the host unit(s) hear of the change (not the officer who made it)."""
    from handlers.outbound import notices
    from handlers.outbound.reminders import unit_hr

    for unit_id in sorted(unit_ids):
        for pid in unit_hr(session, unit_id):
            if pid != actor.person_id:
                notices.notify_person(session, pid, text, kind="personal", title="借调信息变更",
                                      dedupe_key=f"{key}:{pid}", facts={"lead": f"{person.name}借调变更"[:20]})


def edit(session: Session, actor: Actor, policy: Policy, secondment_id: int, *, reason: str,
         host_unit: str | None = None, start_on=None, end_on=None, tier: str | None = None,
         note: str | None = None) -> tuple[Secondment, list[str]]:
    """Correct a secondment's dates, host unit (and tier) or note (home unit HR, host unit HR, the CLI's operator),
    with the reason. Refused when it would move a quarter already decided to another unit. Audited; the home and host
    units are told. Returns the record and the same notes as recording it."""
    row, person, home_id = _for_change(session, actor, secondment_id)
    reason = _reason(reason, "修改原因")
    start = _date(start_on, "借调开始日期") if start_on not in (None, "") else row.start_on
    end = _date(end_on, "借调结束日期") if end_on not in (None, "") else row.end_on
    if end < start:
        raise InvalidInput("借调结束日期不能早于开始日期", "bad_period")
    if (end - start).days > 366 * 5:
        raise InvalidInput("借调期限不能超过 5 年，请分段登记", "bad_period")
    host = session.get(Unit, row.host_unit_id)
    if host_unit not in (None, "") and host_unit.strip() != host.name:
        host = session.scalar(select(Unit).where(Unit.name == host_unit.strip()[:100]))
        if host is None:
            raise InvalidInput(f"找不到借调单位“{host_unit[:100]}”", "unknown_host")
    if host.id == home_id:
        raise InvalidInput("借调单位不能是本人所在单位", "same_unit")
    if tier in (None, "") and host.id == row.host_unit_id:
        tier_name, tier_id = None, row.host_tier_id
    else:
        tier_name, tier_id = _host_tier(session, person, home_id, host, tier or "")
    note = row.note if note is None else note.strip()
    if len(note) > 200:
        raise InvalidInput("备注不能超过 200 个字", "note_too_long")
    before = _state(row)
    if (start, end, host.id, tier_id, note) == (row.start_on, row.end_on, row.host_unit_id, row.host_tier_id, row.note):
        raise InvalidInput("没有要修改的内容", "no_change")
    _refuse_overlap(session, person, start, end, but=row.id)
    units = {home_id, row.host_unit_id, host.id}
    _refuse_decided(session, person, units, _moved_quarters((row.start_on, row.end_on, row.host_unit_id),
                                                             (start, end, host.id), policy))
    row.start_on, row.end_on, row.host_unit_id, row.host_tier_id, row.note = start, end, host.id, tier_id, note
    session.flush()
    audit.record(session, actor, "secondment.edit", "secondment", row.id, before,
                 {**_state(row), "tier": tier_name, "reason": reason, "staff_no": person.staff_no})
    _tell_units(session, actor, row, person, units,
                f"{person.name}（{person.staff_no}）的借调已修改：借调单位{host.name}，{start.isoformat()} 至 "
                f"{end.isoformat()}。原因：{reason}", f"secondment-edit:{row.id}:{utcnow().isoformat()}")
    return row, _notes(session, policy, row, home_id, host)


def end(session: Session, actor: Actor, policy: Policy, secondment_id: int, *, reason: str, today: date,
        end_on=None) -> tuple[Secondment, list[str]]:
    """End a secondment early (提前结束) on ``end_on`` (default today), with the reason: the quarters after it go back
    to the home unit. Refused when that would move a quarter already decided. Audited; both units are told."""
    row, person, home_id = _for_change(session, actor, secondment_id)
    reason = _reason(reason, "提前结束的原因")
    ends = _date(end_on, "结束日期") if end_on not in (None, "") else today
    if row.ended_at is not None:
        raise Conflict(f"该借调已于 {row.end_on.isoformat()} 提前结束", "already_ended")
    if ends < row.start_on:
        raise InvalidInput(f"结束日期不能早于借调开始日期 {row.start_on.isoformat()}", "bad_period")
    if ends >= row.end_on:
        raise InvalidInput(f"借调原定 {row.end_on.isoformat()} 结束；提前结束的日期应早于该日（延长请用“修改”）",
                           "not_earlier")
    units = {home_id, row.host_unit_id}
    _refuse_decided(session, person, units, _moved_quarters((row.start_on, row.end_on, row.host_unit_id),
                                                             (row.start_on, ends, row.host_unit_id), policy))
    before = _state(row)
    row.end_on, row.end_reason, row.ended_by, row.ended_at = ends, reason, actor.ref, utcnow()
    session.flush()
    audit.record(session, actor, "secondment.end", "secondment", row.id, before,
                 {**_state(row), "planned_end_on": before["end_on"], "reason": reason, "staff_no": person.staff_no})
    host = session.get(Unit, row.host_unit_id)
    _tell_units(session, actor, row, person, units,
                f"{person.name}（{person.staff_no}）在{host.name}的借调提前于 {ends.isoformat()} 结束"
                f"（原定 {before['end_on'].isoformat()}）。原因：{reason}", f"secondment-end:{row.id}")
    return row, _notes(session, policy, row, home_id, host)

