"""Optimistic concurrency (If-Match → 412/428) and bad request bodies (always 4xx with a Chinese message)."""
import threading

import pytest
from sqlalchemy import select

from tests import factories as f
from handlers.actor import system_actor
from handlers.quarter.cycles import open_cycle, transition
from models import AuditEntry, Evaluation, utcnow

from .conftest import year_quarter

V1 = "/api/v1"


@pytest.fixture
def scoring(session, policy, world, callers):
    year, quarter = year_quarter()
    cycle = open_cycle(session, system_actor(), world.unit.id, year, quarter, policy, today=utcnow().date())
    transition(session, system_actor(), cycle, "start_scoring")
    f.excuse_missing_summaries(session, cycle)
    session.commit()
    clerk = world.people["clerks"][0]
    eid = session.scalar(select(Evaluation.id).where(Evaluation.cycle_id == cycle.id, Evaluation.person_id == clerk.id))
    detail = callers["boss"].get(f"{V1}/evaluations/{eid}").json
    return dict(eid=eid, version=detail["version"], ind=[i["id"] for i in detail["indicators"]],
                points=[i["points"] for i in detail["indicators"]], cycle=cycle.id)


def test_two_saves_with_the_same_version_one_wins(scoring, callers):
    boss = callers["boss"]
    url = f"{V1}/evaluations/{scoring['eid']}/scores"
    v = str(scoring["version"])
    first = boss.put(url, json={"scores": [{"indicator_id": scoring["ind"][0], "points": 8}]}, headers={"If-Match": v})
    second = boss.put(url, json={"scores": [{"indicator_id": scoring["ind"][0], "points": 2}]}, headers={"If-Match": v})
    assert first.status_code == 200 and first.headers["ETag"] == f'"{scoring["version"] + 1}"'
    assert second.status_code == 412 and second.json["code"] == "version_mismatch" and "刷新" in second.json["message"]
    after = boss.get(f"{V1}/evaluations/{scoring['eid']}").json
    assert after["result"]["scores"] == {str(scoring["ind"][0]): 8.0}  # the loser did not overwrite


def test_two_saves_at_the_same_moment(scoring, api_app, callers):
    """Two phones, same version, truly concurrent: exactly one save lands."""
    token = callers["boss"].token
    url = f"{V1}/evaluations/{scoring['eid']}/scores"
    barrier = threading.Barrier(2)
    results = []

    def save(points):
        client = api_app.test_client()
        barrier.wait()
        r = client.put(url, json={"scores": [{"indicator_id": scoring["ind"][1], "points": points}]},
                       headers={"Authorization": f"Bearer {token}", "If-Match": str(scoring["version"])})
        results.append((r.status_code, points))

    threads = [threading.Thread(target=save, args=(p,)) for p in (3, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(s for s, _ in results) == [200, 412]
    winner = next(p for s, p in results if s == 200)
    after = callers["boss"].get(f"{V1}/evaluations/{scoring['eid']}").json
    assert after["result"]["scores"] == {str(scoring["ind"][1]): float(winner)} and after["version"] == scoring["version"] + 1


def test_missing_if_match_is_428_and_garbage_is_422(scoring, callers):
    boss = callers["boss"]
    url = f"{V1}/evaluations/{scoring['eid']}/scores"
    body = {"scores": [{"indicator_id": scoring["ind"][0], "points": 8}]}
    r = boss.put(url, json=body)
    assert r.status_code == 428 and r.json["code"] == "version_required"
    r = boss.put(url, json=body, headers={"If-Match": "abc"})
    assert r.status_code == 422 and r.json["code"] == "bad_if_match"
    assert boss.put(url, json=body, headers={"If-Match": f'W/"{scoring["version"]}"'}).status_code == 200


def test_summary_autosave_from_two_phones(callers, scoring):
    # the cycle is already in scoring: summaries are closed, so use a fresh open cycle's clerk in another unit
    clerk = callers["o_clerk"]
    assert clerk.get(f"{V1}/me/summary").status_code == 409  # no cycle open for that unit yet


def test_summary_two_phones_same_version(session, policy, world, callers):
    year, quarter = year_quarter()
    open_cycle(session, system_actor(), world.unit.id, year, quarter, policy, today=utcnow().date())
    session.commit()
    clerk = callers["clerk"]
    v = clerk.get(f"{V1}/me/summary").headers["ETag"]
    assert clerk.put(f"{V1}/me/summary", json={"paragraphs": ["手机一"]}, headers={"If-Match": v}).status_code == 200
    r = clerk.put(f"{V1}/me/summary", json={"paragraphs": ["手机二"]}, headers={"If-Match": v})
    assert r.status_code == 412 and r.json["code"] == "version_mismatch"
    assert clerk.get(f"{V1}/me/summary").json["paragraphs"] == ["手机一"]
    assert clerk.put(f"{V1}/me/summary", json={"paragraphs": ["x"]}).status_code == 428


BAD_SCORES = [
    ({"scores": [{"indicator_id": "1", "points": 8}]}, "invalid_body", "indicator_id"),  # wrong type
    ({"scores": [{"indicator_id": 1, "points": "8"}]}, "invalid_body", "points"),  # number as text
    ({"scores": [{"indicator_id": 1, "points": True}]}, "invalid_body", "points"),
    ({"scores": [{"indicator_id": 1, "points": 8, "comment": "x"}]}, "invalid_body", "comment"),  # unknown field
    ({"scores": [], "extra": 1}, "invalid_body", "extra"),
    ({"scores": []}, "invalid_body", "scores"),
    ({"scores": [{"indicator_id": 1, "points": 1000}]}, "invalid_body", "points"),
    ({"scores": [{"indicator_id": 1, "points": -1}]}, "invalid_body", "points"),
    ({"scores": "all"}, "invalid_body", "scores"),
    ([1, 2], "invalid_body", "(请求体)"),
]


@pytest.mark.parametrize("body,code,field", BAD_SCORES)
def test_bad_score_bodies(scoring, callers, body, code, field):
    r = callers["boss"].put(f"{V1}/evaluations/{scoring['eid']}/scores", json=body,
                            headers={"If-Match": str(scoring["version"])})
    assert r.status_code == 422 and r.json["code"] == code
    assert any(field in e["field"] for e in r.json["details"]["errors"]), r.json
    assert r.json["message"].startswith("请求内容不正确")


def test_scores_out_of_the_indicators_range(scoring, callers, session):
    boss, v = callers["boss"], str(scoring["version"])
    url = f"{V1}/evaluations/{scoring['eid']}/scores"
    first_points = scoring["points"][0]
    r = boss.put(url, json={"scores": [{"indicator_id": scoring["ind"][0], "points": first_points + 1}]},
                 headers={"If-Match": v})
    assert r.status_code == 422 and r.json["code"] == "score_out_of_range" and f"0 到 {first_points:g}" in r.json["message"]
    r = boss.put(url, json={"scores": [{"indicator_id": scoring["ind"][0], "points": 3.3}]}, headers={"If-Match": v})
    assert r.status_code == 422 and r.json["code"] == "score_step"
    r = boss.put(url, json={"scores": [{"indicator_id": scoring["ind"][0], "level": "极好"}]}, headers={"If-Match": v})
    assert r.status_code == 422 and r.json["code"] == "quick_level" and "优、良、中、差" in r.json["message"]
    r = boss.put(url, json={"scores": [{"indicator_id": scoring["ind"][0], "level": "优", "points": 8}]},
                 headers={"If-Match": v})
    assert r.status_code == 422 and r.json["code"] == "points_or_level"
    r = boss.put(url, json={"scores": [{"indicator_id": 987654, "points": 1}]}, headers={"If-Match": v})
    assert r.status_code == 422 and r.json["code"] == "unknown_indicator"
    assert session.scalar(select(Evaluation.version).where(Evaluation.id == scoring["eid"])) == scoring["version"]
    r = boss.post(f"{V1}/evaluations/{scoring['eid']}/submit", headers={"If-Match": v})
    assert r.status_code == 422 and r.json["code"] == "scores_incomplete"  # nothing scored yet
    assert len(r.json["details"]["missing"]) == 10


def test_not_json_and_oversize(session, policy, world, callers, api):
    year, quarter = year_quarter()
    open_cycle(session, system_actor(), world.unit.id, year, quarter, policy, today=utcnow().date())
    session.commit()
    clerk = callers["clerk"]
    v = clerk.get(f"{V1}/me/summary").headers["ETag"]
    r = clerk.put(f"{V1}/me/summary", data="{not json", headers={"If-Match": v, "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json["details"]["errors"][0]["type"] == "json_invalid"
    r = clerk.put(f"{V1}/me/summary", json={"paragraphs": ["字" * 6000]}, headers={"If-Match": v})
    assert r.status_code == 422 and r.json["details"]["errors"][0]["problem"].startswith("文本过长")
    limit = policy.summary.max_paragraph_chars
    r = clerk.put(f"{V1}/me/summary", json={"paragraphs": ["字" * (limit + 1)]}, headers={"If-Match": v})
    assert r.status_code == 422 and r.json["code"] == "summary_paragraph_too_long" and str(limit) in r.json["message"]
    r = clerk.put(f"{V1}/me/summary", json={"paragraphs": ["字"], "title": "x"}, headers={"If-Match": v})
    assert r.status_code == 422 and r.json["details"]["errors"][0]["problem"] == "不允许的字段"
    r = clerk.put(f"{V1}/me/summary", data="x" * (2 * 1024 * 1024), headers={"If-Match": v,
                                                                          "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json["code"] == "payload_too_large"
    r = callers["hr"].put(f"{V1}/cycles/1/decision/meeting", json={"meeting_on": "昨天", "attendees": "甲"})
    assert r.status_code == 422
    r = clerk.get(f"{V1}/scoring?per_page=0")
    assert r.status_code == 422 and r.json["code"] == "bad_paging"
    assert session.query(AuditEntry).filter_by(action="summary.save").count() == 0


def test_openapi_document_is_generated_from_the_schemas(api):
    doc = api.get(f"{V1}/openapi.json").json
    assert doc["openapi"].startswith("3.")
    op = doc["paths"]["/api/v1/evaluations/{evaluation_id}/scores"]["put"]
    assert op["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ScoreSave"}
    assert {"412", "428", "422", "401", "404"} <= set(op["responses"])
    tap = doc["components"]["schemas"]["ScoreTap"]
    assert tap["additionalProperties"] is False and "indicator_id" in tap["required"]
    submit = doc["paths"]["/api/v1/me/summary/submit"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in submit["parameters"])
    page = doc["paths"]["/api/v1/scoring"]["get"]
    assert {p["name"] for p in page["parameters"]} >= {"page", "per_page", "cycle_id"}
    from bot.api import api as registry

    assert len([e for e in registry.endpoints]) == sum(len(v) for v in doc["paths"].values())


def test_huge_ids_and_long_paths_are_not_server_errors(callers, scoring):
    boss, hr = callers["boss"], callers["hr"]
    assert boss.get(f"{V1}/evaluations/99999999999999999").status_code == 404
    r = boss.put(f"{V1}/evaluations/{scoring['eid']}/scores", json={"scores": [{"indicator_id": 2 ** 40, "points": 1}]},
                 headers={"If-Match": str(scoring["version"])})
    assert r.status_code == 422
    r = hr.put(f"{V1}/cycles/{scoring['cycle']}/indicators/{'岗' * 300}",
               json={"indicators": [{"dimension": "绩", "name": "任务", "points": 60}]})
    assert r.status_code in (409, 422)  # the cycle is scoring (locked) — never a 500
    r = hr.delete(f"{V1}/cycles/{scoring['cycle']}/indicators/x")
    assert r.status_code == 409
