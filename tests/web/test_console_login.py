"""Signing in to the console: password and TOTP, its own session (never the phone's), CSRF on the form."""
from __future__ import annotations

from .conftest import console_sign_in, current_totp, sign_in


def test_console_login_needs_the_totp_when_the_account_has_one(web_app, console_accounts):
    client = web_app.test_client()
    user, password, secret = console_accounts["hr"]
    r = console_sign_in(client, user, password)
    assert r.status_code == 401 and "动态验证码" in r.get_data(as_text=True)
    assert client.get("/console").status_code == 302
    r = console_sign_in(client, user, password, current_totp(secret))
    assert r.status_code == 302 and r.headers["Location"] == "/console"
    cookie = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith("kaohe_c="))
    assert "HttpOnly" in cookie and "Path=/console" in cookie
    home = client.get("/console")
    assert home.status_code == 200 and "A人事" in home.get_data(as_text=True)


def test_wrong_password_and_missing_csrf_are_refused(web_app, console_accounts):
    client = web_app.test_client()
    r = console_sign_in(client, "county", "wrong password 123")
    assert r.status_code == 401 and "用户名或密码错误" in r.get_data(as_text=True)
    r = client.post("/console/login", data={"username": "county", "password": "correct horse battery"})
    assert r.status_code == 403
    assert console_sign_in(client, "county", "correct horse battery").status_code == 302


def test_a_phone_session_does_not_open_the_console(web_app, fake_wechat, world):
    client = web_app.test_client()
    sign_in(client, fake_wechat, world["a"].openids["hr"])
    assert client.get("/m/me").status_code == 200
    r = client.get("/console")
    assert r.status_code == 302 and r.headers["Location"].startswith("/console/login")


def test_signing_out_of_the_console(web_app, console_accounts):
    client = web_app.test_client()
    console_sign_in(client, "county", "correct horse battery")
    page = client.get("/console").get_data(as_text=True)
    import re

    csrf = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page).group(1)
    assert client.post("/console/logout", data={"csrf_token": csrf}).status_code == 302
    assert client.get("/console").status_code == 302
