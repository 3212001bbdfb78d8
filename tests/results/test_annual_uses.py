"""The live annual roll-up and its uses: candidates, honours, talk reminders and talk records."""
from collections import Counter
from datetime import date

import pytest

from handlers.results import annual_uses as A
from handlers.actor import actor_for_person
from handlers.errors import Conflict, Forbidden, InvalidInput, NotFound
from models import AuditEntry, TalkRecord

TODAY = date(2026, 7, 15)  # during Q3: Q3 and Q4 are still to come


def test_live_outlook_during_the_year(session, policy, county, cli_actor):
    rows = {r.staff_no: r for r in A.year_rows(session, cli_actor, policy, 2026, unit_name="县财政局", today=TODAY)}
    assert rows["F002"].quarters == ["好", "好", None, None]
    assert rows["F002"].outlook.status == "eligible"
    assert rows["F001"].outlook.message == "还需 1 次好且无一般、较差即具备评优秀资格"
    assert rows["F003"].outlook.goods_needed == 2 and rows["F003"].outlook.status == "reachable"
    assert rows["F004"].outlook.status == "blocked"
    assert rows["F005"].quarters == [None, None, None, None]
    assert rows["F005"].not_graded == [f"第1季度：{policy.not_graded.probation_reason}",
                                       f"第2季度：{policy.not_graded.probation_reason}"]
    late = {r.staff_no: r for r in A.year_rows(session, cli_actor, policy, 2026, unit_name="县财政局",
                                                today=date(2027, 1, 10))}
    assert late["F001"].outlook.status == "unreachable"  # the year has ended with one 好


def test_summary_counts_for_the_chart(session, policy, county, cli_actor):
    s = A.annual_summary(session, cli_actor, policy, 2026, today=TODAY)
    assert s["people"] == 10
    assert {"label": "eligible", "value": 5} in s["chart"]["outlook"]
    assert sum(x["value"] for x in s["chart"]["max_grade"]) == 10


def test_candidates_filter_by_tier_unit_and_good_count(session, policy, county, cli_actor):
    rows = A.candidates(session, cli_actor, policy, 2026, kind="training", today=TODAY)
    assert [(r["staff_no"], r["count"]) for r in rows] == [("F004", 2)]  # 一般 twice: the policy's training list
    assert rows[0]["list"] == "培训参考名单" and rows[0]["window"] == "2026年第1季度至2026年第4季度"
    assert A.candidates(session, cli_actor, policy, 2026, today=TODAY) == []  # promotion needs 3 好
    one = A.candidates(session, cli_actor, policy, 2026, min_good=1, unit_name="县财政局", tier="中层干部",
                       today=TODAY)
    assert [(r["staff_no"], r["rank"]) for r in one] == [("F001", 1)]
    with pytest.raises(InvalidInput):
        A.candidates(session, cli_actor, policy, 2026, kind="bonus")


def test_candidates_honour_the_quarter_and_the_policys_window(session, policy, county, cli_actor):
    from .conftest import add_quarter

    two_good = A.candidates(session, cli_actor, policy, 2026, quarter=2, min_good=2, today=TODAY)
    assert [r["staff_no"] for r in two_good] == ["E001", "E002", "E003", "E004", "F002"]
    assert A.candidates(session, cli_actor, policy, 2026, quarter=1, min_good=2, today=TODAY) == []  # Q1 only
    add_quarter(session, policy, county.units["fin"], 2025, 4, {county.people["F004"]: (60, "较差", None)})
    training = A.candidates(session, cli_actor, policy, 2026, kind="training", quarter=1, today=TODAY)
    assert [(r["staff_no"], r["count"], r["window"]) for r in training] == [
        ("F004", 2, "2025年第2季度至2026年第1季度")]  # the last four quarters, across the year boundary
    with pytest.raises(InvalidInput):
        A.candidates(session, cli_actor, policy, 2026, quarter=5)


def test_honours_and_scope(session, policy, county, cli_actor):
    assert [r["staff_no"] for r in A.honours(session, county.admin, policy, 2026, unit_name="县财政局")] == ["F002"]
    with pytest.raises(Forbidden):
        A.honours(session, county.admin, policy, 2026)
    with pytest.raises(NotFound):
        A.honours(session, county.admin, policy, 2026, unit_name="县教育局")


def test_talk_reminders_name_the_supervisor_and_record_the_talk(session, policy, county, cli_actor):
    rows = {r["staff_no"]: r for r in A.talk_reminders(session, cli_actor, policy, 2026, 2)}
    assert set(rows) == {"F001", "F004"}
    assert rows["F004"]["reason"] == "本季度平时考核等次为一般" and rows["F004"]["talk_by"] == "张局长"
    assert rows["F001"]["reason"] == "等次由好降为较好" and not rows["F001"]["held"]
    supervisor = actor_for_person(session, county.people["F001"].id)
    done = A.record_talk(session, supervisor, policy, "F004", 2026, 2, held_on=date(2026, 7, 10),
                         note="指出预算报表差错，约定下季度改进")
    assert done["reason"] == "本季度平时考核等次为一般"
    after = {r["staff_no"]: r for r in A.talk_reminders(session, cli_actor, policy, 2026, 2)}
    assert after["F004"]["held"] and after["F004"]["held_on"] == "2026-07-10" and after["F004"]["held_by"] == "张局长"
    assert session.query(AuditEntry).filter_by(action="talk.record", object_id="F004").count() == 1
    with pytest.raises(Conflict, match="已于 2026-07-10 记录"):
        A.record_talk(session, supervisor, policy, "F004", 2026, 2, held_on=date(2026, 7, 11))
    assert session.query(TalkRecord).count() == 1


def test_only_the_scorer_unit_hr_or_county_may_record_a_talk(session, policy, county):
    colleague = actor_for_person(session, county.people["F003"].id)
    with pytest.raises(NotFound):
        A.record_talk(session, colleague, policy, "F004", 2026, 2, held_on=date(2026, 7, 10))
    with pytest.raises(NotFound):
        A.record_talk(session, county.admin, policy, "E001", 2026, 2, held_on=date(2026, 7, 10))
    with pytest.raises(InvalidInput, match="不能晚于今天"):
        A.record_talk(session, county.admin, policy, "F004", 2026, 2, held_on=date(2999, 1, 1))
    A.record_talk(session, county.admin, policy, "F004", 2026, 2, held_on=date(2026, 7, 1))


def test_a_talk_reminder_follows_the_previous_year_for_the_first_quarter(session, policy, county, cli_actor):
    from .conftest import add_quarter

    fin = county.units["fin"]
    add_quarter(session, policy, fin, 2025, 4, {county.people["F003"]: (92, "好", None)})
    rows = {r["staff_no"]: r for r in A.talk_reminders(session, cli_actor, policy, 2026, 1)}
    assert rows["F003"]["previous_grade"] == "好" and rows["F003"]["reason"] == "等次由好降为较好"


def test_a_supervisor_sees_the_talks_they_are_to_hold(session, policy, county):
    lead = actor_for_person(session, county.people["F001"].id)
    assert [r["staff_no"] for r in A.talk_reminders(session, lead, policy, 2026, 2)] == ["F004"]
    staff = actor_for_person(session, county.people["F003"].id)
    assert A.talk_reminders(session, staff, policy, 2026, 2) == []
    with pytest.raises(NotFound):
        A.talk_reminders(session, lead, policy, 2026, 2, unit_name="县教育局")


def test_a_page_of_the_roll_up_is_the_same_as_the_streamed_rows(session, policy, county, cli_actor):
    everyone = [r.as_dict() for r in A.year_rows(session, cli_actor, policy, 2026, today=TODAY)]
    first = A.year_page(session, cli_actor, policy, 2026, offset=0, limit=4, today=TODAY)
    second = A.year_page(session, cli_actor, policy, 2026, offset=4, limit=4, today=TODAY)
    assert [r.as_dict() for r in first.rows] == everyone[:4]
    assert [r.as_dict() for r in second.rows] == everyone[4:8]  # page 2: the next people in staff-number order
    assert first.total == second.total == len(everyone) == 10
    last = A.year_page(session, cli_actor, policy, 2026, offset=8, limit=4, today=TODAY)
    assert [r["staff_no"] for r in (x.as_dict() for x in last.rows)] == [r["staff_no"] for r in everyone[8:]]


def test_a_page_filtered_by_outlook_and_the_counts_for_the_chart(session, policy, county, cli_actor):
    rows = list(A.year_rows(session, cli_actor, policy, 2026, today=TODAY))
    eligible = [r.staff_no for r in rows if r.outlook.status == "eligible"]
    page = A.year_page(session, cli_actor, policy, 2026, status="eligible", limit=3, summary=True, today=TODAY)
    assert [r.staff_no for r in page.rows] == eligible[:3] and page.total == len(eligible) == 5
    rest = A.year_page(session, cli_actor, policy, 2026, status="eligible", offset=3, limit=3, today=TODAY)
    assert [r.staff_no for r in rest.rows] == eligible[3:]
    by_status, by_max = Counter(r.outlook.status for r in rows), Counter(r.outcome.max_grade for r in rows)
    assert page.by_status == by_status and page.by_max == by_max  # counted by signature = counted person by person
    assert page.people == 10
    unit = A.year_page(session, cli_actor, policy, 2026, unit_name="县财政局", status="blocked", today=TODAY)
    assert [r.staff_no for r in unit.rows] == ["F004"] and unit.total == 1
    assert A.year_page(session, cli_actor, policy, 2026, status="priority", today=TODAY).rows == []
    with pytest.raises(Forbidden):
        A.year_page(session, county.admin, policy, 2026, today=TODAY)  # unit HR: its own unit only
