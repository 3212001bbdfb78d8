"""The fake WeChat server answers over real HTTP, records calls and injects faults."""
import requests


def test_token_and_code2session(fake_wechat):
    base, fake = fake_wechat.url, fake_wechat.fake
    token = requests.get(f"{base}/cgi-bin/token", params={"grant_type": "client_credential", "appid": fake.appid,
                                                          "secret": fake.secret}, timeout=5).json()
    assert token["expires_in"] == 7200 and token["access_token"] in fake.tokens
    fake.add_login_code("CODE1", "o-mini-1", unionid="u-1")
    args = {"appid": fake.mini_appid, "secret": fake.mini_secret, "js_code": "CODE1", "grant_type": "authorization_code"}
    first = requests.get(f"{base}/sns/jscode2session", params=args, timeout=5).json()
    assert first["openid"] == "o-mini-1" and first["unionid"] == "u-1" and first["session_key"]
    again = requests.get(f"{base}/sns/jscode2session", params=args, timeout=5).json()
    assert again["errcode"] == 40029  # a code works once
    assert len(fake.calls_to("/sns/jscode2session")) == 2


def test_faults_are_injected_then_cleared(fake_wechat):
    base, fake = fake_wechat.url, fake_wechat.fake
    fake.fail("/cgi-bin/token", errcode=-1, times=1)
    params = {"grant_type": "client_credential", "appid": fake.appid, "secret": fake.secret}
    assert requests.get(f"{base}/cgi-bin/token", params=params, timeout=5).json()["errcode"] == -1
    assert "access_token" in requests.get(f"{base}/cgi-bin/token", params=params, timeout=5).json()
    fake.fail("/cgi-bin/token", drop=True)
    try:
        requests.get(f"{base}/cgi-bin/token", params=params, timeout=5)
        dropped = False
    except requests.ConnectionError:
        dropped = True
    assert dropped
