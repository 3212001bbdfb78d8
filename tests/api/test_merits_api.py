"""加扣分、负面清单与问责 over HTTP: unit HR records with evidence, the county office approves, the committee's grade
is refused naming the item and its period, the score sheet shows the applied items; bad input is a Chinese 4xx."""
from __future__ import annotations

import base64
import hashlib
from datetime import date

import pytest
from sqlalchemy import select

from handlers.actor import system_actor
from handlers.quarter.cycles import open_cycle
from models import AuditEntry, Evaluation, MeritEvent
from tests import factories as f

V1 = "/api/v1"
PDF = b"%PDF-1.4\n" + b"z" * 3000


def body(staff_no, code="W01", on="2026-08-10", evidence=PDF, name="诫勉决定书.pdf"):
    out = {"staff_no": staff_no, "item_code": code, "occurred_on": on, "description": "县纪委诫勉谈话"}
    if evidence is not None:
        out["evidence"] = {"name": name, "content_base64": base64.b64encode(evidence).decode()}
    return out


@pytest.fixture
def deciding(session, policy, world):
    cycle = open_cycle(session, system_actor(), world.unit.id, 2026, 3, policy, today=date(2026, 9, 30))
    cycle.state = "deciding"
    session.commit()
    return cycle


def test_recorded_approved_and_the_committee_is_refused_with_the_item_and_period(callers, world, session, deciding):
    clerk = world.people["clerks"][0]
    r = callers["hr"].post(f"{V1}/merits", json=body(clerk.staff_no))
    assert r.status_code == 201, r.json
    event = r.json
    assert event["state"] == "pending" and event["item_name"] == "受到诫勉"
    assert event["evidence"]["sha256"] == hashlib.sha256(PDF).hexdigest() and event["evidence"]["size"] == len(PDF)
    assert event["period_to"] == "2027-02-09" and event["effect_labels"] == ["影响期内不得评为好", "年度不得评优秀"]

    r = callers["hr"].post(f"{V1}/merits/{event['id']}/review", json={"approve": True})
    assert r.status_code == 403 and r.json["message"] == "只有县公务员办可以审核加扣分事项"
    r = callers["county"].post(f"{V1}/merits/{event['id']}/review", json={"approve": False})
    assert r.status_code == 422 and r.json["message"] == "不予通过时请填写原因"
    r = callers["county"].post(f"{V1}/merits/{event['id']}/review", json={"approve": True, "note": "属实"})
    assert r.status_code == 200 and r.json["state"] == "approved"

    r = callers["hr"].put(f"{V1}/cycles/{deciding.id}/decision/meeting",
                          json={"meeting_on": "2026-10-12", "attendees": "党组全体成员"})
    assert r.status_code == 200
    person = next(p for t in r.json["tiers"] for p in t["people"] if p["staff_no"] == clerk.staff_no)
    assert person["allowed_grades"] == ["较好", "一般", "较差"]
    assert person["blocks"][0]["text"] == "受到诫勉（2026-08-10，影响期 2026-08-10 至 2027-02-09），影响期内不得评为好"
    r = callers["hr"].post(f"{V1}/cycles/{deciding.id}/decision/grades",
                           json={"grades": [{"evaluation_id": person["evaluation_id"], "grade": "好"}]})
    assert r.status_code == 409 and r.json["code"] == "merit_blocked"
    assert r.json["message"].startswith("干事1受到诫勉（2026-08-10，影响期 2026-08-10 至 2027-02-09），影响期内不得评为好")
    assert session.scalar(select(Evaluation.final_grade).where(Evaluation.id == person["evaluation_id"])) is None
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {"merit.record", "merit.review", "decision.refused"} <= actions


def test_the_list_and_the_evidence_follow_who_may_see_the_person(callers, world):
    clerk = world.people["clerks"][1]
    event = callers["hr"].post(f"{V1}/merits", json=body(clerk.staff_no)).json
    assert [e["id"] for e in callers["hr"].get(f"{V1}/merits?staff_no={clerk.staff_no}").json["items"]] == [event["id"]]
    assert callers["o_hr"].get(f"{V1}/merits").json["items"] == []
    assert callers["county"].get(f"{V1}/merits?state=pending").json["total"] == 1
    r = callers["clerks"][1].get(f"{V1}/merits/{event['id']}/evidence")
    assert r.status_code == 200 and r.data == PDF and r.headers["Content-Type"] == "application/pdf"
    assert "attachment" in r.headers["Content-Disposition"]
    for other in (callers["clerks"][2], callers["o_hr"]):
        r = other.get(f"{V1}/merits/{event['id']}/evidence")
        assert r.status_code == 404 and r.json["message"] == "找不到该加扣分事项"
    r = callers["o_hr"].post(f"{V1}/merits", json=body(clerk.staff_no))
    assert r.status_code == 404 and r.json["message"] == "找不到该人员"
    r = callers["o_hr"].post(f"{V1}/merits", json=body("NOBODY"))  # the same answer: numbers cannot be probed
    assert r.status_code == 404 and r.json["message"] == "找不到该人员"


@pytest.mark.parametrize("change, status, message", [
    ({"item_code": "X99"}, 422, "加扣分目录中没有编号为“X99”的事项，请从县里的目录中选择"),
    ({"evidence": {"name": "a.exe", "content_base64": base64.b64encode(b"MZ00").decode()}}, 422,
     "证明材料只能是 pdf、jpg、jpeg、png 格式，收到“a.exe”"),
    ({"evidence": {"name": "a.pdf", "content_base64": "***"}}, 422, "证明材料内容不是有效的 Base64 编码"),
    ({"evidence": None}, 422, "“受到诫勉”须上传证明材料（诫勉决定书）"),
    ({"occurred_on": "2026-13-01"}, 422, "请求内容不正确：occurred_on 日期格式应为 YYYY-MM-DD"),
])
def test_bad_input_is_a_chinese_refusal(callers, world, session, change, status, message):
    r = callers["hr"].post(f"{V1}/merits", json={**body(world.people["clerks"][0].staff_no), **change})
    assert r.status_code == status and r.json["message"] == message
    assert session.scalar(select(MeritEvent.id)) is None


def test_over_the_cap_is_refused(callers, world):
    staff_no = world.people["clerks"][3].staff_no
    for day in ("2026-08-01", "2026-08-02"):
        assert callers["hr"].post(f"{V1}/merits", json=body(staff_no, "J01", day)).status_code == 201
    r = callers["hr"].post(f"{V1}/merits", json=body(staff_no, "J01", "2026-08-03"))
    assert r.status_code == 422 and r.json["code"] == "over_cap" and "已达上限 2 分" in r.json["message"]


def test_the_score_sheet_shows_the_applied_items_in_the_total(callers, world, session, policy):
    clerk = world.people["clerks"][4]
    cycle = open_cycle(session, system_actor(), world.unit.id, 2026, 3, policy, today=date(2026, 9, 30))
    cycle.state = "scoring"
    f.excuse_missing_summaries(session, cycle)
    session.commit()
    event = callers["hr"].post(f"{V1}/merits", json=body(clerk.staff_no, "J02", "2026-08-01", name="证书.pdf")).json
    callers["county"].post(f"{V1}/merits/{event['id']}/review", json={"approve": True})
    e = session.scalar(select(Evaluation).where(Evaluation.person_id == clerk.id))
    scorer = callers["boss"]
    detail = scorer.get(f"{V1}/evaluations/{e.id}").json
    taps = [{"indicator_id": i["id"], "points": i["points"]} for i in detail["indicators"]]
    taps[-1]["points"] -= 10
    r = scorer.put(f"{V1}/evaluations/{e.id}/scores", json={"scores": taps}, headers={"If-Match": f'"{e.version}"'})
    assert r.status_code == 200, r.json
    assert (r.json["indicator_total"], r.json["adjustments_total"], r.json["total"]) == (90, 2, 92)
    result = scorer.get(f"{V1}/evaluations/{e.id}").json["result"]  # the detail names each applied item
    assert result["total"] == 92 and result["adjustments"][0]["text"] == "受到市级以上表彰奖励（2026-08-01）+2 分"


def test_the_catalogue_and_the_openapi_document(callers, api):
    catalogue = callers["hr"].get(f"{V1}/merits/catalogue").json
    assert catalogue["require_approval"] and {i["code"] for i in catalogue["items"]} >= {"J01", "W01", "W03", "W04"}
    doc = api.get(f"{V1}/openapi.json").json
    assert {f"{V1}/merits", f"{V1}/merits/catalogue", f"{V1}/merits/{{event_id}}/review",
            f"{V1}/merits/{{event_id}}/evidence"} <= \
        set(doc["paths"])
