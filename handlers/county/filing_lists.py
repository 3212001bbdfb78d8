"""Filings as the console lists them: with the unit's name, filtered by state, kind and unit, paged; and one
filing with what was filed. The county office sees every unit's; unit HR its own units' (others: 404)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.policy import Policy
from models import Filing, Tier, Unit
from models.cycle import period_label
from models.rules import states
from models.rules.calendar import format_local

from handlers.identity.access import filing_for_viewer
from handlers import audit
from handlers.actor import Actor
from handlers.errors import InvalidInput, NotFound
from handlers.county.filings import filing_view
from handlers.county.oversight import FILING_KINDS
from handlers.quarter.publishing import CHANGED_LABEL, changed_view


def filing_rows(session: Session, actor: Actor, policy: Policy, *, offset: int = 0, limit: int = 50,
                state: str | None = None, kind: str | None = None, unit_name: str | None = None,
                year: int | None = None) -> tuple[list[dict], int]:
    """Submitted filings first (what waits for review), then newest; ``(rows, total)``."""
    if state and state not in states.FILING.labels:
        raise InvalidInput("备案状态无效")
    if kind and kind not in FILING_KINDS:
        raise InvalidInput("备案类型无效")
    q = select(Filing, Unit.name).join(Unit, Unit.id == Filing.unit_id)
    if not actor.is_county:
        q = q.where(Filing.unit_id.in_(sorted(actor.admin_units) or [-1]))
    if unit_name:
        unit_id = session.scalar(select(Unit.id).where(Unit.name == unit_name))
        if unit_id is None or not actor.can_view_unit(unit_id):
            raise NotFound(f"找不到单位“{unit_name}”")
        q = q.where(Filing.unit_id == unit_id)
    for column, value in ((Filing.state, state), (Filing.kind, kind), (Filing.year, year)):
        if value:
            q = q.where(column == value)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    waiting_first = (Filing.state != "submitted")
    rows = session.execute(q.order_by(waiting_first, Filing.submitted_at.desc(), Filing.id.desc())
                           .offset(offset).limit(limit)).all()
    return [{"id": f.id, "unit": unit, "kind": f.kind, "kind_label": FILING_KINDS.get(f.kind, f.kind),
             "year": f.year, "quarter": f.quarter, "state": f.state, "state_label": states.FILING.label(f.state),
             "submitted_at": format_local(f.submitted_at, policy), "submitted_by": f.submitted_by,
             "reviewed_at": format_local(f.reviewed_at, policy), "return_reason": f.return_reason,
             "changed": f.changed_at is not None, "changed_label": CHANGED_LABEL if f.changed_at is not None else ""}
            for f, unit in rows], total


def filing_detail(session: Session, actor: Actor, policy: Policy, filing_id: int) -> dict:
    filing = filing_for_viewer(session, actor, filing_id)
    view = filing_view(filing, session.get(Unit, filing.unit_id).name)
    detail = {**view, "kind_label": FILING_KINDS.get(filing.kind, filing.kind),
              "period": period_label(filing.year, filing.quarter),
              "submitted_at": format_local(filing.submitted_at, policy), "submitted_by": filing.submitted_by,
              "reviewed_at": format_local(filing.reviewed_at, policy), "reviewed_by": filing.reviewed_by,
              **changed_view(filing, policy)}
    return audit.with_names(session, detail, "submitted_by", "reviewed_by")


def tier_names(session: Session) -> list[str]:
    """The tier names in use across units (an audience choice for notices)."""
    return list(session.scalars(select(Tier.name).distinct().order_by(Tier.name)))
