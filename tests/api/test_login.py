"""Login through code2session on a fake WeChat server (real HTTP), binding, sessions, admin accounts."""
import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from handlers.identity import admin_accounts as A
from handlers.actor import system_actor
from handlers.identity.sessions import token_hash
from models import AdminAccount, ApiSession, AuditEntry, WeChatBinding, utcnow
from tests import factories as f

from .conftest import login

V1 = "/api/v1"


def test_unbound_user_binds_with_a_code_from_unit_hr(api, fake_wechat, session, world, callers):
    clerk = world.people["clerks"][2]
    session.query(WeChatBinding).filter_by(person_id=clerk.id).delete()
    session.commit()
    fake_wechat.fake.add_login_code("NEWCODE", "o-new-phone", unionid="u-42")
    r = api.post(f"{V1}/auth/login", json={"code": "NEWCODE"})
    assert r.status_code == 200 and r.json["status"] == "bind_required" and r.json["token"] is None
    ticket = r.json["bind_ticket"]
    assert "session_key" not in r.get_data(as_text=True)
    calls = fake_wechat.fake.calls_to("/sns/jscode2session")
    assert calls[-1].args["js_code"] == "NEWCODE" and calls[-1].args["appid"] == fake_wechat.fake.mini_appid
    assert "access_token" not in calls[-1].args
    r = api.post(f"{V1}/auth/bind", json={"bind_ticket": ticket, "code": "WRONG123"})
    assert r.status_code == 422 and r.json["code"] == "bind_code_invalid"
    issued = callers["hr"].post(f"{V1}/units/{world.unit.id}/bind-codes", json={"staff_no": clerk.staff_no})
    assert issued.status_code == 201 and len(issued.json["code"]) == 8
    r = api.post(f"{V1}/auth/bind", json={"bind_ticket": ticket, "code": issued.json["code"].lower()})
    assert r.status_code == 200 and r.json["status"] == "ok" and r.json["me"]["name"] == clerk.name
    assert api.get(f"{V1}/me", headers={"Authorization": f"Bearer {r.json['token']}"}).json["ref"] == \
        f"person:{clerk.staff_no}"
    assert session.scalar(select(WeChatBinding.openid).where(WeChatBinding.person_id == clerk.id,
                                                             WeChatBinding.channel == "miniapp")) == "o-new-phone"
    assert api.post(f"{V1}/auth/bind", json={"bind_ticket": ticket, "code": issued.json["code"]}).status_code == 422
    # next time the same WeChat user logs straight in
    fake_wechat.fake.add_login_code("AGAIN", "o-new-phone")
    assert api.post(f"{V1}/auth/login", json={"code": "AGAIN"}).json["status"] == "ok"
    # the token is stored only as a hash
    stored = session.scalars(select(ApiSession.token_hash)).all()
    assert token_hash(r.json["token"]) in stored and r.json["token"] not in stored


@pytest.mark.parametrize("errcode,status,code", [
    (40029, 401, "wechat_code_invalid"), (40163, 401, "wechat_code_used"), (45011, 429, "wechat_rate_limited"),
    (-1, 503, "wechat_busy"), (40013, 503, "wechat_config"), (99999, 503, "wechat_error"),
])
def test_wechat_error_codes_become_chinese_errors(api, fake_wechat, errcode, status, code):
    fake_wechat.fake.add_login_code("C-ERR", "o-x")
    fake_wechat.fake.fail("/sns/jscode2session", errcode=errcode)
    r = api.post(f"{V1}/auth/login", json={"code": "C-ERR"})
    assert r.status_code == status and r.json["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json["message"])


def test_unknown_code_and_unreachable_wechat(api, fake_wechat):
    r = api.post(f"{V1}/auth/login", json={"code": "never-issued"})
    assert r.status_code == 401 and r.json["code"] == "wechat_code_invalid"  # the fake answers 40029 itself
    fake_wechat.fake.fail("/sns/jscode2session", drop=True)
    r = api.post(f"{V1}/auth/login", json={"code": "whatever"})
    assert r.status_code == 503 and r.json["code"] == "wechat_unreachable"


def test_login_is_rate_limited_per_ip_and_per_openid(api_settings, db, fake_wechat):
    from bot import create_app
    from bot.ext import services

    app = create_app(api_settings.with_overrides(login_limit_per_ip=3, login_limit_per_openid=2,
                                                 trusted_proxy_hops=1))
    client = app.test_client()
    try:
        for i in range(2):
            fake_wechat.fake.add_login_code(f"R{i}", "o-same")
            r = client.post(f"{V1}/auth/login", json={"code": f"R{i}"}, headers={"X-Forwarded-For": f"10.0.0.{i}"})
            assert r.status_code == 200
        fake_wechat.fake.add_login_code("R9", "o-same")
        r = client.post(f"{V1}/auth/login", json={"code": "R9"}, headers={"X-Forwarded-For": "10.0.0.9"})
        assert r.status_code == 429 and r.json["code"] == "login_rate_limited"  # per openid
        for i in range(3):
            client.post(f"{V1}/auth/login", json={"code": f"x{i}"}, headers={"X-Forwarded-For": "1.2.3.4, 10.9.9.9"})
        r = client.post(f"{V1}/auth/login", json={"code": "x"}, headers={"X-Forwarded-For": "1.2.3.4, 10.9.9.9"})
        assert r.status_code == 429  # per IP (the last trusted hop: 10.9.9.9)
        r = client.post(f"{V1}/auth/login", json={"code": "x"}, headers={"X-Forwarded-For": "10.7.7.7"})
        assert r.status_code == 401  # another IP is not affected
    finally:
        store = services(app).store
        for key in getattr(store, "client", None) and store.client.scan_iter(f"{store.prefix}*") or []:
            store.client.delete(key)
        services(app).close()


def test_logout_and_end_all_sessions(api, fake_wechat, session, world, callers):
    clerk = callers["clerk"]
    second_phone = login(api, fake_wechat, session, world.people["clerks"][0])
    assert clerk.get(f"{V1}/me").status_code == 200 and second_phone.get(f"{V1}/me").status_code == 200
    assert clerk.post(f"{V1}/auth/logout", json={}).json == {"count": 1}
    assert clerk.get(f"{V1}/me").status_code == 401
    assert second_phone.get(f"{V1}/me").status_code == 200  # only this device
    third = login(api, fake_wechat, session, world.people["clerks"][0])
    r = callers["o_hr"].post(f"{V1}/people/{clerk.person.staff_no}/end-sessions", json={"reason": "离职"})
    assert r.status_code == 404  # not their unit
    r = callers["hr"].post(f"{V1}/people/{clerk.person.staff_no}/end-sessions", json={"reason": "离职"})
    assert r.status_code == 200 and r.json["count"] == 2
    assert second_phone.get(f"{V1}/me").json["code"] == "session_invalid"
    assert third.get(f"{V1}/me").status_code == 401
    assert session.query(AuditEntry).filter_by(action="session.end_all").count() == 1


def test_idle_and_absolute_expiry(api, api_app, session, callers):
    from bot.ext import services

    clerk = callers["clerk"]
    store = services(api_app).store
    thash = token_hash(clerk.token)
    row = session.scalar(select(ApiSession).where(ApiSession.token_hash == thash))
    # idle: the cache entry (TTL = idle time) is gone and the last use is older than the idle limit
    row.last_seen_at = utcnow() - timedelta(hours=3)
    session.commit()
    store.delete(f"api:sess:{thash}")
    r = clerk.get(f"{V1}/me")
    assert r.status_code == 401 and r.json["code"] == "session_expired"
    # absolute: even a fresh cache entry stops at the absolute expiry
    boss = callers["boss"]
    bhash = token_hash(boss.token)
    cached = json.loads(store.get(f"api:sess:{bhash}"))
    cached["exp"] = time.time() - 1
    store.set(f"api:sess:{bhash}", json.dumps(cached), ttl=60)
    assert boss.get(f"{V1}/me").json["code"] == "session_expired"


def test_departed_person_loses_the_session_on_refresh(api, api_app, session, world, callers):
    from bot.ext import services

    clerk = callers["clerk"]
    person = world.people["clerks"][0]
    session.refresh(person)
    person.status = "left"
    session.commit()
    services(api_app).store.delete(f"api:sess:{token_hash(clerk.token)}")  # the cached actor ages out
    r = clerk.get(f"{V1}/me")
    assert r.status_code == 401 and r.json["code"] == "person_inactive"


def test_admin_login_with_password_and_totp(api, session, world):
    hr = world.people["hr"]
    account, secret = A.create_account(session, system_actor(), "lirenshi", hr.staff_no, "correct horse battery", True)
    session.commit()
    assert account.password_hash.startswith("scrypt$") and "correct" not in account.password_hash
    body = {"username": "lirenshi", "password": "correct horse battery"}
    r = api.post(f"{V1}/auth/admin-login", json=body)
    assert r.status_code == 401 and r.json["code"] == "totp_required"
    r = api.post(f"{V1}/auth/admin-login", json={**body, "totp": "000000"})
    assert r.status_code == 401 and r.json["code"] in ("totp_invalid",)
    code = A.totp(secret, int(time.time() // 30))
    r = api.post(f"{V1}/auth/admin-login", json={**body, "totp": code})
    assert r.status_code == 200 and "unit_admin" in r.json["me"]["roles"]
    token = r.json["token"]
    r = api.post(f"{V1}/auth/admin-login", json={**body, "totp": code})
    assert r.status_code == 401  # a code works once
    r = api.post(f"{V1}/auth/admin-login", json={"username": "lirenshi", "password": "wrong password!!"})
    assert r.status_code == 401 and r.json["code"] == "bad_credentials"
    r = api.post(f"{V1}/auth/admin-login", json={"username": "nobody", "password": "wrong password!!"})
    assert r.status_code == 401 and r.json["code"] == "bad_credentials"
    assert session.query(AuditEntry).filter_by(action="admin.login_failed").count() == 4  # bad code, replay, password, unknown
    from bot.ext import services

    A.disable_account(session, services(api.application).store, system_actor(), "lirenshi")
    session.commit()
    assert api.get(f"{V1}/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_totp_matches_rfc6238_vectors():
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of "12345678901234567890"
    assert A.totp(secret, 59 // 30, digits=8) == "94287082"
    assert A.totp(secret, 1111111109 // 30, digits=8) == "07081804"
    assert A.totp(secret, 20000000000 // 30, digits=8) == "65353130"


def test_admin_accounts_only_for_admins(session, world):
    with pytest.raises(Exception, match="不是单位管理员"):
        A.create_account(session, system_actor(), "clerk1", world.people["clerks"][0].staff_no, "long enough pw!", False)
    with pytest.raises(Exception, match="至少"):
        A.create_account(session, system_actor(), "x", world.people["hr"].staff_no, "short", False)
    unit = world.unit
    other_admin = f.person(session, unit, roles=("unit_admin",))
    from handlers.actor import actor_for_person
    from handlers.errors import Forbidden

    with pytest.raises(Forbidden):
        A.create_account(session, actor_for_person(session, other_admin.id), "y", other_admin.staff_no,
                         "long enough pw!", False)
    assert session.scalar(select(AdminAccount.id)) is None
