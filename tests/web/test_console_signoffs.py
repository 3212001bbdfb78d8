"""Unit HR's console: who has confirmed the fed-back results (同意 / 有异议), who has not, and the objections with
their attachments; another unit's HR gets 404."""
from datetime import date

from handlers import decisions, feedback, publishing
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
