"""异议 → 复核 through the handlers every transport calls: the unit answers (维持 / 改变等次 through the committee,
the tier's 好 quota checked again), the person accepts or escalates, the county office sees every unit's objections
with their age and concludes escalated ones; unit HR is reminded of an unanswered objection."""
from dataclasses import replace
from datetime import UTC, date, timedelta

import pytest
from sqlalchemy import select

from handlers.quarter import feedback, objections
from handlers.actor import actor_for_person
from handlers.errors import Conflict, Forbidden, InvalidInput, NotFound
from models import AuditEntry, Delivery, Evaluation, Notice, Objection
from tests import factories as f
from tests.feedback_world import decided

TODAY = date(2026, 10, 20)


def audit(session, action):
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def recipients(session, dedupe_prefix):
    return sorted(session.scalars(select(Delivery.person_id).join(Notice, Notice.id == Delivery.notice_id)
                                  .where(Notice.dedupe_key.startswith(dedupe_prefix))))


def objected(session, policy, name="王芳"):
    w = decided(session, policy)
    feedback.file_objection(session, w.actor(session, name), policy, "等次偏低，第三项指标得分与实际工作量不符",
                            channel="chat")
    return w, session.scalar(select(Objection))


def aware(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_unit_hr_upholds_the_grade_with_a_reason_and_the_person_is_told(session, policy):
    w, o = objected(session, policy)
    out = objections.answer(session, w.hr, policy, o.id, "uphold", "经复核，评分依据充分")
    assert (out["state"], out["state_label"], out["answer"]) == ("upheld", "单位维持原等次", "经复核，评分依据充分")
    assert session.get(Evaluation, o.evaluation_id).final_grade == "较好"
    [entry] = audit(session, "objection.uphold")
    assert entry.actor == "person:F006" and entry.before == {"state": "open"} and entry.after["late"] is False
    assert recipients(session, f"objection-answer:{o.id}") == [w.people["王芳"].id]
    body = session.scalar(select(Notice.body).where(Notice.dedupe_key == f"objection-answer:{o.id}"))
    assert "维持原等次“较好”" in body and "申诉" in body and "接受答复" in body
    mine = feedback.my_feedback(session, w.actor(session, "王芳"), policy)
    assert mine.objection["can_accept"] and mine.objection["can_escalate"] and mine.objection["escalate_ends"]


def test_a_changed_grade_goes_through_the_committee_with_the_tiers_quota_checked_again(session, policy):
    w, o = objected(session, policy)
    # hengyang: 40% of the tier's 3 graded people, rounded down — 1 好, held by 李明
    with pytest.raises(Conflict) as exc:
        objections.answer(session, w.hr, policy, o.id, "change", "党委复议", new_grade="好",
                          meeting_on=date(2026, 10, 19), attendees="张局长、党委全体成员")
    assert exc.value.code == "quota_exceeded" and "一般干事" in exc.value.message and "名额" in exc.value.message
    assert o.state == "open" and session.get(Evaluation, o.evaluation_id).final_grade == "较好"

    roomy = replace(policy, quota=replace(policy.quota, good_percent=70))  # 2 of 3 may be 好
    out = objections.answer(session, w.hr, roomy, o.id, "change", "党委复议认为工作量计算有误", new_grade="好",
                            meeting_on=date(2026, 10, 19), attendees="张局长、党委全体成员")
    assert (out["state"], out["grade"], out["new_grade"], out["meeting_on"]) == ("changed", "较好", "好", "2026-10-19")
    assert session.get(Evaluation, o.evaluation_id).final_grade == "好"  # the result list and roll-ups read this
    [regrade] = audit(session, "evaluation.regrade")
    assert regrade.before == {"final_grade": "较好"} and regrade.after["final_grade"] == "好"
    assert regrade.after["objection_id"] == o.id and regrade.after["attendees"] == "张局长、党委全体成员"
    assert audit(session, "objection.change")[0].after["new_grade"] == "好"
    body = session.scalar(select(Notice.body).where(Notice.dedupe_key == f"objection-answer:{o.id}"))
    assert "由“较好”改为“好”" in body
    view = feedback.my_feedback(session, w.actor(session, "王芳"), policy)
    assert view.grade == "好" and view.objection["grade"] == "较好" and view.objection["new_grade"] == "好"
    from handlers.county import person_record

    record = person_record.person_year(session, w.hr, policy, "F003", 2026, 3)["detail"]
    assert record["final_grade"] == "好" and record["grade_history"] == "原定“较好”，经异议复核（2026-10-19 党委(党组)会议）改为“好”"


@pytest.mark.parametrize("action, reason, kw, code, error", [
    ("uphold", "  ", {}, "reason_required", InvalidInput),
    ("maybe", "理由", {}, "bad_answer", InvalidInput),
    ("change", "复议", {"new_grade": "优秀", "meeting_on": date(2026, 10, 19), "attendees": "全体"}, "bad_grade",
     InvalidInput),
    ("change", "复议", {"new_grade": "较好", "meeting_on": date(2026, 10, 19), "attendees": "全体"}, "same_grade",
     InvalidInput),
    ("change", "复议", {"new_grade": "一般", "attendees": "全体"}, "meeting_required", InvalidInput),
    ("change", "复议", {"new_grade": "一般", "meeting_on": date(2026, 10, 19)}, "attendees_required", InvalidInput),
])
def test_an_answer_as_entered_is_refused_in_chinese_and_nothing_changes(session, policy, action, reason, kw, code,
                                                                        error):
    w, o = objected(session, policy)
    with pytest.raises(error) as exc:
        objections.answer(session, w.hr, policy, o.id, action, reason, **kw)
    assert exc.value.code == code and any("\u4e00" <= ch <= "\u9fff" for ch in exc.value.message)
    assert o.state == "open" and not audit(session, f"objection.{action}")


def test_a_review_cannot_grant_a_grade_that_a_negative_list_item_blocks(session, policy):
    """A 诫勉 in force (影响期内不得评为好) blocks 好 in the committee's decision; the objection's review is the same
    committee and is refused the same way, naming the item — even where the quota has room."""
    from handlers.quarter import merits
    from handlers.quarter.merits import Upload

    w, o = objected(session, policy)
    roomy = replace(policy, quota=replace(policy.quota, good_percent=70))
    event = merits.record(session, w.hr, roomy, w.people["王芳"].staff_no, "W01", date(2026, 8, 10), "诫勉谈话",
                          Upload("决定.pdf", b"%PDF-1.4 evidence"), TODAY)
    merits.review(session, actor_for_person(session, f.person(session, f.unit(session, "县委组织部"),
                                                              roles=("county_admin",)).id), roomy, event["id"], True)
    with pytest.raises(Conflict) as exc:
        objections.answer(session, w.hr, roomy, o.id, "change", "党委复议", new_grade="好",
                          meeting_on=date(2026, 10, 19), attendees="张局长、党委全体成员")
    assert "不得评为好" in exc.value.message and "王芳" in exc.value.message
    assert o.state == "open" and session.get(Evaluation, o.evaluation_id).final_grade == "较好"


def test_answering_twice_a_not_graded_change_and_other_units_are_refused(session, policy):
    w, o = objected(session, policy)
    objections.answer(session, w.hr, policy, o.id, "uphold", "依据充分")
    with pytest.raises(Conflict) as exc:
        objections.answer(session, w.hr, policy, o.id, "uphold", "再答一次")
    assert exc.value.code == "illegal_transition" and "不能答复维持原等次" in exc.value.message
    other = f.unit(session, "县教育局")
    stranger = actor_for_person(session, f.person(session, other, name="外单位人事", roles=("unit_admin",)).id)
    with pytest.raises(NotFound):
        objections.answer(session, stranger, policy, o.id, "uphold", "越权")
    county = actor_for_person(session, f.person(session, other, name="县公务员办", roles=("county_admin",)).id)
    with pytest.raises(Forbidden):
        objections.answer(session, county, policy, o.id, "uphold", "越权")
    with pytest.raises(NotFound):
        objections.answer(session, w.hr, policy, 999999, "uphold", "没有")


def test_a_not_graded_person_is_answered_but_not_regraded(session, policy):
    w, o = objected(session, policy, "赵强")
    with pytest.raises(Conflict) as exc:
        objections.answer(session, w.hr, policy, o.id, "change", "复议", new_grade="好",
                          meeting_on=date(2026, 10, 19), attendees="全体")
    assert exc.value.code == "not_graded"


def test_the_person_accepts_the_answer_and_the_objection_is_closed(session, policy):
    w, o = objected(session, policy)
    wang = w.actor(session, "王芳")
    with pytest.raises(Conflict) as exc:
        objections.respond(session, wang, policy, "accept", channel="chat")
    assert exc.value.code == "not_answered"
    with pytest.raises(Conflict) as exc:
        objections.respond(session, wang, policy, "escalate", "不服", channel="chat")
    assert exc.value.code == "not_answered" and "尚未答复" in exc.value.message
    objections.answer(session, w.hr, policy, o.id, "uphold", "依据充分")
    view = objections.respond(session, wang, policy, "accept", channel="page")
    assert view.objection["state"] == "closed" and not view.objection["can_escalate"]
    assert audit(session, "objection.accept")[0].after["channel"] == "page"
    with pytest.raises(Conflict):
        objections.respond(session, wang, policy, "escalate", "又不服了", channel="chat")
    with pytest.raises(NotFound):  # somebody else's objection
        objections.respond(session, w.actor(session, "李明"), policy, "accept", channel="api", objection_id=o.id)


def test_an_escalation_goes_to_the_county_office_which_concludes_it(session, policy):
    w, o = objected(session, policy)
    county_unit = f.unit(session, "县公务员局")
    clerk = f.person(session, county_unit, name="钱科长", roles=("county_admin",))
    county = actor_for_person(session, clerk.id)
    objections.answer(session, w.hr, policy, o.id, "uphold", "依据充分")
    wang = w.actor(session, "王芳")
    with pytest.raises(InvalidInput):
        objections.respond(session, wang, policy, "escalate", " ", channel="chat")
    late = aware(o.answered_at) + timedelta(days=30)
    with pytest.raises(Conflict) as exc:
        objections.respond(session, wang, policy, "escalate", "不服", channel="chat", now=late)
    assert exc.value.code == "escalation_window_closed" and "截止" in exc.value.message
    view = objections.respond(session, wang, policy, "escalate", "单位未说明扣分依据", channel="chat")
    assert view.objection["state"] == "escalated"
    assert recipients(session, f"objection-escalate:{o.id}:") == [clerk.id]
    listed = objections.county_list(session, county, policy)
    assert (listed.open, listed.escalated) == (0, 1) and listed.rows[0]["escalation_reason"] == "单位未说明扣分依据"
    with pytest.raises(Forbidden):
        objections.county_list(session, w.hr, policy)
    with pytest.raises(NotFound):
        objections.conclude(session, w.hr, policy, o.id, "我来办结")
    out = objections.conclude(session, county, policy, o.id, "经核查，维持单位答复")
    assert out["state"] == "closed" and out["county_note"] == "经核查，维持单位答复"
    assert recipients(session, f"objection-close:{o.id}") == sorted([w.people["王芳"].id, w.people["孙人事"].id])
    assert audit(session, "objection.close")[0].actor == clerk.staff_no.join(("person:", ""))
    assert objections.county_list(session, county, policy).rows == []
    assert len(objections.county_list(session, county, policy, include_closed=True).rows) == 1


def test_the_county_sees_every_units_open_objections_with_their_age_and_the_overdue_ones(session, policy):
    _, o = objected(session, policy)
    county = actor_for_person(session, f.person(session, f.unit(session, "县公务员局"), roles=("county_admin",)).id)
    soon = aware(o.created_at) + timedelta(days=2)
    listed = objections.county_list(session, county, policy, now=soon)
    [row] = listed.rows
    assert (row["unit"], row["name"], row["age_days"], row["overdue"]) == ("县财政局", "王芳", 2, False)
    after = aware(o.answer_due) + timedelta(hours=1)
    listed = objections.county_list(session, county, policy, now=after)
    assert listed.rows[0]["overdue"] and (listed.open, listed.overdue) == (1, 1)
    assert objections.counts(session, now=after) == {"open": 1, "overdue": 1, "escalated": 0}


def test_unit_hr_is_reminded_before_the_answer_is_due_and_once_when_overdue(session, policy):
    from models.rules.reminders import moments

    w, o = objected(session, policy)
    when = dict(moments(aware(o.answer_due), policy, policy.feedback.answer_remind_offsets_days))
    assert set(when) == {f"d{d}" for d in policy.feedback.answer_remind_offsets_days} | {"overdue"}
    assert objections.remind_answers(session, policy, when["d2"] - timedelta(minutes=1)) == []
    assert len(objections.remind_answers(session, policy, when["d2"])) == 1
    assert objections.remind_answers(session, policy, when["d2"] + timedelta(minutes=5)) == []
    assert recipients(session, f"objection-due:{o.id}:d2") == [w.people["孙人事"].id]
    assert len(objections.remind_answers(session, policy, when["overdue"])) == 1
    body = session.scalar(select(Notice.body).where(Notice.dedupe_key == f"objection-due:{o.id}:overdue"))
    assert "王芳" in body and "已超过答复期限" in body
    objections.answer(session, w.hr, policy, o.id, "uphold", "依据充分")
    assert objections.remind_answers(session, policy, when["overdue"] + timedelta(days=1)) == []


def test_a_grade_under_the_law_runs_on_the_laws_clocks_and_gets_its_letters(session, policy):
    import io

    from docx import Document

    from handlers.results.documents.letters import objection_letter

    law = replace(policy, feedback=replace(policy.feedback, law_grades=("较好",)))  # 王芳's grade, for the test
    w = decided(session, law)
    view = feedback.file_objection(session, w.actor(session, "王芳"), law, "等次偏低", channel="page")
    o = session.scalar(select(Objection))
    from models.rules.calendar import to_local

    filed_on, due_on = to_local(o.created_at, law).date(), to_local(o.answer_due, law).date()
    assert due_on - filed_on == timedelta(days=30)  # the organ decides within 30 (calendar) days
    assert view.objection["answer_due"]

    def letter(kind, actor=w.hr):
        buf = io.BytesIO()
        name = objection_letter(session, actor, law, o.id, kind, buf)
        return name, "\n".join(p.text for p in Document(io.BytesIO(buf.getvalue())).paragraphs)

    name, text = letter("accept")
    assert name.startswith("受理通知书_F003_王芳") and name.endswith(".docx")
    assert "复核申请" in text and "本机关已受理" in text and "30日内作出复核决定" in text and "不停止" in text
    with pytest.raises(Conflict) as exc:
        letter("decision")
    assert exc.value.code == "not_answered"
    objections.answer(session, w.hr, law, o.id, "uphold", "评分依据充分")
    body = session.scalar(select(Notice.body).where(Notice.dedupe_key == f"objection-answer:{o.id}"))
    assert "不停止" in body
    _, text = letter("decision", w.actor(session, "王芳"))  # the person's own copy
    assert "维持你的" in text and "15日内" in text and policy.contact in text and "不停止" in text
    mine = feedback.my_feedback(session, w.actor(session, "王芳"), law)
    assert mine.objection["under_law"] and mine.objection["can_escalate"]
    late = aware(o.answered_at) + timedelta(days=16)
    with pytest.raises(Conflict) as exc:
        objections.respond(session, w.actor(session, "王芳"), law, "escalate", "不服", channel="page", now=late)
    assert exc.value.code == "escalation_window_closed"
    with pytest.raises(NotFound):
        letter("decision", w.actor(session, "李明"))
    with pytest.raises(NotFound):
        letter("other")


def test_the_person_is_reminded_before_escalation_closes_and_not_after_replying(session, policy):
    from models.rules.feedback import escalate_deadline
    from models.rules.reminders import moments

    w, o = objected(session, policy)
    objections.answer(session, w.hr, policy, o.id, "uphold", "依据充分")
    ends = escalate_deadline(aware(o.answered_at), policy, o.grade)
    when = dict(moments(ends, policy, policy.feedback.reply_remind_offsets_days))
    assert objections.remind_answers(session, policy, when["d1"] - timedelta(minutes=1)) == []
    assert len(objections.remind_answers(session, policy, when["d1"])) == 1
    assert recipients(session, f"objection-reply:{o.id}:d1") == [w.people["王芳"].id]
    body = session.scalar(select(Notice.body).where(Notice.dedupe_key == f"objection-reply:{o.id}:d1"))
    assert "接受答复" in body and "申诉" in body
    assert objections.remind_answers(session, policy, when["overdue"]) == []  # after it the answer stands
    objections.respond(session, w.actor(session, "王芳"), policy, "accept", channel="chat")
    assert objections.remind_answers(session, policy, when["d1"] + timedelta(minutes=5)) == []


def test_a_grade_changed_after_filing_marks_the_filing_and_the_unit_files_a_correction(session, policy):
    """The 结果一览表 was filed (and accepted); an objection then changes a grade: the filing says
    结果已变更，需更正备案 (unit HR and the county office are told), the county office cannot accept the stale list,
    unit HR files the correction (更正备案) and the county office reviews the new list; the old one stays in history."""
    from handlers.county import filing_lists
    from handlers.identity import unit_desk
    from handlers.quarter import publishing

    w, o = objected(session, policy)
    county = actor_for_person(session, f.person(session, f.unit(session, "县教育局"), name="县公务员办",
                                                roles=("county_admin",)).id)
    after = aware(w.cycle.publicity_ends) + timedelta(days=1)
    filing = publishing.file_results(session, w.hr, policy, w.cycle.id, now=after)
    filed_rows = list(filing.payload["rows"])
    publishing.review_filing(session, county, filing.id, True)
    assert filing.state == "accepted" and filing.changed_at is None
    with pytest.raises(Conflict) as exc:
        publishing.correct_results_filing(session, w.hr, policy, w.cycle.id)
    assert exc.value.code == "not_changed" and "无需更正备案" in exc.value.message

    objections.answer(session, w.hr, policy, o.id, "change", "党委复议，工作量认定有误", new_grade="一般",
                      meeting_on=date(2026, 10, 19), attendees="张局长、党委全体成员", now=after)
    session.refresh(filing)
    assert filing.state == "accepted" and filing.changed_at is not None
    assert [(c["staff_no"], c["name"], c["from"], c["to"], c["objection_id"]) for c in filing.changes] == [
        ("F003", "王芳", "较好", "一般", o.id)]
    assert filing.payload["rows"] == filed_rows  # what was filed is not rewritten
    [marked] = audit(session, "filing.results_changed")
    assert marked.actor == "person:F006" and marked.after["label"] == "结果已变更，需更正备案"
    assert recipients(session, f"filing-changed:{filing.id}:1:") == sorted([w.people["孙人事"].id, county.person_id])

    unit_row = next(r for r in unit_desk.unit_filings(session, w.hr, policy, w.cycle.unit_id) if r["kind"] == "results")
    assert unit_row["changed"] and unit_row["changed_label"] == "结果已变更，需更正备案"
    assert unit_row["changes_text"] == "王芳 较好→一般"
    rows, _ = filing_lists.filing_rows(session, county, policy)
    assert [r["changed_label"] for r in rows if r["id"] == filing.id] == ["结果已变更，需更正备案"]
    assert filing_lists.filing_detail(session, county, policy, filing.id)["changes"][0]["to"] == "一般"
    from handlers.county.oversight import filing_status

    status = {u["unit"]: u for u in filing_status(session, county, policy, 2026)["units"]}
    assert status["县财政局"]["quarters"][2]["results"] == "结果已变更，需更正备案"

    filing.state = "submitted"  # as if not yet reviewed: the county office still cannot accept the stale list
    session.flush()
    with pytest.raises(Conflict) as exc:
        publishing.review_filing(session, county, filing.id, True)
    assert exc.value.code == "results_changed" and "王芳 较好→一般" in exc.value.message
    filing.state = "accepted"
    session.flush()

    with pytest.raises(NotFound):
        publishing.correct_results_filing(session, county_hr_of_other_unit(session), policy, w.cycle.id)
    corrected = publishing.correct_results_filing(session, w.hr, policy, w.cycle.id)
    assert corrected.id == filing.id and corrected.state == "submitted" and corrected.changed_at is None
    assert {r["staff_no"]: r["final_grade"] for r in corrected.payload["rows"]}["F003"] == "一般"
    [earlier] = corrected.history
    assert earlier["payload"]["rows"] == filed_rows and earlier["state"] == "accepted"
    assert earlier["changes"][0]["to"] == "一般" and earlier["reviewed_by"] == county.ref
    [entry] = audit(session, "filing.correct")
    assert entry.actor == "person:F006" and entry.before["state"] == "accepted" and entry.after["correction"] == 1
    assert recipients(session, f"filing-correct:{filing.id}:1:") == [county.person_id]
    publishing.review_filing(session, county, filing.id, True)
    assert corrected.state == "accepted"
    assert session.get(Evaluation, o.evaluation_id).final_grade == "一般"


def county_hr_of_other_unit(session):
    return actor_for_person(session, f.person(session, f.unit(session, "县林业局"), name="林业局人事",
                                              roles=("unit_admin",)).id)
