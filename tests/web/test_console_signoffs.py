"""Unit HR's console: who has confirmed the fed-back results (同意 / 有异议), who has not, and the objections with
their attachments; another unit's HR gets 404."""
from datetime import date

from handlers.quarter import decisions, feedback, publishing
from handlers.actor import actor_for_person
from models import Cycle, Evaluation

from .test_console_unit import _to_deciding, hr  # noqa: F401  (the signed-in unit HR fixture)

PDF = b"%PDF-1.4\n" + b"0" * 40


def _published(session, policy, world):
    a = world["a"]
    evaluations = _to_deciding(session, policy, a.cycle_id)
    admin = actor_for_person(session, a.people["hr"].id)
    decisions.record_meeting(session, admin, a.cycle_id, date(2000, 1, 3), "党组全体成员", "", date(2000, 1, 4))
    decisions.decide(session, admin, policy, a.cycle_id, {e.id: "较好" for e in evaluations})
    publishing.publish(session, admin, policy, a.cycle_id)
    session.commit()
    return a


def test_hr_sees_who_has_confirmed_and_the_objections(hr, world, session, policy):  # noqa: F811
    a = _published(session, policy, world)
    feedback.sign(session, actor_for_person(session, a.people["c1"].id), policy, "同意", "认可", channel="chat")
    feedback.file_objection(session, actor_for_person(session, a.people["c2"].id), policy, "加班未计入<b>",
                            channel="page", attachment=("加班记录.pdf", PDF))
    session.commit()
    cycle_page = hr.get(f"/console/unit/cycles/{a.cycle_id}").get_data(as_text=True)
    assert f'href="/console/unit/cycles/{a.cycle_id}/signoffs"' in cycle_page
    r = hr.get(f"/console/unit/cycles/{a.cycle_id}/signoffs")
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "已确认同意 <b>1</b> 人，有异议 <b>1</b> 人，<b>未确认 2</b> 人" in page
    assert "加班未计入&lt;b&gt;" in page and "加班记录.pdf" in page and "待单位答复" in page
    unsigned = hr.get(f"/console/unit/cycles/{a.cycle_id}/signoffs?only=unsigned").get_data(as_text=True)
    listed = unsigned.split('id="signoffs-table"')[1]
    assert "A干事3" in listed and "A人事" in listed and "A干事1" not in listed and "A干事2" not in listed
    oid = feedback.board(session, actor_for_person(session, a.people["hr"].id), policy, a.cycle_id).objections[0]["id"]
    download = hr.get(f"/console/unit/objections/{oid}/attachment")
    assert download.status_code == 200 and download.data == PDF


def test_another_units_cycle_is_not_found(hr, world, session, policy):  # noqa: F811
    b = world["b"]
    r = hr.get(f"/console/unit/cycles/{b.cycle_id}/signoffs")
    assert r.status_code == 404 and "找不到" in r.get_data(as_text=True)


def test_before_feedback_the_page_says_so(hr, world, session, policy):  # noqa: F811
    a = world["a"]
    page = hr.get(f"/console/unit/cycles/{a.cycle_id}/signoffs").get_data(as_text=True)
    assert "尚未反馈" in page and "未确认 0" in page
    assert session.get(Cycle, a.cycle_id).state == "open"
    assert session.query(Evaluation).filter_by(cycle_id=a.cycle_id).count() == 4  # the head is the county's


def test_hr_answers_objections_on_the_page_a_change_within_the_quota_only(hr, world, session, policy):  # noqa: F811
    from sqlalchemy import select

    from models import Objection

    from .test_console_unit import post

    a = _published(session, policy, world)
    for who in ("c2", "c3"):
        feedback.file_objection(session, actor_for_person(session, a.people[who].id), policy, "等次偏低", channel="page")
    session.commit()
    ids = {o.person_id: o.id for o in session.scalars(select(Objection))}
    c2, c3 = ids[a.people["c2"].id], ids[a.people["c3"].id]
    page = hr.get(f"/console/unit/cycles/{a.cycle_id}/signoffs").get_data(as_text=True)
    assert f'id="answer-{c2}"' in page and "经党委(党组)改变等次" in page
    change = {"cycle_id": a.cycle_id, "action": "change", "reason": "党组复议：加班未计入", "new_grade": "好",
              "meeting_on": date.today().isoformat(), "attendees": "党组全体成员"}
    r = post(hr, f"/console/unit/objections/{c2}/answer", change)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/cycles/{a.cycle_id}/signoffs?msg=answered")
    session.expire_all()
    assert session.get(Evaluation, session.get(Objection, c2).evaluation_id).final_grade == "好"
    page = hr.get(r.headers["Location"]).get_data(as_text=True)
    assert "异议已答复" in page and "由“较好”改为“好”" in page and f'id="answer-{c2}"' not in page
    # 一般干事 has 3 graded people: 40% rounded down is one 好, now taken
    r = post(hr, f"/console/unit/objections/{c3}/answer", change)
    assert r.status_code == 409 and "名额" in r.get_data(as_text=True)
    r = post(hr, f"/console/unit/objections/{c3}/answer", {"cycle_id": a.cycle_id, "action": "uphold", "reason": " "})
    assert r.status_code == 422 and "请写明答复理由" in r.get_data(as_text=True)
    r = post(hr, f"/console/unit/objections/{c3}/answer", dict(change, meeting_on="明天"))
    assert r.status_code == 422 and "会议日期格式" in r.get_data(as_text=True)
    r = post(hr, f"/console/unit/objections/{c2}/answer", {"cycle_id": a.cycle_id, "action": "uphold", "reason": "再答"})
    assert r.status_code == 409 and "不能答复维持原等次" in r.get_data(as_text=True)
    assert post(hr, "/console/unit/objections/999999/answer", {"action": "uphold", "reason": "x"}).status_code == 404
    session.expire_all()
    assert session.get(Objection, c3).state == "open"


def test_the_letters_download_as_docx_for_hr_and_the_person_only(hr, world, session, policy):  # noqa: F811
    from sqlalchemy import select

    from models import Objection

    a = _published(session, policy, world)
    feedback.file_objection(session, actor_for_person(session, a.people["c2"].id), policy, "等次偏低", channel="page")
    session.commit()
    oid = session.scalar(select(Objection.id))
    page = hr.get(f"/console/unit/cycles/{a.cycle_id}/signoffs").get_data(as_text=True)
    assert f"/console/unit/objections/{oid}/letter/accept" in page and "letter/decision" not in page
    r = hr.get(f"/console/unit/objections/{oid}/letter/accept")
    assert r.status_code == 200 and r.data.startswith(b"PK") and "attachment;" in r.headers["Content-Disposition"]
    r = hr.get(f"/console/unit/objections/{oid}/letter/decision")
    assert r.status_code == 409 and "尚未作出复核决定" in r.get_data(as_text=True)
    assert hr.get(f"/console/unit/objections/{oid}/letter/nonsense").status_code == 404
