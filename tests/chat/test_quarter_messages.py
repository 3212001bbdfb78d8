"""A quarter walked from opening to filing (issue 13, "done when"): at every step, what each person reads in the chat
(我的考核, 帮助, 写小结, 待评) and in the pushes they were sent agrees with the cycle's real state. 王干事 is evaluated,
张局长 (the unit head) scores but is not evaluated in the unit, 李人事 (HR) is evaluated and has no summary."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from handlers.quarter import cycle_steps, decisions, publishing, scoring
from handlers.actor import actor_for_person
from models import Cycle, Delivery, Evaluation, Filing, Notice, utcnow
from tests import factories


def pushes(db, person_id: int) -> list[str]:
    with db.session() as s:
        rows = s.execute(select(Notice.title, Notice.body).join(Delivery, Delivery.notice_id == Notice.id)
                         .where(Delivery.person_id == person_id).order_by(Notice.id))
        return [f"{t}｜{b}" for t, b in rows]


class Reads:
    """What the clerk and the unit head read now: one chat reply per command."""

    def __init__(self, sim):
        self.clerk = {c: sim.text("o-1", c).text for c in ("我的考核", "帮助", "写小结")}
        sim.text("o-1", "取消")
        self.boss = {c: sim.text("o-b", c).text for c in ("我的考核", "帮助", "待评")}

    def everything(self) -> str:
        return "\n".join([*self.clerk.values(), *self.boss.values()])


def as_hr(db, team, work) -> None:
    with db.session() as s:
        work(s, actor_for_person(s, team["hr"]))
        s.commit()


def test_every_message_of_a_quarter_agrees_with_its_state(sim, db, team, bind, policy):
    for staff_no, openid in (("C001", "o-1"), ("B001", "o-b"), ("H001", "o-h")):
        bind(sim, staff_no, openid)

    # ---- 填写小结 ------------------------------------------------------------------------------------------------
    now = Reads(sim)
    assert "当前阶段：填写小结" in now.clerk["我的考核"] and "个人小结：未开始（截止" in now.clerk["我的考核"]
    assert now.clerk["写小结"].startswith("开始填写")
    assert "您不参加本单位的平时考核" in now.boss["我的考核"] and "本单位2026年第4季度考核：填写小结阶段" in now.boss["我的考核"]
    assert "填写小结阶段（您不参加本单位平时考核）" in now.boss["帮助"] and "尚未开始" not in now.boss["帮助"]
    assert "王干事（C001）小结草稿（未提交）" in now.boss["待评"]  # 写小结 above started the draft

    for text in ("写小结", "一、完成预算编制。", "提交", "确认"):
        sim.text("o-1", text)
    now = Reads(sim)
    assert "个人小结：已提交" in now.clerk["我的考核"] and "撤回：" in now.clerk["帮助"]
    assert "如需修改，请先发送“撤回”" in now.clerk["写小结"]  # true now: withdrawing works
    assert "王干事（C001）小结已提交" in now.boss["待评"]

    # ---- 领导评鉴 (HR advances early, with the reason the guard asks for) -----------------------------------------
    as_hr(db, team, lambda s, hr: cycle_steps.advance(s, hr, policy, team["cycle"], "start_scoring",
                                                      reason="其余人员出差，提前进入评鉴"))
    now = Reads(sim)
    assert "当前阶段：领导评鉴" in now.clerk["我的考核"] and "撤回" not in now.clerk["写小结"]
    assert "不能再填写或修改个人小结" in now.clerk["写小结"] and "撤回：" not in now.clerk["帮助"]
    assert "本单位2026年第4季度考核：领导评鉴阶段" in now.boss["帮助"]

    with db.session() as s:
        boss = actor_for_person(s, team["boss"])
        for e in s.scalars(select(Evaluation).where(Evaluation.cycle_id == team["cycle"])).all():
            if e.person_id == team["hr"]:
                scoring.without_summary(s, boss, policy, e.id, "score", "因公出差未能提交，照常评分")
                s.commit()
            d = scoring.detail(s, boss, policy, e.id)
            r = scoring.save_scores(s, boss, policy, e.id, [scoring.Tap(i["id"], points=i["points"] - 1)
                                                          for i in d.indicators], d.version)
            s.commit()
            scoring.submit(s, boss, policy, e.id, r.version)
            s.commit()
    now = Reads(sim)
    assert "分管领导已评鉴，等待党委(党组)审定" in now.clerk["我的考核"]
    assert "目前没有等待您评鉴的人员" in now.boss["待评"]

    # ---- 党委(党组)审定: decided but not published — no grade yet, and no "waiting for the committee" either ----------
    def decide(s, hr):
        cycle_steps.advance(s, hr, policy, team["cycle"], "start_deciding")
        decisions.record_meeting(s, hr, team["cycle"], utcnow().date(), "书记、局长", "审定", utcnow().date())
        decisions.decide(s, hr, policy, team["cycle"], {e.id: "较好" for e in s.scalars(
            select(Evaluation).where(Evaluation.cycle_id == team["cycle"]))})

    as_hr(db, team, decide)
    now = Reads(sim)
    assert "党委(党组)已审定，结果公布后可查看" in now.clerk["我的考核"]
    assert "等待党委(党组)审定" not in now.clerk["我的考核"] and "较好" not in now.everything()
    assert pushes(db, team["clerk"]) == []

    # ---- 结果公示 ------------------------------------------------------------------------------------------------
    as_hr(db, team, lambda s, hr: publishing.publish(s, hr, policy, team["cycle"]))
    now = Reads(sim)
    assert "当前阶段：结果公示" in now.clerk["我的考核"] and "本季度等次：较好" in now.clerk["我的考核"]
    [published] = pushes(db, team["clerk"])
    assert "“较好”等次" in published and "公示期至" in published

    # ---- 备案, then the county accepts ---------------------------------------------------------------------------
    def file(s, hr):
        s.get(Cycle, team["cycle"]).publicity_ends = utcnow() - timedelta(minutes=1)
        return publishing.file_results(s, hr, policy, team["cycle"])

    as_hr(db, team, file)
    with db.session() as s:
        county = factories.person(s, factories.unit(s, name="县委组织部"), roles=("county_admin",), staff_no="K001")
        s.commit()
        filing_id = s.scalar(select(Filing.id))
        publishing.review_filing(s, actor_for_person(s, county.id), filing_id, True)
        s.commit()
    now = Reads(sim)
    assert "尚未开始" not in now.everything()  # the quarter has ended; it did not "not start"
    assert "2026年第4季度考核已结束，结果已报县委组织部公务员办备案（等次：较好）" in now.clerk["我的考核"]
    assert "2026年第4季度考核已结束" in now.clerk["帮助"]
    assert "考核已结束，下一季度考核开启后再填写个人小结" in now.clerk["写小结"]
    assert "本单位2026年第4季度考核已结束" in now.boss["我的考核"]
    assert any("备案已通过" in p for p in pushes(db, team["hr"]))
