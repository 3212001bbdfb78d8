"""Helpers for the county office's console tests: a quarter carried to a results filing, summaries that nearly
repeat each other, a signed-in county officer."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from handlers.quarter import publishing
from handlers.actor import actor_for_person
from models import CommitteeDecision, Cycle, Evaluation, Summary, utcnow
from models.rules.scoring import suggested_grade

from .conftest import console_sign_in

SHARED = "本季度认真完成全县财政预算编制和执行监督工作，按时报送各类统计报表，组织开展业务培训两次，未出现任何差错。"


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf-token" content="([0-9a-f]+)"', html).group(1)


def county_client(web_app, console_accounts):
    client = web_app.test_client()
    user, password, _ = console_accounts["county"]
    assert console_sign_in(client, user, password).status_code == 302
    home = client.get("/console").get_data(as_text=True)
    return client, csrf_of(home)


def draw_spot_check(client, csrf: str, people: int, seed: int, units: int = 2) -> str:
    """The county office draws a spot check of this quarter on the console; the check's page address."""
    today = utcnow().date()
    r = client.post("/console/county/spot-checks", data={"csrf_token": csrf, "year": today.year,
                                                         "quarter": (today.month - 1) // 3 + 1, "units": units,
                                                         "people": people, "seed": seed})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    return r.headers["Location"].split("?")[0]


def write_summaries(session, cycle_id: int, people: dict) -> None:
    """c1 and c2 of the unit hand in nearly the same summary; the others their own."""
    own = ["本季度负责本岗位的日常工作，完成领导交办的各项任务，无差错无投诉。",
           "牵头整理档案三百余卷，配合审计检查，按期完成年度台账核对。",
           "参与乡村振兴驻点调研两次，撰写调研报告一份，督办民生实事五件。",
           "承担机关后勤保障，完成办公楼维修招标和车辆管理制度修订。",
           "负责信访接待，全季度受理来访四十余批次，按时办结率百分之百。",
           "组织党员学习八次，更新党建宣传栏，完成支部换届材料准备。"]
    for i, (key, person) in enumerate(people.items()):
        text = {"c1": SHARED + "撰写心得一篇。", "c2": SHARED + "撰写心得两篇。"}.get(
            key, f"{person.name}{own[i % len(own)]}")
        session.add(Summary(cycle_id=cycle_id, person_id=person.id, state="submitted", paragraphs=[text],
                            voice_media_ids=[], submitted_at=utcnow()))
    session.commit()


def decide(session, policy, cycle_id: int, grade: str = "较好", total: float = 86) -> None:
    """The committee decided every evaluation of the cycle (test set-up; the workflow itself is tested elsewhere)."""
    cycle = session.get(Cycle, cycle_id)
    for e in session.scalars(select(Evaluation).where(Evaluation.cycle_id == cycle_id)):
        e.total, e.suggested_grade, e.final_grade, e.state = total, suggested_grade(total, policy), grade, "decided"
    cycle.state = "deciding"
    if session.scalar(select(CommitteeDecision.id).where(CommitteeDecision.cycle_id == cycle_id)) is None:
        session.add(CommitteeDecision(cycle_id=cycle_id, meeting_on=utcnow().date(), attendees="书记、局长",
                                      note="按程序审定", recorded_by="system:test"))
    session.commit()


def file_results(session, policy, unit_world) -> int:
    """Unit HR publishes, the publicity period ends, HR files the 结果一览表. Returns the filing id."""
    hr = actor_for_person(session, unit_world.people["hr"].id)
    cycle = session.get(Cycle, unit_world.cycle_id)
    if cycle.state != "publicity":
        publishing.publish(session, hr, policy, cycle.id)
    cycle.publicity_ends = utcnow() - timedelta(minutes=1)
    filing = publishing.file_results(session, hr, policy, cycle.id)
    session.commit()
    return filing.id
