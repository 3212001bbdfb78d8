"""The county office's oversight: board, distribution, anomalies, near duplicates, spot checks, filings."""
from datetime import date, datetime, timezone

import pytest

from handlers.county import oversight as O
from handlers.errors import Forbidden, InvalidInput, NotFound
from models import AuditEntry, Filing, SpotCheck, Summary

from .conftest import SUMMARY_A, add_quarter


def test_board_counts_each_step_and_names_who_is_late(session, policy, county, cli_actor):
    fin = county.units["fin"]
    people = {p: (None, None, None) for p in (county.people["F002"], county.people["F003"])}
    add_quarter(session, policy, fin, 2026, 3, people, decided=False, summaries={county.people["F002"]: ["完成"]})
    session.add(Filing(kind="results", unit_id=county.units["edu"].id, year=2026, quarter=2, submitted_by="x"))
    late = datetime(2026, 10, 20, tzinfo=timezone.utc)  # after the summary and scoring deadlines of Q3
    board = O.progress_board(session, cli_actor, policy, 2026, 3, now=late)
    assert [u["unit"] for u in board["units"]] == ["县财政局"]
    u = board["units"][0]
    assert u["totals"] == {"people": 2, "submitted": 1, "scored": 0, "decided": 0, "published": 0, "not_graded": 0}
    assert u["late"] == ["个人小结（1人未提交）", "领导评鉴（2人未评鉴）", "党委(党组)审定"]
    assert board["late_units"] == [{"unit": "县财政局", "late": u["late"]}]
    assert "late_people" not in u  # the county view stays one line per unit
    one = O.progress_board(session, cli_actor, policy, 2026, 3, unit_name="县财政局", now=late)
    assert one["units"][0]["late_people"] == {"一般干事": {"summaries": ["王芳"], "scoring": ["李明", "王芳"]}}
    q2 = O.progress_board(session, cli_actor, policy, 2026, 2, now=late)
    by_unit = {x["unit"]: x for x in q2["units"]}
    assert by_unit["县教育局"]["filed"] == "submitted" and by_unit["县教育局"]["late"] == []
    assert by_unit["县财政局"]["late"] == ["结果备案"]  # filed cycle: only the missing filing is late
    assert {"label": "已审定", "value": 10} in q2["chart"]


def test_board_is_for_the_county_or_one_own_unit(session, policy, county):
    with pytest.raises(Forbidden):
        O.progress_board(session, county.admin, policy, 2026, 1)
    mine = O.progress_board(session, county.admin, policy, 2026, 1, unit_name="县财政局")
    assert [u["unit"] for u in mine["units"]] == ["县财政局"]
    with pytest.raises(NotFound):
        O.progress_board(session, county.admin, policy, 2026, 1, unit_name="县教育局")


def test_distribution_flags_tiers_over_quota(session, policy, county, cli_actor):
    d = O.grade_distribution(session, cli_actor, policy, 2026, 1)
    over = {(t["unit"], t["tier"]) for t in d["over_quota"]}
    assert over == {("县财政局", "中层干部"), ("县教育局", "一般干事")}
    fin = next(t for t in d["tiers"] if t["tier"] == "一般干事" and t["unit"] == "县财政局")
    assert fin["counts"] == {"好": 1, "较好": 2, "一般": 1, "较差": 0} and fin["quota"] == 1 and fin["within_quota"]
    assert {"label": "好", "value": 6} in d["chart"]


def test_anomalies(session, policy, county, cli_actor):
    edu = county.units["edu"]
    people = {county.people[s]: (95, "好", None) for s in ("E001", "E002", "E003", "E004")}
    add_quarter(session, policy, edu, 2025, 4, people)
    found = O.anomalies(session, cli_actor, policy, 2026, 2)
    kinds = {(a["kind"], a["unit"]) for a in found}
    assert ("all_good", "县教育局") in kinds
    assert ("identical_scores", "县教育局") in kinds
    assert ("same_grades", "县教育局") in kinds  # 2025Q4, 2026Q1, 2026Q2 all 好4人
    assert ("same_grades", "县财政局") not in kinds
    assert ("near_duplicate", "县财政局") in kinds
    with pytest.raises(Forbidden):
        O.anomalies(session, county.admin, policy, 2026, 2)


def test_near_duplicates_with_a_colleague_and_with_last_quarter(session, policy, county, cli_actor):
    found = O.near_duplicates(session, cli_actor, policy, 2026, 2)
    pairs = {(p["kind"], p["a"]["staff_no"], p["b"]["staff_no"]) for p in found["pairs"]}
    assert ("colleague", "F002", "F003") in pairs  # one character differs
    assert ("last_quarter", "F002", "F002") in pairs  # the same text as in Q1
    assert ("last_quarter", "F004", "F004") in pairs
    assert ("colleague", "F003", "F004") not in pairs  # different texts
    assert found["summaries"] == 3 and found["pairs_found"] == len(found["pairs"]) == 3
    colleague = next(p for p in found["pairs"] if p["kind"] == "colleague")
    assert 0.8 <= colleague["similarity"] < 1
    assert colleague["overlap"] == "份，未出现差错。\n积极参加单位组织的政治理论学习，撰写心得体会两篇。"
    assert 0.9 < colleague["text_ratio"] < 1


def test_short_or_different_summaries_are_not_pairs(session, policy, county, cli_actor):
    fin = county.units["fin"]
    a, b = county.people["F002"], county.people["F003"]
    add_quarter(session, policy, fin, 2026, 3, {a: (90, "好", None), b: (90, "较好", None)},
                summaries={a: ["完成任务。"], b: ["完成任务。"]})
    assert O.near_duplicates(session, cli_actor, policy, 2026, 3)["pairs"] == []
    found = O.near_duplicates(session, cli_actor, policy, 2026, 2, unit_name="县财政局", limit=1)
    assert len(found["pairs"]) == 1 and found["pairs_found"] == 3 and found["pairs"][0]["similarity"] == 1.0
    assert session.query(Summary).count() == 8 and SUMMARY_A


def test_spot_check_is_reproducible_recorded_and_becomes_a_circular(session, policy, county, cli_actor):
    first = O.draw_spot_check(session, cli_actor, policy, 2026, 1, seed=42, units=1, people_per_unit=2)
    second = O.draw_spot_check(session, cli_actor, policy, 2026, 1, seed=42, units=1, people_per_unit=2)
    assert first["sample"] == second["sample"] and first["id"] != second["id"]
    assert first["seed"] == 42 and len(first["sample"][0]["people"]) == 2
    assert session.query(SpotCheck).count() == 2
    assert session.query(AuditEntry).filter_by(action="spotcheck.draw").count() == 2
    other = O.draw_spot_check(session, cli_actor, policy, 2026, 1, units=2, people_per_unit=1)
    assert other["seed"] > 0 and {u["unit"] for u in other["sample"]} == {"县财政局", "县教育局"}
    drawn = first["sample"][0]
    O.add_finding(session, cli_actor, first["id"], drawn["unit"], "党委会议记录缺少参会人员签名",
                  staff_no=drawn["people"][0]["staff_no"])
    with pytest.raises(InvalidInput, match="不在本次抽查的单位中"):
        O.add_finding(session, cli_actor, first["id"], "不存在的单位", "问题")
    with pytest.raises(InvalidInput, match="不能为空"):
        O.add_finding(session, cli_actor, first["id"], drawn["unit"], "  ")
    circular = O.circular_draft(session, cli_actor, policy, first["id"], today=date(2026, 8, 1))
    assert circular["title"] == "关于2026年第1季度公务员平时考核抽查情况的通报"
    assert f"1. {drawn['unit']}：{drawn['people'][0]['name']}（{drawn['people'][0]['staff_no']}）：" \
           f"党委会议记录缺少参会人员签名。" in circular["text"]
    assert "随机种子 42" in circular["text"] and circular["text"].endswith("2026年8月1日")
    O.add_finding(session, cli_actor, first["id"], drawn["unit"], "个人小结过于简单。")  # typed with a full stop
    text = O.circular_draft(session, cli_actor, policy, first["id"])["text"]
    assert "党委会议记录缺少参会人员签名；个人小结过于简单。\n" in text and "。。" not in text and "。；" not in text
    clean = O.circular_draft(session, cli_actor, policy, other["id"])
    assert "未发现明显问题" in clean["text"]
    with pytest.raises(Forbidden):
        O.draw_spot_check(session, county.admin, policy, 2026, 1)


def test_filing_status(session, policy, county, cli_actor):
    fin = county.units["fin"]
    session.add_all([Filing(kind="annual_plan", unit_id=fin.id, year=2026, quarter=0, state="accepted",
                            submitted_by="x"),
                     Filing(kind="changes", unit_id=fin.id, year=2026, quarter=1, submitted_by="x"),
                     Filing(kind="results", unit_id=fin.id, year=2026, quarter=1, state="returned",
                            submitted_by="x")])
    session.flush()
    s = O.filing_status(session, cli_actor, policy, 2026)
    rows = {u["unit"]: u for u in s["units"]}
    assert rows["县财政局"]["annual_plan"] == "已通过" and rows["县教育局"]["annual_plan"] == "未备案"
    assert rows["县财政局"]["quarters"][0] == {"quarter": 1, "changes": "已报送", "results": "已退回"}
    assert s["missing_annual_plan"] == 1
    own = O.filing_status(session, county.admin, policy, 2026, unit_name="县财政局")
    assert [u["unit"] for u in own["units"]] == ["县财政局"]


def test_a_circular_is_sent_as_a_notice_to_every_units_hr(session, policy, county, cli_actor):
    from models import Delivery, Notice

    check = O.draw_spot_check(session, cli_actor, policy, 2026, 1, seed=7, units=1, people_per_unit=1)
    O.add_finding(session, cli_actor, check["id"], check["sample"][0]["unit"], "评鉴表缺少分管领导签字")

    notice = O.send_circular(session, cli_actor, policy, check["id"], today=date(2026, 8, 1))

    assert session.get(Notice, notice.id).title == "关于2026年第1季度公务员平时考核抽查情况的通报"
    assert "评鉴表缺少分管领导签字" in notice.body and notice.audience == ["role:单位管理员"]
    recipients = {d.person_id for d in session.query(Delivery).filter_by(notice_id=notice.id)}
    assert recipients == {county.people["F006"].id}  # the only unit HR in this county
    assert session.query(AuditEntry).filter_by(action="spot_check.circular_sent").count() == 1
    with pytest.raises(Forbidden):
        O.send_circular(session, county.admin, policy, check["id"])


def _more_units(session, policy, sizes: dict[str, int]) -> None:
    """Extra units for 2026 Q2, each with ``n`` people still to be decided (so their steps are late by July)."""
    from tests import factories as f

    for name, n in sizes.items():
        u = f.unit(session, name, tiers=("一般干事",))
        people = [f.person(session, u, staff_no=f"{name[-2:]}{i}", name=f"{name}{i}号") for i in range(n)]
        add_quarter(session, policy, u, 2026, 2, {p: (None, None, None) for p in people}, decided=False)
    session.flush()


def test_the_board_pages_sorts_and_filters_in_the_handler(session, policy, county, cli_actor):
    _more_units(session, policy, {"县水利局": 3, "县林业局": 1, "县民政局": 5, "县审计局": 2})
    now = datetime(2026, 7, 20, tzinfo=timezone.utc)  # Q2's summary and scoring deadlines have passed
    everything = O.progress_board(session, cli_actor, policy, 2026, 2, now=now)
    names = sorted(u["unit"] for u in everything["units"])
    assert len(names) == 6 and everything["unit_count"] == 6 and everything["matched"] == 6
    first = O.progress_board(session, cli_actor, policy, 2026, 2, now=now, sort="unit", offset=0, limit=4)
    second = O.progress_board(session, cli_actor, policy, 2026, 2, now=now, sort="unit", offset=4, limit=4)
    assert [u["unit"] for u in first["units"]] == names[:4]
    assert [u["unit"] for u in second["units"]] == names[4:]  # page 2: the next rows
    for page in (first, second):  # the county's totals, whatever the page
        assert page["totals"] == everything["totals"] and page["matched"] == 6 and page["unit_count"] == 6
        assert page["totals"]["people"] == 10 + 3 + 1 + 5 + 2
        assert all("deadlines" in u for u in page["units"])
    by_people = O.progress_board(session, cli_actor, policy, 2026, 2, now=now, sort="-people", limit=2)
    assert [(u["unit"], u["totals"]["people"]) for u in by_people["units"]] == [("县财政局", 6), ("县民政局", 5)]
    found = O.progress_board(session, cli_actor, policy, 2026, 2, now=now, q="水利", limit=50)
    assert [u["unit"] for u in found["units"]] == ["县水利局"] and found["matched"] == 1
    assert found["totals"] == everything["totals"]  # the filter narrows the list, not the county's figures
    late = O.progress_board(session, cli_actor, policy, 2026, 2, now=now, late_only=True, limit=50)
    assert {u["unit"] for u in late["units"]} == {u["unit"] for u in everything["units"] if u["late"]}
    assert late["matched"] == len(everything["late_units"]) == 4  # the two decided units are not late yet
    default = O.progress_board(session, cli_actor, policy, 2026, 2, now=now, limit=50, sort="bogus")
    assert default["sort"] == "-late"  # an unknown sort falls back to the most late steps first
    assert [len(u["late"]) for u in default["units"]] == sorted((len(u["late"]) for u in default["units"]),
                                                               reverse=True)
