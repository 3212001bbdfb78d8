"""The Mini Program's sign-off and objection endpoints: the same handlers as the chat and the phone page, with
Chinese errors and the right status, and unit HR's view of who has confirmed."""
import base64

import pytest
from sqlalchemy import select

from models import Objection, ResultSignoff
from tests.api.conftest import login
from tests.feedback_world import decided

PDF = b"%PDF-1.4\n" + b"0" * 50


def test_a_person_confirms_and_hr_sees_it(api, db, policy, fake_wechat):
    with db.session() as s:
        w = decided(s, policy)
        li = login(api, fake_wechat, s, w.people["李明"])
        hr = login(api, fake_wechat, s, w.people["孙人事"])
        cycle_id = w.cycle.id
    r = li.get("/api/v1/me/feedback")
    assert r.status_code == 200 and r.json["feedback"]["grade"] == "好" and r.json["feedback"]["can_sign"]
    r = li.post("/api/v1/me/feedback/sign", json={"choice": "agree", "comment": "无意见"})
    assert r.status_code == 200, r.json
    assert (r.json["signed"], r.json["signed_label"], r.json["signed_comment"]) == ("agree", "同意", "无意见")
    r = li.post("/api/v1/me/feedback/sign", json={"choice": "agree"})
    assert r.status_code == 409 and r.json["code"] == "already_signed" and "不能重复确认" in r.json["message"]
    board = hr.get(f"/api/v1/cycles/{cycle_id}/signoffs")
    assert board.status_code == 200
    assert (board.json["agreed"], board.json["unsigned"]) == (1, 3)
    assert {row["name"]: row["signed_label"] for row in board.json["rows"]}["李明"] == "同意"
    assert li.get(f"/api/v1/cycles/{cycle_id}/signoffs").status_code == 404  # staff do not see the board


def test_an_objection_with_an_attachment(api, db, policy, fake_wechat):
    with db.session() as s:
        w = decided(s, policy)
        wang = login(api, fake_wechat, s, w.people["王芳"])
    body = {"reason": "第三项指标得分与工作台账不符",
            "attachment": {"name": "台账.pdf", "content_base64": base64.b64encode(PDF).decode()}}
    r = wang.post("/api/v1/me/objections", json=body)
    assert r.status_code == 201, r.json
    assert r.json["signed"] == "object" and r.json["objection"]["attachment_name"] == "台账.pdf"
    assert r.json["objection"]["state"] == "open"
    with db.session() as s:
        o = s.scalar(select(Objection))
        assert (o.attachment, o.attachment_type, o.channel) == (PDF, "application/pdf", "api")
    again = wang.post("/api/v1/me/objections", json={"reason": "再提一次"})
    assert again.status_code == 409 and again.json["code"] == "objection_exists"


def test_bad_input_is_a_chinese_error_never_a_500(api, db, policy, fake_wechat):
    with db.session() as s:
        w = decided(s, policy)
        li = login(api, fake_wechat, s, w.people["李明"])
        other = w.evaluations["王芳"]
    cases = [
        ("/api/v1/me/objections", {"reason": "  "}, 422, "reason_required"),
        ("/api/v1/me/objections", {"reason": "x", "attachment": {"name": "a", "content_base64": "不是base64"}}, 422,
         "bad_attachment"),
        ("/api/v1/me/objections", {"reason": "x", "attachment": {"name": "a.exe",
                                                                 "content_base64": base64.b64encode(b"MZ..").decode()}},
         422, "attachment_type"),
        ("/api/v1/me/feedback/sign", {"choice": "object"}, 422, "reason_required"),
        ("/api/v1/me/feedback/sign", {"choice": "maybe"}, 422, "invalid_body"),
        ("/api/v1/me/feedback/sign", {"choice": "agree", "evaluation_id": other}, 404, "not_found"),
    ]
    for path, body, status, code in cases:
        r = li.post(path, json=body)
        assert (r.status_code, r.json["code"]) == (status, code), (path, body, r.json)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json["message"])
    with db.session() as s:
        assert s.scalar(select(ResultSignoff)) is None and s.scalar(select(Objection)) is None


def test_before_feedback_there_is_nothing_to_confirm(api, db, policy, fake_wechat):
    with db.session() as s:
        w = decided(s, policy, publish=False)
        li = login(api, fake_wechat, s, w.people["李明"])
    assert li.get("/api/v1/me/feedback").json == {"feedback": None}
    r = li.post("/api/v1/me/feedback/sign", json={"choice": "agree"})
    assert r.status_code == 409 and r.json["code"] == "not_fed_back"


def test_the_openapi_document_describes_the_new_operations(api):
    doc = api.get("/api/v1/openapi.json").json
    for path, method, ok in (("/me/feedback", "get", "200"), ("/me/feedback/sign", "post", "200"),
                             ("/me/objections", "post", "201"), ("/cycles/{cycle_id}/signoffs", "get", "200")):
        op = doc["paths"]["/api/v1" + path][method]
        assert ok in op["responses"] and "422" in op["responses"]
    sign = doc["paths"]["/api/v1/me/feedback/sign"]["post"]
    assert "409" in sign["responses"] and "requestBody" in sign


AGREE = ("/api/v1/me/feedback/sign", {"choice": "agree"})
OBJECT = ("/api/v1/me/objections", {"reason": "同一时刻的异议"})


@pytest.mark.parametrize("first, second", [(AGREE, AGREE), (AGREE, OBJECT), (OBJECT, OBJECT)],
                         ids=["agree-agree", "agree-object", "object-object"])
def test_two_phones_answering_at_the_same_moment(api, api_app, db, policy, fake_wechat, first, second):
    """Truly concurrent: one answer is recorded whole, the other is refused with 409 and leaves nothing (never a
    500, never an objection without its sign-off)."""
    import threading

    with db.session() as s:
        w = decided(s, policy)
        token = login(api, fake_wechat, s, w.people["李明"]).token
    barrier = threading.Barrier(2)
    results = []

    def send(path, body):
        client = api_app.test_client()
        barrier.wait()
        r = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
        results.append((r.status_code, path))

    threads = [threading.Thread(target=send, args=call) for call in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    (won, path), (lost, _) = sorted(results)
    assert won in (200, 201) and lost == 409, results
    with db.session() as s:
        [row] = s.query(ResultSignoff).all()
        objections = s.query(Objection).count()
    assert row.choice == ("agree" if path == AGREE[0] else "object")
    assert objections == (0 if path == AGREE[0] else 1)
