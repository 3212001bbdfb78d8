"""The API's leave and secondment endpoints: unit HR records leave days (all or nothing, a Chinese error per entry,
never a 500), long leave marks 不定等次 in the open quarter, the evaluation detail carries the quarter's leave days
beside the 勤 indicator; secondments are recorded and listed; another unit's HR gets 404."""
import pytest
from sqlalchemy import select

from handlers.actor import system_actor
from handlers.quarter.cycles import open_cycle
from models import AuditEntry, Evaluation, utcnow
from tests.api.conftest import year_quarter

V1 = "/api/v1"


@pytest.fixture
def opened(session, policy, world):
    year, quarter = year_quarter()
    cycle = open_cycle(session, system_actor(), world.unit.id, year, quarter, policy, today=utcnow().date())
    session.commit()
    return cycle


def test_hr_records_leave_long_leave_is_not_graded_and_the_scorer_sees_the_days(session, world, callers, opened):
    year, quarter = year_quarter()
    clerks = world.people["clerks"]
    r = callers["hr"].post(f"{V1}/units/{world.unit.id}/leave", json={"entries": [
        {"staff_no": clerks[0].staff_no, "year": year, "quarter": quarter, "days": 46},
        {"staff_no": clerks[1].staff_no, "year": year, "quarter": quarter, "days": 3.5, "note": "事假"}]})
    assert r.status_code == 200, r.json
    assert r.json["saved"] == 2 and r.json["marked"] == [f"{clerks[0].name}（{clerks[0].staff_no}）"]
    evaluations = {e.person_id: e for e in session.scalars(select(Evaluation).where(Evaluation.cycle_id == opened.id))}
    assert evaluations[clerks[0].id].not_graded_reason == "本季度请假累计超过45天，不确定等次"

    detail = callers["boss"].get(f"{V1}/evaluations/{evaluations[clerks[1].id].id}")
    assert detail.status_code == 200 and detail.json["leave_days"] == 3.5
    beside = [i for i in detail.json["indicators"] if i["id"] == detail.json["leave_indicator_id"]]
    assert beside and beside[0]["dimension"] == "勤"
    listed = callers["hr"].get(f"{V1}/units/{world.unit.id}/leave?year={year}&quarter={quarter}")
    assert listed.status_code == 200 and {x["days"] for x in listed.json["items"]} == {46, 3.5}
    assert session.query(AuditEntry).filter_by(action="leave.record").count() == 2


def test_a_wrong_entry_is_a_chinese_422_and_nothing_is_saved(session, world, callers, opened):
    year, quarter = year_quarter()
    clerk = world.people["clerks"][0]
    r = callers["hr"].post(f"{V1}/units/{world.unit.id}/leave", json={"entries": [
        {"staff_no": clerk.staff_no, "year": year, "quarter": quarter, "days": 1},
        {"staff_no": world.people["o_clerk"].staff_no, "year": year, "quarter": quarter, "days": 1.2}]})
    assert r.status_code == 422 and r.json["code"] == "leave_invalid"
    text = "\n".join(r.json["details"]["errors"])
    assert "第 2 行「请假天数」：请假天数以 0.5 天为单位" in text and "不在县财政局" in text
    assert session.query(AuditEntry).filter_by(action="leave.record").count() == 0
    r = callers["hr"].post(f"{V1}/units/{world.unit.id}/leave", json={"entries": [
        {"staff_no": clerk.staff_no, "year": year, "quarter": quarter, "days": "3"}]})
    assert r.status_code == 422 and r.json["message"]
    assert callers["hr"].post(f"{V1}/units/{world.unit.id}/leave", json={"entries": []}).status_code == 422


def test_another_units_hr_and_a_clerk_are_refused(world, callers, opened):
    year, quarter = year_quarter()
    body = {"entries": [{"staff_no": world.people["clerks"][0].staff_no, "year": year, "quarter": quarter,
                         "days": 1}]}
    assert callers["o_hr"].post(f"{V1}/units/{world.unit.id}/leave", json=body).status_code == 404
    assert callers["clerk"].post(f"{V1}/units/{world.unit.id}/leave", json=body).status_code == 404
    assert callers["o_hr"].get(f"{V1}/units/{world.unit.id}/secondments").status_code == 404


def test_a_secondment_through_the_api(session, world, callers):
    clerk = world.people["clerks"][2]
    body = {"staff_no": clerk.staff_no, "host_unit": "县税务局", "start_on": "2026-01-01", "end_on": "2026-06-30"}
    r = callers["hr"].post(f"{V1}/units/{world.unit.id}/secondments", json=body)
    assert r.status_code == 201 and "由县税务局考核的季度：2026年第1季度、2026年第2季度" in r.json["notes"]
    again = callers["hr"].post(f"{V1}/units/{world.unit.id}/secondments", json=body)
    assert again.status_code == 409 and "借调期不能重叠" in again.json["message"]
    host = callers["o_hr"].get(f"{V1}/units/{world.other_unit.id}/secondments")
    assert host.status_code == 200 and host.json["items"][0]["direction"] == "in"
    bad = callers["hr"].post(f"{V1}/units/{world.unit.id}/secondments", json={**body, "start_on": "2026-02-30"})
    assert bad.status_code == 422


def test_a_secondment_is_edited_and_ended_early_through_the_api(session, policy, world, callers):
    from datetime import date

    from models import Cycle
    from models.leave import Secondment

    clerk = world.people["clerks"][3]
    body = {"staff_no": clerk.staff_no, "host_unit": "县税务局", "start_on": "2026-01-01", "end_on": "2026-12-31"}
    assert callers["hr"].post(f"{V1}/units/{world.unit.id}/secondments", json=body).status_code == 201
    sid = session.scalar(select(Secondment.id))
    q1 = open_cycle(session, system_actor(), world.other_unit.id, 2026, 1, policy, today=date(2026, 3, 25))
    session.get(Cycle, q1.id).state = "filed"  # the host decided and filed 2026 Q1
    session.commit()

    assert callers["clerk"].put(f"{V1}/secondments/{sid}", json={"reason": "x", "end_on": "2026-09-30"}
                                  ).status_code == 404
    nothing = callers["hr"].put(f"{V1}/secondments/{sid}", json={"reason": "核对"})
    assert nothing.status_code == 422 and nothing.json["code"] == "no_change"
    r = callers["hr"].put(f"{V1}/secondments/{sid}", json={"reason": "借调单位写错", "host_unit": "县委组织部"})
    assert r.status_code == 409 and r.json["code"] == "quarter_decided"
    assert "2026年第1季度县税务局已审定等次" in r.json["message"]
    r = callers["o_hr"].put(f"{V1}/secondments/{sid}", json={"reason": "补充备注", "note": "协助税源普查"})
    assert r.status_code == 200 and r.json["note"] == "协助税源普查" and r.json["end_on"] == "2026-12-31", r.json

    r = callers["hr"].post(f"{V1}/secondments/{sid}/end", json={"reason": "提前回原单位", "end_on": "2026-02-10"})
    assert r.status_code == 409 and r.json["code"] == "quarter_decided"
    r = callers["hr"].post(f"{V1}/secondments/{sid}/end", json={"end_on": "2026-07-31"})
    assert r.status_code == 422
    r = callers["hr"].post(f"{V1}/secondments/{sid}/end", json={"reason": "工作需要提前结束", "end_on": "2026-07-31"})
    assert r.status_code == 200, r.json
    assert (r.json["end_on"], r.json["ended_on"], r.json["end_reason"]) == ("2026-07-31", "2026-07-31", "工作需要提前结束")
    assert r.json["notes"][0] == "由县税务局考核的季度：2026年第1季度、2026年第2季度"
    for caller, unit in ((callers["hr"], world.unit), (callers["o_hr"], world.other_unit)):
        [row] = caller.get(f"{V1}/units/{unit.id}/secondments").json["items"]
        assert (row["end_on"], row["ended_on"], row["end_reason"]) == ("2026-07-31", "2026-07-31", "工作需要提前结束")
    again = callers["o_hr"].post(f"{V1}/secondments/{sid}/end", json={"reason": "再结束"})
    assert again.status_code == 409 and again.json["code"] == "already_ended"
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "secondment")
                              .order_by(AuditEntry.id)).all()
    assert actions == ["secondment.create", "access.denied", "secondment.edit", "secondment.end"]  # the clerk's 404
