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
from handlers.errors import InvalidInput, NotFound
from handlers.identity.scope import require_county

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
    names = audit.who(session, [e.actor for e in entries])
    rows = []
    for e in entries:
        rows.append({"id": e.id, "at": format_local(e.at, policy), "actor": e.actor,
                     "actor_name": names.get(e.actor, e.actor),
                     "action": e.action, "object_type": e.object_type, "object_id": e.object_id,
                     "before": e.before, "after": e.after})
    return rows, total
