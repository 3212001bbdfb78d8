"""The ``/simulator`` chat page of ``kaohe demo``: signs/encrypts like WeChat, and is absent in production."""
from sqlalchemy import select

from config import load_settings
from models import WeChatBinding


def test_the_page_and_its_api(chat_app, db, team):
    client = chat_app.test_client()
    page = client.get("/simulator")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "微信模拟器" in html and 'value="safe"' in html
    assert "<script src" not in html and "http" not in html.split("<script>")[1]  # no third-party assets
    code = client.post("/simulator/api/bind-code", json={"staff_no": "C001"}).get_json()
    assert code["name"] == "王干事" and len(code["code"]) == 8
    sent = client.post("/simulator/api/send", json={"openid": "o-page", "mode": "safe", "kind": "text",
                                                     "content": f"绑定 {code['code']}"}).get_json()
    assert sent["status"] == 200 and sent["reply"].startswith("绑定成功") and "<Encrypt>" in sent["wire"]
    assert "<Encrypt>" in sent["response"]
    voice = client.post("/simulator/api/send", json={"openid": "o-page", "mode": "plaintext", "kind": "voice",
                                                      "content": ""}).get_json()
    assert "没有识别出语音" in voice["reply"] and "<Recognition><![CDATA[]]></Recognition>" in voice["wire"]
    with db.session() as s:
        assert s.scalar(select(WeChatBinding.openid)) == "o-page"
    refused = client.post("/simulator/api/send", json={"openid": "", "kind": "text"})
    assert refused.status_code == 422 and refused.get_json()["message"] == "请填写 openid"


def test_the_simulator_is_off_in_production(database_url):
    from bot import create_app
    from bot.ext import services

    settings = load_settings({}, database_url=database_url, env="production", secret_key="x" * 40)
    app = create_app(settings)
    try:
        client = app.test_client()
        assert client.get("/simulator").status_code == 404
        assert client.post("/simulator/api/bind-code", json={"staff_no": "C001"}).status_code == 404
        assert client.post("/wechat/_floor").status_code == 404
    finally:
        services(app).close()
