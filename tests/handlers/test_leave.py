"""Leave days per quarter and secondments: recorded by unit HR (audited, all or nothing), read by the not-graded
rules when a cycle opens and while it is open or scoring; the host unit evaluates a seconded person."""
import dataclasses
from datetime import date

import pytest
from sqlalchemy import select

from handlers.identity import leave, secondments

from handlers.quarter import progress, scoring
from handlers.actor import actor_for_person, system_actor
from handlers.quarter.cycles import open_cycle, opening_notes
from handlers.errors import Conflict, InvalidInput, NotFound
from handlers.quarter.summaries import current_evaluation
from models import AuditEntry, Evaluation
from models.leave import LeaveRecord
from tests import factories as f

LONG = "本季度请假累计超过45天，不确定等次"


@pytest.fixture
def finance(session):
    u = f.unit(session, "县财政局")
    boss = f.person(session, u, "中层干部", leader=True, name="财政局长", staff_no="F-B")
    hr = f.person(session, u, "中层干部", name="财政人事", staff_no="F-H", roles=("unit_admin",), supervisor=boss)
    clerks = [f.person(session, u, supervisor=boss, name=f"财政干事{i}", staff_no=f"F-C{i}") for i in (1, 2, 3)]
    session.flush()
    return {"unit": u, "boss": boss, "hr": actor_for_person(session, hr.id), "clerks": clerks}


def entry(staff_no: str, days, year: int = 2026, quarter: int = 1, row: int = 0, note: str = ""):
    return leave.LeaveEntry(staff_no, year, quarter, days, note, row)


def evaluation_of(session, cycle, person) -> Evaluation:
    return session.scalar(select(Evaluation).where(Evaluation.cycle_id == cycle.id,
                                                   Evaluation.person_id == person.id))


def test_recorded_long_leave_is_not_graded_when_the_cycle_opens_and_replaces_the_roster_status(session, policy,
                                                                                               finance):
    a, b, c = finance["clerks"]
    leave.record(session, finance["hr"], policy, finance["unit"].id, [entry("F-C1", 46), entry("F-C2", 45)])
    on_leave = f.person(session, finance["unit"], on_leave=True, start_on=date(2026, 1, 1), staff_no="F-L")
    leave.record(session, finance["hr"], policy, finance["unit"].id, [entry("F-L", 10)])  # back after 10 days
    cycle = open_cycle(session, system_actor(), finance["unit"].id, 2026, 1, policy, today=date(2026, 3, 25))
    assert evaluation_of(session, cycle, a).not_graded_reason == LONG
    assert evaluation_of(session, cycle, b).not_graded_reason is None  # 45 is not more than 45
    assert evaluation_of(session, cycle, on_leave).not_graded_reason is None  # the recorded days win
    assert evaluation_of(session, cycle, c).not_graded_reason is None


def test_leave_recorded_during_an_open_cycle_marks_and_unmarks_not_graded_audited(session, policy, finance):
    cycle = open_cycle(session, system_actor(), finance["unit"].id, 2026, 1, policy, today=date(2026, 3, 25))
    a = finance["clerks"][0]
    report = leave.record(session, finance["hr"], policy, finance["unit"].id, [entry("F-C1", 50, note="病假")])
    assert report.saved == 1 and report.marked == ["财政干事1（F-C1）"]
    e = evaluation_of(session, cycle, a)
    assert e.not_graded_reason == LONG
    audits = session.scalars(select(AuditEntry).where(AuditEntry.object_id == str(e.id),
                                                      AuditEntry.action == "evaluation.not_graded")).all()
    assert len(audits) == 1 and audits[0].after["because"] == "leave" and audits[0].actor == "person:F-H"

    again = leave.record(session, finance["hr"], policy, finance["unit"].id, [entry("F-C1", 50, note="病假")])
    assert again.saved == 0 and again.unchanged == 1 and again.marked == []

    lowered = leave.record(session, finance["hr"], policy, finance["unit"].id, [entry("F-C1", 20)])
    assert lowered.cleared == ["财政干事1（F-C1）"] and "需由评鉴人重新评分" in "".join(lowered.lines())
    assert evaluation_of(session, cycle, a).not_graded_reason is None
    changes = session.scalars(select(AuditEntry).where(AuditEntry.action == "leave.record")
                              .order_by(AuditEntry.id)).all()
    assert [(x.before, x.after["days"]) for x in changes] == [(None, 50), ({"days": 50, "note": "病假"}, 20)]


def test_a_reason_a_person_chose_is_not_overwritten_by_leave(session, policy, finance):
    cycle = open_cycle(session, system_actor(), finance["unit"].id, 2026, 1, policy, today=date(2026, 3, 25))
    e = evaluation_of(session, cycle, finance["clerks"][1])
    e.not_graded_reason = policy.missing_summary.not_graded_reasons[0]
    session.flush()
    report = leave.record(session, finance["hr"], policy, finance["unit"].id, [entry("F-C2", 60)])
    assert report.marked == [] and e.not_graded_reason == policy.missing_summary.not_graded_reasons[0]


def test_leave_recorded_after_the_committee_step_is_kept_but_does_not_change_the_grade(session, policy, finance):
    cycle = open_cycle(session, system_actor(), finance["unit"].id, 2026, 1, policy, today=date(2026, 3, 25))
    cycle.state = "deciding"
    session.flush()
    report = leave.record(session, finance["hr"], policy, finance["unit"].id, [entry("F-C3", 60)])
    assert report.saved == 1 and report.too_late == ["财政干事3（F-C3）"]
    assert "等次不再随请假天数自动调整" in "".join(report.lines())
    e = evaluation_of(session, cycle, finance["clerks"][2])
    assert e.not_graded_reason is None
    noted = session.scalar(select(AuditEntry).where(AuditEntry.action == "evaluation.leave_not_applied"))
    assert noted.object_id == str(e.id) and noted.after["would_be"] == LONG


def test_a_bad_entry_saves_nothing_and_names_each_row_in_chinese(session, policy, finance):
    other = f.unit(session, "县交通局")
    stranger = f.person(session, other, staff_no="T-1", name="交通干事")
    bad = [entry("F-C1", 10, row=2), entry("NOPE", 1, row=3), entry("T-1", 2, row=4), entry("F-C1", 3, row=5),
           entry("F-C2", "三", row=6), entry("F-C3", 1, year=0, row=7), entry("F-C3", 1.3, quarter=2, row=8)]
    with pytest.raises(InvalidInput) as exc:
        leave.record(session, finance["hr"], policy, finance["unit"].id, bad)
    text = "\n".join(exc.value.details["errors"])
    assert "第 3 行「人员编号」：系统中没有人员编号 NOPE" in text
    assert f"{stranger.name}（T-1）2026年第1季度不在县财政局" in text
    assert "第 5 行「人员编号」：与第 2 行重复" in text
    assert "第 6 行「请假天数」：请假天数应为数字" in text and "第 7 行「年度」" in text
    assert "第 8 行「请假天数」：请假天数以 0.5 天为单位" in text
    assert session.scalar(select(LeaveRecord.id)) is None


def test_another_units_hr_cannot_record_here(session, policy, finance):
    other = f.unit(session, "县交通局")
    their_hr = actor_for_person(session, f.person(session, other, roles=("unit_admin",)).id)
    with pytest.raises(NotFound):
        leave.record(session, their_hr, policy, finance["unit"].id, [entry("F-C1", 3)])


def test_leave_in_probation_beyond_the_threshold_extends_it(session, policy, finance):
    rookie = f.person(session, finance["unit"], hired_on=date(2025, 3, 1), start_on=date(2025, 3, 1),
                      staff_no="F-N", supervisor=finance["boss"])
    steady = f.person(session, finance["unit"], hired_on=date(2025, 3, 1), start_on=date(2025, 3, 1),
                      staff_no="F-S", supervisor=finance["boss"])
    leave.record(session, finance["hr"], policy, finance["unit"].id,
                 [entry("F-N", 20, 2025, 2), entry("F-N", 20, 2025, 3), entry("F-S", 30, 2025, 2)])
    cycle = open_cycle(session, system_actor(), finance["unit"].id, 2026, 1, policy, today=date(2026, 3, 25))
    # 395 days on 31 Mar 2026: out of a 365-day probation, unless 40 days of leave extended it
    assert evaluation_of(session, cycle, rookie).not_graded_reason == policy.not_graded.probation_reason
    assert evaluation_of(session, cycle, steady).not_graded_reason is None  # 30 days is not more than 30


def test_the_score_sheet_shows_the_quarters_leave_beside_the_attendance_indicator(session, policy, finance):
    cycle = open_cycle(session, system_actor(), finance["unit"].id, 2026, 1, policy, today=date(2026, 3, 25))
    leave.record(session, finance["hr"], policy, finance["unit"].id, [entry("F-C1", 4.5)])
    boss = actor_for_person(session, finance["boss"].id)
    d = scoring.detail(session, boss, policy, evaluation_of(session, cycle, finance["clerks"][0]).id)
    beside = next(i for i in d.indicators if i["id"] == d.leave_indicator_id)
    assert d.leave_days == 4.5 and beside["dimension"] == "勤" and beside["kind"] == "common"
    none = scoring.detail(session, boss, policy, evaluation_of(session, cycle, finance["clerks"][1]).id)
    assert none.leave_days is None


# -- secondment ----------------------------------------------------------------------------------------------------
@pytest.fixture
def host(session):
    u = f.unit(session, "县委办")
    lead = f.person(session, u, "中层干部", leader=True, name="县委办主任", staff_no="H-B")
    f.person(session, u, supervisor=lead, staff_no="H-C1")
    return {"unit": u, "lead": lead}


def test_a_seconded_person_is_evaluated_by_the_host_and_listed_at_home(session, policy, finance, host):
    a = finance["clerks"][0]
    row, notes = secondments.record(session, finance["hr"], policy, staff_no="F-C1", host_unit="县委办",
                                    start_on="2026-02-01", end_on="2026-04-20")
    assert notes[0] == "由县委办考核的季度：2026年第1季度"  # Q2: only 20 days
    assert row.host_tier.name == "一般干事"  # the same tier as at home
    home = open_cycle(session, system_actor(), finance["unit"].id, 2026, 1, policy, today=date(2026, 3, 25))
    away = open_cycle(session, system_actor(), host["unit"].id, 2026, 1, policy, today=date(2026, 3, 25))
    assert evaluation_of(session, home, a) is None
    hosted = evaluation_of(session, away, a)
    assert hosted.supervisor_id == host["lead"].id and hosted.tier.name == "一般干事"
    lines = opening_notes(session, home).lines()
    assert any("借调至县委办，由借调单位考核" in line and "财政干事1（F-C1）" in line for line in lines)
    status = progress.my_status(session, actor_for_person(session, a.id), policy)
    assert status.cycle_label == "2026年第1季度" and current_evaluation(session, a.id).cycle_id == away.id
    q2_home = open_cycle(session, system_actor(), finance["unit"].id, 2026, 2, policy, today=date(2026, 6, 25))
    assert evaluation_of(session, q2_home, a) is not None
    audit_row = session.scalar(select(AuditEntry).where(AuditEntry.action == "secondment.create"))
    assert audit_row.after["host_unit_id"] == host["unit"].id and audit_row.actor == "person:F-H"


def test_a_county_that_keeps_secondees_at_home_evaluates_them_at_home(session, policy, finance, host):
    policy = dataclasses.replace(policy, secondment=dataclasses.replace(policy.secondment, host_evaluates=False))
    _, notes = secondments.record(session, finance["hr"], policy, staff_no="F-C1", host_unit="县委办",
                                  start_on=date(2026, 1, 1), end_on=date(2026, 12, 31))
    assert notes == ["按本县规定，借调期内各季度仍由本单位考核"]
    home = open_cycle(session, system_actor(), finance["unit"].id, 2026, 1, policy, today=date(2026, 3, 25))
    away = open_cycle(session, system_actor(), host["unit"].id, 2026, 1, policy, today=date(2026, 3, 25))
    assert evaluation_of(session, home, finance["clerks"][0]) is not None
    assert evaluation_of(session, away, finance["clerks"][0]) is None


def test_the_host_can_record_leave_of_its_secondee_and_it_counts_there(session, policy, finance, host):
    secondments.record(session, finance["hr"], policy, staff_no="F-C2", host_unit="县委办", start_on="2026-01-01",
                       end_on="2026-06-30")
    host_hr = actor_for_person(session, f.person(session, host["unit"], roles=("unit_admin",)).id)
    leave.record(session, host_hr, policy, host["unit"].id, [entry("F-C2", 50)])
    away = open_cycle(session, system_actor(), host["unit"].id, 2026, 1, policy, today=date(2026, 3, 25))
    assert evaluation_of(session, away, finance["clerks"][1]).not_graded_reason == LONG
    listed = secondments.unit_secondments(session, finance["hr"], finance["unit"].id)
    assert [(s.staff_no, s.direction, s.host_unit) for s in listed] == [("F-C2", "out", "县委办")]


@pytest.mark.parametrize("kwargs, error, words", [
    ({"start_on": "2026-03-01", "end_on": "2026-02-01"}, InvalidInput, "结束日期不能早于开始日期"),
    ({"start_on": "2026/03/01", "end_on": "2026-04-01"}, InvalidInput, "应写成 YYYY-MM-DD"),
    ({"host_unit": "县财政局"}, InvalidInput, "不能是本人所在单位"),
    ({"host_unit": "县委"}, InvalidInput, "找不到借调单位"),
    ({"tier": "班子"}, InvalidInput, "县委办没有考评层次“班子”"),
    ({"staff_no": "NOPE"}, NotFound, "找不到人员编号 NOPE"),
])
def test_a_wrong_secondment_is_refused_in_chinese(session, policy, finance, host, kwargs, error, words):
    args = {"staff_no": "F-C1", "host_unit": "县委办", "start_on": "2026-01-01", "end_on": "2026-06-30", **kwargs}
    with pytest.raises(error, match=words):
        secondments.record(session, finance["hr"], policy, **args)


def test_overlapping_secondments_are_refused_and_a_late_one_says_the_open_cycle_is_unchanged(session, policy,
                                                                                             finance, host):
    open_cycle(session, system_actor(), finance["unit"].id, 2026, 1, policy, today=date(2026, 3, 25))
    _, notes = secondments.record(session, finance["hr"], policy, staff_no="F-C1", host_unit="县委办",
                                  start_on="2026-01-01", end_on="2026-03-31")
    assert any("县财政局2026年第1季度的考核已经开启，本次登记不改变该季度的考核对象" in n for n in notes)
    with pytest.raises(Conflict, match="借调期不能重叠"):
        secondments.record(session, finance["hr"], policy, staff_no="F-C1", host_unit="县委办",
                           start_on="2026-03-01", end_on="2026-05-31")


# -- changing a secondment: edit and end early; decided quarters are never rewritten ----------------------------------
def test_a_secondment_ended_early_only_moves_quarters_not_yet_decided(session, policy, finance, host):
    from models import Delivery, Notice

    a = finance["clerks"][0]
    host_hr_person = f.person(session, host["unit"], roles=("unit_admin",), name="县委办人事", staff_no="H-H")
    host_hr = actor_for_person(session, host_hr_person.id)
    row, _ = secondments.record(session, finance["hr"], policy, staff_no="F-C1", host_unit="县委办",
                                start_on="2026-01-01", end_on="2026-12-31")
    q1 = open_cycle(session, system_actor(), host["unit"].id, 2026, 1, policy, today=date(2026, 3, 25))
    assert evaluation_of(session, q1, a) is not None
    q1.state = "publicity"  # the host's committee decided and published 2026 Q1
    session.flush()

    with pytest.raises(Conflict) as exc:  # 1 Jan – 15 Feb: Q1 would go back home, but Q1 is decided
        secondments.end(session, finance["hr"], policy, row.id, reason="提前回原单位", today=date(2026, 2, 15))
    assert exc.value.code == "quarter_decided"
    assert "2026年第1季度县委办已审定等次" in exc.value.message and "已审定的季度不能改写" in exc.value.message
    with pytest.raises(InvalidInput, match="提前结束的原因"):
        secondments.end(session, finance["hr"], policy, row.id, reason=" ", today=date(2026, 5, 10))
    with pytest.raises(InvalidInput, match="应早于该日"):
        secondments.end(session, finance["hr"], policy, row.id, reason="回原单位", end_on="2027-01-10",
                        today=date(2026, 5, 10))

    ended, notes = secondments.end(session, finance["hr"], policy, row.id, reason="工作需要，提前回原单位",
                                   today=date(2026, 5, 10))
    assert ended.end_on == date(2026, 5, 10) and ended.ended_by == "person:F-H"
    assert notes[0] == "由县委办考核的季度：2026年第1季度"  # Q2–Q4 back to the home unit
    q2_home = open_cycle(session, system_actor(), finance["unit"].id, 2026, 2, policy, today=date(2026, 6, 25))
    assert evaluation_of(session, q2_home, a) is not None
    entry_ = session.scalar(select(AuditEntry).where(AuditEntry.action == "secondment.end"))
    assert entry_.actor == "person:F-H" and entry_.after["planned_end_on"] == "2026-12-31"
    assert entry_.after["end_on"] == "2026-05-10" and entry_.after["reason"] == "工作需要，提前回原单位"
    told = session.scalars(select(Delivery.person_id).join(Notice, Notice.id == Delivery.notice_id)
                           .where(Notice.dedupe_key.startswith(f"secondment-end:{row.id}:"))).all()
    assert told == [host_hr_person.id]  # the host's HR; not the officer who ended it
    for actor, unit in ((finance["hr"], finance["unit"]), (host_hr, host["unit"])):
        [seen] = secondments.unit_secondments(session, actor, unit.id)
        assert (seen.end_on, seen.ended_on, seen.end_reason) == (date(2026, 5, 10), date(2026, 5, 10),
                                                               "工作需要，提前回原单位")
    with pytest.raises(Conflict, match="已于 2026-05-10 提前结束"):
        secondments.end(session, host_hr, policy, row.id, reason="再结束", today=date(2026, 5, 12))


def test_a_secondment_is_edited_by_either_unit_but_never_rewrites_a_decided_quarter(session, policy, finance, host):
    a = finance["clerks"][1]
    other = f.unit(session, "县政府办")
    f.person(session, other, "一般干事", staff_no="G-C1")
    stranger = actor_for_person(session, f.person(session, f.unit(session, "县林业局"), roles=("unit_admin",)).id)
    row, _ = secondments.record(session, finance["hr"], policy, staff_no="F-C2", host_unit="县委办",
                                start_on="2026-01-01", end_on="2026-06-30")
    q1 = open_cycle(session, system_actor(), host["unit"].id, 2026, 1, policy, today=date(2026, 3, 25))
    e = evaluation_of(session, q1, a)
    e.state, e.final_grade = "decided", "较好"  # decided in the committee, not yet published
    session.flush()

    with pytest.raises(NotFound):
        secondments.edit(session, stranger, policy, row.id, reason="x", end_on="2026-09-30")
    with pytest.raises(Conflict, match="2026年第1季度县委办已审定等次"):
        secondments.edit(session, finance["hr"], policy, row.id, reason="借调单位写错", host_unit="县政府办")
    with pytest.raises(InvalidInput, match="没有要修改的内容"):
        secondments.edit(session, finance["hr"], policy, row.id, reason="核对", end_on="2026-06-30")
    with pytest.raises(Conflict, match="已审定的季度不能改写"):  # Q1 would keep only 1 whole month
        secondments.edit(session, finance["hr"], policy, row.id, reason="开始日期有误", start_on="2026-02-20")

    host_hr = actor_for_person(session, f.person(session, host["unit"], roles=("unit_admin",)).id)
    edited, notes = secondments.edit(session, host_hr, policy, row.id, reason="借调延长至三季度末",
                                     end_on="2026-09-30", note="延长")
    assert (edited.start_on, edited.end_on, edited.note) == (date(2026, 1, 1), date(2026, 9, 30), "延长")
    assert notes[0] == "由县委办考核的季度：2026年第1季度、2026年第2季度、2026年第3季度"
    entry_ = session.scalar(select(AuditEntry).where(AuditEntry.action == "secondment.edit"))
    assert entry_.before["end_on"] == "2026-06-30" and entry_.after["end_on"] == "2026-09-30"
    assert entry_.after["reason"] == "借调延长至三季度末" and entry_.actor.startswith("person:")
    [home_view] = secondments.unit_secondments(session, finance["hr"], finance["unit"].id)
    assert home_view.end_on == date(2026, 9, 30) and home_view.direction == "out"
