"""The printed forms carry the sign-offs recorded in the system: the person's 本人签署意见 (同意 / 有异议, comment or
reason, Beijing time) on the 登记表 and the 结果一览表, the scorer's and the committee's name and time."""
from datetime import UTC, datetime

from handlers.quarter import feedback
from handlers.actor import system_actor
from models import CommitteeDecision, Evaluation, ResultSignoff
from tests.feedback_world import decided

from .conftest import docx_structure, render_bytes, xlsx_structure
from .html_parse import html_structure

SIGNED = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)  # 09:30 in Beijing


def _world(session, policy):
    w = decided(session, policy)
    session.query(CommitteeDecision).one().recorded_at = datetime(2026, 10, 12, 8, tzinfo=UTC)
    li = session.get(Evaluation, w.evaluations["李明"])
    li.supervisor_id, li.submitted_at = w.leader.id, datetime(2026, 10, 10, 2, tzinfo=UTC)
    feedback.sign(session, w.actor(session, "李明"), policy, "同意", "认可审定结果", channel="chat", now=SIGNED)
    feedback.file_objection(session, w.actor(session, "王芳"), policy, "加班未计入", channel="page", now=SIGNED)
    session.flush()
    return w


def test_the_registration_form_shows_each_sign_off(session, policy):
    _world(session, policy)
    for name in ("registration", "registration-html"):
        _, data = render_bytes(session, system_actor(), policy, name, person="F002", year=2026, quarter=3)
        s = docx_structure(data) if name == "registration" else html_structure(data)
        rows = {r[0]: r[1:] for r in s["tables"][0]}
        assert rows["本人签署意见"][0].split("\n")[0] == "同意　意见：认可审定结果　2026-11-30 09:30", name
        assert "评鉴人：张局长　2026-10-10 10:00 提交" in rows["分管领导评鉴意见"][0]
        assert rows["审定会议"][0] == "2026-10-12　张局长、党委全体成员　录入：孙人事 2026-10-12 16:00"
    session.query(CommitteeDecision).one().recorded_by = "system:cli"  # recorded by the system: it says so
    _, data = render_bytes(session, system_actor(), policy, "registration", person="F002", year=2026, quarter=3)
    rows = {r[0]: r[1:] for r in docx_structure(data)["tables"][0]}
    assert rows["审定会议"][0] == "2026-10-12　张局长、党委全体成员　录入：系统 2026-10-12 16:00"


def test_an_objection_prints_as_有异议_with_its_reason(session, policy):
    _world(session, policy)
    _, data = render_bytes(session, system_actor(), policy, "registration", person="F003", year=2026, quarter=3)
    rows = {r[0]: r[1:] for r in docx_structure(data)["tables"][0]}
    assert rows["本人签署意见"][0].startswith("有异议　理由：加班未计入　2026-11-30 09:30")


def test_the_result_list_shows_who_confirmed_how_and_when(session, policy):
    _world(session, policy)
    _, data = render_bytes(session, system_actor(), policy, "results", unit="县财政局", year=2026, quarter=3)
    rows = xlsx_structure(data)["结果一览表"]
    assert rows[1][6:8] == ["录入", "孙人事（F006） 2026-10-12 16:00"]  # as the print view names them
    head = next(r for r in rows if r[0] == "序号")
    assert head[8:11] == ["本人确认", "确认意见（理由）", "确认时间"]
    by_name = {r[2]: r[8:11] for r in rows if isinstance(r[0], int)}
    assert by_name["李明"] == ["同意", "认可审定结果", "2026-11-30 09:30"]
    assert by_name["王芳"] == ["有异议", "加班未计入", "2026-11-30 09:30"]
    assert by_name["赵强"][0] == "未确认" and by_name["孙人事"][0] == "未确认"
    assert session.query(ResultSignoff).count() == 2


def test_a_fed_back_result_not_yet_signed_prints_未确认(session, policy):
    _world(session, policy)
    _, data = render_bytes(session, system_actor(), policy, "registration", person="F004", year=2026, quarter=3)
    rows = {r[0]: r[1:] for r in docx_structure(data)["tables"][0]}
    assert rows["本人签署意见"][0].split("\n") == ["（未确认）", "本人签字：　　　　　　　　　　年　　月　　日"]


def test_a_grade_changed_on_objection_prints_both_grades_and_the_review_meeting(session, policy):
    from dataclasses import replace
    from datetime import date

    from handlers.quarter import objections
    from models import Objection

    w = _world(session, policy)
    roomy = replace(policy, quota=replace(policy.quota, good_percent=70))
    objections.answer(session, w.hr, roomy, session.query(Objection).one().id, "change", "加班已核实",
                      new_grade="好", meeting_on=date(2026, 11, 30), attendees="党委全体成员", now=SIGNED)
    for name in ("registration", "registration-html", "evaluation"):
        _, data = render_bytes(session, system_actor(), policy, name, person="F003", year=2026, quarter=3)
        s = docx_structure(data) if name != "registration-html" else html_structure(data)
        rows = {r[0]: r[1:] for table in s["tables"] for r in table}
        decided_row = rows.get("党委(党组)审定等次") or rows["审定等次"]
        assert decided_row[0] == "好（原定“较好”，经异议复核改定）", name
        assert "复核会议：2026-11-30　党委全体成员" in rows["审定会议"][0], name
