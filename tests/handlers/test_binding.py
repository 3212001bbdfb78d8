"""One-time binding codes: single use, expiring, throttled and audited."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from handlers.actor import actor_for_person, system_actor
from handlers.identity.binding import issue_bind_code, person_for_openid, redeem_bind_code, unbind
from handlers.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from models import AuditEntry, BindCode, WeChatBinding, utcnow
from tests import factories as f


@pytest.fixture
def clerk(session):
    unit = f.unit(session)
    return f.person(session, unit, staff_no="A100", name="王干事")


def redeem(session, store, policy, code, openid="o-1", channel="oa"):
    return redeem_bind_code(session, store, policy, channel=channel, openid=openid, code=code)


def test_a_code_binds_once(session, store, policy, clerk):
    issued = issue_bind_code(session, system_actor(), "A100", policy)
    assert len(issued.code) == 8 and issued.expires_at - utcnow() > timedelta(hours=71)
    assert redeem(session, store, policy, issued.code.lower()).id == clerk.id  # case and spacing forgiven
    assert person_for_openid(session, "oa", "o-1").id == clerk.id
    with pytest.raises(InvalidInput, match="绑定码无效、已使用或已过期"):
        redeem(session, store, policy, issued.code, openid="o-2")
    assert session.scalar(select(BindCode.code_hash)) != issued.code  # only the hash is stored


def test_a_new_code_voids_the_old_one_and_codes_expire(session, store, policy, clerk):
    old = issue_bind_code(session, system_actor(), "A100", policy)
    new = issue_bind_code(session, system_actor(), "A100", policy)
    with pytest.raises(InvalidInput):
        redeem(session, store, policy, old.code)
    for code in session.scalars(select(BindCode)):
        code.expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(InvalidInput):
        redeem(session, store, policy, new.code)


def test_each_channel_holds_one_openid_per_person(session, store, policy, clerk):
    redeem(session, store, policy, issue_bind_code(session, system_actor(), "A100", policy).code, openid="oa-1")
    redeem(session, store, policy, issue_bind_code(session, system_actor(), "A100", policy).code, openid="mini-1",
           channel="miniapp")
    redeem(session, store, policy, issue_bind_code(session, system_actor(), "A100", policy).code, openid="oa-2")
    rows = {(b.channel, b.openid) for b in session.scalars(select(WeChatBinding))}
    assert rows == {("oa", "oa-2"), ("miniapp", "mini-1")}  # the new phone replaced the old binding


def test_an_openid_cannot_take_over_someone_else(session, store, policy, clerk):
    other = f.person(session, f.unit(session, "县教育局"), staff_no="B200")
    redeem(session, store, policy, issue_bind_code(session, system_actor(), "A100", policy).code, openid="o-x")
    with pytest.raises(Conflict, match="已经绑定了其他人员"):
        redeem(session, store, policy, issue_bind_code(session, system_actor(), "B200", policy).code, openid="o-x")
    assert person_for_openid(session, "oa", "o-x").id == clerk.id and other.id != clerk.id


def test_brute_force_is_throttled_and_audited(db, store, policy):
    def attempt(openid="o-1"):
        with db.session() as s:  # one unit of work per message, as the transports do
            redeem(s, store, policy, "WRONGCOD", openid=openid)

    for _ in range(policy.binding.max_failures_per_user):
        with pytest.raises(InvalidInput):
            attempt()
    with pytest.raises(TooManyRequests, match="绑定尝试过于频繁"):
        attempt()
    with pytest.raises(InvalidInput):  # another WeChat user is not blocked by this one's failures
        attempt("o-other")
    with db.session() as s:
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("binding.%"))))
    assert actions.count("binding.failed") == policy.binding.max_failures_per_user + 1
    assert actions.count("binding.throttled") == 1


def test_only_the_persons_unit_hr_or_the_county_issue_codes(session, policy, clerk):
    unit = session.get(type(clerk.memberships[0].unit), clerk.memberships[0].unit_id)
    hr = f.person(session, unit, roles=("unit_admin",))
    outsider = f.person(session, f.unit(session, "县教育局"), roles=("unit_admin",))
    assert issue_bind_code(session, actor_for_person(session, hr.id), "A100", policy).staff_no == "A100"
    with pytest.raises(NotFound):
        issue_bind_code(session, actor_for_person(session, outsider.id), "A100", policy)
    with pytest.raises(NotFound):
        issue_bind_code(session, system_actor(), "NOPE", policy)


def test_unsubscribe_removes_only_the_binding(session, store, policy, clerk):
    redeem(session, store, policy, issue_bind_code(session, system_actor(), "A100", policy).code)
    assert unbind(session, "oa", "o-1") is True
    assert person_for_openid(session, "oa", "o-1") is None
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "binding.removed")) == 1
    assert unbind(session, "oa", "o-1") is False
