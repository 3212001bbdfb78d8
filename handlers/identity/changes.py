"""The quarterly change list (人员异动) derived from membership history, for filing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from models import Membership
from models.org import CHANGE_KINDS
from models.rules.calendar import quarter_bounds


@dataclass(frozen=True)
class Change:
    staff_no: str
    name: str
    kind: str  # Chinese label
    on: date
    before: str
    after: str

    def as_row(self) -> list:
        return [self.staff_no, self.name, self.kind, self.on.isoformat(), self.before, self.after]


HEADERS = ["人员编号", "姓名", "异动类型", "生效日期", "异动前", "异动后"]


def _where(m: Membership | None) -> str:
    if m is None:
        return ""
    return "/".join(x for x in (m.unit.name, m.tier.name, m.post) if x)


def quarterly_changes(session: Session, year: int, quarter: int, unit_id: int | None = None) -> list[Change]:
    """Every membership that began in the quarter (hire, transfer, promotion, …) and every departure."""
    start, end = quarter_bounds(year, quarter)
    opts = (joinedload(Membership.unit), joinedload(Membership.tier), joinedload(Membership.person))
    began = list(session.scalars(
        select(Membership).options(*opts).where(Membership.start_on >= start, Membership.start_on <= end)
    ))
    ended = list(session.scalars(
        select(Membership).options(*opts).where(Membership.end_on >= start, Membership.end_on <= end)
    ))
    person_ids = {m.person_id for m in began} | {m.person_id for m in ended}
    history: dict[int, list[Membership]] = {}
    if person_ids:
        for m in session.scalars(select(Membership).options(*opts).where(Membership.person_id.in_(person_ids))
                                 .order_by(Membership.start_on)):
            history.setdefault(m.person_id, []).append(m)
    out: list[Change] = []
    for m in began:
        before = [h for h in history[m.person_id] if h.start_on < m.start_on]
        prev = before[-1] if before else None
        if unit_id and m.unit_id != unit_id and (prev is None or prev.unit_id != unit_id):
            continue
        out.append(Change(m.person.staff_no, m.person.name, CHANGE_KINDS.get(m.change, m.change), m.start_on,
                          _where(prev), _where(m)))
    for m in ended:
        successors = [h for h in history[m.person_id] if h.start_on > m.start_on]
        if successors or m.person.status == "active" or (unit_id and m.unit_id != unit_id):
            continue
        kind = CHANGE_KINDS["retire"] if m.person.status == "retired" else CHANGE_KINDS["exit"]
        out.append(Change(m.person.staff_no, m.person.name, kind, m.end_on, _where(m), ""))
    return sorted(out, key=lambda c: (c.on, c.staff_no))
