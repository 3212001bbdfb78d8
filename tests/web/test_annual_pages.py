"""The annual grade on the console and the phone: unit HR records (a grade outside the rules is a Chinese refusal
on the page), tells people and decides a 复核; the person sees their grade on /m/annual and asks for the 复核
there, downloads the 受理通知书, and accepts or 申诉 the decision."""
import io
from datetime import date

from docx import Document
from sqlalchemy import select

from handlers.actor import system_actor
from handlers.identity import admin_accounts as A
from handlers.results import annual_results
from models import AnnualResult, Objection
from tests.annual_world import YEAR, year_decided

from .conftest import bind_oa, console_sign_in, csrf_of, sign_in


def console_hr(web_app, session, w):
    A.create_account(session, system_actor(), "caizheng-hr", "F006", "correct horse battery", False)
    session.commit()
    client = web_app.test_client()
    assert console_sign_in(client, "caizheng-hr", "correct horse battery").status_code == 302
    return client, csrf_of(client.get("/console").get_data(as_text=True))


def phone(web_app, fake_wechat, session, person, path="/m/annual"):
    client = web_app.test_client()
    signed_in = sign_in(client, fake_wechat, bind_oa(session, person), path)
    assert signed_in.status_code == 302
    page = client.get(path)
    assert page.status_code == 200, page.data
    return client, page.get_data(as_text=True)


def test_unit_hr_records_tells_and_decides_a_review_on_the_console(web_app, session, policy):
    w = year_decided(session, policy)
    session.commit()
    client, token = console_hr(web_app, session, w)
    base = f"?unit={w.unit.id}&year={YEAR}"
    page = client.get(f"/console/unit/annual{base}").get_data(as_text=True)
    assert "年度考核等次" in page and 'id="annual-F003"' in page and "基本称职、不称职" in page
    refused = client.post(f"/console/unit/annual/record{base}", data={"csrf_token": token, "staff_no": "F003",
                                                                       "grade": "称职"})
    assert refused.status_code == 409 and "直接确定为“不称职”" in refused.get_data(as_text=True)
    r = client.post(f"/console/unit/annual/record{base}", data={"csrf_token": token, "staff_no": "F004",
                                                                 "grade": "不称职"})
    assert r.status_code == 302 and r.headers["Location"].endswith("msg=annual_recorded")
    assert client.post(f"/console/unit/annual/record-suggested{base}", data={"csrf_token": token}).status_code == 302
    assert client.post(f"/console/unit/annual/feedback{base}", data={"csrf_token": token}).status_code == 302
    session.expire_all()
    assert all(r.fed_back_at for r in session.scalars(select(AnnualResult)))
    zhao = session.scalar(select(AnnualResult).where(AnnualResult.person_id == w.people["赵强"].id))
    assert (zhao.grade, zhao.decided_by) == ("不称职", "person:F006")
    from handlers.actor import actor_for_person
    annual_results.file_objection(session, actor_for_person(session, w.people["赵强"].id), policy, "应为基本称职",
                                  channel="page")
    session.commit()
    oid = session.scalar(select(Objection.id))
    page = client.get(f"/console/unit/annual{base}").get_data(as_text=True)
    assert "（F006） / " in page and "person:F006" not in page  # who recorded it: the name, not the stored ref
    assert f'id="answer-{oid}"' in page and "应为基本称职" in page
    r = client.post(f"/console/unit/annual/objections/{oid}/answer{base}",
                    data={"csrf_token": token, "action": "change", "reason": "经复核改为基本称职",
                          "new_grade": "基本称职", "meeting_on": date.today().isoformat(), "attendees": "张局长等"})
    assert r.status_code == 302, r.get_data(as_text=True)
    page = client.get(f"/console/unit/annual{base}").get_data(as_text=True)
    assert "（原定不称职）" in page and "由“不称职”改为“基本称职”" in page
    letter = client.get(f"/console/unit/objections/{oid}/letter/decision")
    assert letter.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(letter.data)).paragraphs)
    assert "年度考核复核决定书" in text and "不停止" in text and "基本称职" in text


def test_the_person_asks_for_a_review_on_the_phone(web_app, fake_wechat, session, policy):
    w = year_decided(session, policy)
    annual_results.record_suggested(session, w.hr, policy, w.unit.id, YEAR)
    annual_results.feed_back(session, w.hr, policy, w.unit.id, YEAR)
    session.commit()
    client, me = phone(web_app, fake_wechat, session, w.people["王芳"], "/m/me")
    assert "2025年度考核等次：不称职" in me and "申请复核" in me and 'href="/m/annual"' in me
    page = client.get("/m/annual").get_data(as_text=True)
    assert 'id="grade">不称职' in page and 'id="object-form"' in page and "不停止" in page
    token = csrf_of(page)
    empty = client.post("/m/annual/object", data={"csrf_token": token, "reason": " ", "year": str(YEAR)})
    assert empty.status_code == 422 and "请写明复核理由" in empty.get_data(as_text=True)
    r = client.post("/m/annual/object", data={"csrf_token": token, "reason": "病假期间工作未计入", "year": str(YEAR)})
    assert r.status_code == 302 and r.headers["Location"].endswith("msg=reviewed")
    shown = client.get("/m/annual?msg=reviewed").get_data(as_text=True)
    assert "已申请复核" in shown and "待单位答复" in shown and 'id="object-form"' not in shown
    oid = session.scalar(select(Objection.id))
    letter = client.get(f"/m/objections/{oid}/letter/accept")
    text = "\n".join(p.text for p in Document(io.BytesIO(letter.data)).paragraphs)
    assert "年度考核复核申请受理通知书" in text and "2025年度考核确定的等次“不称职”" in text and "不停止" in text
    from handlers.quarter import objections
    objections.answer(session, w.hr, policy, oid, "uphold", "依规直接确定")
    session.commit()
    page = client.get("/m/annual").get_data(as_text=True)
    assert 'id="reply-form"' in page and "维持原等次“不称职”" in page
    r = client.post("/m/annual/reply", data={"csrf_token": token, "objection_id": str(oid), "action": "accept"})
    assert r.status_code == 302 and r.headers["Location"].endswith("msg=accepted")
    session.expire_all()
    assert session.get(Objection, oid).state == "closed"
    _, page = phone(web_app, fake_wechat, session, w.people["李明"])
    assert 'id="grade">优秀' in page and "不属于可以申请复核的等次" in page
