"""Reading the audit log (county office): filtered by person, unit and action, newest first, paged.

The log stores who acted (``person:<人员编号>`` or ``system:…``) and the object, not a unit; "by unit" therefore
means entries made by anyone who ever belonged to the unit, or about the unit's cycles and filings.
"""
from __future__ import annotations

from sqlalchemy import String, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from config.policy import Policy
from models import AuditEntry, Cycle, Filing, Membership, Person, Unit
from models.rules.calendar import format_local

from handlers import audit
from handlers.actor import Actor
from handlers.county import audit_names
from handlers.county import audit_words as words
from handlers.errors import InvalidInput, NotFound
from handlers.identity.scope import require_county
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
    found = audit_names.names_of(
        session, {pair for e in entries for side in (e.before, e.after) for pair in words.ids_in(side)}
        | {(e.object_type, int(e.object_id)) for e in entries if e.object_type != "person" and e.object_id.isdigit()})
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


def _object_label(entry: AuditEntry, names: dict[str, str], found: dict[tuple, str]) -> str:
    """人员 张三（K001） for a person; 季度考核 县财政局 2026年第4季度 for a cycle; 评鉴表 张三（K001） 县财政局 2026年第4季度
    for a 评鉴表 or 登记表; 通知 《…》 for a notice; … (``audit_names``); 评鉴表 #3 for a row since deleted; 管理员账号
    jiaotong-hr for an object stored by its name."""
    kind = words.object_label(entry.object_type)
    if entry.object_type == "person":
        return f"{kind} {names.get(f'person:{entry.object_id}', entry.object_id)}"
    if entry.object_id.isdigit() and (entry.object_type, int(entry.object_id)) in found:
        return f"{kind} {found[(entry.object_type, int(entry.object_id))]}"
    return f"{kind} #{entry.object_id}" if entry.object_id.isdigit() else f"{kind} {entry.object_id}"
