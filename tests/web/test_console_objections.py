"""The county office's console: every unit's objections with their age and the overdue ones (also counted on the
board), escalations concluded with a note; unit HR does not see the list."""
from datetime import timedelta

from sqlalchemy import select

from handlers.quarter import feedback, objections
from handlers.actor import actor_for_person
from models import Objection

from .county_world import county_client
from .test_console_signoffs import _published
from .test_console_unit import hr  # noqa: F401  (the signed-in unit HR fixture)


def test_the_county_office_sees_objections_and_concludes_an_escalation(web_app, console_accounts, world, session,
                                                                       policy, hr):  # noqa: F811
    a = _published(session, policy, world)
    for who in ("c2", "c3"):
        feedback.file_objection(session, actor_for_person(session, a.people[who].id), policy, f"{who}认为等次偏低<i>",
                                channel="page")
    session.commit()
    ids = {o.person_id: o for o in session.scalars(select(Objection))}
    late = ids[a.people["c3"].id]
    late.answer_due = late.created_at - timedelta(days=1)  # as if its working days had run out
    c2 = ids[a.people["c2"].id].id
    session.commit()
    admin = actor_for_person(session, a.people["hr"].id)
    objections.answer(session, admin, policy, c2, "uphold", "依据充分")
    objections.respond(session, actor_for_person(session, a.people["c2"].id), policy, "escalate", "不服答复",
                       channel="page")
    session.commit()
    client, token = county_client(web_app, console_accounts)
    board = client.get("/console/county/board").get_data(as_text=True)
    assert "待单位答复 <b>1</b> 件" in board and "答复逾期 <b>1</b> 件" in board and "申诉 <b>1</b> 件" in board
    page = client.get("/console/county/objections").get_data(as_text=True)
    assert "c2认为等次偏低&lt;i&gt;" in page and "（已逾期）" in page and "县财政局" in page and "不服答复" in page
    assert f'id="close-{c2}"' in page
    only = client.get("/console/county/objections?overdue=1").get_data(as_text=True).split('id="objections"')[1]
    assert "c3认为" in only and "c2认为" not in only
    r = client.post(f"/console/county/objections/{c2}/close", data={"csrf_token": token, "note": " "})
    assert r.status_code == 422 and "请写明办理意见" in r.get_data(as_text=True)
    r = client.post(f"/console/county/objections/{c2}/close", data={"csrf_token": token, "note": "维持单位答复"})
    assert r.status_code == 302 and r.headers["Location"].endswith("msg=concluded")
    again = client.post(f"/console/county/objections/{c2}/close", data={"csrf_token": token, "note": "再办"})
    assert again.status_code == 409 and "不能办结" in again.get_data(as_text=True)
    session.expire_all()
    assert session.get(Objection, c2).state == "closed"
    assert hr.get("/console/county/objections").status_code == 403


def test_a_regrade_after_filing_is_shown_to_unit_hr_and_the_county_and_corrected_on_the_console(
        web_app, console_accounts, world, session, policy, hr):  # noqa: F811
    from datetime import date

    from handlers.quarter import publishing
    from models import Cycle, Filing

    from .test_console_unit import post

    a = _published(session, policy, world)
    feedback.file_objection(session, actor_for_person(session, a.people["c2"].id), policy, "等次偏低", channel="page")
    session.commit()
    admin = actor_for_person(session, a.people["hr"].id)
    publicity_ends = session.get(Cycle, a.cycle_id).publicity_ends
    filing = publishing.file_results(session, admin, policy, a.cycle_id, now=publicity_ends + timedelta(days=1))
    oid = session.scalar(select(Objection.id))
    session.commit()
    fid = filing.id
    client, token = county_client(web_app, console_accounts)
    assert client.post(f"/console/county/filings/{fid}/review", data={"csrf_token": token, "action": "accept"}
                       ).status_code == 302
    objections.answer(session, admin, policy, oid, "change", "党委复议", new_grade="一般",
                      meeting_on=date(2000, 1, 5), attendees="党组全体成员")
    session.commit()

    listed = hr.get("/console/unit/filings").get_data(as_text=True).split('id="filings-table"')[1]
    assert "结果已变更，需更正备案" in listed
    detail = hr.get(f"/console/unit/filings/{fid}").get_data(as_text=True)
    assert 'id="results-changed"' in detail and "A干事2 较好→一般" in detail and 'id="correct-filing"' in detail
    decide = hr.get(f"/console/unit/cycles/{a.cycle_id}/decide").get_data(as_text=True)
    assert 'id="results-changed"' in decide and f'action="/console/unit/cycles/{a.cycle_id}/file/correct"' in decide
    county_list = client.get("/console/county/filings").get_data(as_text=True)
    assert "结果已变更，需更正备案" in county_list
    county_page = client.get(f"/console/county/filings/{fid}").get_data(as_text=True)
    assert 'id="results-changed"' in county_page and "A干事2 较好→一般" in county_page

    r = post(hr, f"/console/unit/cycles/{a.cycle_id}/file/correct")
    assert r.status_code == 302 and r.headers["Location"].endswith("msg=corrected")
    again = post(hr, f"/console/unit/cycles/{a.cycle_id}/file/correct")
    assert again.status_code == 409 and "无需更正备案" in again.get_data(as_text=True)
    county_page = client.get(f"/console/county/filings/{fid}").get_data(as_text=True)
    assert 'id="results-changed"' not in county_page and 'id="filing-history"' in county_page
    earlier = county_page.split('id="filing-history"')[1]
    assert "当时状态 已通过" in earlier and " UTC" not in earlier and "accepted" not in earlier  # Beijing time, Chinese
    assert "person:" not in county_page and "（AH1）" in earlier  # who filed: the name and staff number, not the ref
    assert "当时状态 已通过" in hr.get(f"/console/unit/filings/{fid}").get_data(as_text=True)
    assert 'id="accept"' in county_page and "disabled" not in county_page.split('id="accept"')[1].split(">")[0]
    assert client.post(f"/console/county/filings/{fid}/review", data={"csrf_token": token, "action": "accept"}
                       ).status_code == 302
    session.expire_all()
    kept = session.get(Filing, fid)
    assert kept.state == "accepted" and len(kept.history) == 1
    assert {r["name"]: r["final_grade"] for r in kept.history[0]["payload"]["rows"]}["A干事2"] == "较好"
    assert {r["name"]: r["final_grade"] for r in kept.payload["rows"]}["A干事2"] == "一般"
