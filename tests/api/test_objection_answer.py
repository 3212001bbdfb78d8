"""异议 → 复核 in the Mini Program API: unit HR answers (a change is refused over the 好 quota), the person escalates,
the county office lists and concludes; the wrong person or moment gets a Chinese error with the right status."""
from sqlalchemy import select

from models import Evaluation, Objection
from tests import factories as f
from tests.api.conftest import login
from tests.feedback_world import decided


def test_the_unit_answers_the_person_escalates_and_the_county_concludes(api, db, policy, fake_wechat):
    with db.session() as s:
        w = decided(s, policy)
        wang = login(api, fake_wechat, s, w.people["王芳"])
        hr = login(api, fake_wechat, s, w.people["孙人事"])
        li = login(api, fake_wechat, s, w.people["李明"])
        other = f.unit(s, "县教育局")
        stranger = login(api, fake_wechat, s, f.person(s, other, name="外单位人事", roles=("unit_admin",)))
        county = login(api, fake_wechat, s, f.person(s, other, name="县公务员办", roles=("county_admin",)))
    assert wang.post("/api/v1/me/objections", json={"reason": "等次偏低"}).status_code == 201
    with db.session() as s:
        oid = s.scalar(select(Objection.id))
    early = wang.post("/api/v1/me/objections/reply", json={"action": "escalate", "reason": "不服"})
    assert early.status_code == 409 and early.json["code"] == "not_answered" and "尚未答复" in early.json["message"]
    listed = county.get("/api/v1/county/objections")
    assert listed.status_code == 200 and listed.json["open"] == 1 and listed.json["rows"][0]["unit"] == "县财政局"
    assert hr.get("/api/v1/county/objections").status_code == 403
    change = {"action": "change", "reason": "党委复议", "new_grade": "好", "meeting_on": "2026-10-19",
              "attendees": "张局长、党委全体成员"}
    r = hr.post(f"/api/v1/objections/{oid}/answer", json=change)
    assert r.status_code == 409 and r.json["code"] == "quota_exceeded" and "名额" in r.json["message"]
    with db.session() as s:
        assert s.scalar(select(Evaluation.final_grade).where(Evaluation.id == w.evaluations["王芳"])) == "较好"
    assert stranger.post(f"/api/v1/objections/{oid}/answer", json={"action": "uphold", "reason": "x"}).status_code == 404
    r = hr.post(f"/api/v1/objections/{oid}/answer", json={"action": "uphold", "reason": "评分依据充分"})
    assert r.status_code == 200, r.json
    assert (r.json["state"], r.json["answer"], r.json["actions"]) == ("upheld", "评分依据充分", ["accept", "escalate"])
    again = hr.post(f"/api/v1/objections/{oid}/answer", json={"action": "uphold", "reason": "再答"})
    assert again.status_code == 409 and again.json["code"] == "illegal_transition"
    assert li.post("/api/v1/me/objections/reply", json={"action": "accept", "objection_id": oid}).status_code == 404
    r = wang.post("/api/v1/me/objections/reply", json={"action": "escalate", "reason": "未说明扣分依据"})
    assert r.status_code == 200 and r.json["objection"]["state"] == "escalated"
    assert county.get("/api/v1/county/objections").json["escalated"] == 1
    assert hr.post(f"/api/v1/objections/{oid}/close", json={"note": "我来"}).status_code == 404
    r = county.post(f"/api/v1/objections/{oid}/close", json={"note": "维持单位答复"})
    assert r.status_code == 200 and r.json["state"] == "closed"
    assert county.get("/api/v1/county/objections?include_closed=true").json["rows"][0]["county_note"] == "维持单位答复"
    assert wang.get("/api/v1/me/feedback").json["feedback"]["objection"]["county_note"] == "维持单位答复"


def test_two_answers_at_the_same_moment_one_wins_whole(api, api_app, db, policy, fake_wechat):
    """Truly concurrent: one answer is recorded with its audit and notice, the other is refused with 409 and leaves
    nothing (never a 500, never a grade changed by the losing answer)."""
    import threading

    from models import AuditEntry

    with db.session() as s:
        w = decided(s, policy)
        wang = login(api, fake_wechat, s, w.people["王芳"])
        token = login(api, fake_wechat, s, w.people["孙人事"]).token
    assert wang.post("/api/v1/me/objections", json={"reason": "等次偏低"}).status_code == 201
    with db.session() as s:
        oid = s.scalar(select(Objection.id))
    bodies = [{"action": "uphold", "reason": "依据充分"},
              {"action": "change", "reason": "复议", "new_grade": "一般", "meeting_on": "2026-10-19",
               "attendees": "全体"}]
    barrier = threading.Barrier(2)
    results = []

    def send(body):
        client = api_app.test_client()
        barrier.wait()
        r = client.post(f"/api/v1/objections/{oid}/answer", json=body, headers={"Authorization": f"Bearer {token}"})
        results.append((r.status_code, body["action"]))

    threads = [threading.Thread(target=send, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(code for code, _ in results)
    assert codes == [200, 409], results
    won = next(action for code, action in results if code == 200)
    with db.session() as s:
        o = s.get(Objection, oid)
        assert o.state == ("upheld" if won == "uphold" else "changed")
        grade = s.scalar(select(Evaluation.final_grade).where(Evaluation.id == w.evaluations["王芳"]))
        assert grade == ("较好" if won == "uphold" else "一般")
        answers = s.scalars(select(AuditEntry.action).where(AuditEntry.action.in_(
            ("objection.uphold", "objection.change")))).all()
        assert answers == [f"objection.{won}"]


def test_the_objection_letters_are_in_the_documents_registry_for_the_person_their_hr_and_the_county(
        api, db, policy, fake_wechat):
    """受理通知书 / 复核决定书 through ``/documents``: listed, linked and downloaded by the person, their unit's HR and
    the county office; another unit's HR and a colleague get 404 (audited); the decision waits for the answer."""
    import io

    from docx import Document as Docx

    from models import AuditEntry

    with db.session() as s:
        w = decided(s, policy)
        wang = login(api, fake_wechat, s, w.people["王芳"])
        hr = login(api, fake_wechat, s, w.people["孙人事"])
        li = login(api, fake_wechat, s, w.people["李明"])
        other = f.unit(s, "县教育局")
        stranger_person = f.person(s, other, name="外单位人事", roles=("unit_admin",))
        stranger = login(api, fake_wechat, s, stranger_person)
        county = login(api, fake_wechat, s, f.person(s, other, name="县公务员办", roles=("county_admin",)))
    assert wang.post("/api/v1/me/objections", json={"reason": "等次偏低"}).status_code == 201
    with db.session() as s:
        oid = s.scalar(select(Objection.id))

    listed = {d["name"]: d for d in hr.get("/api/v1/documents").json["items"]}
    assert listed["objection-accept"]["needs"] == ["objection"] and listed["objection-accept"]["suffix"] == "docx"
    assert listed["objection-decision"]["title"] == "复核决定书"

    def text(caller, name):
        link = caller.post(f"/api/v1/documents/{name}/link", json={"objection": oid})
        assert link.status_code == 201, link.json
        r = api.get(link.json["url"])
        assert r.status_code == 200 and r.mimetype.endswith("wordprocessingml.document")
        return "\n".join(p.text for p in Docx(io.BytesIO(r.data)).paragraphs)

    for caller in (wang, hr, county):
        body = text(caller, "objection-accept")
        assert "受理通知书" in body and "王芳同志" in body and "等次偏低" in body and "不停止" in body
    early = hr.post("/api/v1/documents/objection-decision/link", json={"objection": oid})
    assert early.status_code == 409 and early.json["code"] == "not_answered"

    for intruder in (stranger, li):
        r = intruder.post("/api/v1/documents/objection-accept/link", json={"objection": oid})
        assert r.status_code == 404, r.json
    with db.session() as s:
        denied = s.scalars(select(AuditEntry).where(AuditEntry.actor == f"person:{stranger_person.staff_no}",
                                                    AuditEntry.action == "access.denied")).all()
        assert denied, "the refusal is audited"
    r = hr.post("/api/v1/documents/objection-accept/link", json={})
    assert r.status_code == 422 and r.json["message"] == "导出《异议受理通知书》需要：异议编号"
    assert county.post("/api/v1/documents/objection-accept/link", json={"objection": 999999}).status_code == 404

    assert hr.post(f"/api/v1/objections/{oid}/answer", json={"action": "uphold", "reason": "评分依据充分"}
                   ).status_code == 200
    for caller in (wang, hr, county):
        body = text(caller, "objection-decision")
        assert "复核决定书" in body and "维持你的" in body and "评分依据充分" in body
    assert stranger.post("/api/v1/documents/objection-decision/link", json={"objection": oid}).status_code == 404


def test_a_regrade_after_filing_shows_on_the_filing_and_the_unit_files_a_correction_over_http(
        api, db, policy, fake_wechat):
    from datetime import timedelta

    from models import Cycle, Filing, utcnow

    with db.session() as s:
        w = decided(s, policy)
        wang = login(api, fake_wechat, s, w.people["王芳"])
        hr = login(api, fake_wechat, s, w.people["孙人事"])
        other = f.unit(s, "县教育局")
        stranger = login(api, fake_wechat, s, f.person(s, other, name="外单位人事", roles=("unit_admin",)))
        county = login(api, fake_wechat, s, f.person(s, other, name="县公务员办", roles=("county_admin",)))
        cycle_id = w.cycle.id
    assert wang.post("/api/v1/me/objections", json={"reason": "等次偏低"}).status_code == 201
    with db.session() as s:
        oid = s.scalar(select(Objection.id))
        s.get(Cycle, cycle_id).publicity_ends = utcnow() - timedelta(hours=1)
    filed = hr.post(f"/api/v1/cycles/{cycle_id}/filing")
    assert filed.status_code == 201 and filed.json["changed"] is False and filed.json["history"] == [], filed.json
    fid = filed.json["id"]
    change = {"action": "change", "reason": "党委复议", "new_grade": "一般", "meeting_on": "2026-10-19",
              "attendees": "张局长、党委全体成员"}
    assert hr.post(f"/api/v1/objections/{oid}/answer", json=change).status_code == 200

    for caller in (hr, county):
        r = caller.get(f"/api/v1/filings/{fid}")
        assert r.status_code == 200 and r.json["changed"] and r.json["changed_label"] == "结果已变更，需更正备案"
        assert [(c["name"], c["from_grade"], c["to_grade"]) for c in r.json["changes"]] == [("王芳", "较好", "一般")]
        assert {x["staff_no"]: x["final_grade"] for x in r.json["rows"]}["F003"] == "较好"  # as filed
    listed = county.get("/api/v1/filings").json["items"]
    assert [x["changed"] for x in listed if x["id"] == fid] == [True]
    refused = county.post(f"/api/v1/filings/{fid}/review", json={"accept": True})
    assert refused.status_code == 409 and refused.json["code"] == "results_changed"

    assert stranger.post(f"/api/v1/cycles/{cycle_id}/filing/correction").status_code == 404
    assert wang.post(f"/api/v1/cycles/{cycle_id}/filing/correction").status_code in (403, 404)
    r = hr.post(f"/api/v1/cycles/{cycle_id}/filing/correction")
    assert r.status_code == 201, r.json
    assert (r.json["state"], r.json["changed"], len(r.json["history"])) == ("submitted", False, 1)
    assert {x["staff_no"]: x["final_grade"] for x in r.json["rows"]}["F003"] == "一般"
    earlier = r.json["history"][0]
    assert {x["staff_no"]: x["final_grade"] for x in earlier["rows"]}["F003"] == "较好"
    assert earlier["changes"][0]["to_grade"] == "一般"
    again = hr.post(f"/api/v1/cycles/{cycle_id}/filing/correction")
    assert again.status_code == 409 and again.json["code"] == "not_changed"
    accepted = county.post(f"/api/v1/filings/{fid}/review", json={"accept": True})
    assert accepted.status_code == 200 and accepted.json["state"] == "accepted"
    with db.session() as s:
        kept = s.get(Filing, fid).history[0]
        assert kept["submitted_by"] == "person:F006" and kept["payload"]["rows"][0]["staff_no"] == earlier["rows"][0][
            "staff_no"]
