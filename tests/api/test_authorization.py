"""Authorization matrix: each role × each endpoint × own/other object. Out of scope answers 404 (ids cannot be
probed) and is audited; a visible object the role may not change answers 403."""
import pytest
from sqlalchemy import select

from tests import factories as f
from handlers.actor import system_actor
from handlers.quarter.cycles import open_cycle, transition
from models import AuditEntry, Evaluation, Filing, Summary, utcnow

from .conftest import year_quarter

V1 = "/api/v1"


@pytest.fixture
def scene(session, policy, world, callers):
    """Both units' cycles in the scoring step; every clerk's summary submitted; a results filing of each unit."""
    year, quarter = year_quarter()
    today = utcnow().date()
    out = {}
    for key, unit, clerk in (("own", world.unit, world.people["clerks"][0]),
                             ("other", world.other_unit, world.people["o_clerk"])):
        cycle = open_cycle(session, system_actor(), unit.id, year, quarter, policy, today=today)
        summary = Summary(cycle_id=cycle.id, person_id=clerk.id, state="submitted", paragraphs=["本季度工作小结"],
                          voice_media_ids=[])
        session.add(summary)
        transition(session, system_actor(), cycle, "start_scoring")
        f.excuse_missing_summaries(session, cycle)
        filing = Filing(kind="results", unit_id=unit.id, year=year - 1, quarter=4, state="submitted",
                        payload={"rows": []}, submitted_by="system:test")
        session.add(filing)
        session.flush()
        evaluation = session.scalar(select(Evaluation).where(Evaluation.cycle_id == cycle.id,
                                                             Evaluation.person_id == clerk.id))
        out[key] = dict(cycle=cycle.id, unit=unit.id, summary=summary.id, evaluation=evaluation.id,
                        version=evaluation.version, filing=filing.id, staff_no=clerk.staff_no,
                        ind=None)
    session.commit()
    for key in out:
        detail = callers["county"].get(f"{V1}/evaluations/{out[key]['evaluation']}").json
        out[key]["ind"] = detail["indicators"][0]["id"]
    return out


def call(caller, method, path, body=None, version=None):
    headers = {"If-Match": str(version)} if version is not None else None
    return getattr(caller, method)(path, json=body, headers=headers) if method != "get" else caller.get(path)


# (method, path template, body, needs If-Match) ; {o} = the object set ("own" or "other")
ENDPOINTS = {
    "read_evaluation": ("get", "/evaluations/{evaluation}", None, False),
    "save_scores": ("put", "/evaluations/{evaluation}/scores", {"scores": [{"indicator_id": "{ind}", "points": 6}]}, True),
    "read_summary": ("get", "/summaries/{summary}", None, False),
    "return_summary": ("post", "/summaries/{summary}/return", {"reason": "请补充"}, False),
    "decision": ("get", "/cycles/{cycle}/decision", None, False),
    "meeting": ("put", "/cycles/{cycle}/decision/meeting", {"meeting_on": "2026-01-05", "attendees": "甲、乙"}, False),
    "advance": ("post", "/cycles/{cycle}/advance", {"action": "start_deciding"}, False),
    "publish": ("post", "/cycles/{cycle}/publish", None, False),
    "indicators": ("get", "/cycles/{cycle}/indicators", None, False),
    "progress": ("get", "/cycles/{cycle}/progress", None, False),
    "bind_code": ("post", "/units/{unit}/bind-codes", {"staff_no": "{staff_no}"}, False),
    "reassign": ("put", "/evaluations/{evaluation}/supervisor", {"supervisor_staff_no": "{boss_no}"}, False),
    "review_filing": ("post", "/filings/{filing}/review", {"accept": True}, False),
    "read_filing": ("get", "/filings/{filing}", None, False),
}

# role → endpoint → (status on own unit's object, status on the other unit's object)
# "boss" is the assigned supervisor of the own clerk; "clerk" the evaluatee; "colleague" another clerk of the unit.
OK = 200
EXPECTED = {
    "clerk": {"read_evaluation": (404, 404), "save_scores": (404, 404), "read_summary": (OK, 404),
              "return_summary": (403, 404), "decision": (404, 404), "meeting": (404, 404), "advance": (404, 404),
              "publish": (404, 404), "indicators": (404, 404), "progress": (404, 404), "bind_code": (404, 404),
              "reassign": (404, 404), "review_filing": (404, 404), "read_filing": (404, 404)},
    "colleague": {"read_evaluation": (404, 404), "save_scores": (404, 404), "read_summary": (404, 404),
                  "return_summary": (404, 404), "decision": (404, 404), "meeting": (404, 404), "advance": (404, 404),
                  "publish": (404, 404), "indicators": (404, 404), "progress": (404, 404), "bind_code": (404, 404),
                  "reassign": (404, 404), "review_filing": (404, 404), "read_filing": (404, 404)},
    "boss": {"read_evaluation": (OK, 404), "save_scores": (OK, 404), "read_summary": (OK, 404),
             "return_summary": (OK, 404), "decision": (404, 404), "meeting": (404, 404), "advance": (404, 404),
             "publish": (404, 404), "indicators": (OK, 404), "progress": (OK, 404), "bind_code": (404, 404),
             "reassign": (404, 404), "review_filing": (404, 404), "read_filing": (404, 404)},
    "hr": {"read_evaluation": (OK, 404), "save_scores": (403, 404), "read_summary": (OK, 404),
           "return_summary": (403, 404), "decision": (OK, 404), "meeting": (409, 404), "advance": (409, 404),
           "publish": (409, 404), "indicators": (OK, 404), "progress": (OK, 404), "bind_code": (201, 404),
           "reassign": (OK, 404), "review_filing": (403, 404), "read_filing": (OK, 404)},
    "county": {"read_evaluation": (OK, OK), "save_scores": (403, 403), "read_summary": (OK, OK),
               "return_summary": (403, 403), "decision": (OK, OK), "meeting": (403, 403), "advance": (403, 403),
               "publish": (403, 403), "indicators": (OK, OK), "progress": (OK, OK), "bind_code": (201, 201),
               "reassign": (404, 404), "review_filing": (OK, OK), "read_filing": (OK, OK)},
}


def _fill(value, ids):
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
        return ids[value[1:-1]]
    return value


CASES = [(role, ep, which) for role in EXPECTED for ep in ENDPOINTS for which in ("own", "other")]


@pytest.mark.parametrize("role,endpoint,which", CASES, ids=[f"{r}-{e}-{w}" for r, e, w in CASES])
def test_matrix(role, endpoint, which, scene, callers, world, session):
    caller = {"clerk": callers["clerk"], "colleague": callers["clerks"][1], "boss": callers["boss"],
              "hr": callers["hr"], "county": callers["county"]}[role]
    ids = dict(scene[which], boss_no=world.people["deputy"].staff_no if which == "own" else world.people["o_boss"].staff_no)
    method, template, body, needs_version = ENDPOINTS[endpoint]
    path = V1 + template.format(**ids)
    r = call(caller, method, path, _fill(body, ids), ids["version"] if needs_version else None)
    expected = EXPECTED[role][endpoint][0 if which == "own" else 1]
    assert r.status_code == expected, (r.status_code, r.json)
    assert r.status_code != 500
    if expected in (403, 404):
        assert set(r.json) >= {"code", "message"}
        denied = session.scalars(select(AuditEntry).where(AuditEntry.actor == f"person:{caller.person.staff_no}",
                                                          AuditEntry.action.in_(("access.denied",
                                                                                 "access.forbidden")))).all()
        assert denied, "every denial is audited"


def test_unauthenticated_and_bad_tokens(api, scene):
    for path in ("/me", f"/evaluations/{scene['own']['evaluation']}", "/scoring"):
        r = api.get(V1 + path)
        assert r.status_code == 401 and r.json["code"] == "login_required"
        r = api.get(V1 + path, headers={"Authorization": "Bearer not-a-real-token"})
        assert r.status_code == 401 and r.json["code"] == "session_invalid"


def test_not_found_is_the_same_for_missing_and_foreign_ids(callers, scene):
    clerk = callers["clerk"]
    missing = clerk.get(f"{V1}/evaluations/999999")
    foreign = clerk.get(f"{V1}/evaluations/{scene['other']['evaluation']}")
    assert missing.status_code == foreign.status_code == 404
    assert missing.json["message"] == foreign.json["message"]
