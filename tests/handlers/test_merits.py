"""加扣分、负面清单与问责, end to end through the handlers: unit HR records an event with its evidence, the county
office approves it, and the rules reach the supervisor's running total, the committee's decision (a blocked 好 is
refused naming the item and its period) and the annual outcome (优秀 blocked with the reason)."""
import dataclasses
import hashlib
from datetime import date

import pytest
from sqlalchemy import select

from config import load_policy
from config.policy import MeritItem
from handlers.quarter import decisions, merits, scoring
from handlers.results import annual, annual_uses
from handlers.actor import actor_for_person, system_actor
from handlers.quarter.cycles import open_cycle
from handlers.errors import Conflict, Forbidden, InvalidInput, NotFound
from handlers.quarter.merits import Upload
from handlers.quarter.scoring import Tap
from models import AuditEntry, Evaluation, MeritEvent
from tests import factories as f

TODAY = date(2026, 11, 23)
PDF = b"%PDF-1.4\n" + b"x" * 2000
PNG = b"\x89PNG\r\n\x1a\n" + b"y" * 100


@pytest.fixture
def world(session, policy):
    unit = f.unit(session)
    lead = f.person(session, unit, "中层干部", leader=True, name="赵副局长")
    clerks = [f.person(session, unit, supervisor=lead, name=n) for n in ("王干事", "刘干事", "陈干事", "孙干事", "周干事")]
    hr = f.person(session, unit, supervisor=lead, roles=("unit_admin",), name="李人事")
    other_unit = f.unit(session, "县教育局")
    other_hr = f.person(session, other_unit, roles=("unit_admin",), name="外单位人事")
    office = f.person(session, other_unit, roles=("county_admin",), name="县公务员办")
    cycle = open_cycle(session, system_actor(), unit.id, 2026, 3, policy, today=date(2026, 9, 30))
    session.flush()
    return {"unit": unit, "lead": lead, "clerks": clerks, "cycle": cycle, "admin": actor_for_person(session, hr.id),
                "other": actor_for_person(session, other_hr.id), "county": actor_for_person(session, office.id),
                "sup": actor_for_person(session, lead.id)}


def evaluation_of(session, person):
    return session.scalar(select(Evaluation).where(Evaluation.person_id == person.id))


def score_all(session, policy, w, person, short_of_full=0):
    """Every indicator full marks, but the first 15-point one ``short_of_full`` points short."""
    e = evaluation_of(session, person)
    detail = scoring.detail(session, w["sup"], policy, e.id)
    first15 = next(i["id"] for i in detail.indicators if i["points"] == 15)
    taps = [Tap(i["id"], points=i["points"] - (short_of_full if i["id"] == first15 else 0)) for i in detail.indicators]
    return scoring.save_scores(session, w["sup"], policy, e.id, taps, e.version)


def audit_actions(session):
    return [a for (a,) in session.execute(select(AuditEntry.action).order_by(AuditEntry.id))]


def test_a_warning_waits_for_the_county_then_blocks_a_good_grade_naming_the_item_and_period(session, policy, world):
    w, wang = world, world["clerks"][0]
    event = merits.record(session, w["admin"], policy, wang.staff_no, "W01", date(2026, 8, 10), "约谈后诫勉",
                          Upload("诫勉决定书.pdf", PDF), TODAY)
    assert event["state"] == "pending" and event["state_label"] == "待县公务员办审核"
    assert event["evidence"] == {"name": "诫勉决定书.pdf", "type": "application/pdf", "size": len(PDF),
                                 "sha256": hashlib.sha256(PDF).hexdigest()}
    w["cycle"].state = "deciding"
    session.flush()
    decisions.record_meeting(session, w["admin"], w["cycle"].id, date(2026, 10, 12), "党组全体成员", "", TODAY)
    e = evaluation_of(session, wang)
    decisions.decide(session, w["admin"], policy, w["cycle"].id, {e.id: "好"})  # pending: not in force yet
    decisions.decide(session, w["admin"], policy, w["cycle"].id, {e.id: "较好"})

    with pytest.raises(Forbidden):
        merits.review(session, w["admin"], policy, event["id"], True)
    approved = merits.review(session, w["county"], policy, event["id"], True, "材料齐全")
    assert approved["state"] == "approved" and approved["reviewed_by"] == w["county"].ref

    with pytest.raises(Conflict) as exc:
        decisions.decide(session, w["admin"], policy, w["cycle"].id, {e.id: "好"})
    assert exc.value.code == "merit_blocked"
    assert exc.value.message == ("王干事受到诫勉（2026-08-10，影响期 2026-08-10 至 2027-02-09），影响期内不得评为好，"
                                 "不能审定为“好”（可选：较好、一般、较差）")
    assert exc.value.details["item_code"] == "W01" and exc.value.details["period_to"] == "2027-02-09"
    person = next(p for t in decisions.overview(session, w["admin"], policy, w["cycle"].id).tiers
                  for p in t.people if p["evaluation_id"] == e.id)
    assert person["allowed_grades"] == ["较好", "一般", "较差"] and person["blocks"][0]["name"] == "受到诫勉"
    assert {"merit.record", "merit.review", "decision.refused"} <= set(audit_actions(session))


def test_a_warning_disciplinary_sanction_leaves_only_poor_this_quarter(session, policy, world):
    w, liu = world, world["clerks"][1]
    ev = merits.record(session, w["admin"], policy, liu.staff_no, "W03", date(2026, 7, 20), "",
                       Upload("处分.png", PNG), TODAY)
    merits.review(session, w["county"], policy, ev["id"], True)
    w["cycle"].state = "deciding"
    session.flush()
    decisions.record_meeting(session, w["admin"], w["cycle"].id, date(2026, 10, 12), "党组全体成员", "", TODAY)
    e = evaluation_of(session, liu)
    with pytest.raises(Conflict) as exc:
        decisions.decide(session, w["admin"], policy, w["cycle"].id, {e.id: "一般"})
    assert "受到警告处分（2026-07-20，影响期 2026-07-20 至 2026-09-30），当季定为较差" in exc.value.message
    view = decisions.decide(session, w["admin"], policy, w["cycle"].id, {e.id: "较差"})
    assert [p["final_grade"] for t in view.tiers for p in t.people if p["evaluation_id"] == e.id] == ["较差"]


def test_an_annual_excellent_is_blocked_with_the_reason(session, policy, world):
    w, chen = world, world["clerks"][2]
    for quarter in (1, 2):
        c = open_cycle(session, system_actor(), w["unit"].id, 2026, quarter, policy, today=date(2026, 3 * quarter, 28))
        e = session.scalar(select(Evaluation).where(Evaluation.cycle_id == c.id, Evaluation.person_id == chen.id))
        e.final_grade, e.state = "好", "decided"
    session.flush()
    [before] = list(annual.annual_rollup(session, w["county"], 2026, policy, staff_no=chen.staff_no))
    assert before.outcome.excellent_eligible and before.outcome.max_grade == "优秀"
    ev = merits.record(session, w["admin"], policy, chen.staff_no, "W02", date(2026, 9, 1), "免职",
                       Upload("决定.pdf", PDF), TODAY)
    merits.review(session, w["county"], policy, ev["id"], True)
    [after] = list(annual.annual_rollup(session, w["county"], 2026, policy, staff_no=chen.staff_no))
    assert not after.outcome.excellent_eligible and after.outcome.max_grade == "称职"
    assert after.outcome.reasons[-1] == ("受到组织处理（停职检查、调整职务、责令辞职、降职、免职）（2026-09-01，"
                                         "影响期 2026-09-01 至 2027-08-31），年度不得评优秀，年度考核不得评为优秀")
    rows = list(annual_uses.year_rows(session, w["county"], policy, 2026, today=TODAY))
    row = next(r for r in rows if r.staff_no == chen.staff_no)  # the annual uses (lists, exports): the same outcome
    assert not row.outcome.excellent_eligible and row.outcome.reasons[-1] == after.outcome.reasons[-1]
    # the console's annual page (one page, counted in the database by quarter signature): the same outcome, and
    # the count by highest grade moves the blocked person from 优秀 to 称职
    page = annual_uses.year_page(session, w["county"], policy, 2026, summary=True, today=TODAY, limit=500)
    paged = next(r for r in page.rows if r.staff_no == chen.staff_no)
    assert paged.outcome.max_grade == "称职" and paged.outcome.reasons[-1] == after.outcome.reasons[-1]
    assert page.by_max == {grade: sum(1 for r in rows if r.outcome.max_grade == grade)
                           for grade in {r.outcome.max_grade for r in rows}}


def test_the_running_total_adds_the_applied_items_and_follows_a_later_approval(session, policy, world):
    w, sun = world, world["clerks"][3]
    w["cycle"].state = "scoring"
    f.excuse_missing_summaries(session, w["cycle"])
    ev = merits.record(session, w["admin"], policy, sun.staff_no, "J02", date(2026, 8, 1), "市级先进",
                       Upload("证书.pdf", PDF), TODAY)
    saved = score_all(session, policy, w, sun, 15)  # 85 from the indicators
    assert (saved.indicator_total, saved.total, saved.adjustments) == (85, 85, ())  # pending: not counted
    merits.review(session, w["county"], policy, ev["id"], True)
    e = evaluation_of(session, sun)
    session.refresh(e)
    assert (e.total, e.suggested_grade) == (87, "较好")
    assert "evaluation.merits_applied" in audit_actions(session)
    detail = scoring.detail(session, w["sup"], policy, e.id)
    assert detail.result.total == 87 and detail.result.indicator_total == 85 and detail.result.adjustments_total == 2
    assert detail.result.adjustments[0]["text"] == "受到市级以上表彰奖励（2026-08-01）+2 分"
    ev2 = merits.record(session, w["admin"], policy, sun.staff_no, "J02", date(2026, 8, 5), "",
                        Upload("证书2.pdf", PDF), TODAY)
    merits.review(session, w["county"], policy, ev2["id"], True)
    saved = score_all(session, policy, w, sun)  # 100 + 4 → within the bound of 100
    assert (saved.indicator_total, saved.adjustments_total, saved.total, saved.suggested_grade) == (100, 4, 100, "好")


@pytest.mark.parametrize("code, on, upload, error, fragment", [
    ("X99", date(2026, 8, 1), None, InvalidInput, "加扣分目录中没有编号为“X99”的事项"),
    ("W01", date(2026, 8, 1), None, InvalidInput, "须上传证明材料（诫勉决定书）"),
    ("W01", date(2026, 8, 1), Upload("a.exe", b"MZ" + b"0" * 10), InvalidInput, "证明材料只能是 pdf、jpg、jpeg、png 格式"),
    ("W01", date(2026, 8, 1), Upload("a.pdf", b"MZ" + b"0" * 10), InvalidInput, "证明材料的内容不是 pdf 文件"),
    ("W01", date(2026, 8, 1), Upload("a.pdf", b"%PDF-" + b"0" * 5242880), InvalidInput, "证明材料不能超过 5 MB"),
    ("W01", date(2026, 8, 1), Upload("a.pdf", b""), InvalidInput, "证明材料是空文件"),
    ("W01", date(2026, 12, 1), Upload("a.pdf", PDF), InvalidInput, "事件日期不能晚于今天"),
])
def test_bad_input_is_refused_in_chinese(session, policy, world, code, on, upload, error, fragment):
    with pytest.raises(error) as exc:
        merits.record(session, world["admin"], policy, world["clerks"][0].staff_no, code, on, "", upload, TODAY)
    assert fragment in exc.value.message
    assert session.scalar(select(MeritEvent.id)) is None


def test_over_the_cap_is_refused_and_another_units_hr_cannot_record_or_see(session, policy, world):
    w, zhou = world, world["clerks"][4]
    for day in (1, 2):
        merits.record(session, w["admin"], policy, zhou.staff_no, "J01", date(2026, 8, day), "", Upload("a.pdf", PDF),
                      TODAY)
    with pytest.raises(InvalidInput) as exc:
        merits.record(session, w["admin"], policy, zhou.staff_no, "J01", date(2026, 8, 3), "", Upload("a.pdf", PDF),
                      TODAY)
    assert exc.value.code == "over_cap" and "已达上限 2 分" in exc.value.message
    with pytest.raises(NotFound):
        merits.record(session, w["other"], policy, zhou.staff_no, "K01", date(2026, 8, 3), "", None, TODAY)
    assert merits.list_events(session, w["other"], policy) == []
    assert len(merits.list_events(session, w["admin"], policy, staff_no=zhou.staff_no, year=2026, quarter=3)) == 2


def test_the_evidence_is_served_only_to_those_who_may_see_the_person(session, policy, world):
    w, wang = world, world["clerks"][0]
    ev = merits.record(session, w["admin"], policy, wang.staff_no, "W01", date(2026, 8, 10), "",
                       Upload("诫勉.pdf", PDF), TODAY)
    for actor in (w["admin"], w["county"], w["sup"], actor_for_person(session, wang.id)):
        assert merits.evidence_file(session, actor, ev["id"]) == ("诫勉.pdf", "application/pdf", PDF)
    for actor in (w["other"], actor_for_person(session, w["clerks"][1].id)):
        with pytest.raises(NotFound):
            merits.evidence_file(session, actor, ev["id"])


def test_a_second_county_needs_no_approval_and_has_its_own_items(session, world):
    other = load_policy("hengdong")
    w, wang = world, world["clerks"][0]
    with pytest.raises(InvalidInput):
        merits.record(session, w["admin"], other, wang.staff_no, "W01", date(2026, 8, 10), "", Upload("a.pdf", PDF),
                      TODAY)
    ev = merits.record(session, w["admin"], other, wang.staff_no, "HD-QQ", date(2026, 8, 10), "旷工一天", None, TODAY)
    assert ev["state"] == "approved" and ev["points"] == -2
    withdrawn = merits.withdraw(session, w["admin"], other, ev["id"], "录错了人")
    assert withdrawn["state"] == "withdrawn" and "merit.withdraw" in audit_actions(session)


def test_the_printed_evaluation_form_lists_each_applied_item(session, policy, world):
    import io

    from docx import Document

    from handlers.results.documents import forms, html_forms

    w, sun = world, world["clerks"][3]
    w["cycle"].state = "scoring"
    f.excuse_missing_summaries(session, w["cycle"])
    for code, on in (("J02", date(2026, 8, 1)), ("W01", date(2026, 9, 1))):
        ev = merits.record(session, w["admin"], policy, sun.staff_no, code, on, "", Upload("a.pdf", PDF), TODAY)
        merits.review(session, w["county"], policy, ev["id"], True)
    score_all(session, policy, w, sun, 15)
    expected = ("受到市级以上表彰奖励（2026-08-01）+2 分；"
                "受到诫勉（2026-09-01，影响期 2026-09-01 至 2027-02-28），影响期内不得评为好")
    docx = io.BytesIO()
    forms.evaluation_form(session, w["admin"], policy, sun.staff_no, 2026, 3, docx)
    cells = {r.cells[0].text: r.cells[1].text for t in Document(io.BytesIO(docx.getvalue())).tables[2:] for r in t.rows}
    assert cells["加扣分与问责"] == expected and cells["合计得分"] == "87"
    html = io.BytesIO()
    html_forms.evaluation_html(session, w["admin"], policy, sun.staff_no, 2026, 3, html)
    assert expected in html.getvalue().decode()


def test_a_demerit_sanction_makes_the_quarters_of_its_period_not_graded_and_a_withdrawal_undoes_it(session, world):
    other = load_policy("hengdong")
    strict = dataclasses.replace(other, merits=dataclasses.replace(other.merits, items=(
        *other.merits.items, MeritItem("HD-JG", "受到记过处分", "问责", effects=("not_graded",), period_months=12))))
    w, zhou = world, world["clerks"][4]
    ev = merits.record(session, w["admin"], strict, zhou.staff_no, "HD-JG", date(2026, 8, 20), "", None, TODAY)
    e = evaluation_of(session, zhou)
    assert e.not_graded_reason == "受到记过处分（2026-08-20，影响期 2026-08-20 至 2027-08-19），不定等次"
    q4 = open_cycle(session, system_actor(), w["unit"].id, 2026, 4, strict, today=date(2026, 12, 20))
    later = session.scalar(select(Evaluation).where(Evaluation.cycle_id == q4.id, Evaluation.person_id == zhou.id))
    assert later.not_graded_reason == e.not_graded_reason  # a cycle opened later is marked at opening
    view = decisions.overview(session, w["admin"], strict, w["cycle"].id)
    assert [p["reason"] for p in view.not_graded] == [e.not_graded_reason]
    merits.withdraw(session, w["admin"], strict, ev["id"], "处分决定已撤销")
    session.refresh(e)
    session.refresh(later)
    assert e.not_graded_reason is None and later.not_graded_reason is None
    assert audit_actions(session).count("evaluation.merits_applied") == 4


def test_items_in_force_before_the_quarter_opens_count_from_the_first_save(session, world):
    other = load_policy("hengdong")
    w, wang = world, world["clerks"][0]
    merits.record(session, w["admin"], other, wang.staff_no, "HD-JL", date(2026, 10, 5), "县级先进",
                  Upload("表彰.pdf", PDF), TODAY)
    q4 = open_cycle(session, system_actor(), w["unit"].id, 2026, 4, other, today=date(2026, 11, 20))
    q4.state = "scoring"
    f.excuse_missing_summaries(session, q4)
    e = session.scalar(select(Evaluation).where(Evaluation.cycle_id == q4.id, Evaluation.person_id == wang.id))
    assert e.merit_adjustment == 3
    first = scoring.detail(session, w["sup"], other, e.id).indicators[0]
    saved = scoring.save_scores(session, w["sup"], other, e.id, [Tap(first["id"], points=8)], e.version)
    assert (saved.indicator_total, saved.adjustments_total, saved.total) == (8, 3, 11)
