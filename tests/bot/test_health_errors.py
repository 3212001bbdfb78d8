def test_healthz_answers(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_says_which_backends_answer(client, settings):
    body = client.get("/readyz").get_json()
    assert body["ready"] is True
    assert body["checks"]["database"] == {"ok": True, "backend": "postgresql" if "postgresql" in settings.database_url
                                          else "sqlite"}
    assert body["checks"]["redis"]["backend"] == ("redis" if settings.redis_url else "memory")


def test_readyz_reports_a_redis_that_is_down_as_degraded_but_still_ready(database_url, db):
    """The app serves through its in-process fallback: taking it out of the load balancer would stop everything."""
    from bot import create_app
    from config import load_settings

    app = create_app(load_settings({}, database_url=database_url, redis_url="redis://127.0.0.1:1/0", env="test"))
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 200
    body = resp.get_json()
    from bot.ext import services

    services(app).close()
    assert body["ready"] is True and body["degraded"] is True and "Redis 不可用" in body["notice"]
    assert body["checks"]["redis"]["ok"] is False and body["checks"]["database"]["ok"]


def test_unknown_paths_get_chinese_json(client):
    resp = client.get("/no-such-page")
    assert resp.status_code == 404 and resp.get_json() == {"code": "not_found", "message": "找不到请求的内容"}
    resp = client.post("/healthz")
    assert resp.status_code == 405 and resp.get_json()["message"] == "不支持该请求方法"


def test_create_app_does_not_connect(tmp_path):
    from bot import create_app
    from config import load_settings

    missing = tmp_path / "nowhere" / "db.sqlite3"
    from bot.ext import services

    services(create_app(load_settings({}, database_url=f"sqlite:///{missing}", env="test"))).close()
    assert not missing.exists()


def test_index_page_is_chinese_and_links_only_what_is_served(client):
    resp = client.get("/")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    assert "公务员平时考核系统" in page
    assert 'href="/healthz"' in page and 'href="/readyz"' in page
    for link in ('href="/simulator"', 'href="/api/v1/openapi.json"'):
        served = client.get(link[6:-1]).status_code != 404
        assert (link in page) == served
