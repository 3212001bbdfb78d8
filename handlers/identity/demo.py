"""The demo's cast: one person per role, each with a quarter in the state where their step is due, bound to a fake
WeChat identity so the demo's "choose who you are" page can sign them in. Development only (``kaohe demo``).

- 公务员 (staff): a unit whose quarter is open — writes the summary;
- 分管领导 (supervisor): a second unit moved to scoring (every summary submitted) — scores;
- 单位管理员 (unit HR, entering the committee's decision): a third unit moved to deciding (everyone scored);
- 公务员 in 公示 (results fed back): a fourth unit decided (everyone 较好) and published — signs or objects;
- 公务员 told an annual 不称职: in the third unit's last full year, recorded and told — may ask for a 复核;
- 县公务员办 (county office).
Running it again changes nothing that is already in place.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.policy import Policy
from models import AdminAccount, Cycle, Evaluation, Person, RoleGrant, Summary, Unit, WeChatBinding, utcnow
from models.rules.calendar import quarter_of
from models.rules.scoring import quick_level_score, suggested_grade, total_score

from handlers import audit
from handlers.actor import system_actor
from handlers.quarter.cycles import transition
from handlers.quarter.indicators import defs, template_for

ACTOR = system_actor("demo")
DEMO_PASSWORD = "kaohe-demo-password"  # printed by ``kaohe demo``; never used outside the demo


@dataclass(frozen=True)
class Persona:
    role: str
    staff_no: str
    name: str
    unit: str
    start: str  # the phone page to open first

    @property
    def openid(self) -> str:
        return f"demo-oa-{self.staff_no}"

    @property
    def unionid(self) -> str:
        return f"demo-union-{self.staff_no}"

    @property
    def label(self) -> str:
        return f"{self.role}：{self.name}（{self.unit}，{self.staff_no}）"


def _level(person_id: int, indicator_id: int, levels: list[str]) -> str:
    h = hashlib.sha256(f"{person_id}:{indicator_id}".encode()).digest()[0]
    return levels[0] if h < 90 else levels[1] if h < 200 else levels[2]


def _submit_summaries(session: Session, cycle: Cycle) -> None:
    people = session.scalars(select(Evaluation.person_id).where(Evaluation.cycle_id == cycle.id)).all()
    existing = {s.person_id: s for s in session.scalars(select(Summary).where(Summary.cycle_id == cycle.id))}
    now = utcnow()
    for pid in people:
        s = existing.get(pid)
        if s is None:
            s = Summary(cycle_id=cycle.id, person_id=pid, state="draft", voice_media_ids=[],
                        paragraphs=["本季度认真履行岗位职责，按时完成各项工作任务。", "加强政治理论和业务学习，遵守廉洁纪律。"])
            session.add(s)
        if s.state in ("draft", "returned"):
            s.state, s.submitted_at = "submitted", now
    session.flush()


def _score_everyone(session: Session, cycle: Cycle, policy: Policy) -> None:
    levels = list(policy.quick_levels)
    for e in session.scalars(select(Evaluation).where(Evaluation.cycle_id == cycle.id,
                                                      Evaluation.not_graded_reason.is_(None))):
        template = defs(template_for(session, cycle.id, e.post))
        scores = {d.key: quick_level_score(d, _level(e.person_id, int(d.key), levels), policy) for d in template}
        total = total_score(scores, template)
        e.scores, e.total, e.suggested_grade = scores, total, suggested_grade(total, policy)
        e.state, e.submitted_at = "submitted", utcnow()
    session.flush()


def _first(session: Session, query):
    return session.execute(query.limit(1)).first()


def prepare(session: Session, policy: Policy, today: date) -> list[Persona]:
    year, quarter = quarter_of(today)
    cycles = session.scalars(select(Cycle).where(Cycle.year == year, Cycle.quarter == quarter)
                             .order_by(Cycle.unit_id).limit(4)).all()
    if len(cycles) < 3:
        return []
    writing, scoring_, deciding = cycles[:3]
    published = cycles[3] if len(cycles) > 3 else None
    if scoring_.state == "open":
        _submit_summaries(session, scoring_)
        transition(session, ACTOR, scoring_, "start_scoring", policy=policy)
    if deciding.state == "open":
        _submit_summaries(session, deciding)
        _score_everyone(session, deciding, policy)
        transition(session, ACTOR, deciding, "start_scoring", policy=policy)
        transition(session, ACTOR, deciding, "start_deciding", policy=policy)
    if published is not None and published.state == "open":
        _publish(session, published, policy, today)
    units = dict(session.execute(select(Unit.id, Unit.name)).all())
    cast: list[Persona] = []
    staff = _first(session, select(Person.staff_no, Person.name).join(Evaluation, Evaluation.person_id == Person.id)
                   .where(Evaluation.cycle_id == writing.id, Evaluation.supervisor_id.is_not(None),
                          Evaluation.not_graded_reason.is_(None), ~Person.id.in_(select(RoleGrant.person_id)))
                   .order_by(Person.staff_no))
    if staff:
        cast.append(Persona("公务员", staff.staff_no, staff.name, units[writing.unit_id], "/m/summary"))
    boss = _first(session, select(Person.staff_no, Person.name, func.count(Evaluation.id).label("n"))
                  .join(Evaluation, Evaluation.supervisor_id == Person.id).where(Evaluation.cycle_id == scoring_.id)
                  .group_by(Person.staff_no, Person.name).order_by(func.count(Evaluation.id).desc(), Person.staff_no))
    if boss:
        cast.append(Persona("分管领导", boss.staff_no, boss.name, units[scoring_.unit_id], "/m/score"))
    hr = _first(session, select(Person.staff_no, Person.name).join(RoleGrant, RoleGrant.person_id == Person.id)
                .where(RoleGrant.role == "unit_admin", RoleGrant.unit_id == deciding.unit_id).order_by(Person.staff_no))
    if hr:
        cast.append(Persona("单位管理员（录入党委审定）", hr.staff_no, hr.name, units[deciding.unit_id], "/m/decide"))
    if published is not None and published.state == "publicity":
        fed_back = _first(session, select(Person.staff_no, Person.name).join(Evaluation, Evaluation.person_id == Person.id)
                          .where(Evaluation.cycle_id == published.id, Evaluation.state == "published",
                                 ~Person.id.in_(select(RoleGrant.person_id))).order_by(Person.staff_no))
        if fed_back:
            cast.append(Persona("公务员（结果公示中）", fed_back.staff_no, fed_back.name, units[published.unit_id],
                                "/m/result"))
    told = _annual_review(session, policy, deciding.unit_id, year)
    if told:
        cast.append(Persona("公务员（年度不称职，可申请复核）", told.staff_no, told.name, units[deciding.unit_id],
                            "/m/annual"))
    county = _first(session, select(Person.staff_no, Person.name, RoleGrant.unit_id)
                    .join(RoleGrant, RoleGrant.person_id == Person.id).where(RoleGrant.role == "county_admin")
                    .order_by(Person.staff_no))
    if county:
        cast.append(Persona("县公务员办", county.staff_no, county.name, "县委组织部", "/m/me"))
    for p in cast:
        _bind(session, p)
    _accounts(session, [p for p in cast if p.start == "/m/decide" or p.role == "县公务员办"])
    session.flush()
    return cast


def _annual_review(session: Session, policy: Policy, unit_id: int, this_year: int):
    """The third unit's last full year: the person whose quarters allow the lowest annual grade is recorded with the
    policy's last 复核 grade (不称职) and told — they may ask for a 复核 on ``/m/annual``; the unit's HR (the
    committee persona) answers it on the console's 年度考核等次 page. Once in place, the same person again."""
    from handlers.results import annual_results
    from models import AnnualResult

    law = policy.feedback.annual_law_grades
    if not law:
        return None
    year = session.scalar(select(Cycle.year).where(Cycle.unit_id == unit_id, Cycle.year < this_year,
                                                   Cycle.state == "filed")
                          .group_by(Cycle.year).having(func.count(Cycle.id) == 4).order_by(Cycle.year.desc()))
    if year is None:
        return None
    done = _first(session, select(Person.staff_no, Person.name).join(AnnualResult, AnnualResult.person_id == Person.id)
                  .where(AnnualResult.unit_id == unit_id, AnnualResult.year == year, AnnualResult.grade.in_(law)))
    if done:
        return done
    roles = set(session.scalars(select(RoleGrant.person_id)))
    grades = list(policy.annual.annual_grades)
    rows = [r for r in annual_results.year_sheet(session, ACTOR, policy, unit_id, year).rows
            if not r["pending"] and r["person_id"] not in roles and law[-1] in r["allowed"]]
    if not rows:
        return None
    pick = max(rows, key=lambda r: (grades.index(r["max_grade"]), -int(r["person_id"])))
    annual_results.record(session, ACTOR, policy, unit_id, year, pick["staff_no"], law[-1], "演示：年度考核等次")
    annual_results.feed_back(session, ACTOR, policy, unit_id, year)
    return _first(session, select(Person.staff_no, Person.name).where(Person.id == pick["person_id"]))


def _publish(session: Session, cycle: Cycle, policy: Policy, today: date) -> None:
    """Summaries in, everyone scored, the committee's meeting recorded, everyone 较好 (no 好: within any quota),
    published: each person hears their result and may sign or object."""
    from handlers.quarter import decisions, publishing

    _submit_summaries(session, cycle)
    _score_everyone(session, cycle, policy)
    transition(session, ACTOR, cycle, "start_scoring", policy=policy)
    transition(session, ACTOR, cycle, "start_deciding", policy=policy)
    decisions.record_meeting(session, ACTOR, cycle.id, today, "党组书记、党组成员", "演示：按程序审定", today)
    grades = {eid: "较好" for eid in session.scalars(select(Evaluation.id).where(
        Evaluation.cycle_id == cycle.id, Evaluation.not_graded_reason.is_(None)))}
    decisions.decide(session, ACTOR, policy, cycle.id, grades)
    publishing.publish(session, ACTOR, policy, cycle.id)


def _bind(session: Session, p: Persona) -> None:
    person_id = session.scalar(select(Person.id).where(Person.staff_no == p.staff_no))
    if session.scalar(select(WeChatBinding.id).where(WeChatBinding.person_id == person_id,
                                                     WeChatBinding.channel == "oa")) is None:
        session.add(WeChatBinding(person_id=person_id, channel="oa", openid=p.openid, unionid=p.unionid))
        audit.record(session, ACTOR, "binding.demo", "person", p.staff_no, None, {"openid": p.openid})


def _accounts(session: Session, people: list[Persona]) -> None:
    """Console accounts for the demo's unit HR and county officer: username = 人员编号, password DEMO_PASSWORD."""
    from handlers.identity.admin_accounts import create_account

    for p in people:
        if session.scalar(select(AdminAccount.id).where(AdminAccount.username == p.staff_no)) is None:
            create_account(session, ACTOR, p.staff_no, p.staff_no, DEMO_PASSWORD, False)
