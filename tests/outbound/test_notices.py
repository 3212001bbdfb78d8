"""Notices: audiences, scheduling, cancel, the report, and delivery over real HTTP to the fake WeChat server."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from handlers.outbound import groups, notices
from handlers.actor import actor_for_person
from handlers.errors import Conflict, InvalidInput, NotFound
from models import AuditEntry, Delivery, Unit, utcnow
from tests import factories

from .conftest import bind


@pytest.fixture
def org(session):
    fin = factories.unit(session, "县财政局")
    edu = factories.unit(session, "县教育局")
    lead = factories.person(session, fin, "中层干部", leader=True)
    staff = [factories.person(session, fin) for _ in range(3)] + [factories.person(session, edu) for _ in range(2)]
    hr = factories.person(session, edu, roles=("unit_admin",))
    people = {"lead": lead, "staff": staff, "hr": hr}
    for p in [lead, *staff[:4], hr]:  # staff[4] never bound WeChat
        bind(session, p)
    session.commit()
    return people


def drain_all(db, drainer, rounds=4):
    """Drain; transient failures wait for their backoff, so let it elapse between rounds."""
    for _ in range(rounds):
        drainer.drain()
        with db.session() as s:
            s.execute(update(Delivery).where(Delivery.state == "pending").values(next_at=utcnow() - timedelta(seconds=1)))


def test_audiences_resolve_to_current_people_and_groups(session, county_actor, org):
    groups.add_group(session, county_actor, "财政工作群", wecom_key="abcd-1234-efgh-5678")
    cases = {("all",): 7, ("unit:县财政局",): 4, ("tier:中层干部",): 1, ("role:分管领导",): 1,
             ("role:单位管理员",): 1, ("group:财政工作群",): 1, ("unit:县教育局", "group:财政工作群"): 4,
             ("unit:县财政局", "tier:中层干部"): 4}
    for to, expected in cases.items():
        n = notices.compose(session, county_actor, title="t", body="b", to=list(to))
        assert notices.report(session, county_actor, n.id).total == expected, to
    for bad, error in [("unit:不存在局", NotFound), ("role:校长", InvalidInput), ("everyone", InvalidInput),
                       ("group:无此群", NotFound)]:
        with pytest.raises(error):
            notices.compose(session, county_actor, title="t", body="b", to=[bad])


def test_only_the_county_office_sends_notices(session, org):
    hr = actor_for_person(session, org["hr"].id)
    with pytest.raises(NotFound):
        notices.compose(session, hr, title="t", body="b", to=["all"])
    with pytest.raises(NotFound):
        groups.add_group(session, hr, "g", wecom_key="abcdefgh12")


def test_notice_reaches_everyone_once_and_the_report_adds_up(db, session, county_actor, org, drainer, fake_wechat):
    long_title = "关于做好2026年第四季度平时考核工作的通知（请各单位务必认真组织）"
    n = notices.compose(session, county_actor, title=long_title, body="各单位：" + "请按时完成。" * 50, to=["all"])
    session.commit()
    drain_all(db, drainer)
    drain_all(db, drainer)  # a second drain finds nothing left
    got = fake_wechat.fake.delivered()
    bound = [f"o-{p.staff_no}" for p in [org["lead"], *org["staff"][:4], org["hr"]]]
    assert {o: got.get(o) for o in bound} == {o: 1 for o in bound}
    sends = fake_wechat.fake.calls_to("/cgi-bin/message/template/send")
    assert all(len(c.body["data"]["thing1"]["value"]) <= 20 and c.body["data"]["thing1"]["value"].endswith("…")
               for c in sends)
    r = notices.report(session, county_actor, n.id, with_rows=True)
    assert (r.total, r.sent, r.unbound, r.failed, r.pending, r.refused, r.progress) == (7, 6, 1, 0, 0, 0, 100)
    assert r.total == r.sent + r.pending + r.failed + r.refused + r.cancelled + r.unbound
    assert r.failures == [] and r.status == "部分送达"
    assert len(r.rows) == 7 and sum(row["state"] == "已送达" for row in r.rows) == 6
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "notice")).all()
    assert actions == ["notice.create"]


def test_scheduled_notice_waits_and_can_be_cancelled(db, session, county_actor, org, drainer, fake_wechat):
    later = notices.compose(session, county_actor, title="定时通知", body="明早发送", to=["unit:县财政局"],
                            send_at=utcnow() + timedelta(hours=12))
    session.commit()
    notices.release_due(session)
    drainer.drain()
    assert fake_wechat.fake.delivered() == {}
    r = notices.report(session, county_actor, later.id)
    assert (r.resolved, r.total, r.progress, r.status) == (False, 0, 0, "待发送")
    assert notices.cancel(session, county_actor, later.id) == 0
    session.commit()
    assert notices.release_due(session, utcnow() + timedelta(hours=13)) == []  # a cancelled notice never goes out
    r = notices.report(session, county_actor, later.id)
    assert (r.total, r.sent, r.state, r.status) == (0, 0, "cancelled", "已撤回")
    with pytest.raises(Conflict):
        notices.cancel(session, county_actor, later.id)
    with pytest.raises(InvalidInput):
        notices.compose(session, county_actor, title="过去", body="b", to=["all"], send_at=utcnow() - timedelta(hours=1))


def test_a_scheduled_notice_reaches_whoever_is_in_the_audience_and_bound_when_it_goes_out(
        db, session, county_actor, org, drainer, fake_wechat):
    at = utcnow() + timedelta(hours=2)
    n = notices.compose(session, county_actor, title="定时通知", body="两小时后发送", to=["unit:县教育局"], send_at=at)
    late_binder = org["staff"][4]  # not bound when the notice is written
    newcomer = factories.person(session, session.scalar(select(Unit).where(Unit.name == "县教育局")))
    session.commit()
    bind(session, late_binder)
    bind(session, newcomer)
    session.commit()
    assert notices.release_due(session, at - timedelta(minutes=1)) == []
    assert notices.release_due(session, at) == [n.id]
    session.commit()
    assert notices.release_due(session, at) == []  # released once
    r = notices.report(session, county_actor, n.id)
    assert (r.total, r.pending, r.unbound) == (4, 4, 0)
    drainer.clock = lambda: at
    drainer.drain()
    assert {o: 1 for o in fake_wechat.fake.delivered()} == {f"o-{p.staff_no}": 1 for p in
                                                             [org["staff"][3], late_binder, newcomer, org["hr"]]}
    assert notices.report(session, county_actor, n.id).status == "已完成"


def test_cancel_stops_what_has_not_gone_and_says_what_already_went(db, session, county_actor, org, drainer):
    n = notices.compose(session, county_actor, title="通知", body="正文", to=["all"])
    session.commit()
    first = session.scalars(select(Delivery).where(Delivery.notice_id == n.id, Delivery.state == "pending")
                            .order_by(Delivery.id)).first()
    first.state, first.sent_at = "sent", utcnow()
    session.commit()
    assert notices.cancel(session, county_actor, n.id) == 5
    session.commit()
    r = notices.report(session, county_actor, n.id)
    assert (r.sent, r.cancelled, r.unbound, r.pending) == (1, 5, 1, 0)
    assert r.outcome == "共 7：已送达 1，未绑定微信 1，已撤回 5"


def test_notify_person_is_idempotent(db, session, org, drainer, fake_wechat):
    pid = org["staff"][0].id
    first = notices.notify_person(session, pid, "您的个人小结已被退回，请修改后重新提交。", kind="personal",
                                  dedupe_key="summary-returned:1:1")
    again = notices.notify_person(session, pid, "您的个人小结已被退回，请修改后重新提交。", kind="personal",
                                  dedupe_key="summary-returned:1:1")
    session.commit()
    assert first is not None and again is None
    drainer.drain()
    assert fake_wechat.fake.delivered() == {f"o-{org['staff'][0].staff_no}": 1}


def test_work_groups_get_wecom_robot_markdown_paced_per_robot(db, session, county_actor, org, drainer, fake_wechat):
    groups.add_group(session, county_actor, "财政工作群", wecom_key="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=robot-key-0001")
    groups.add_group(session, county_actor, "公众号标签组", oa_tag_id=101)
    with pytest.raises(Conflict):
        groups.add_group(session, county_actor, "财政工作群", wecom_key="robot-key-0002")
    ids = [notices.compose(session, county_actor, title=f"通知{i}", body="正文", to=["group:财政工作群"]).id
           for i in range(23)]
    tag = notices.compose(session, county_actor, title="标签通知", body="正文", to=["group:公众号标签组"])
    session.commit()
    drainer.drain()
    robot = fake_wechat.fake.calls_to("/cgi-bin/webhook/send")
    assert len(robot) == 20 and all(c.errcode == 0 and c.args["key"] == "robot-key-0001" for c in robot)
    assert robot[0].body["msgtype"] == "markdown" and "**通知" in robot[0].body["markdown"]["content"]
    states = [notices.report(session, county_actor, i) for i in ids]
    assert sum(r.sent for r in states) == 20 and sum(r.pending for r in states) == 3  # waiting for the next minute
    waiting = session.scalars(select(Delivery).where(Delivery.state == "pending")).all()
    assert all(d.attempts == 0 and d.next_at > utcnow() for d in waiting)
    assert notices.report(session, county_actor, tag.id).sent == 1
    assert fake_wechat.fake.calls_to("/cgi-bin/message/mass/sendall")[0].body["filter"]["tag_id"] == 101


def test_mini_program_only_people_get_a_subscribe_message(db, session, county_actor, drainer, fake_wechat):
    unit = factories.unit(session, "县财政局")
    mini = factories.person(session, unit)
    bind(session, mini, "o-mini-1", channel="miniapp")
    n = notices.compose(session, county_actor, title="通知", body="正文", to=["all"])
    session.commit()
    drainer.drain()
    (call,) = fake_wechat.fake.calls_to("/cgi-bin/message/subscribe/send")
    assert call.body["touser"] == "o-mini-1" and call.body["page"] == f"pages/notice/detail?id={n.id}"
    assert call.errcode == 0 and notices.report(session, county_actor, n.id).sent == 1


def test_the_recording_channel_stands_in_for_wechat(db, session, county_actor, org, store):
    from bot.channels import RecordingChannel
    from handlers.outbound.deliveries import SendResult
    from scheduler.drainer import Drainer

    refused = f"o-{org['staff'][0].staff_no}"
    fake = RecordingChannel({refused: [SendResult(43101)]})
    n = notices.compose(session, county_actor, title="通知", body="正文", to=["unit:县财政局"])
    session.commit()
    stats = Drainer(db, {"template": fake}, store, workers=2).drain()
    assert sorted(c.address for c in fake.sent) == sorted(f"o-{p.staff_no}" for p in [org["lead"], *org["staff"][:3]])
    assert stats.by_state == {"sent": 3, "refused": 1}
    r = notices.report(session, county_actor, n.id)
    assert (r.sent, r.refused) == (3, 1)


def test_the_shared_token_bucket_paces_the_drainer(db, session, county_actor, store):
    import time

    from bot.channels import RecordingChannel
    from scheduler.drainer import Drainer

    unit = factories.unit(session, "县财政局")
    for _ in range(30):
        bind(session, factories.person(session, unit))
    notices.compose(session, county_actor, title="通知", body="正文", to=["all"])
    session.commit()
    fake = RecordingChannel()
    started = time.monotonic()
    Drainer(db, {"template": fake}, store, workers=4, rate=10).drain()
    assert len(fake.sent) == 30
    assert time.monotonic() - started >= 1.8  # a burst of 10, then 20 more at 10 per second
