"""What the audit log's ids name, as the county office reads them: a person's id as 张三（K001）, a 评鉴表's as
张三（K001） 县财政局 2026年第4季度, a notice's as 《标题》 — one query per kind for a page of entries.

The log stores ids so that it never depends on a name that may change; the page looks the names up when it is read
(a row since deleted has no name, and the page keeps its number)."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from models import (AnnualResult, Cycle, Evaluation, Filing, Indicator, LeaveRecord, MeritEvent, Notice, Objection,
                    Person, Section, Secondment, SpotCheck, Summary, Tier, Unit)
from models.cycle import cycle_label, period_label

from handlers import audit
from handlers.identity.unit_desk import FILING_KINDS

_WHO = Person.name + "（" + Person.staff_no + "）"


def _named(model) -> Callable[[set[int]], Select]:
    return lambda ids: select(model.id, model.name).where(model.id.in_(ids))


def _of_person(model, *columns) -> Callable[[set[int]], Select]:
    """A row that belongs to one person: (id, 张三（K001）, *columns)."""
    return lambda ids: select(model.id, _WHO, *columns).join(Person, Person.id == model.person_id) \
        .where(model.id.in_(ids))


def _in_quarter(model) -> Callable[[set[int]], Select]:
    """A per-person-per-quarter row (评鉴表, 登记表): (id, 张三（K001）, unit, year, quarter)."""
    return lambda ids: _of_person(model, Unit.name, Cycle.year, Cycle.quarter)(ids) \
        .join(Cycle, Cycle.id == model.cycle_id).join(Unit, Unit.id == Cycle.unit_id)


def _objections(ids: set[int]) -> Select:
    return _of_person(Objection, Cycle.year, Cycle.quarter, AnnualResult.year)(ids) \
        .outerjoin(Cycle, Cycle.id == Objection.cycle_id) \
        .outerjoin(AnnualResult, AnnualResult.id == Objection.annual_result_id)


def _who_in_quarter(who: str, unit: str, year: int, quarter: int) -> str:
    return f"{who} {unit} {cycle_label(year, quarter)}"


#: kind → (the query for a set of ids, returning the id first; the words for the rest of a row).
NAMERS: dict[str, tuple[Callable[[set[int]], Select], Callable[..., str]]] = {
    "person": (lambda ids: select(Person.id, _WHO).where(Person.id.in_(ids)), str),
    "unit": (_named(Unit), str),
    "tier": (_named(Tier), str),
    "section": (_named(Section), str),
    "indicator": (_named(Indicator), str),
    "cycle": (lambda ids: select(Cycle.id, Unit.name, Cycle.year, Cycle.quarter).join(Unit, Unit.id == Cycle.unit_id)
              .where(Cycle.id.in_(ids)),
              lambda unit, year, quarter: f"{unit} {cycle_label(year, quarter)}"),
    "evaluation": (_in_quarter(Evaluation), _who_in_quarter),
    "summary": (_in_quarter(Summary), _who_in_quarter),
    "objection": (_objections, lambda who, year, quarter, annual: f"{who} " + (
        cycle_label(year, quarter) if year else f"{annual}年度")),
    "annual_result": (_of_person(AnnualResult, AnnualResult.year), lambda who, year: f"{who} {year}年度"),
    "merit_event": (_of_person(MeritEvent, MeritEvent.item_name), lambda who, item: f"{who} {item}"),
    "leave": (_of_person(LeaveRecord, LeaveRecord.year, LeaveRecord.quarter),
              lambda who, year, quarter: f"{who} {cycle_label(year, quarter)}"),
    "secondment": (lambda ids: _of_person(Secondment, Unit.name)(ids).join(Unit, Unit.id == Secondment.host_unit_id),
                   lambda who, host: f"{who} 借调到{host}"),
    "spot_check": (lambda ids: select(SpotCheck.id, SpotCheck.year, SpotCheck.quarter).where(SpotCheck.id.in_(ids)),
                   cycle_label),
    "notice": (lambda ids: select(Notice.id, Notice.title).where(Notice.id.in_(ids)), lambda title: f"《{title}》"),
    "filing": (lambda ids: select(Filing.id, Unit.name, Filing.year, Filing.quarter, Filing.kind)
               .join(Unit, Unit.id == Filing.unit_id).where(Filing.id.in_(ids)),
               lambda unit, year, quarter, kind: f"{unit} {period_label(year, quarter)}{FILING_KINDS.get(kind, kind)}"),
}


def names_of(session: Session, pairs: set[tuple]) -> dict[tuple, str]:
    """``{(kind, id): words}`` for the ``(kind, id)`` pairs a page's entries refer to, and ``{("ref", ref): name}``
    for the people they name by ref (``person:K001``, ``system:…``): one query per kind. A kind without a namer, or
    a row since deleted, is left out."""
    refs = audit.who(session, [ref for kind, ref in pairs if kind == "ref"])
    out: dict[tuple, str] = {("ref", ref): name for ref, name in refs.items()}
    for kind in {k for k, _ in pairs} & NAMERS.keys():
        query, words = NAMERS[kind]
        out.update({(kind, row[0]): words(*row[1:]) for row in
                    session.execute(query({i for k, i in pairs if k == kind}))})
    return out
