"""双备案: unit HR files the year's plan and roster (年初备案) and each quarter's changes (人员异动) with the county
office, which accepts or returns them. Each filing keeps a snapshot of what was filed. Results filing belongs to the
cycle workflow (the cycle's ``file`` step); its rows share the same table and review.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.policy import Policy
from models import Filing, Tier, Unit, utcnow
from models.rules import states
from models.rules.quota import quota_by_tier
from models.rules.scoring import RuleViolation

from handlers import audit

from handlers.outbound import follow_ups
from handlers.actor import Actor
from handlers.identity.changes import quarterly_changes
from handlers.results.documents.sheets import roster_filing_rows
from handlers.errors import InvalidInput, NotFound, from_rule
from handlers.identity.scope import check_period, require_county

KINDS = {"annual_plan": "年初方案及人员", "changes": "人员异动"}


def _own_unit(session: Session, actor: Actor, unit_name: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.name == unit_name))
    if unit is None or not actor.can_admin_unit(unit.id):
        raise NotFound(f"找不到单位“{unit_name}”")
    return unit


def _snapshot(session: Session, policy: Policy, unit: Unit, kind: str, year: int, quarter: int) -> dict:
    if kind == "annual_plan":
        roster = roster_filing_rows(session, unit, date(year, 1, 1))
        tiers: dict[str, int] = {}
        for r in roster:
            tiers[r[4]] = tiers.get(r[4], 0) + 1
        for name in session.scalars(select(Tier.name).where(Tier.unit_id == unit.id)):
            tiers.setdefault(name, 0)
        groups = quota_by_tier({t: (n, 0) for t, n in tiers.items()}, policy)
        return {"people": len(roster), "staff_nos": [r[1] for r in roster],
                "tiers": [{"tier": t, "people": n, "good_quota": groups[t].quota, "quota_group": groups[t].tier}
                          for t, n in tiers.items()]}
    changes = quarterly_changes(session, year, quarter, unit.id)
    return {"changes": [c.as_row() for c in changes], "count": len(changes)}


def submit_filing(session: Session, actor: Actor, policy: Policy, kind: str, unit_name: str, year: int,
                  quarter: int = 0) -> dict:
    """File (or re-file after a return) the annual plan + roster, or a quarter's change list. Audited."""
    if kind not in KINDS:
        raise InvalidInput("备案类型只能是 annual_plan（年初方案及人员）或 changes（人员异动）")
    check_period(year, quarter, need_quarter=kind == "changes")
    quarter = quarter if kind == "changes" else 0
    unit = _own_unit(session, actor, unit_name)
    payload = _snapshot(session, policy, unit, kind, year, quarter)
    filing = session.scalar(select(Filing).where(Filing.kind == kind, Filing.unit_id == unit.id, Filing.year == year,
                                                 Filing.quarter == quarter))
    before = None
    if filing is None:
        filing = Filing(kind=kind, unit_id=unit.id, year=year, quarter=quarter, state="submitted", payload=payload,
                        submitted_by=actor.ref, submitted_at=utcnow())
        session.add(filing)
    else:
        before = {"state": filing.state}
        try:
            filing.state = states.FILING.next_state(filing.state, "resubmit")
        except RuleViolation as violation:
            raise from_rule(violation) from None
        filing.payload, filing.submitted_by, filing.submitted_at = payload, actor.ref, utcnow()
        filing.return_reason = None
    session.flush()
    audit.record(session, actor, "filing.submit", "filing", filing.id, before,
                 {"kind": kind, "unit": unit.name, "year": year, "quarter": quarter, "state": filing.state})
    return filing_view(filing, unit.name)


def review_filing(session: Session, actor: Actor, filing_id: int, action: str, reason: str = "") -> dict:
    """The county office accepts or returns a filing (a return needs a reason). Audited."""
    require_county(actor)
    filing = session.get(Filing, filing_id)
    if filing is None:
        raise NotFound(f"找不到编号为 {filing_id} 的备案")
    if action not in ("accept", "return"):
        raise InvalidInput("审核只能是 accept（通过）或 return（退回）")
    if filing.kind not in KINDS:  # a results filing: its return reopens the decision (publishing)
        from handlers.quarter.publishing import review_filing as review_results

        review_results(session, actor, filing_id, action == "accept", reason)
        return filing_view(filing, session.get(Unit, filing.unit_id).name)
    if action == "return" and not reason.strip():
        raise InvalidInput("退回备案需要说明原因")
    try:
        new_state = states.FILING.next_state(filing.state, action)
    except RuleViolation as violation:
        raise from_rule(violation) from None
    before = {"state": filing.state}
    filing.state, filing.reviewed_by, filing.reviewed_at = new_state, actor.ref, utcnow()
    filing.return_reason = reason.strip() if action == "return" else None
    session.flush()
    audit.record(session, actor, f"filing.{action}", "filing", filing.id, before,
                 {"state": new_state, "reason": filing.return_reason})
    follow_ups.tell_filing_reviewed(session, filing)
    return filing_view(filing, session.get(Unit, filing.unit_id).name)


def filing_view(filing: Filing, unit_name: str) -> dict:
    kind = KINDS.get(filing.kind, "结果备案")
    return {"id": filing.id, "kind": filing.kind, "label": kind, "unit": unit_name, "year": filing.year,
            "quarter": filing.quarter, "state": filing.state, "state_label": states.FILING.label(filing.state),
            "return_reason": filing.return_reason, "payload": filing.payload}
