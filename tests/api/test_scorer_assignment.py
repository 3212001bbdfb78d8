"""Unit HR names who scores an evaluation; only someone the policy allows can be given the right to read and score.

Issue 14 item 2: HR of one unit could name a person of another unit (who then read the summary and scored) or
themself. Every path that sets ``evaluations.supervisor_id`` or grants a similar right is covered here."""
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from config.policy import AssignmentPolicy
from handlers.actor import actor_for_person, system_actor
from handlers.quarter.cycles import assign_supervisor, open_cycle
from handlers.errors import InvalidInput
from models import AuditEntry, Evaluation, Membership, RoleGrant, utcnow
from tests import factories as f
from tests.api.conftest import year_quarter

V1 = "/api/v1"


@pytest.fixture
def opened(session, policy, world):
    year, quarter = year_quarter()
    cycle = open_cycle(session, system_actor(), world.unit.id, year, quarter, policy, today=utcnow().date())
    session.commit()
    clerk = world.people["clerks"][0]
    evaluation = session.scalar(select(Evaluation).where(Evaluation.cycle_id == cycle.id,
                                                         Evaluation.person_id == clerk.id))
    return cycle, evaluation


def _refusals(session, evaluation_id):
    session.expire_all()
    return [a.after for a in session.scalars(select(AuditEntry).where(
        AuditEntry.action == "evaluation.assign_refused", AuditEntry.object_id == str(evaluation_id)))]


def test_unit_hr_cannot_name_a_person_of_another_unit_who_then_reads_and_scores(session, world, callers, opened):
    cycle, evaluation = opened
    outsider = world.people["o_boss"]  # a leader, but of 县税务局
    r = callers["hr"].put(f"{V1}/evaluations/{evaluation.id}/supervisor",
                          json={"supervisor_staff_no": outsider.staff_no})
    assert r.status_code == 422 and r.json["code"] == "scorer_not_in_unit"
    assert r.json["message"] == f"人员编号 {outsider.staff_no} 不是本单位在职人员，不能担任评鉴人"
    assert _refusals(session, evaluation.id) == [{"supervisor": outsider.staff_no, "reason": "scorer_not_in_unit"}]
    session.refresh(evaluation)
    assert evaluation.supervisor_id == world.people["boss"].id  # unchanged
    assert callers["o_boss"].get(f"{V1}/evaluations/{evaluation.id}").status_code == 404
    # an unknown number gets the very same answer: no probing other units' staff numbers
    r = callers["hr"].put(f"{V1}/evaluations/{evaluation.id}/supervisor", json={"supervisor_staff_no": "NOBODY1"})
    assert r.status_code == 422 and r.json["message"] == "人员编号 NOBODY1 不是本单位在职人员，不能担任评鉴人"


def test_unit_hr_cannot_name_themself_and_so_cannot_score(session, world, callers, opened):
    cycle, evaluation = opened
    hr = world.people["hr"]
    session.add(RoleGrant(person_id=hr.id, role="supervisor", unit_id=world.unit.id))  # even holding the role
    session.commit()
    r = callers["hr"].put(f"{V1}/evaluations/{evaluation.id}/supervisor", json={"supervisor_staff_no": hr.staff_no})
    assert r.status_code == 422 and r.json["code"] == "scorer_is_acting_admin"
    assert "不能把自己指定为评鉴人" in r.json["message"]
    assert _refusals(session, evaluation.id)[-1]["reason"] == "scorer_is_acting_admin"
    detail = callers["hr"].get(f"{V1}/evaluations/{evaluation.id}").json
    r = callers["hr"].put(f"{V1}/evaluations/{evaluation.id}/scores",
                          json={"scores": [{"indicator_id": detail["indicators"][0]["id"], "level": "优"}]},
                          headers={"If-Match": str(detail["version"])})
    assert r.status_code == 403  # as the documentation says: HR writing scores gets 403


def test_a_colleague_without_the_supervisor_role_or_the_evaluatee_is_refused(session, world, callers, opened):
    cycle, evaluation = opened
    colleague, me = world.people["clerks"][1], world.people["clerks"][0]
    r = callers["hr"].put(f"{V1}/evaluations/{evaluation.id}/supervisor",
                          json={"supervisor_staff_no": colleague.staff_no})
    assert r.status_code == 422 and r.json["code"] == "scorer_not_supervisor"
    assert callers["clerks"][1].get(f"{V1}/evaluations/{evaluation.id}").status_code == 404
    r = callers["hr"].put(f"{V1}/evaluations/{evaluation.id}/supervisor", json={"supervisor_staff_no": me.staff_no})
    assert r.status_code == 409 and r.json["code"] == "self_supervision"
    assert [a["reason"] for a in _refusals(session, evaluation.id)] == ["scorer_not_supervisor", "self_supervision"]


def test_a_supervisor_of_the_unit_is_accepted_and_scores(session, world, callers, opened):
    cycle, evaluation = opened
    r = callers["hr"].put(f"{V1}/evaluations/{evaluation.id}/supervisor",
                          json={"supervisor_staff_no": world.people["deputy"].staff_no})
    assert r.status_code == 200
    assert callers["deputy"].get(f"{V1}/evaluations/{evaluation.id}").status_code == 200
    assert callers["boss"].get(f"{V1}/evaluations/{evaluation.id}").status_code == 404


def test_the_policy_may_let_the_acting_hr_officer_score(session, policy, world, opened):
    cycle, evaluation = opened
    hr = world.people["hr"]
    session.add(RoleGrant(person_id=hr.id, role="supervisor", unit_id=world.unit.id))
    session.flush()
    actor = actor_for_person(session, hr.id)
    with pytest.raises(InvalidInput, match="不能把自己指定为评鉴人"):
        assign_supervisor(session, actor, evaluation.id, hr.staff_no, policy)
    lenient = replace(policy, assignment=AssignmentPolicy(acting_admin_may_score=True))
    assert assign_supervisor(session, actor, evaluation.id, hr.staff_no, lenient).supervisor_id == hr.id


def test_opening_a_cycle_ignores_a_named_supervisor_of_another_unit(session, policy, world):
    """The roster's 分管领导 of another unit is not made the scorer: the unit's own leader is."""
    clerk = world.people["clerks"][0]
    m = session.scalar(select(Membership).where(Membership.person_id == clerk.id))
    m.supervisor_id = world.people["o_boss"].id
    session.flush()
    cycle = open_cycle(session, system_actor(), world.unit.id, 2026, 4, policy, today=date(2026, 12, 22))
    e = session.scalar(select(Evaluation).where(Evaluation.cycle_id == cycle.id, Evaluation.person_id == clerk.id))
    assert e.supervisor_id == world.people["boss"].id


def test_bind_codes_for_another_units_person_are_refused_and_audited(session, policy, world, callers):
    from handlers.identity.binding import issue_bind_code
    from handlers.errors import NotFound

    target = world.people["o_clerk"]
    r = callers["hr"].post(f"{V1}/units/{world.unit.id}/bind-codes", json={"staff_no": target.staff_no})
    assert r.status_code == 404
    hr = actor_for_person(session, world.people["hr"].id)
    with pytest.raises(NotFound, match=f"找不到人员编号为 {target.staff_no} 的人员") as exc:
        issue_bind_code(session, hr, target.staff_no, policy)  # the handler itself, for every caller
    assert exc.value.keep_changes
    reasons = [a.after["reason"] for a in session.scalars(select(AuditEntry).where(
        AuditEntry.action == "access.denied", AuditEntry.object_id == target.staff_no))]
    assert "bind_code_out_of_scope" in reasons
    assert issue_bind_code(session, hr, world.people["clerks"][0].staff_no, policy).code


def test_the_talk_holder_is_a_member_of_the_persons_unit(session, policy, world):
    from handlers.results.annual_uses import record_talk

    year, quarter = 2026, 1
    open_cycle(session, system_actor(), world.unit.id, year, quarter, policy, today=date(2026, 3, 31))
    hr = actor_for_person(session, world.people["hr"].id)
    clerk = world.people["clerks"][0]
    with pytest.raises(InvalidInput, match="不是该单位的在职人员") as exc:
        record_talk(session, hr, policy, clerk.staff_no, year, quarter, held_on=date(2026, 4, 2),
                    held_by_staff_no=world.people["o_boss"].staff_no)
    assert exc.value.keep_changes
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "talk.holder_refused")) is not None
    done = record_talk(session, hr, policy, clerk.staff_no, year, quarter, held_on=date(2026, 4, 2),
                       held_by_staff_no=world.people["deputy"].staff_no)
    assert done["staff_no"] == clerk.staff_no


def test_cli_assign_refuses_a_person_of_another_unit(session, policy, world, database_url):
    from click.testing import CliRunner

    from bot.cli import main

    year, quarter = year_quarter()
    open_cycle(session, system_actor(), world.unit.id, year, quarter, policy, today=utcnow().date())
    session.commit()
    result = CliRunner().invoke(main, ["cycle", "assign", "--unit", "县财政局", "--year", str(year), "--quarter",
                                       str(quarter), "--person", world.people["clerks"][0].staff_no,
                                       "--supervisor", world.people["o_boss"].staff_no],
                                env={"KAOHE_DATABASE_URL": database_url}, catch_exceptions=False)
    assert result.exit_code == 1 and "不是本单位在职人员，不能担任评鉴人" in result.output
