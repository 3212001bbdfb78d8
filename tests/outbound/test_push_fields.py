"""A push carries what matters in its own template fields and links to its full text; ``通知`` lists full texts."""
from datetime import datetime, timezone

import pytest

from handlers.outbound import notices
from handlers.actor import actor_for_person
from handlers.errors import NotFound
from handlers.outbound.links import notice_url
from tests import factories

from .conftest import bind


def test_the_grade_and_the_deadline_have_their_own_fields_and_the_push_links_to_the_full_text(
        db, session, drainer, fake_wechat, wechat_settings):
    unit = factories.unit(session, "县财政局")
    person = factories.person(session, unit)
    openid = bind(session, person)
    text = "您的2026年第4季度平时考核结果：“较好”等次，总分 86。公示期至 2027-01-12 18:00，如有异议请在公示期内反映。"
    n = notices.notify_person(session, person.id, text, title="平时考核结果公示", dedupe_key="t:1",
                              facts={"grade": "较好", "lead": "2026年第4季度平时考核结果",
                                     "deadline": datetime(2027, 1, 12, 10, tzinfo=timezone.utc)})
    session.commit()
    drainer.drain()
    (call,) = fake_wechat.fake.calls_to("/cgi-bin/message/template/send")
    assert call.errcode == 0 and call.body["touser"] == openid
    data = {k: v["value"] for k, v in call.body["data"].items()}
    assert data["phrase4"] == "较好" and data["time5"] == "2027-01-12 18:00"
    assert data["thing2"] == "2026年第4季度平时考核结果" and data["thing1"] == "平时考核结果公示"
    assert call.body["url"] == notice_url(wechat_settings.public_url, n.id) == f"http://127.0.0.1:5000/m/notices/{n.id}"


def test_a_plain_notice_has_no_grade_field_and_still_links_to_its_full_text(db, session, drainer, fake_wechat,
                                                                             county_actor):
    unit = factories.unit(session, "县财政局")
    bind(session, factories.person(session, unit))
    n = notices.compose(session, county_actor, title="通知", body="正文" * 30, to=["all"], link="https://gov.example/x")
    session.commit()
    drainer.drain()
    (call,) = fake_wechat.fake.calls_to("/cgi-bin/message/template/send")
    assert set(call.body["data"]) == {"thing1", "thing2", "time3"}
    assert call.body["url"].endswith(f"/m/notices/{n.id}")


def test_my_notices_are_the_full_texts_sent_to_me_and_nobody_elses(session, county_actor):
    unit = factories.unit(session, "县财政局")
    me, other = factories.person(session, unit), factories.person(session, unit)
    long_body = "各单位：" + "请认真做好本季度平时考核工作。" * 20
    mine = notices.compose(session, county_actor, title="关于平时考核的通知", body=long_body, to=["all"])
    personal = notices.notify_person(session, me.id, "您的个人小结已被退回，退回原因：内容过于简单。", dedupe_key="k1")
    theirs = notices.notify_person(session, other.id, "给别人的消息", dedupe_key="k2")
    session.commit()
    actor = actor_for_person(session, me.id)
    rows = notices.my_notices(session, actor, offset=0, limit=10)
    assert [r["id"] for r in rows] == [personal.id, mine.id]
    assert rows[1]["body"] == long_body and rows[1]["kind"] == "通知" and rows[0]["kind"] == "个人消息"
    assert set(rows[0]) == {"id", "kind", "title", "body", "link", "sent_at"}
    assert notices.my_notice(session, actor, mine.id)["body"] == long_body
    with pytest.raises(NotFound):
        notices.my_notice(session, actor, theirs.id)
    assert [r["id"] for r in notices.my_notices(session, actor, offset=1, limit=10)] == [mine.id]
