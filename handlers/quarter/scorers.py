"""Checking a person named as an evaluation's scorer (评鉴人) against the policy, for every path that sets
``evaluations.supervisor_id``: the API's and the CLI's reassignment (``cycles.assign_supervisor``).

A refusal is audited (``evaluation.assign_refused``) and the audit row is kept although the request fails.
"""
from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from config.policy import Policy
from models import Membership, Person, RoleGrant
from models.rules.assignment import ScorerFacts, scorer_refusal

from handlers import audit
from handlers.actor import Actor
from handlers.errors import Conflict, InvalidInput


def scorer_facts(session: Session, actor: Actor, unit_id: int, evaluatee_id: int, staff_no: str) -> tuple[
        ScorerFacts, Person | None]:
    person = session.scalar(select(Person).where(Person.staff_no == staff_no))
    if person is None:
        return ScorerFacts(staff_no, False, False, False, False, False), None
    membership = session.scalar(select(Membership).where(Membership.person_id == person.id,
                                                         Membership.unit_id == unit_id, Membership.end_on.is_(None)))
    granted = session.scalar(select(exists().where(RoleGrant.person_id == person.id, RoleGrant.role == "supervisor",
                                                   RoleGrant.unit_id == unit_id)))
    return ScorerFacts(
        staff_no=staff_no, active=person.status == "active", in_unit=membership is not None,
        supervisor_role=membership is not None and (membership.is_leader or bool(granted)),
        is_evaluatee=person.id == evaluatee_id,
        is_acting_admin=actor.person_id == person.id and unit_id in actor.admin_units,
    ), person


def allowed_scorer(session: Session, actor: Actor, policy: Policy, *, unit_id: int, evaluation_id: int,
                   evaluatee_id: int, staff_no: str) -> Person:
    """The person to assign, or an audited refusal (409 for the evaluatee, 422 for anyone else not allowed)."""
    facts, person = scorer_facts(session, actor, unit_id, evaluatee_id, staff_no)
    refusal = scorer_refusal(facts, policy.assignment)
    if refusal is None and person is not None:
        return person
    assert refusal is not None
    audit.record(session, actor, "evaluation.assign_refused", "evaluation", evaluation_id, None,
                 {"supervisor": staff_no, "reason": refusal.code})
    cls = Conflict if refusal.code == "self_supervision" else InvalidInput
    raise cls(refusal.message, refusal.code).keeping_changes()
