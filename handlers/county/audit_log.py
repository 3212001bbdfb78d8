"""Reading the audit log (county office): filtered by person, unit and action, newest first, paged.

The log stores who acted (``person:<人员编号>`` or ``system:…``) and the object, not a unit; "by unit" therefore
means entries made by anyone who ever belonged to the unit, or about the unit's cycles and filings.
"""
from __future__ import annotations

from sqlalchemy import String, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from config.policy import Policy
from models import (AnnualResult, AuditEntry, Cycle, Evaluation, Filing, Indicator, Membership, Notice, Objection,
                    Person, Section, SpotCheck, Summary, Tier, Unit)
from models.cycle import cycle_label
from models.rules.calendar import format_local

from handlers import audit
from handlers.actor import Actor
from handlers.county import audit_words as words
from handlers.errors import InvalidInput, NotFound
from handlers.identity.scope import require_county
from handlers.identity.unit_desk import FILING_KINDS
from handlers.outbound import audience

MAX_LIMIT = 200


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(session: Session, actor: Actor, policy: Policy, *, person: str | None = None, unit: str | None = None,
           action: str | None = None, offset: int = 0, limit: int = 50) -> tuple[list[dict], int]:
    """``person``: a 人员编号 or a name (entries by them or about them); ``unit``: a unit's exact name;
    ``action``: an action or its prefix (``filing`` matches ``filing.accept``). Returns ``(rows, total)``."""
    require_county(actor)
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise InvalidInput(f"每页条数应在 1 到 {MAX_LIMIT} 之间")
    where = []
    if person:
        person = person.strip()[:50]
        staff_nos = set(session.scalars(select(Person.staff_no).where(
            or_(Person.staff_no == person, Person.name == person)).limit(100)))
        if not staff_nos:
            raise NotFound(f"找不到人员“{person}”")
        where.append(or_(AuditEntry.actor.in_([f"person:{s}" for s in staff_nos]),
                         (AuditEntry.object_type == "person") & AuditEntry.object_id.in_(staff_nos)))
    if unit:
        unit_id = session.scalar(select(Unit.id).where(Unit.name == unit.strip()))
        if unit_id is None:
            raise NotFound(f"找不到单位“{unit.strip()}”")
        members = (select(literal("person:") + Person.staff_no).join(Membership, Membership.person_id == Person.id)
                   .where(Membership.unit_id == unit_id))
        cycles = select(cast(Cycle.id, String)).where(Cycle.unit_id == unit_id)
        filings = select(cast(Filing.id, String)).where(Filing.unit_id == unit_id)
        where.append(or_(AuditEntry.actor.in_(members),
                         (AuditEntry.object_type == "cycle") & AuditEntry.object_id.in_(cycles),
                         (AuditEntry.object_type == "filing") & AuditEntry.object_id.in_(filings)))
    if action:
        action = action.strip()[:64]
        where.append(or_(AuditEntry.action == action, AuditEntry.action.like(_like_prefix(action + "."),
                                                                              escape="\\")))
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*where)) or 0
    entries = list(session.scalars(select(AuditEntry).where(*where)
                                   .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).offset(offset).limit(limit)))
    names = audit.who(session, [e.actor for e in entries]
                      + [f"person:{e.object_id}" for e in entries if e.object_type == "person"])
    audiences = audience.labels(session, [spec for e in entries for side in (e.before, e.after)
                                          if isinstance(side, dict) and isinstance(side.get("to"), list)
                                          for spec in side["to"] if isinstance(spec, str)])
    found = _id_names(session, {pair for e in entries for side in (e.before, e.after) for pair in words.ids_in(side)}
                      | {(e.object_type, int(e.object_id)) for e in entries
                         if e.object_type in NAMED_OBJECTS and e.object_id.isdigit()})
    rows = []
    for e in entries:
        rows.append({"id": e.id, "at": format_local(e.at, policy), "actor": e.actor,
                     "actor_name": names.get(e.actor, e.actor),
                     "action": e.action, "action_label": words.action_label(e.action),
                     "object_type": e.object_type, "object_id": e.object_id,
                     "object_label": _object_label(e, names, found),
                     "before": e.before, "after": e.after,
                     "changes": words.changes(e.before, e.after, policy, object_type=e.object_type,
                                              audiences=audiences, names=found)})
    return rows, total


#: The numbered objects whose entries read by what they are about, not by their id.
NAMED_OBJECTS = frozenset({"cycle", "evaluation", "summary", "objection", "annual_result", "notice", "filing",
                           "spot_check"})


def _person_and_cycle(model, ids: set[int]):
    """A per-person-per-quarter row (评鉴表, 登记表) as 张三（K001） 县财政局 2026年第4季度."""
    return select(model.id, Person.name + "（" + Person.staff_no + "）", Unit.name, Cycle.year, Cycle.quarter) \
        .join(Person, Person.id == model.person_id).join(Cycle, Cycle.id == model.cycle_id) \
        .join(Unit, Unit.id == Cycle.unit_id).where(model.id.in_(ids))


def _id_names(session: Session, pairs: set[tuple]) -> dict[tuple, str]:
    """The names of the people, units, cycles, tiers, sections, indicators, 评鉴表, 登记表, 异议, annual grades, spot
    checks, notices and filings a page's entries refer to by id, and of the people they name by ref
    (``person:K001``): one query per kind."""
    models = {"person": Person, "unit": Unit, "tier": Tier, "section": Section, "indicator": Indicator}
    refs = audit.who(session, [ref for kind, ref in pairs if kind == "ref"])
    out: dict[tuple, str] = {("ref", ref): name for ref, name in refs.items()}
    ids_of = {kind: {i for k, i in pairs if k == kind} for kind in {k for k, _ in pairs if k != "ref"}}
    for kind, ids in ids_of.items():
        if kind == "person":
            rows = session.execute(select(Person.id, Person.name + "（" + Person.staff_no + "）")
                                   .where(Person.id.in_(ids)))
        elif kind == "cycle":
            rows = [(i, f"{unit} {cycle_label(year, quarter)}") for i, unit, year, quarter in session.execute(
                select(Cycle.id, Unit.name, Cycle.year, Cycle.quarter).join(Unit, Unit.id == Cycle.unit_id)
                .where(Cycle.id.in_(ids)))]
        elif kind in ("evaluation", "summary"):
            rows = [(i, f"{who} {unit} {cycle_label(year, quarter)}") for i, who, unit, year, quarter
                    in session.execute(_person_and_cycle(Evaluation if kind == "evaluation" else Summary, ids))]
        elif kind == "objection":
            rows = [(i, f"{who} " + (cycle_label(year, quarter) if year else f"{annual_year}年度"))
                    for i, who, year, quarter, annual_year in session.execute(
                        select(Objection.id, Person.name + "（" + Person.staff_no + "）", Cycle.year, Cycle.quarter,
                               AnnualResult.year).join(Person, Person.id == Objection.person_id)
                        .outerjoin(Cycle, Cycle.id == Objection.cycle_id)
                        .outerjoin(AnnualResult, AnnualResult.id == Objection.annual_result_id)
                        .where(Objection.id.in_(ids)))]
        elif kind == "annual_result":
            rows = [(i, f"{who} {year}年度") for i, who, year in session.execute(
                select(AnnualResult.id, Person.name + "（" + Person.staff_no + "）", AnnualResult.year)
                .join(Person, Person.id == AnnualResult.person_id).where(AnnualResult.id.in_(ids)))]
        elif kind == "spot_check":
            rows = [(i, cycle_label(year, quarter)) for i, year, quarter in session.execute(
                select(SpotCheck.id, SpotCheck.year, SpotCheck.quarter).where(SpotCheck.id.in_(ids)))]
        elif kind == "notice":
            rows = [(i, f"《{title}》") for i, title in session.execute(
                select(Notice.id, Notice.title).where(Notice.id.in_(ids)))]
        elif kind == "filing":
            rows = [(i, f"{unit} {year}年" + (f"第{quarter}季度" if quarter else "") + FILING_KINDS.get(k, k))
                    for i, unit, year, quarter, k in session.execute(
                        select(Filing.id, Unit.name, Filing.year, Filing.quarter, Filing.kind)
                        .join(Unit, Unit.id == Filing.unit_id).where(Filing.id.in_(ids)))]
        elif kind in models:
            rows = session.execute(select(models[kind].id, models[kind].name).where(models[kind].id.in_(ids)))
        else:
            continue
        out.update({(kind, i): text for i, text in rows})
    return out


def _object_label(entry: AuditEntry, names: dict[str, str], found: dict[tuple, str]) -> str:
    """人员 张三（K001） for a person; 季度考核 县财政局 2026年第4季度 for a cycle; 评鉴表 张三（K001） 县财政局 2026年第4季度
    for a 评鉴表 or 登记表; 通知 《…》 for a notice; 备案 县财政局 2026年第4季度结果一览表 for a filing; 抽查 2026年第4季度;
    加扣分事项 #3 for another numbered object (the id the other pages link by) or one since deleted; 管理员账号 jiaotong-hr
    for a named one."""
    kind = words.object_label(entry.object_type)
    if entry.object_type == "person":
        return f"{kind} {names.get(f'person:{entry.object_id}', entry.object_id)}"
    if entry.object_id.isdigit() and (entry.object_type, int(entry.object_id)) in found:
        return f"{kind} {found[(entry.object_type, int(entry.object_id))]}"
    return f"{kind} #{entry.object_id}" if entry.object_id.isdigit() else f"{kind} {entry.object_id}"
