"""Who hears about a decision: unit HR when a filing is accepted or returned; the talk holder when a grade calls
for a talk (谈话提醒); each person their published result, grade in its own push field."""
from sqlalchemy import select, update

from handlers.quarter import publishing
from handlers.county.filings import review_filing, submit_filing
from models import Delivery, Evaluation, Notice

from .conftest import add_quarter


def messages_to(session, person) -> list[Notice]:
    return list(session.scalars(select(Notice).join(Delivery, Delivery.notice_id == Notice.id)
                                .where(Delivery.person_id == person.id).order_by(Notice.id)))


def test_unit_hr_hears_when_a_filing_is_returned_and_when_it_is_accepted(session, policy, county):
    hr = county.people["F006"]
    changes = submit_filing(session, county.admin, policy, "changes", "县财政局", 2026, 1)
    review_filing(session, county.county_admin, changes["id"], "return", "缺少调入文件")
    (returned,) = messages_to(session, hr)
    assert returned.title == "备案被退回" and "人员异动备案被县公务员办退回" in returned.body
    assert "缺少调入文件" in returned.body and returned.facts["lead"] == "退回原因：缺少调入文件"
    submit_filing(session, county.admin, policy, "changes", "县财政局", 2026, 1)
    review_filing(session, county.county_admin, changes["id"], "accept")
    accepted = messages_to(session, hr)[-1]
    assert accepted.title == "备案已通过" and "2026年第1季度人员异动备案已通过" in accepted.body
    assert messages_to(session, county.people["F002"]) == []  # staff are not told about filings


def test_a_returned_results_filing_tells_hr_the_reason_and_that_the_decision_is_reopened(session, policy, county):
    cycle = session.scalar(select(publishing.Cycle).where(publishing.Cycle.unit_id == county.units["fin"].id,
                                                          publishing.Cycle.quarter == 2))
    from models import Filing

    filing = Filing(kind="results", unit_id=cycle.unit_id, year=2026, quarter=2, state="submitted", payload={},
                    submitted_by="x")
    session.add(filing)
    session.flush()
    publishing.review_filing(session, county.county_admin, filing.id, False, "等次比例超过规定")
    (msg,) = messages_to(session, county.people["F006"])
    assert "平时考核结果备案被县公务员办退回" in msg.body and "等次比例超过规定" in msg.body
    assert "重新审定" in msg.body


def test_publishing_tells_the_talk_holder_with_whom_and_why(session, policy, county):
    p = county.people
    lead, a, cc, hr = p["F001"], p["F002"], p["F004"], p["F006"]
    q3 = {lead: (90, "一般", None), a: (86, "较好", None), p["F003"]: (86, "较好", None), cc: (60, "较差", None),
          p["F005"]: (None, None, policy.not_graded.probation_reason), hr: (84, "较好", None)}
    cycle = add_quarter(session, policy, county.units["fin"], 2026, 3, q3, state="deciding")
    session.execute(update(Evaluation).where(Evaluation.cycle_id == cycle.id).values(state="decided"))
    session.expire_all()
    publishing.publish(session, county.admin, policy, cycle.id)
    talks = [n for n in messages_to(session, lead) if n.title == "谈话提醒"]
    bodies = sorted(n.body for n in talks)
    assert len(talks) == 2  # 李明 fell from 好 to 较好; 赵强 is 较差
    assert any("李明（F002）等次由好降为较好" in b for b in bodies)
    assert any("赵强（F004）本季度平时考核等次为较差" in b for b in bodies)
    # the unit head has no scorer: unit HR is to hold (or arrange) his talk
    (hr_talk,) = [n for n in messages_to(session, hr) if n.title == "谈话提醒"]
    assert "张局长（F001）" in hr_talk.body
    (result,) = [n for n in messages_to(session, a) if n.title == "平时考核结果公示"]
    assert result.facts["grade"] == "较好" and result.facts["lead"] == "2026年第3季度平时考核结果"
