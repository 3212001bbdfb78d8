"""The year's annual grades through the handlers every transport calls: unit HR records each person's grade from
the roll-up (only within what the rules allow, audited), tells each person, and a 不称职 (the policy's
``annual_law_grades``) may be objected to — the same 异议 → 复核 → 申诉 steps as a quarter's, on the law's clocks."""
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from handlers.actor import actor_for_person
from handlers.errors import Conflict, Forbidden, InvalidInput, NotFound
from handlers.quarter import objections
from handlers.results import annual_results, annual_uses
from handlers.results.annual import annual_rollup
from handlers.results.documents.letters import letter_text
from models import AnnualResult, AuditEntry, Delivery, Notice, Objection
from tests import factories as f
from tests.annual_world import YEAR, year_decided


def audit(session, action):
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def recipients(session, dedupe_prefix):
    return sorted(session.scalars(select(Delivery.person_id).join(Notice, Notice.id == Delivery.notice_id)
                                  .where(Notice.dedupe_key.startswith(dedupe_prefix))))


def sheet_rows(session, w, policy):
    return {r["name"]: r for r in annual_results.year_sheet(session, w.hr, policy, w.unit.id, YEAR).rows}


def recorded_and_told(session, policy, **grades):
    w = year_decided(session, policy)
    annual_results.record_suggested(session, w.hr, policy, w.unit.id, YEAR)
    for name, grade in grades.items():
        annual_results.record(session, w.hr, policy, w.unit.id, YEAR, w.people[name].staff_no, grade)
    annual_results.feed_back(session, w.hr, policy, w.unit.id, YEAR)
    return w


def test_the_sheet_suggests_from_the_rules_and_lists_what_is_allowed(session, policy):
    w = year_decided(session, policy)
    rows = sheet_rows(session, w, policy)
    assert (rows["李明"]["suggested"], rows["李明"]["allowed"]) == ("优秀", ["优秀", "称职", "基本称职", "不称职"])
    assert (rows["王芳"]["suggested"], rows["王芳"]["allowed"], rows["王芳"]["forced_grade"]) == ("不称职", ["不称职"],
                                                                                             "不称职")
    assert (rows["赵强"]["suggested"], rows["赵强"]["allowed"]) == ("基本称职", ["基本称职", "不称职"])
    assert rows["孙人事"]["suggested"] == "称职" and rows["孙人事"]["grade"] == ""


@pytest.mark.parametrize(("name", "grade", "error", "code", "words"), [
    ("王芳", "称职", Conflict, "annual_forced", ("直接确定为“不称职”", "较差")),
    ("赵强", "称职", Conflict, "annual_above_max", ("最高只能定为“基本称职”", "超过 2 次")),
    ("孙人事", "优秀", Conflict, "annual_above_max", ("最高只能定为“称职”",)),
    ("李明", "良好", InvalidInput, "bad_grade", ("优秀、称职、基本称职、不称职",)),
])
def test_a_grade_outside_the_rules_is_refused_in_chinese(session, policy, name, grade, error, code, words):
    w = year_decided(session, policy)
    with pytest.raises(error) as exc:
        annual_results.record(session, w.hr, policy, w.unit.id, YEAR, w.people[name].staff_no, grade)
    assert exc.value.code == code and all(word in exc.value.message for word in words), exc.value.message
    assert session.scalar(select(AnnualResult)) is None


def test_recording_is_audited_with_who_and_when_and_only_unit_hr_may(session, policy):
    w = year_decided(session, policy)
    out = annual_results.record(session, w.hr, policy, w.unit.id, YEAR, "F004", "不称职", "全年多次较差")
    assert (out["grade"], out["suggested"], out["decided_by"]) == ("不称职", "基本称职", "person:F006")
    r = session.scalar(select(AnnualResult))
    assert (r.grade, r.decided_grade, r.decided_by, r.fed_back_at) == ("不称职", "不称职", "person:F006", None)
    [entry] = audit(session, "annual.record")
    assert entry.actor == "person:F006" and entry.before is None
    assert entry.after["grade"] == "不称职" and entry.after["quarters"] == ["一般", "较差", "一般", "较好"]
    annual_results.record(session, w.hr, policy, w.unit.id, YEAR, "F004", "基本称职")  # before telling: may change
    assert audit(session, "annual.record")[-1].before["grade"] == "不称职"
    with pytest.raises(NotFound):  # staff do not see the unit's sheet at all
        annual_results.record(session, w.actor(session, "李明"), policy, w.unit.id, YEAR, "F004")
    with pytest.raises(Forbidden):  # the county office sees it but the unit decides
        annual_results.record(session, w.county, policy, w.unit.id, YEAR, "F004")
    other = f.unit(session, "县教育局")
    stranger = actor_for_person(session, f.person(session, other, name="外单位人事", roles=("unit_admin",)).id)
    with pytest.raises(NotFound):
        annual_results.record(session, stranger, policy, w.unit.id, YEAR, "F004")
    with pytest.raises(NotFound):
        annual_results.record(session, w.hr, policy, w.unit.id, YEAR, "X999")


def test_a_year_with_a_quarter_not_decided_cannot_be_recorded(session, policy):
    w = year_decided(session, policy)
    from models import Cycle, Evaluation
    e = session.scalar(select(Evaluation).join(Cycle, Cycle.id == Evaluation.cycle_id).where(
        Cycle.quarter == 4, Evaluation.person_id == w.people["李明"].id))
    e.state = "scored"
    session.flush()
    with pytest.raises(Conflict) as exc:
        annual_results.record(session, w.hr, policy, w.unit.id, YEAR, "F002")
    assert exc.value.code == "quarters_pending" and "1 个季度" in exc.value.message
    out = annual_results.record_suggested(session, w.hr, policy, w.unit.id, YEAR)
    assert out["skipped_pending"] == ["李明"] and out["recorded"] == 3  # the leader is not evaluated by the unit


def test_feeding_back_tells_each_person_and_only_a_law_grade_how_to_ask_for_review(session, policy):
    w = recorded_and_told(session, policy)
    told = {r.person_id: r for r in session.scalars(select(AnnualResult))}
    assert len(told) == 4 and all(r.fed_back_at is not None for r in told.values())
    assert len(audit(session, "annual.feed_back")) == 4
    wang = session.scalar(select(Notice.body).where(Notice.dedupe_key == f"annual-feedback:{told[w.people['王芳'].id].id}"))
    li = session.scalar(select(Notice.body).where(Notice.dedupe_key == f"annual-feedback:{told[w.people['李明'].id].id}"))
    assert "不称职" in wang and "年度异议 <理由>" in wang and "不停止" in wang
    assert "优秀" in li and "复核" not in li
    with pytest.raises(Conflict) as exc:
        annual_results.record(session, w.hr, policy, w.unit.id, YEAR, "F003", "不称职")
    assert exc.value.code == "already_fed_back" and "复核" in exc.value.message
    with pytest.raises(Conflict):
        annual_results.feed_back(session, w.hr, policy, w.unit.id, YEAR)


def test_only_a_grade_in_the_law_list_may_be_objected_to_once_and_within_the_days(session, policy):
    w = recorded_and_told(session, policy)
    sun = annual_results.my_annual(session, w.hr, policy)
    assert sun.grade == "称职" and not sun.can_object and "不属于可以申请复核的等次" in sun.reasons["object"]
    with pytest.raises(Conflict) as exc:
        annual_results.file_objection(session, w.hr, policy, "不服", channel="api")
    assert exc.value.code == "not_reviewable"
    wang = w.actor(session, "王芳")
    told = session.scalar(select(AnnualResult.fed_back_at).where(AnnualResult.person_id == w.people["王芳"].id))
    told = told if told.tzinfo else told.replace(tzinfo=UTC)
    late = told + timedelta(days=policy.feedback.law_request_days + 1)
    with pytest.raises(Conflict) as exc:
        annual_results.file_objection(session, wang, policy, "全年工作量与等次不符", channel="api", now=late)
    assert exc.value.code == "objection_window_closed"
    with pytest.raises(InvalidInput):
        annual_results.file_objection(session, wang, policy, "  ", channel="api")
    view = annual_results.file_objection(session, wang, policy, "全年工作量与等次不符", channel="page")
    o = session.scalar(select(Objection))
    assert (o.kind, o.cycle_id, o.evaluation_id, o.grade, o.state) == ("annual", None, None, "不称职", "open")
    due = o.answer_due if o.answer_due.tzinfo else o.answer_due.replace(tzinfo=UTC)
    assert 29 <= (due - datetime.now(UTC)).days <= 30  # law_decision_days (calendar days, to the end of the day)
    assert view.objection["state"] == "open" and not view.can_object
    assert recipients(session, f"objection:{o.id}:") == sorted([w.people["孙人事"].id, w.people["张局长"].id])  # HR, committee
    with pytest.raises(Conflict) as exc:
        annual_results.file_objection(session, wang, policy, "再申请", channel="api")
    assert exc.value.code == "objection_exists"


def test_an_upheld_annual_review_is_escalated_and_concluded_by_the_county(session, policy):
    w = recorded_and_told(session, policy)
    wang = w.actor(session, "王芳")
    annual_results.file_objection(session, wang, policy, "全年工作量与等次不符", channel="chat")
    o = session.scalar(select(Objection))
    listed = objections.county_list(session, w.county, policy)
    [row] = listed.rows
    assert (row["kind"], row["cycle_label"], row["what"], row["cycle_id"]) == ("annual", "2025年度", "2025年度考核等次",
                                                                              None)
    assert listed.open == 1 and row["overdue"] is False and row["under_law"] is True
    late = datetime.now(UTC) + timedelta(days=policy.feedback.law_decision_days + 1)
    assert objections.county_list(session, w.county, policy, now=late).overdue == 1
    out = objections.answer(session, w.hr, policy, o.id, "uphold", "四个季度均为较差，依规直接确定为不称职")
    assert out["state"] == "upheld"
    body = session.scalar(select(Notice.body).where(Notice.dedupe_key == f"objection-answer:{o.id}"))
    assert "2025年度考核等次" in body and "复核决定" in body and "不停止" in body
    assert session.scalar(select(AnnualResult.grade).where(AnnualResult.id == o.annual_result_id)) == "不称职"
    view = objections.respond(session, wang, policy, "escalate", "单位未考虑病假因素", channel="chat")
    assert view.kind == "annual" and view.objection["state"] == "escalated"
    assert recipients(session, f"objection-escalate:{o.id}:") == [w.county.person_id]
    objections.conclude(session, w.county, policy, o.id, "维持单位复核决定")
    assert session.get(Objection, o.id).state == "closed"
    title, paras = letter_text(o, objections.subject(session, o), w.people["王芳"], w.unit, "decision", policy)
    assert "年度考核复核决定书" in title and any("维持你的2025年度考核等次“不称职”" in p for p in paras)
    assert any("15日内" in p for p in paras) and any("不停止" in p for p in paras)


def test_a_changed_annual_grade_replaces_the_stored_one_within_the_rules_and_keeps_both(session, policy):
    w = recorded_and_told(session, policy, 赵强="不称职")
    zhao = w.actor(session, "赵强")
    annual_results.file_objection(session, zhao, policy, "仅三次一般或较差，应为基本称职", channel="api")
    o = session.scalar(select(Objection))
    with pytest.raises(Conflict) as exc:
        objections.answer(session, w.hr, policy, o.id, "change", "党委复议", new_grade="称职",
                          meeting_on=date.today(), attendees="张局长、党委全体成员")
    assert exc.value.code == "annual_above_max"
    assert session.get(Objection, o.id).state == "open"
    out = objections.answer(session, w.hr, policy, o.id, "change", "经复核，应确定为基本称职", new_grade="基本称职",
                            meeting_on=date.today(), attendees="张局长、党委全体成员")
    assert (out["state"], out["grade"], out["new_grade"]) == ("changed", "不称职", "基本称职")
    r = session.get(AnnualResult, o.annual_result_id)
    assert (r.grade, r.decided_grade) == ("基本称职", "不称职")
    [entry] = audit(session, "annual.regrade")
    assert entry.before == {"grade": "不称职"} and entry.after["grade"] == "基本称职"
    mine = annual_results.my_annual(session, zhao, policy)
    assert (mine.grade, mine.decided_grade, mine.objection["new_grade"]) == ("基本称职", "不称职", "基本称职")
    # the roll-up and the lists read the grade in force
    [rolled] = [x for x in annual_rollup(session, w.county, YEAR, policy) if x.staff_no == "F004"]
    assert rolled.annual_grade == "基本称职" and rolled.outcome.max_grade == "基本称职"
    rows = {x.staff_no: x for x in annual_uses.year_rows(session, w.county, policy, YEAR, unit_name="县财政局")}
    assert rows["F004"].annual_grade == "基本称职" and rows["F002"].as_dict()["annual_grade"] == "优秀"
    objections.respond(session, zhao, policy, "accept", channel="api")
    assert session.get(Objection, o.id).state == "closed"


def test_honours_leave_out_a_person_recorded_below_excellent(session, policy):
    w = year_decided(session, policy)
    assert [r["name"] for r in annual_uses.honours(session, w.county, policy, YEAR)] == ["李明"]
    annual_results.record(session, w.hr, policy, w.unit.id, YEAR, "F002", "称职")
    assert annual_uses.honours(session, w.county, policy, YEAR) == []


def test_unit_hr_is_reminded_of_an_unanswered_review_and_the_person_of_the_appeal(session, policy):
    w = recorded_and_told(session, policy)
    annual_results.file_objection(session, w.actor(session, "王芳"), policy, "不服", channel="chat")
    o = session.scalar(select(Objection))
    due = o.answer_due if o.answer_due.tzinfo else o.answer_due.replace(tzinfo=UTC)
    created = objections.remind_answers(session, policy, due + timedelta(hours=10))
    assert created
    body = session.scalar(select(Notice.body).where(Notice.dedupe_key.startswith(f"objection-due:{o.id}:")))
    assert "复核申请" in body and "已超过答复期限" in body and "年度考核" in body
    assert recipients(session, f"objection-due:{o.id}:") == [w.people["孙人事"].id]
