"""Writing, submitting, withdrawing and returning the personal summary."""
from datetime import date, timedelta

import pytest

from handlers.quarter import summaries as S
from handlers.actor import actor_for_person, system_actor
from handlers.quarter.cycles import open_cycle, transition
from handlers.errors import Conflict, Forbidden, InvalidInput, NotFound
from handlers.quarter.progress import my_status, supervisor_queue, unit_progress
from models import Evaluation, SummaryRevision, utcnow
from tests import factories as f

NOW = utcnow()


@pytest.fixture
def team(session, policy):
    unit = f.unit(session)
    boss = f.person(session, unit, "中层干部", leader=True, name="张局长")
    clerk = f.person(session, unit, supervisor=boss, name="王干事")
    hr = f.person(session, unit, supervisor=boss, roles=("unit_admin",), name="李人事")
    today = NOW.date()
    year, quarter = today.year, (today.month - 1) // 3 + 1
    cycle = open_cycle(session, system_actor(), unit.id, year, quarter, policy, today=today)
    cycle.summary_due = NOW + timedelta(days=3)
    cycle.scoring_due = NOW + timedelta(days=6)
    session.flush()
    return dict(unit=unit, boss=boss, clerk=clerk, hr=hr, cycle=cycle,
                me=actor_for_person(session, clerk.id), sup=actor_for_person(session, boss.id),
                admin=actor_for_person(session, hr.id))


def test_writing_paragraph_by_paragraph_and_submitting(session, policy, team):
    me = team["me"]
    draft = S.start_or_resume(session, me, policy)
    assert draft.state == "draft" and draft.paragraphs == [] and draft.editable
    S.add_paragraph(session, me, policy, "本季度完成财务报表。")
    S.add_paragraph(session, me, policy, "", voice_media_id="MEDIA-1")  # a voice without recognised text
    S.add_paragraph(session, me, policy, "参加业务培训两次。")
    removed, view = S.remove_last_paragraph(session, me, policy)
    assert removed == "参加业务培训两次。" and view.paragraphs == ["本季度完成财务报表。"]
    assert view.voice_media_ids == ["MEDIA-1"]
    done = S.submit(session, me, policy)
    assert done.state == "submitted" and not done.editable
    with pytest.raises(Conflict, match="如需修改请先撤回"):
        S.add_paragraph(session, me, policy, "再补一句")
    back = S.withdraw(session, me, policy)
    assert back.state == "draft" and back.editable
    assert [r.action for r in session.query(SummaryRevision).order_by(SummaryRevision.number)] == ["submit", "withdraw"]


def test_an_empty_summary_cannot_be_submitted(session, policy, team):
    S.start_or_resume(session, team["me"], policy)
    with pytest.raises(InvalidInput, match="个人小结还是空的"):
        S.submit(session, team["me"], policy)


def test_limits_come_from_the_policy(session, policy, team):
    with pytest.raises(InvalidInput, match="第 1 段超过 1000 字"):
        S.add_paragraph(session, team["me"], policy, "字" * 1001)
    with pytest.raises(InvalidInput, match="合计不能超过 3000 字"):
        S.save_draft(session, team["me"], policy, ["字" * 1000] * 4, expected_version=None)


def test_two_phones_cannot_overwrite_each_other(session, policy, team):
    v = S.start_or_resume(session, team["me"], policy).version
    S.save_draft(session, team["me"], policy, ["手机甲的内容"], expected_version=v)
    with pytest.raises(Conflict, match="已在其他设备上修改"):
        S.save_draft(session, team["me"], policy, ["手机乙的内容"], expected_version=v)


def test_after_the_deadline_the_user_is_told_who_to_contact(session, policy, team):
    late = team["cycle"].summary_due + timedelta(minutes=1)
    with pytest.raises(Conflict) as exc:
        S.add_paragraph(session, team["me"], policy, "迟到的小结", now=late)
    assert "截止" in exc.value.message and "李人事" in exc.value.message


def test_when_no_cycle_is_open(session, policy):
    unit = f.unit(session, "县教育局")
    p = f.person(session, unit, roles=("unit_admin",), name="赵人事")
    with pytest.raises(Conflict, match="本季度考核尚未开始.*赵人事"):
        S.start_or_resume(session, actor_for_person(session, p.id), policy)


def test_the_supervisor_returns_with_a_reason_and_the_person_revises(session, policy, team):
    me, sup = team["me"], team["sup"]
    S.add_paragraph(session, me, policy, "第一稿")
    submitted = S.submit(session, me, policy)
    with pytest.raises(InvalidInput, match="请填写退回原因"):
        S.return_for_revision(session, sup, policy, submitted.id, " ")
    with pytest.raises(Forbidden):
        S.return_for_revision(session, team["admin"], policy, submitted.id, "不行")
    returned = S.return_for_revision(session, sup, policy, submitted.id, "请补充重点工作完成情况")
    assert returned.state == "returned"
    transition(session, system_actor(), team["cycle"], "start_scoring")  # revision still allowed while scoring
    status = my_status(session, me, policy)
    assert status.summary_state == "returned" and status.returned_reason == "请补充重点工作完成情况"
    S.add_paragraph(session, me, policy, "补充：完成年度预算编制。")
    assert S.submit(session, me, policy).state == "submitted"


def test_only_people_involved_can_read_a_summary(session, policy, team):
    S.add_paragraph(session, team["me"], policy, "内容")
    sid = S.my_summary(session, team["me"], policy).id
    for actor in (team["me"], team["sup"], team["admin"]):
        assert S.readable_summary(session, actor, sid)[0].id == sid
    stranger = f.person(session, f.unit(session, "县教育局"))
    with pytest.raises(NotFound):
        S.readable_summary(session, actor_for_person(session, stranger.id), sid)


def test_withdraw_is_refused_once_scoring_started(session, policy, team):
    S.add_paragraph(session, team["me"], policy, "内容")
    S.submit(session, team["me"], policy)
    ev = session.query(Evaluation).filter_by(person_id=team["clerk"].id).one()
    ev.state = "scoring"
    session.flush()
    with pytest.raises(Conflict, match="分管领导已开始评鉴"):
        S.withdraw(session, team["me"], policy)


def test_queue_and_progress(session, policy, team):
    S.add_paragraph(session, team["me"], policy, "内容")
    S.submit(session, team["me"], policy)
    queue = supervisor_queue(session, team["sup"], policy)
    assert {w.name for w in queue} == {"王干事", "李人事"}
    assert next(w for w in queue if w.name == "王干事").summary_state == "已提交"
    progress = unit_progress(session, team["admin"], policy, team["unit"].id)
    assert progress.totals()["summaries_submitted"] == 1 and progress.totals()["people"] == 2  # the head: county
    later = team["cycle"].summary_due + timedelta(hours=1)
    late = unit_progress(session, team["sup"], policy, team["unit"].id, now=later)
    assert sorted(n for t in late.tiers for n in t.late_summaries) == ["李人事"]
    with pytest.raises(NotFound):
        unit_progress(session, team["me"], policy, team["unit"].id)
    assert date.today() and my_status(session, team["me"], policy).summary_label == "已提交"


def test_a_returned_summary_is_pushed_to_the_person_once_per_return(session, policy, team):
    from models import Delivery, Notice

    me, sup = team["me"], team["sup"]
    S.add_paragraph(session, me, policy, "第一稿")
    first = S.submit(session, me, policy)
    S.return_for_revision(session, sup, policy, first.id, "请补充重点工作完成情况")

    pushed = session.query(Notice).filter_by(kind="personal").one()
    assert "退回修改" in pushed.body and "原因：请补充重点工作完成情况" in pushed.body
    assert [d.person_id for d in session.query(Delivery).filter_by(notice_id=pushed.id)] == [team["clerk"].id]

    S.add_paragraph(session, me, policy, "补充：完成年度预算编制。")
    second = S.submit(session, me, policy)
    S.return_for_revision(session, sup, policy, second.id, "请写明量化成果")
    bodies = [n.body for n in session.query(Notice).filter_by(kind="personal").order_by(Notice.id)]
    assert len(bodies) == 2 and "原因：请写明量化成果" in bodies[1]


def test_a_paragraph_written_as_plain_columns_refreshes_an_earlier_copy_and_is_audited(session, policy, team):
    """The text writers read the draft as plain columns (the chat's hot path, issue 16) and write it with one guarded
    UPDATE and its audit row. A copy of the draft loaded earlier in the same unit of work shows what was written and
    is never flushed over it."""
    from sqlalchemy import select

    from models import AuditEntry, Summary

    me = team["me"]
    S.add_paragraph(session, me, policy, "第一段。")  # creates the draft
    copy = session.scalar(select(Summary).where(Summary.person_id == team["clerk"].id))
    version = copy.version
    view = S.add_paragraph(session, me, policy, "第二段。")
    assert view.paragraphs == ["第一段。", "第二段。"] and view.version == version + 1
    assert view.cycle_label == team["cycle"].label and view.editable
    assert (copy.paragraphs, copy.version) == (["第一段。", "第二段。"], version + 1)  # the copy was refreshed
    session.flush()  # nothing stale to write back
    assert session.scalar(select(Summary.paragraphs).where(Summary.id == copy.id)) == ["第一段。", "第二段。"]
    S.save_draft(session, me, policy, ["只留一段。"], expected_version=view.version)
    with pytest.raises(Conflict, match="已在其他设备上修改"):
        S.save_draft(session, me, policy, ["旧手机上的稿"], expected_version=view.version)
    actions = session.execute(select(AuditEntry.action, AuditEntry.actor, AuditEntry.before, AuditEntry.after)
                              .where(AuditEntry.object_type == "summary").order_by(AuditEntry.id)).all()
    assert [tuple(a) for a in actions] == [
        ("summary.create", me.ref, None, {"cycle_id": team["cycle"].id}),
        ("summary.add_paragraph", me.ref, None, {"paragraphs": 1, "voice_media_id": None}),
        ("summary.add_paragraph", me.ref, None, {"paragraphs": 2, "voice_media_id": None}),
        ("summary.save", me.ref, {"paragraphs": 2}, {"paragraphs": 1}),
    ]
