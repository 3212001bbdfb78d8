"""A callback timestamp of any size or form is refused before the signature check, never a 500 (issue 14 item 6:
309 nines overflowed the float compare of the replay window)."""
import time

import pytest

from bot.wechat.envelope import sign


@pytest.mark.parametrize("timestamp", ["9" * 309, "9" * 400, "１２３", "12\n", "-5"])
def test_a_huge_or_odd_wechat_timestamp_is_refused_before_anything(chat_app, chat_settings, timestamp):
    client = chat_app.test_client()
    args = {"signature": sign(chat_settings.wechat_token, timestamp, "n"), "timestamp": timestamp, "nonce": "n",
            "echostr": "E"}
    r = client.get("/wechat", query_string=args)
    assert r.status_code == 403 and r.get_json()["code"] == "bad_timestamp"
    ok = str(int(time.time()))
    good = {"signature": sign(chat_settings.wechat_token, ok, "n"), "timestamp": ok, "nonce": "n", "echostr": "E"}
    assert client.get("/wechat", query_string=good).status_code == 200
