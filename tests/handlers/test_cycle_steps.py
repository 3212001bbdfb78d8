"""The quarter's steps never strand people: moving on early needs a reason and names who is missing, a draft is never
a submitted summary, a person without a summary gets the policy's treatment, messages follow the cycle's real state,
and unit leaders / people without a scorer are placed as the policy says and never block the quarter silently."""
import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from handlers.quarter import chat, cycle_steps, progress, scoring
from handlers.quarter import summaries as S
from handlers.actor import actor_for_person, system_actor
from handlers.quarter.cycles import open_cycle, opening_notes
from handlers.errors import Conflict, InvalidInput
from handlers.quarter.scoring import Tap
from models import AuditEntry, Evaluation, Summary, Tier, utcnow
from models.rules.calendar import format_local
from tests import factories as f

NOW = utcnow()  # the cycle's deadlines are set relative to now, so the texts hold whenever the tests run


def unit_leaders(policy, **changes):
    return dataclasses.replace(policy, leaders=dataclasses.replace(policy.leaders, **changes))


@pytest.fixture
def team(session, policy):
    unit = f.unit(session)
    head = f.person(session, unit, "中层干部", leader=True, name="张局长")
    deputy = f.person(session, unit, "中层干部", leader=True, supervisor=head, name="赵副局长")
    clerks = [f.person(session, unit, supervisor=deputy, name=n) for n in ("王干事", "刘干事", "陈干事")]
    hr = f.person(session, unit, supervisor=deputy, roles=("unit_admin",), name="李人事")
    cycle = open_cycle(session, system_actor(), unit.id, 2026, 4, policy, today=NOW.date())
    cycle.summary_due, cycle.scoring_due = NOW + timedelta(days=3), NOW + timedelta(days=6)
    session.flush()
    return dict(unit=unit, head=head, deputy=deputy, clerks=clerks, hr=hr, cycle=cycle,
                admin=actor_for_person(session, hr.id), sup=actor_for_person(session, deputy.id))


def submit_summary(session, policy, person, now=NOW):
    me = actor_for_person(session, person.id)
    S.add_paragraph(session, me, policy, "本季度完成预算编制。", now=now)
    S.submit(session, me, policy, now=now)


def audit_after(session, action):
    return session.scalars(select(AuditEntry.after).where(AuditEntry.action == action)).all()


# ---- item 2: advancing ---------------------------------------------------------------------------------------------
def test_moving_on_before_the_summary_deadline_needs_a_reason_and_names_who_is_missing(session, policy, team):
    submit_summary(session, policy, team["clerks"][0])
    with pytest.raises(Conflict) as exc:
        cycle_steps.advance(session, team["admin"], policy, team["cycle"].id, "start_scoring", now=NOW)
    assert exc.value.code == "summary_step_unfinished"
    assert "还有 3 人未提交：刘干事、陈干事、李人事" in exc.value.message
    assert format_local(team["cycle"].summary_due, policy) in exc.value.message
    assert team["cycle"].state == "open"
    cycle_steps.advance(session, team["admin"], policy, team["cycle"].id, "start_scoring", reason="县里要求提前",
                        now=NOW)
    assert team["cycle"].state == "scoring"
    [after] = audit_after(session, "cycle.start_scoring")
    assert after == {"state": "scoring", "missing_summaries": ["刘干事", "陈干事", "李人事"], "before_deadline": True,
                     "reason": "县里要求提前"}


def test_after_the_deadline_the_missing_are_recorded_without_a_reason(session, policy, team):
    late = team["cycle"].summary_due + timedelta(minutes=1)
    cycle_steps.advance(session, team["admin"], policy, team["cycle"].id, "start_scoring", now=late)
    [after] = audit_after(session, "cycle.start_scoring")
    assert after["missing_summaries"] == ["王干事", "刘干事", "陈干事", "李人事"] and after["before_deadline"] is False


def test_nothing_missing_needs_no_reason(session, policy, team):
    for p in (*team["clerks"], team["hr"]):
        submit_summary(session, policy, p)
    cycle_steps.advance(session, team["admin"], policy, team["cycle"].id, "start_scoring", now=NOW)
    assert audit_after(session, "cycle.start_scoring") == [{"state": "scoring"}]


# ---- item 2: a draft is not a submitted summary ----------------------------------------------------------------------
def test_a_draft_is_never_counted_as_submitted(session, policy, team):
    submit_summary(session, policy, team["clerks"][0])
    S.add_paragraph(session, actor_for_person(session, team["clerks"][1].id), policy, "还没写完", now=NOW)
    cycle_steps.advance(session, team["admin"], policy, team["cycle"].id, "start_scoring", reason="提前", now=NOW)
    f.excuse_missing_summaries(session, team["cycle"])
    evals = session.scalars(select(Evaluation).where(Evaluation.cycle_id == team["cycle"].id)).all()
    for e in evals:
        e.state = "submitted"
    session.flush()
    cycle_steps.advance(session, team["admin"], policy, team["cycle"].id, "start_deciding", now=NOW)
    states = dict(session.execute(select(Summary.person_id, Summary.state)).all())
    assert states == {team["clerks"][0].id: "locked", team["clerks"][1].id: "draft"}
    board = progress.unit_progress(session, team["admin"], policy, team["unit"].id)
    assert board.totals()["summaries_submitted"] == 1
    drafter = actor_for_person(session, team["clerks"][1].id)
    status = progress.my_status(session, drafter, policy, now=NOW)
    assert status.summary_label == "未提交（已截止，不能再填写）" and status.summary_deadline is None


# ---- item 2: every message agrees with the cycle ---------------------------------------------------------------------
def test_my_status_shows_the_summary_deadline_only_while_the_person_can_act(session, policy, team):
    me = actor_for_person(session, team["clerks"][1].id)
    S.add_paragraph(session, me, policy, "草稿", now=NOW)
    text = chat.status_text(session, me, policy)
    summary_due, scoring_due = (format_local(team["cycle"].summary_due, policy),
                                format_local(team["cycle"].scoring_due, policy))
    assert f"个人小结：草稿（截止 {summary_due}）" in text
    cycle_steps.advance(session, team["admin"], policy, team["cycle"].id, "start_scoring", reason="提前", now=NOW)
    text = chat.status_text(session, me, policy)
    assert summary_due not in text  # the summary deadline is gone once scoring started
    assert f"当前阶段：领导评鉴（本阶段截止 {scoring_due}）" in text
    assert "个人小结：未提交（已截止，不能再填写）" in text
    queue = chat.queue_text(session, team["sup"], policy)
    assert "刘干事（" in queue and "小结未提交" in queue and "草稿" not in queue


# ---- item 2: a person without a summary, as the policy says ------------------------------------------------------
def test_scoring_a_person_without_a_summary_needs_the_supervisors_recorded_choice(session, policy, team):
    cycle_steps.advance(session, team["admin"], policy, team["cycle"].id, "start_scoring", reason="提前", now=NOW)
    e = session.scalar(select(Evaluation).where(Evaluation.person_id == team["clerks"][0].id))
    first = scoring.detail(session, team["sup"], policy, e.id).indicators[0]["id"]
    with pytest.raises(Conflict) as exc:
        scoring.save_scores(session, team["sup"], policy, e.id, [Tap(first, points=8)], e.version)
    assert exc.value.code == "summary_missing" and "填写原因后照常评分" in exc.value.message
    assert policy.missing_summary.not_graded_reasons[0] in exc.value.message
    with pytest.raises(InvalidInput):
        scoring.without_summary(session, team["sup"], policy, e.id, "score", "  ")
    scoring.without_summary(session, team["sup"], policy, e.id, "score", "驻村扶贫，口头汇报")
    saved = scoring.save_scores(session, team["sup"], policy, e.id, [Tap(first, points=8)], e.version)
    assert saved.total == 8
    assert audit_after(session, "evaluation.score_without_summary") == [{"no_summary_note": "驻村扶贫，口头汇报"}]

    other = session.scalar(select(Evaluation).where(Evaluation.person_id == team["clerks"][1].id))
    with pytest.raises(InvalidInput) as exc:
        scoring.without_summary(session, team["sup"], policy, other.id, "not_graded", "我觉得不用评")
    assert exc.value.code == "bad_reason"
    reason = policy.missing_summary.not_graded_reasons[0]
    scoring.without_summary(session, team["sup"], policy, other.id, "not_graded", reason)
    assert other.not_graded_reason == reason


def test_a_policy_that_forbids_scoring_without_a_summary(session, policy, team):
    strict = dataclasses.replace(policy, missing_summary=dataclasses.replace(policy.missing_summary,
                                                                               allow_score=False))
    cycle_steps.advance(session, team["admin"], policy, team["cycle"].id, "start_scoring", reason="提前", now=NOW)
    e = session.scalar(select(Evaluation).where(Evaluation.person_id == team["clerks"][0].id))
    with pytest.raises(Conflict) as exc:
        scoring.without_summary(session, team["sup"], strict, e.id, "score", "理由")
    assert exc.value.code == "score_not_allowed"


def test_a_submitted_summary_scores_without_any_choice(session, policy, team):
    submit_summary(session, policy, team["clerks"][0])
    cycle_steps.advance(session, team["admin"], policy, team["cycle"].id, "start_scoring", reason="提前", now=NOW)
    e = session.scalar(select(Evaluation).where(Evaluation.person_id == team["clerks"][0].id))
    first = scoring.detail(session, team["sup"], policy, e.id).indicators[0]["id"]
    assert scoring.save_scores(session, team["sup"], policy, e.id, [Tap(first, level="优")], e.version).total == 8


# ---- item 3: unit leaders and people without a scorer ------------------------------------------------------------
def test_leaders_evaluated_by_the_county_are_left_out_and_listed(session, policy, team):
    assert policy.leaders.evaluated_by == "county"
    people = set(session.scalars(select(Evaluation.person_id).where(Evaluation.cycle_id == team["cycle"].id)))
    assert team["head"].id not in people and team["deputy"].id not in people and len(people) == 4
    notes = opening_notes(session, team["cycle"])
    staff = {p.id: p.staff_no for p in (team["head"], team["deputy"])}
    assert notes.lines() == [f"不参加本单位平时考核 2 人（{policy.leaders.reason}）："
                             f"张局长（{staff[team['head'].id]}）、赵副局长（{staff[team['deputy'].id]}）"]
    assert notes.without_scorer == []
    head = actor_for_person(session, team["head"].id)
    assert f"您不参加本单位的平时考核：{policy.leaders.reason}" in chat.status_text(session, head, policy)


def test_leaders_in_their_own_tier_and_a_head_without_a_scorer_is_named(session, policy):
    own = unit_leaders(policy, evaluated_by="unit", tier="班子成员")
    unit = f.unit(session)
    head = f.person(session, unit, "中层干部", leader=True, name="张局长")
    middle = f.person(session, unit, "中层干部", supervisor=head, name="钱股长")
    cycle = open_cycle(session, system_actor(), unit.id, 2026, 4, own, today=NOW.date())
    tiers = dict(session.execute(select(Evaluation.person_id, Tier.name).join(Tier, Tier.id == Evaluation.tier_id)
                                 .where(Evaluation.cycle_id == cycle.id)).all())
    assert tiers == {head.id: "班子成员", middle.id: "中层干部"}  # leaders no longer share 中层干部's quota
    notes = opening_notes(session, cycle)
    assert notes.without_scorer[0]["name"] == "张局长"
    assert "没有评鉴人 1 人：张局长" in notes.lines()[0] and "kaohe cycle assign" in notes.lines()[0]
    hr = f.person(session, unit, supervisor=head, roles=("unit_admin",), name="李人事")
    admin = actor_for_person(session, hr.id)
    cycle.state = "scoring"
    session.flush()
    with pytest.raises(Conflict) as exc:
        cycle_steps.advance(session, admin, own, cycle.id, "start_deciding", now=NOW)
    assert "其中 1 人没有评鉴人：张局长" in exc.value.message and exc.value.details["without_scorer"] == ["张局长"]


def test_a_score_save_costs_two_sql_statements_and_refreshes_an_earlier_copy(session, policy, team):
    """The supervisor's tap is the hot path (issue 16): evaluation + cycle in one SELECT, then the versioned UPDATE
    and its audit row — one statement on PostgreSQL (a data-modifying WITH), two on SQLite. The row is read as plain
    columns; an ORM copy loaded earlier in the same unit of work is expired, so it shows the saved scores and is
    never flushed over them."""
    from sqlalchemy import event

    submit_summary(session, policy, team["clerks"][0])
    cycle_steps.advance(session, team["admin"], policy, team["cycle"].id, "start_scoring", reason="提前", now=NOW)
    e = session.scalar(select(Evaluation).where(Evaluation.person_id == team["clerks"][0].id))
    eid = e.id
    ids = [i["id"] for i in scoring.detail(session, team["sup"], policy, eid).indicators]
    first = scoring.save_scores(session, team["sup"], policy, eid, [Tap(ids[0], level="优")], e.version)
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement.split()[0].upper())

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        second = scoring.save_scores(session, team["sup"], policy, eid, [Tap(ids[1], level="良")], first.version)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    postgres = engine.dialect.name == "postgresql"
    assert statements == (["SELECT", "WITH"] if postgres else ["SELECT", "UPDATE", "INSERT"])
    assert (e.version, e.total, e.state) == (second.version, second.total, "scoring")  # the copy was refreshed
    assert e.scores == {str(ids[0]): 8.0, str(ids[1]): second.scores[str(ids[1])]}
    session.flush()  # nothing stale to write back
    assert session.scalar(select(Evaluation.version).where(Evaluation.id == eid)) == second.version


def test_a_score_save_writes_its_audit_row_exactly_when_the_versioned_update_matched(session, policy, team,
                                                                                     monkeypatch):
    """The UPDATE and its audit row go together (one statement on PostgreSQL): a save on a stale version changes
    nothing and records nothing; a save that lands records who, what, the state before and the scores after."""
    submit_summary(session, policy, team["clerks"][0])
    cycle_steps.advance(session, team["admin"], policy, team["cycle"].id, "start_scoring", reason="提前", now=NOW)
    e = session.scalar(select(Evaluation).where(Evaluation.person_id == team["clerks"][0].id))
    ids = [i["id"] for i in scoring.detail(session, team["sup"], policy, e.id).indicators]
    saved = scoring.save_scores(session, team["sup"], policy, e.id, [Tap(ids[0], points=7.5)], e.version)
    rows = session.scalars(select(AuditEntry).where(AuditEntry.action == "evaluation.score")).all()
    assert [(r.actor, r.object_type, r.object_id, r.before, r.after) for r in rows] == [
        (team["sup"].ref, "evaluation", str(e.id), {"state": "pending"}, {"scores": {str(ids[0]): 7.5}, "total": 7.5})]
    assert rows[0].at.tzinfo is not None and abs((rows[0].at - utcnow()).total_seconds()) < 60

    from handlers.errors import PreconditionFailed
    from sqlalchemy import update

    # another device saved in between: the row's version moved on after this request read it
    original = scoring.evaluation_columns_for_scorer

    def read_then_lose_the_race(s, actor, evaluation_id):
        columns = original(s, actor, evaluation_id)
        s.execute(update(Evaluation).where(Evaluation.id == evaluation_id).values(version=Evaluation.version + 1))
        return columns

    monkeypatch.setattr(scoring, "evaluation_columns_for_scorer", read_then_lose_the_race)
    with pytest.raises(PreconditionFailed):
        scoring.save_scores(session, team["sup"], policy, e.id, [Tap(ids[1], points=6)], saved.version)
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "evaluation.score")) == 1
    assert session.scalar(select(Evaluation.scores).where(Evaluation.id == e.id)) == {str(ids[0]): 7.5}
