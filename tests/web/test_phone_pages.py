"""The phone pages as a person uses them: sign in through WeChat, then each role's step, through the same
handlers as the chat and the API."""
from __future__ import annotations

import re

from handlers.actor import system_actor
from handlers.identity.binding import issue_bind_code
from models import AuditEntry, Evaluation, Summary, WeChatBinding

from .conftest import csrf_of, move, sign_in, submit_all_summaries


def signed_in(web_app, fake_wechat, openid, next_path="/m/me"):
    client = web_app.test_client()
    r = sign_in(client, fake_wechat, openid, next_path)
    assert r.status_code == 302 and r.headers["Location"] == next_path, r.data
    page = client.get(next_path)
    return client, csrf_of(page.get_data(as_text=True))


def test_signing_in_through_wechat_authorization_opens_my_page(web_app, fake_wechat, world):
    client = web_app.test_client()
    r = sign_in(client, fake_wechat, world["a"].openids["c1"], "/m/summary")
    assert r.status_code == 302 and r.headers["Location"] == "/m/summary"
    cookie = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith("kaohe_s="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/m/me")
    assert page.status_code == 200 and "A干事1" in page.get_data(as_text=True)
    assert fake_wechat.fake.calls_to("/sns/oauth2/access_token")  # the code went to WeChat over HTTP


def test_a_page_without_a_session_sends_the_person_to_wechat_and_back(web_app):
    r = web_app.test_client().get("/m/score")
    assert r.status_code == 302 and r.headers["Location"] == "/m/login?next=/m/score"
    r = web_app.test_client().get("/m/api/summary")
    assert r.status_code == 401 and r.json["code"] == "login_required"


def test_a_forged_state_or_a_foreign_next_is_refused(web_app, fake_wechat, world):
    client = web_app.test_client()
    client.get("/m/login?next=https://evil.example/")
    r = client.get("/m/auth/callback?code=x&state=forged")
    assert r.status_code == 400 and "登录已超时或来源不明" in r.get_data(as_text=True)
    r = sign_in(web_app.test_client(), fake_wechat, world["a"].openids["c1"], "//evil.example/")
    assert r.headers["Location"] == "/m/me"


def test_an_unbound_wechat_binds_with_the_code_from_unit_hr(web_app, fake_wechat, world, session, policy):
    client = web_app.test_client()
    r = sign_in(client, fake_wechat, "o-new-phone", "/m/summary")
    assert r.status_code == 302 and r.headers["Location"] == "/m/bind"
    form = client.get("/m/bind").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form).group(1)
    assert client.post("/m/bind", data={"code": "ABCD2345"}).status_code == 403  # no CSRF token
    r = client.post("/m/bind", data={"code": "WRONG234", "csrf_token": token})
    assert r.status_code == 422 and "绑定码" in r.get_data(as_text=True)
    issued = issue_bind_code(session, system_actor(), "AC2", policy)
    session.commit()
    r = client.post("/m/bind", data={"code": issued.code, "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == "/m/summary"
    binding = session.query(WeChatBinding).filter_by(channel="oa", openid="o-new-phone").one()
    assert binding.person_id == world["a"].people["c2"].id
    assert "A干事2" in client.get("/m/me").get_data(as_text=True)


def test_staff_write_with_autosave_a_conflict_overwrites_nothing_then_submit(web_app, fake_wechat, world, session):
    client, csrf = signed_in(web_app, fake_wechat, world["a"].openids["c1"], "/m/summary")
    assert client.put("/m/api/summary", json={"paragraphs": ["x"], "version": 0}).status_code == 403  # no CSRF
    h = {"X-CSRF-Token": csrf}
    r = client.put("/m/api/summary", json={"paragraphs": ["完成预算编制 12 项。", "审核报账 300 笔。"], "version": 0},
                   headers=h)
    assert r.status_code == 200 and r.json["state"] == "draft"
    version = r.json["version"]
    # another device (or the chat) saves in between: this page's stale save is refused, nothing is overwritten
    other, other_csrf = signed_in(web_app, fake_wechat, world["a"].openids["c1"], "/m/summary")
    assert other.put("/m/api/summary", json={"paragraphs": ["另一台设备的内容"], "version": version},
                     headers={"X-CSRF-Token": other_csrf}).status_code == 200
    r = client.put("/m/api/summary", json={"paragraphs": ["旧页面的内容"], "version": version}, headers=h)
    assert r.status_code == 409 and r.json["code"] == "version_conflict" and "其他设备" in r.json["message"]
    fresh = client.get("/m/api/summary").json
    assert fresh["paragraphs"] == ["另一台设备的内容"]
    preview = client.get("/m/summary/preview").get_data(as_text=True)
    assert "另一台设备的内容" in preview and "确认提交" in preview
    r = client.post("/m/summary/submit", data={"csrf_token": csrf, "version": fresh["version"]})
    assert r.status_code == 302 and r.headers["Location"] == "/m/summary?msg=submitted"
    assert "个人小结已提交" in client.get("/m/summary?msg=submitted").get_data(as_text=True)
    summary = session.query(Summary).filter_by(person_id=world["a"].people["c1"].id).one()
    assert summary.state == "submitted"
    actions = [a.action for a in session.query(AuditEntry).filter_by(actor="person:AC1")]
    assert actions.count("summary.save") == 2 and "summary.submit" in actions


def test_supervisor_taps_scores_sees_total_and_grade_then_submits(web_app, fake_wechat, world, session, policy):
    a = world["a"]
    submit_all_summaries(session, a.cycle_id)
    move(session, policy, a.cycle_id, "start_scoring")
    evaluation = session.query(Evaluation).filter_by(cycle_id=a.cycle_id, person_id=a.people["c1"].id).one()
    client, csrf = signed_in(web_app, fake_wechat, a.openids["boss"], "/m/score")
    listing = client.get("/m/score").get_data(as_text=True)
    assert "已完成 0 / 4 人" in listing and "A干事1" in listing
    page = client.get(f"/m/score/{evaluation.id}").get_data(as_text=True)
    assert "本季度完成任务。" in page and page.count('class="level"') == 40  # 10 indicators × 优良中差
    sheet = client.get(f"/m/api/evaluations/{evaluation.id}").json
    version, h = sheet["version"], {"X-CSRF-Token": csrf}
    for n, ind in enumerate(sheet["indicators"]):
        r = client.put(f"/m/api/evaluations/{evaluation.id}/scores",
                       json={"taps": [{"indicator_id": ind["id"], "level": "优"}], "version": version}, headers=h)
        assert r.status_code == 200, r.json
        version = r.json["version"]
    assert r.json["total"] == 100 and r.json["suggested_grade"] == "好" and r.json["complete"]
    r = client.put(f"/m/api/evaluations/{evaluation.id}/scores",
                   json={"taps": [{"indicator_id": sheet["indicators"][0]["id"], "points": 3.5}], "version": version},
                   headers=h)
    assert r.status_code == 200 and r.json["total"] == 100 - sheet["indicators"][0]["points"] + 3.5
    stale = client.put(f"/m/api/evaluations/{evaluation.id}/scores",
                       json={"taps": [{"indicator_id": sheet["indicators"][0]["id"], "level": "差"}],
                             "version": version}, headers=h)
    assert stale.status_code == 412 and "其他设备" in stale.json["message"]
    r = client.post(f"/m/score/{evaluation.id}/submit", data={"csrf_token": csrf, "version": r.json["version"]})
    assert r.status_code == 302 and r.headers["Location"] == "/m/score?msg=scored"
    session.refresh(evaluation)
    assert evaluation.state == "submitted"
    assert "已完成 1 / 4 人" in client.get("/m/score").get_data(as_text=True)


def test_supervisor_returns_a_summary_with_a_reason(web_app, fake_wechat, world, session, policy):
    a = world["a"]
    submit_all_summaries(session, a.cycle_id)
    evaluation = session.query(Evaluation).filter_by(cycle_id=a.cycle_id, person_id=a.people["c2"].id).one()
    client, csrf = signed_in(web_app, fake_wechat, a.openids["boss"], "/m/score")
    r = client.post(f"/m/score/{evaluation.id}/return", data={"csrf_token": csrf, "reason": "请补充具体数据"})
    assert r.status_code == 302
    summary = session.query(Summary).filter_by(person_id=a.people["c2"].id).one()
    session.refresh(summary)
    assert summary.state == "returned" and summary.returned_reason == "请补充具体数据"


def _score_everyone(session, cycle_id, totals):
    for e in session.query(Evaluation).filter_by(cycle_id=cycle_id).order_by(Evaluation.id):
        e.total = totals.pop(0) if totals else 80
        e.suggested_grade, e.state, e.scores = "较好", "submitted", {}
    session.commit()


def test_committee_sets_grades_within_quota_and_records_the_meeting(web_app, fake_wechat, world, session, policy):
    a = world["a"]
    _score_everyone(session, a.cycle_id, [95, 91, 88, 70, 60])
    move(session, policy, a.cycle_id, "start_scoring", "start_deciding")
    client, csrf = signed_in(web_app, fake_wechat, a.openids["hr"], "/m/decide")
    assert "县财政局" in client.get("/m/decide").get_data(as_text=True)
    page = client.get(f"/m/decide/{a.cycle_id}").get_data(as_text=True)
    assert "剩余" in page and "一般干事" in page
    clerks = [e for e in session.query(Evaluation).filter_by(cycle_id=a.cycle_id)
              if e.person_id in {a.people[k].id for k in ("c1", "c2", "c3")}]
    r = client.post(f"/m/decide/{a.cycle_id}/grade", data={"csrf_token": csrf, "evaluation_id": clerks[0].id,
                                                           "grade": "好"})
    assert r.status_code == 409 and "会议" in r.get_data(as_text=True)  # the meeting comes first
    r = client.post(f"/m/decide/{a.cycle_id}/meeting", data={"csrf_token": csrf, "meeting_on": "2000-01-03",
                                                             "attendees": "党组全体成员", "note": "依据评鉴得分"})
    assert r.status_code == 302
    assert "党组全体成员" in client.get(f"/m/decide/{a.cycle_id}").get_data(as_text=True)
    r = client.post(f"/m/decide/{a.cycle_id}/grade", data={"csrf_token": csrf, "evaluation_id": clerks[0].id,
                                                           "grade": "好"})
    assert r.status_code == 302
    over = client.post(f"/m/decide/{a.cycle_id}/grade", data={"csrf_token": csrf, "evaluation_id": clerks[1].id,
                                                              "grade": "好"})
    text = over.get_data(as_text=True)
    assert over.status_code == 409 and "一般干事" in text and "最多" in text
    session.expire_all()
    assert session.get(Evaluation, clerks[1].id).final_grade is None  # nothing was saved
    assert session.get(Evaluation, clerks[0].id).final_grade == "好"


def test_another_units_objects_are_not_found_on_every_page(web_app, fake_wechat, world, session, policy):
    a, b = world["a"], world["b"]
    submit_all_summaries(session, b.cycle_id)
    foreign = session.query(Evaluation).filter_by(cycle_id=b.cycle_id).first()
    boss, csrf = signed_in(web_app, fake_wechat, a.openids["boss"], "/m/score")
    assert boss.get(f"/m/score/{foreign.id}").status_code == 404
    r = boss.get(f"/m/api/evaluations/{foreign.id}")
    assert r.status_code == 404 and r.json["code"] == "not_found"
    r = boss.put(f"/m/api/evaluations/{foreign.id}/scores", json={"taps": [{"indicator_id": 1, "level": "优"}],
                                                                  "version": 1}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 404
    hr, csrf = signed_in(web_app, fake_wechat, a.openids["hr"], "/m/decide")
    assert hr.get(f"/m/decide/{b.cycle_id}").status_code == 404
    assert hr.post(f"/m/decide/{b.cycle_id}/meeting", data={"csrf_token": csrf, "meeting_on": "2000-01-03",
                                                            "attendees": "x"}).status_code == 404
    assert session.query(AuditEntry).filter_by(action="access.denied").count() >= 3


def test_what_people_wrote_is_shown_as_text_everywhere(web_app, fake_wechat, world, session, policy):
    a = world["a"]
    xss = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    a.people["c3"].name = "<script>alert(1)</script>"
    session.add(Summary(cycle_id=a.cycle_id, person_id=a.people["c3"].id, state="submitted", paragraphs=[xss],
                        voice_media_ids=[]))
    session.commit()
    client, _ = signed_in(web_app, fake_wechat, a.openids["boss"], "/m/score")
    evaluation = session.query(Evaluation).filter_by(cycle_id=a.cycle_id, person_id=a.people["c3"].id).one()
    for path in ("/m/score", f"/m/score/{evaluation.id}"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<img src=x" not in html


def test_pages_forbid_inline_script_and_other_hosts(web_app, fake_wechat, world):
    client, _ = signed_in(web_app, fake_wechat, world["a"].openids["c1"], "/m/summary")
    r = client.get("/m/summary")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    html = r.get_data(as_text=True)
    assert re.findall(r"<script(?![^>]*\ssrc=\"/static/)", html) == []
    assert "http://" not in html.replace("http://localhost", "") and "https://" not in html


def test_the_mini_program_opens_the_pages_with_a_one_time_ticket(web_app, fake_wechat, world, session):
    from tests.api.conftest import login

    api = web_app.test_client()
    caller = login(api, fake_wechat, session, world["a"].people["boss"])
    r = caller.post("/api/v1/auth/web-ticket")
    assert r.status_code == 200 and r.json["url"].startswith("http://localhost/m/auth/ticket?t=")
    ticket, page = r.json["ticket"], web_app.test_client()
    r = page.get(f"/m/auth/ticket?t={ticket}&next=/m/score")
    assert r.status_code == 302 and r.headers["Location"] == "/m/score"
    assert page.get("/m/score").status_code == 200
    again = web_app.test_client().get(f"/m/auth/ticket?t={ticket}")  # once only
    assert again.status_code == 401 and "小程序" in again.get_data(as_text=True)


def test_unsubscribing_ends_the_page_session(web_app, fake_wechat, world, session):
    from handlers.quarter import chat

    from bot.ext import services

    client, _ = signed_in(web_app, fake_wechat, world["a"].openids["c1"])
    chat.unsubscribe(session, services(web_app).store, world["a"].openids["c1"])
    session.commit()
    r = client.get("/m/me")
    assert r.status_code == 302 and r.headers["Location"].startswith("/m/login")


def test_signing_out(web_app, fake_wechat, world):
    client, csrf = signed_in(web_app, fake_wechat, world["a"].openids["c1"])
    forged = client.post("/m/logout")  # another site cannot sign you out: no token, nothing ends
    assert forged.status_code == 403 and "CSRF" in forged.get_data(as_text=True)
    assert client.get("/m/me").status_code == 200
    assert client.post("/m/logout", data={"csrf_token": csrf}).status_code == 200
    assert client.get("/m/me").status_code == 302


def test_leaving_the_roster_ends_the_page_session(web_app, fake_wechat, world, session):
    from bot.ext import services
    from handlers.identity.sessions import token_hash

    client, _ = signed_in(web_app, fake_wechat, world["a"].openids["c1"])
    token = client.get_cookie("kaohe_s", path="/m/").value
    world["a"].people["c1"].status = "left"
    session.commit()
    services(web_app).store.delete(f"api:sess:{token_hash(token)}")  # the cached actor ages out (≤ 1 minute)
    r = client.get("/m/me")
    assert r.status_code == 302 and r.headers["Location"].startswith("/m/login")


def test_the_full_text_of_what_was_pushed_is_on_the_notices_page(web_app, fake_wechat, world, session):
    from handlers.outbound.notices import notify_person

    long_text = "您的2026年第4季度平时考核结果：“好”。" + "公示期内如有异议请向单位反映。" * 5
    notice = notify_person(session, world["a"].people["c1"].id, long_text, dedupe_key="test:result", title="考核结果")
    session.commit()
    client, _ = signed_in(web_app, fake_wechat, world["a"].openids["c1"], "/m/notices")
    listing = client.get("/m/notices").get_data(as_text=True)
    assert "考核结果" in listing and f"/m/notices/{notice.id}" in listing
    page = client.get(f"/m/notices/{notice.id}").get_data(as_text=True)
    assert "“好”" in page and "公示期内如有异议请向单位反映。" * 5 in page
    other, _ = signed_in(web_app, fake_wechat, world["a"].openids["c2"], "/m/notices")
    assert other.get(f"/m/notices/{notice.id}").status_code == 404
