"""The annual grade in the Mini Program API: unit HR reads the year's sheet, records grades (refused outside the
rules) and tells people; a person told 不称职 asks for a 复核; unit HR upholds or changes it; the person replies;
the county office lists it with the quarters' objections."""
from datetime import date

from sqlalchemy import select

from models import AnnualResult, Objection
from tests.annual_world import YEAR, year_decided
from tests.api.conftest import login


def world(api, db, policy, fake_wechat):
    with db.session() as s:
        w = year_decided(s, policy)
        callers = {name: login(api, fake_wechat, s, w.people[name]) for name in ("王芳", "赵强", "李明", "孙人事")}
        from models import Person
        callers["county"] = login(api, fake_wechat, s, s.get(Person, w.county.person_id))
        return w, callers


def test_recording_telling_and_an_upheld_review(api, db, policy, fake_wechat):
    w, c = world(api, db, policy, fake_wechat)
    hr, wang, county = c["孙人事"], c["王芳"], c["county"]
    base = f"/api/v1/units/{w.unit.id}/annual/{YEAR}"
    sheet = hr.get(base)
    assert sheet.status_code == 200, sheet.json
    rows = {r["staff_no"]: r for r in sheet.json["rows"]}
    assert rows["F003"]["allowed"] == ["不称职"] and rows["F002"]["suggested"] == "优秀"
    refused = hr.post(f"{base}/grades", json={"staff_no": "F003", "grade": "称职"})
    assert refused.status_code == 409 and refused.json["code"] == "annual_forced" and "不称职" in refused.json["message"]
    assert wang.post(f"{base}/grades", json={"staff_no": "F003"}).status_code == 404
    for staff_no in ("F002", "F003", "F004", "F006"):
        r = hr.post(f"{base}/grades", json={"staff_no": staff_no})
        assert r.status_code == 200 and r.json["decided_by"] == "person:F006", r.json
    assert wang.get("/api/v1/me/annual").json["annual"] is None  # not told yet
    told = hr.post(f"{base}/feedback")
    assert told.status_code == 200 and told.json["told"] == 4
    mine = wang.get("/api/v1/me/annual").json["annual"]
    assert (mine["grade"], mine["can_object"], mine["under_law"]) == ("不称职", True, True)
    assert c["李明"].post("/api/v1/me/annual/objection", json={"reason": "x"}).json["code"] == "not_reviewable"
    r = wang.post("/api/v1/me/annual/objection", json={"reason": "全年工作量与等次不符"})
    assert r.status_code == 201 and r.json["objection"]["state"] == "open" and r.json["objection"]["kind"] == "annual"
    oid = r.json["objection"]["id"]
    listed = county.get("/api/v1/county/objections").json
    assert listed["open"] == 1 and listed["rows"][0]["cycle_label"] == "2025年度" and listed["rows"][0]["cycle_id"] is None
    assert hr.get(base).json["objections"][0]["id"] == oid
    early = wang.post("/api/v1/me/annual/reply", json={"action": "escalate", "reason": "不服"})
    assert early.status_code == 409 and early.json["code"] == "not_answered"
    r = hr.post(f"/api/v1/objections/{oid}/answer", json={"action": "uphold", "reason": "依规直接确定"})
    assert r.status_code == 200 and r.json["state"] == "upheld" and r.json["kind"] == "annual"
    # the quarter's reply endpoint does not take an annual objection
    assert wang.post("/api/v1/me/objections/reply", json={"action": "accept", "objection_id": oid}).status_code == 404
    r = wang.post("/api/v1/me/annual/reply", json={"action": "escalate", "reason": "病假未扣除"})
    assert r.status_code == 200 and r.json["objection"]["state"] == "escalated"
    r = county.post(f"/api/v1/objections/{oid}/close", json={"note": "维持单位复核决定"})
    assert r.status_code == 200 and r.json["state"] == "closed"


def test_a_review_that_changes_the_grade(api, db, policy, fake_wechat):
    w, c = world(api, db, policy, fake_wechat)
    hr, zhao = c["孙人事"], c["赵强"]
    base = f"/api/v1/units/{w.unit.id}/annual/{YEAR}"
    assert hr.post(f"{base}/grades", json={"staff_no": "F004", "grade": "不称职"}).status_code == 200
    assert hr.post(f"{base}/feedback").json["told"] == 1
    oid = zhao.post("/api/v1/me/annual/objection", json={"reason": "应为基本称职"}).json["objection"]["id"]
    change = {"action": "change", "reason": "复议", "new_grade": "称职", "meeting_on": date.today().isoformat(),
              "attendees": "张局长、党委全体成员"}
    r = hr.post(f"/api/v1/objections/{oid}/answer", json=change)
    assert r.status_code == 409 and r.json["code"] == "annual_above_max" and "基本称职" in r.json["message"]
    r = hr.post(f"/api/v1/objections/{oid}/answer", json=change | {"new_grade": "基本称职"})
    assert r.status_code == 200 and (r.json["grade"], r.json["new_grade"]) == ("不称职", "基本称职")
    mine = zhao.get("/api/v1/me/annual").json["annual"]
    assert (mine["grade"], mine["decided_grade"]) == ("基本称职", "不称职")
    row = {r["staff_no"]: r for r in hr.get(base).json["rows"]}["F004"]
    assert (row["grade"], row["decided_grade"], row["objection_state"]) == ("基本称职", "不称职", "changed")
    assert zhao.post("/api/v1/me/annual/reply", json={"action": "accept"}).json["objection"]["state"] == "closed"
    with db.session() as s:
        assert s.scalar(select(AnnualResult.grade).where(AnnualResult.id == s.scalar(
            select(Objection.annual_result_id)))) == "基本称职"


def test_the_openapi_document_describes_the_annual_operations(api):
    doc = api.get("/api/v1/openapi.json").json
    for path, method, ok in (("/units/{unit_id}/annual/{year}", "get", "200"),
                             ("/units/{unit_id}/annual/{year}/grades", "post", "200"),
                             ("/units/{unit_id}/annual/{year}/feedback", "post", "200"),
                             ("/me/annual", "get", "200"), ("/me/annual/objection", "post", "201"),
                             ("/me/annual/reply", "post", "200")):
        op = doc["paths"]["/api/v1" + path][method]
        assert ok in op["responses"], (path, op["responses"].keys())
