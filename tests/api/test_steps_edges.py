"""Edges of the steps: reopening only while scoring, idempotency keys, unionid linking, the departed sweep."""
from sqlalchemy import select

from tests import factories as f
from handlers.actor import system_actor
from handlers.quarter.cycles import open_cycle, transition
from handlers.identity.sessions import end_sessions_of_departed
from models import ApiSession, AuditEntry, Evaluation, WeChatBinding, utcnow

from .conftest import year_quarter

V1 = "/api/v1"


def _scored_and_submitted(session, policy, world, callers):
    year, quarter = year_quarter()
    cycle = open_cycle(session, system_actor(), world.unit.id, year, quarter, policy, today=utcnow().date())
    transition(session, system_actor(), cycle, "start_scoring")
    f.excuse_missing_summaries(session, cycle)
    session.commit()
    clerk = world.people["clerks"][0]
    eid = session.scalar(select(Evaluation.id).where(Evaluation.cycle_id == cycle.id, Evaluation.person_id == clerk.id))
    boss = callers["boss"]
    detail = boss.get(f"{V1}/evaluations/{eid}").json
    r = boss.put(f"{V1}/evaluations/{eid}/scores",
                 json={"scores": [{"indicator_id": i["id"], "level": "良"} for i in detail["indicators"]]},
                 headers={"If-Match": str(detail["version"])})
    expected = sum(round(i["points"] * policy.quick_levels["良"] * 2) / 2 for i in detail["indicators"])
    assert r.json["complete"] and r.json["total"] == expected == 86.5 and r.json["suggested_grade"] == "较好"
    return cycle, eid, r.json["version"]


def test_reopen_only_while_the_cycle_is_scoring(session, policy, world, callers):
    cycle, eid, version = _scored_and_submitted(session, policy, world, callers)
    boss = callers["boss"]
    key = {"Idempotency-Key": "submit-eval-0001", "If-Match": str(version)}
    first = boss.post(f"{V1}/evaluations/{eid}/submit", headers=key)
    again = boss.post(f"{V1}/evaluations/{eid}/submit", headers=key)
    assert first.status_code == again.status_code == 200 and again.headers.get("Idempotent-Replayed") == "true"
    without_key = boss.post(f"{V1}/evaluations/{eid}/submit", headers={"If-Match": str(first.json["version"])})
    assert without_key.status_code == 409  # a real second submit is refused by the state machine
    r = callers["hr"].post(f"{V1}/evaluations/{eid}/reopen")
    assert r.status_code == 403  # only the assigned supervisor
    session.refresh(cycle)
    transition(session, system_actor(), cycle, "start_deciding")
    session.commit()
    r = boss.post(f"{V1}/evaluations/{eid}/reopen")
    assert r.status_code == 409 and r.json["code"] == "scoring_closed" and "党委(党组)审定" in r.json["message"]


def test_idempotency_key_reused_for_another_request(session, policy, world, callers):
    year, quarter = year_quarter()
    open_cycle(session, system_actor(), world.unit.id, year, quarter, policy, today=utcnow().date())
    session.commit()
    clerk = callers["clerk"]
    r = clerk.get(f"{V1}/me/summary")
    r = clerk.put(f"{V1}/me/summary", json={"paragraphs": ["内容"]}, headers={"If-Match": r.headers["ETag"]})
    ok = clerk.post(f"{V1}/me/summary/submit", headers={"If-Match": r.headers["ETag"], "Idempotency-Key": "k-123456"})
    assert ok.status_code == 200
    other = clerk.post(f"{V1}/me/summary/withdraw", headers={"Idempotency-Key": "k-123456"})
    assert other.status_code == 200  # withdraw is not an idempotent-key endpoint: the key is ignored there
    r = clerk.post(f"{V1}/me/summary/submit", headers={"If-Match": "999", "Idempotency-Key": "k-123456"})
    assert r.status_code == 200 and r.json == ok.json  # the same request again: the first answer is replayed
    r = clerk.post(f"{V1}/evaluations/1/submit", headers={"If-Match": "1", "Idempotency-Key": "k-123456"})
    assert r.status_code == 422 and r.json["code"] == "idempotency_key_reused"
    r = clerk.post(f"{V1}/me/summary/submit", headers={"If-Match": "1", "Idempotency-Key": "short"})
    assert r.status_code == 422 and r.json["code"] == "bad_idempotency_key"


def test_a_failed_submit_does_not_burn_the_key(session, policy, world, callers):
    year, quarter = year_quarter()
    open_cycle(session, system_actor(), world.unit.id, year, quarter, policy, today=utcnow().date())
    session.commit()
    clerk = callers["clerk"]
    v = clerk.get(f"{V1}/me/summary").headers["ETag"]
    r = clerk.post(f"{V1}/me/summary/submit", headers={"If-Match": v, "Idempotency-Key": "empty-0001"})
    assert r.status_code == 422 and r.json["code"] == "summary_empty"
    v = clerk.put(f"{V1}/me/summary", json={"paragraphs": ["补上内容"]}, headers={"If-Match": v}).headers["ETag"]
    r = clerk.post(f"{V1}/me/summary/submit", headers={"If-Match": v, "Idempotency-Key": "empty-0002"})
    assert r.status_code == 200 and r.json["state"] == "submitted"


def test_official_account_user_is_linked_by_unionid(api, fake_wechat, session, world):
    clerk = world.people["clerks"][3]
    session.add(WeChatBinding(person_id=clerk.id, channel="oa", openid="o-oa-3", unionid="union-3", bound_at=utcnow()))
    session.commit()
    fake_wechat.fake.add_login_code("UCODE", "o-mini-new-3", unionid="union-3")
    r = api.post(f"{V1}/auth/login", json={"code": "UCODE"})
    assert r.status_code == 200 and r.json["status"] == "ok" and r.json["me"]["person_id"] == clerk.id
    assert session.query(AuditEntry).filter_by(action="binding.linked_unionid").count() == 1


def test_sweep_ends_sessions_of_people_who_left(session, world, callers, api_app):
    from bot.ext import services

    clerk = world.people["clerks"][1]
    session.refresh(clerk)
    clerk.status = "left"
    session.commit()
    n = end_sessions_of_departed(session, services(api_app).store, system_actor())
    session.commit()
    assert n == 1
    assert callers["clerks"][1].get(f"{V1}/me").status_code == 401
    assert callers["clerks"][2].get(f"{V1}/me").status_code == 200
    assert session.scalar(select(ApiSession.revoked_at).where(ApiSession.person_id == clerk.id)) is not None


def test_a_partly_scored_form_suggests_no_grade(session, policy, world, callers):
    year, quarter = year_quarter()
    cycle = open_cycle(session, system_actor(), world.unit.id, year, quarter, policy, today=utcnow().date())
    transition(session, system_actor(), cycle, "start_scoring")
    f.excuse_missing_summaries(session, cycle)
    session.commit()
    clerk = world.people["clerks"][0]
    eid = session.scalar(select(Evaluation.id).where(Evaluation.cycle_id == cycle.id, Evaluation.person_id == clerk.id))
    boss = callers["boss"]
    detail = boss.get(f"{V1}/evaluations/{eid}").json
    first = detail["indicators"][0]
    r = boss.put(f"{V1}/evaluations/{eid}/scores", json={"scores": [{"indicator_id": first["id"], "level": "优"}]},
                 headers={"If-Match": str(detail["version"])})
    assert r.status_code == 200 and not r.json["complete"] and 0 < r.json["total"] < 60
    assert r.json["suggested_grade"] is None
    again = boss.get(f"{V1}/evaluations/{eid}").json
    assert again["result"]["suggested_grade"] is None
    session.expire_all()
    assert session.get(Evaluation, eid).suggested_grade is None


def test_indicators_for_a_post_nobody_holds_warn_and_name_the_posts_that_exist(session, policy, world, callers):
    year, quarter = year_quarter()
    cycle = open_cycle(session, system_actor(), world.unit.id, year, quarter, policy, today=utcnow().date())
    session.commit()
    held = sorted(set(session.scalars(select(Evaluation.post).where(Evaluation.cycle_id == cycle.id))) - {""})
    good = [{"dimension": "绩", "name": f"任务{i}", "points": p} for i, p in enumerate([20, 10, 10, 10, 10])]
    r = callers["hr"].put(f"{V1}/cycles/{cycle.id}/indicators/综合文密", json={"indicators": good})  # a typo
    assert r.status_code == 200 and len(r.json["warnings"]) == 1
    warning = r.json["warnings"][0]
    assert "没有人在岗位“综合文密”上" in warning and all(p in warning for p in held) and held
    r = callers["hr"].put(f"{V1}/cycles/{cycle.id}/indicators/{held[0]}", json={"indicators": good})
    assert r.status_code == 200 and r.json["warnings"] == []
