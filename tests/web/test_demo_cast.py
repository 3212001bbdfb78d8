"""The demo's cast: each role finds its step due, bound to a fake WeChat identity, console accounts for HR and
the county office; preparing twice changes nothing."""
from __future__ import annotations

from handlers.identity import demo
from handlers.seed import seed_demo
from models import AdminAccount, Cycle, Evaluation, Summary, WeChatBinding
from tests.conftest import TODAY


def test_each_role_finds_its_step_due_and_a_second_run_changes_nothing(session, policy):
    seed_demo(session, policy, units=6, people=90, today=TODAY)
    cast = demo.prepare(session, policy, TODAY)
    session.commit()
    roles = {p.role.split("（")[0]: p for p in cast}
    assert set(roles) == {"公务员", "分管领导", "单位管理员", "县公务员办"}
    assert [p.start for p in cast] == ["/m/summary", "/m/score", "/m/decide", "/m/result", "/m/annual", "/m/me"]
    from handlers.actor import actor_for_person
    from handlers.results import annual_results
    from models import Person
    reviewer = next(p for p in cast if p.start == "/m/annual")
    person = session.query(Person).filter_by(staff_no=reviewer.staff_no).one()
    mine = annual_results.my_annual(session, actor_for_person(session, person.id), policy)
    assert mine.grade == "不称职" and mine.can_object
    states = [c.state for c in session.query(Cycle).filter_by(year=2026, quarter=4).order_by(Cycle.unit_id)]
    assert states[:4] == ["open", "scoring", "deciding", "publicity"]
    fed_back = next(p for p in cast if p.start == "/m/result")
    published = session.query(Cycle).filter_by(year=2026, quarter=4).order_by(Cycle.unit_id)[3]
    assert {e.final_grade for e in session.query(Evaluation).filter_by(cycle_id=published.id, state="published")} \
        == {"较好"} and fed_back.role == "公务员（结果公示中）"
    deciding = session.query(Cycle).filter_by(year=2026, quarter=4).order_by(Cycle.unit_id)[2]
    scored = session.query(Evaluation).filter_by(cycle_id=deciding.id, state="submitted").all()
    assert scored and all(e.total and e.suggested_grade for e in scored)
    assert session.query(Summary).filter_by(cycle_id=deciding.id, state="locked").count() == len(
        session.query(Evaluation).filter_by(cycle_id=deciding.id).all())
    for p in cast:
        assert session.query(WeChatBinding).filter_by(channel="oa", openid=p.openid).count() == 1
    assert {a.username for a in session.query(AdminAccount)} == {roles["单位管理员"].staff_no,
                                                                roles["县公务员办"].staff_no}
    again = demo.prepare(session, policy, TODAY)
    session.commit()
    assert again == cast and session.query(WeChatBinding).count() == len(cast)
