"""本人签署意见 and 异议 through the handlers every transport calls: who may sign or object and when, what is
recorded and audited, who is told, what unit HR sees, and the reminders of people who have not signed."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from handlers.quarter import feedback, publishing
from handlers.actor import actor_for_person, system_actor
from handlers.errors import Conflict, Forbidden, InvalidInput, NotFound
from models import AuditEntry, Delivery, Notice, Objection, ResultSignoff
from tests import factories as f
from tests.feedback_world import decided

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def audit(session, action):
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def recipients(session, dedupe_prefix):
    return sorted(session.scalars(select(Delivery.person_id).join(Notice, Notice.id == Delivery.notice_id)
                                  .where(Notice.dedupe_key.startswith(dedupe_prefix))))


def test_agreeing_records_the_choice_comment_and_time_and_audits_it(session, policy):
    w = decided(session, policy)
    li = w.actor(session, "李明")
    view = feedback.sign(session, li, policy, "同意", "  认可审定结果  ", channel="chat")
    assert (view.signed, view.signed_label, view.signed_comment) == ("agree", "同意", "认可审定结果")
    assert not view.can_sign and view.signed_at
    row = session.scalar(select(ResultSignoff))
    assert (row.choice, row.channel, row.publication) == ("agree", "chat", 1)
    [entry] = audit(session, "result.sign")
    assert entry.actor == "person:F002" and entry.after["choice"] == "agree" and entry.after["grade"] == "好"


@pytest.mark.parametrize("choice, comment, code, error", [
    ("也许", "", "bad_choice", InvalidInput),
    ("同意", "长" * 201, "too_long", InvalidInput),
    ("有异议", "", "reason_required", InvalidInput),
    ("有异议", "   ", "reason_required", InvalidInput),
])
def test_bad_input_is_refused_in_chinese_and_nothing_is_saved(session, policy, choice, comment, code, error):
    w = decided(session, policy)
    with pytest.raises(error) as exc:
        feedback.sign(session, w.actor(session, "李明"), policy, choice, comment, channel="api")
    assert exc.value.code == code and any("\u4e00" <= ch <= "\u9fff" for ch in exc.value.message)
    assert session.scalar(select(ResultSignoff)) is None and session.scalar(select(Objection)) is None


def test_confirming_twice_is_refused_naming_the_first_answer(session, policy):
    w = decided(session, policy)
    li = w.actor(session, "李明")
    feedback.sign(session, li, policy, "同意", channel="page")
    with pytest.raises(Conflict) as exc:
        feedback.sign(session, li, policy, "同意", channel="chat")
    assert exc.value.code == "already_signed" and "不能重复确认" in exc.value.message
    assert len(audit(session, "result.sign")) == 1


def test_nothing_can_be_confirmed_before_the_results_are_fed_back(session, policy):
    w = decided(session, policy, publish=False)
    li = w.actor(session, "李明")
    assert feedback.my_feedback(session, li, policy) is None
    for call in (lambda: feedback.sign(session, li, policy, "同意", channel="chat"),
                 lambda: feedback.file_objection(session, li, policy, "不服", channel="chat")):
        with pytest.raises(Conflict) as exc:
            call()
        assert exc.value.code == "not_fed_back" and "公示开始后" in exc.value.message


def test_only_the_person_signs_their_own_result(session, policy):
    w = decided(session, policy)
    with pytest.raises(Forbidden):
        feedback.sign(session, system_actor(), policy, "同意", channel="api")
    with pytest.raises(NotFound):  # someone else's evaluation is not found
        feedback.sign(session, w.actor(session, "王芳"), policy, "同意", channel="api",
                      evaluation_id=w.evaluations["李明"])
    assert audit(session, "access.denied")


def test_a_person_not_graded_confirms_too(session, policy):
    w = decided(session, policy)
    view = feedback.sign(session, w.actor(session, "赵强"), policy, "无异议", channel="page")
    assert view.grade.startswith("不定等次") and view.signed == "agree"


def test_an_objection_signs_有异议_and_tells_unit_hr_and_the_committee(session, policy):
    w = decided(session, policy)
    wang = w.actor(session, "王芳")
    view = feedback.file_objection(session, wang, policy, "第三项指标的得分与实际工作量不符", channel="chat")
    assert view.signed == "object" and view.objection["state"] == "open"
    assert view.objection["state_label"] == "待单位答复" and view.objection["answer_due"]
    o = session.scalar(select(Objection))
    assert (o.grade, o.state, o.publication, o.attachment) == ("较好", "open", 1, None)
    assert o.answer_due > o.created_at
    told = recipients(session, f"objection:{o.id}:")
    assert told == sorted([w.people["孙人事"].id, w.leader.id])  # unit HR and the committee (the unit's leader)
    text = session.scalar(select(Notice.body).where(Notice.dedupe_key.startswith("objection:")))
    assert "王芳" in text and "第三项指标" in text and "答复" in text
    assert [e.after["reason"] for e in audit(session, "objection.file")] == ["第三项指标的得分与实际工作量不符"]
    assert audit(session, "result.sign")[0].after["choice"] == "object"


def test_有异议_through_the_sign_off_is_the_same_objection(session, policy):
    w = decided(session, policy)
    view = feedback.sign(session, w.actor(session, "王芳"), policy, "有异议", "等次偏低", channel="api")
    assert view.signed_label == "有异议" and view.objection["reason"] == "等次偏低"


@pytest.mark.parametrize("first", ["agree", "object"])
def test_one_objection_per_result_and_none_after_agreeing(session, policy, first):
    w = decided(session, policy)
    li = w.actor(session, "李明")
    if first == "agree":
        feedback.sign(session, li, policy, "同意", channel="chat")
    else:
        feedback.file_objection(session, li, policy, "理由一", channel="chat")
    with pytest.raises(Conflict) as exc:
        feedback.file_objection(session, li, policy, "理由二", channel="chat")
    assert exc.value.code == ("signed_agree" if first == "agree" else "objection_exists")
    assert len(list(session.scalars(select(Objection)))) == (0 if first == "agree" else 1)


def test_objecting_after_the_window_is_refused_with_the_end(session, policy):
    w = decided(session, policy)
    late = w.cycle.publicity_ends + timedelta(days=30)
    with pytest.raises(Conflict) as exc:
        feedback.file_objection(session, w.actor(session, "李明"), policy, "迟到的异议", channel="page", now=late)
    assert exc.value.code == "objection_window_closed" and "截止" in exc.value.message
    view = feedback.my_feedback(session, w.actor(session, "李明"), policy, now=late)
    assert view.can_sign and not view.can_object and "截止" in view.reasons["object"]


def test_an_attachment_is_kept_and_shown_only_to_the_person_hr_and_the_county(session, policy):
    w = decided(session, policy)
    view = feedback.file_objection(session, w.actor(session, "王芳"), policy, "见附件", channel="page",
                                   attachment=("工作台账.png", PNG))
    oid = view.objection["id"]
    assert view.objection["attachment_name"] == "工作台账.png"
    for who in (w.actor(session, "王芳"), w.hr, system_actor()):
        assert feedback.attachment(session, who, oid) == ("工作台账.png", "image/png", PNG)
    with pytest.raises(NotFound):
        feedback.attachment(session, w.actor(session, "李明"), oid)


def test_a_file_that_is_not_a_picture_or_pdf_is_refused(session, policy):
    w = decided(session, policy)
    with pytest.raises(InvalidInput) as exc:
        feedback.file_objection(session, w.actor(session, "王芳"), policy, "见附件", channel="api",
                                attachment=("a.png", b"MZ\x90\x00executable"))
    assert exc.value.code == "attachment_type" and session.scalar(select(Objection)) is None


def test_unit_hr_sees_who_has_and_has_not_confirmed_and_the_objections(session, policy):
    w = decided(session, policy)
    feedback.sign(session, w.actor(session, "李明"), policy, "同意", "无意见", channel="chat")
    feedback.file_objection(session, w.actor(session, "王芳"), policy, "等次偏低", channel="page")
    b = feedback.board(session, w.hr, policy, w.cycle.id)
    assert (b.agreed, b.objected, b.unsigned) == (1, 1, 2)
    by_name = {r["name"]: r for r in b.rows}
    assert by_name["李明"]["signed_label"] == "同意" and by_name["李明"]["comment"] == "无意见"
    assert by_name["赵强"]["signed_label"] == "未确认" and by_name["王芳"]["objection"] == "待单位答复"
    assert [o["name"] for o in b.objections] == ["王芳"]
    assert feedback.board(session, system_actor(), policy, w.cycle.id).unsigned == 2  # the county office


def test_another_units_hr_does_not_see_the_board(session, policy):
    w = decided(session, policy)
    other = f.unit(session, "县教育局")
    hr2 = f.person(session, other, name="钱人事", roles=("unit_admin",))
    with pytest.raises(NotFound):
        feedback.board(session, actor_for_person(session, hr2.id), policy, w.cycle.id)


def test_a_republished_result_is_signed_again(session, policy):
    w = decided(session, policy)
    li = w.actor(session, "李明")
    feedback.sign(session, li, policy, "同意", channel="chat")
    after = w.cycle.publicity_ends + timedelta(minutes=1)
    filing = publishing.file_results(session, w.hr, policy, w.cycle.id, now=after)
    publishing.review_filing(session, system_actor(), filing.id, accept=False, reason="请核实王芳的等次")
    assert feedback.my_feedback(session, li, policy) is None  # withdrawn: nothing to confirm
    publishing.publish(session, w.hr, policy, w.cycle.id)
    assert w.cycle.publication == 2
    view = feedback.my_feedback(session, li, policy)
    assert view.can_sign and view.signed is None
    assert feedback.sign(session, li, policy, "同意", channel="chat").signed == "agree"
    assert len(list(session.scalars(select(ResultSignoff)))) == 2  # the first answer stays on record


def _published_at(w):
    at = w.cycle.published_at
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def test_people_who_have_not_signed_are_reminded_per_the_policy_and_hr_gets_the_list(session, policy):
    from models.rules.feedback import sign_deadline
    from models.rules.reminders import moments

    w = decided(session, policy)
    feedback.sign(session, w.actor(session, "李明"), policy, "同意", channel="chat")
    deadline = sign_deadline(_published_at(w), policy)
    when = dict(moments(deadline, policy, policy.feedback.remind_offsets_days))
    assert set(when) == {f"d{d}" for d in policy.feedback.remind_offsets_days} | {"overdue"}
    assert feedback.remind_unsigned(session, policy, when["d1"] - timedelta(minutes=1)) == []
    first = feedback.remind_unsigned(session, policy, when["d1"])
    assert len(first) == 1
    unsigned = sorted(w.people[n].id for n in ("王芳", "赵强", "孙人事"))
    assert recipients(session, f"signoff:{w.cycle.id}:1:d1") == unsigned
    assert feedback.remind_unsigned(session, policy, when["d1"] + timedelta(minutes=5)) == []  # once
    feedback.file_objection(session, w.actor(session, "王芳"), policy, "等次偏低", channel="chat",
                            now=when["d1"] + timedelta(hours=1))
    late = feedback.remind_unsigned(session, policy, when["overdue"])
    assert len(late) == 2
    assert recipients(session, f"signoff:{w.cycle.id}:1:overdue") == sorted(w.people[n].id for n in ("赵强", "孙人事"))
    body = session.scalar(select(Notice.body).where(Notice.dedupe_key == f"signoff-unsigned:{w.cycle.id}:1"))
    assert "赵强" in body and "孙人事" in body and "李明" not in body
    assert recipients(session, f"signoff-unsigned:{w.cycle.id}:1") == [w.people["孙人事"].id]


def test_no_reminder_in_quiet_hours(session, policy):
    w = decided(session, policy)
    night = datetime.combine(_published_at(w).date() + timedelta(days=2), datetime.min.time(), UTC) \
        + timedelta(hours=15)  # 23:00 in Beijing
    assert feedback.remind_unsigned(session, policy, night) == []


def test_a_quarter_published_before_sign_offs_existed_asks_nothing(session, policy):
    w = decided(session, policy)
    w.cycle.published_at = None  # as a cycle published before migration 0009 has it
    session.flush()
    li = w.actor(session, "李明")
    assert feedback.my_feedback(session, li, policy) is None
    with pytest.raises(Conflict):
        feedback.sign(session, li, policy, "同意", channel="chat")
    assert feedback.board(session, w.hr, policy, w.cycle.id).rows == []
