"""A production install is safe by default: ``kaohe serve`` is production unless told otherwise, and no
development-only part (simulator, development key, demo WeChat, fake WeChat API) listens beyond loopback."""
import pytest
from click.testing import CliRunner

from bot import create_app
from bot.cli import main
from bot.ext import services
from config import load_settings
from config.settings import bind_is_local

PRODUCTION = {"KAOHE_SECRET_KEY": "k" * 40, "KAOHE_WECHAT_TOKEN": "real-token", "KAOHE_WECHAT_SECRET": "real-secret",
              "KAOHE_ENV": None, "KAOHE_SIMULATOR": None, "KAOHE_WECHAT_API_BASE": None}


def serve(*args, env):
    return CliRunner().invoke(main, ["serve", *args], env=env, catch_exceptions=False)


def test_serve_without_kaohe_env_is_production_and_needs_a_secret_key(database_url):
    result = serve("--bind", "127.0.0.1:8999", env={"KAOHE_DATABASE_URL": database_url, "KAOHE_ENV": None,
                                                     "KAOHE_SECRET_KEY": None, "KAOHE_SIMULATOR": None})
    assert result.exit_code == 2 and "KAOHE_SECRET_KEY" in result.output


@pytest.mark.parametrize("extra, named", [
    ({"KAOHE_ENV": "development"}, "微信模拟器"),
    ({"KAOHE_ENV": "development", "KAOHE_SIMULATOR": "false", "KAOHE_SECRET_KEY": None}, "开发用密钥"),
    ({"KAOHE_WECHAT_TOKEN": None}, "演示用公众号凭据"),
    ({"KAOHE_WECHAT_API_BASE": "http://127.0.0.1:9/"}, "模拟微信接口"),
])
def test_serve_refuses_a_public_bind_with_a_development_part_on(database_url, extra, named):
    env = {"KAOHE_DATABASE_URL": database_url, **PRODUCTION, **extra}
    result = serve("--bind", "0.0.0.0:8999", env=env)
    assert result.exit_code == 2 and named in result.output and "0.0.0.0:8999" in result.output


def test_demo_refuses_to_listen_beyond_loopback(database_url):
    result = CliRunner().invoke(main, ["demo", "--host", "0.0.0.0"],
                                env={"KAOHE_DATABASE_URL": database_url, "KAOHE_ENV": None}, catch_exceptions=False)
    assert result.exit_code == 2 and "微信模拟器" in result.output


@pytest.mark.parametrize("bind, local", [
    ("127.0.0.1:8000", True), ("localhost:8000", True), ("[::1]:8000", True), ("unix:/run/kaohe.sock", True),
    ("0.0.0.0:8000", False), ("10.0.0.5:8000", False), ("[::]:8000", False),
])
def test_which_binds_are_local(bind, local):
    assert bind_is_local(bind) is local


def test_readyz_says_when_a_development_part_is_on(database_url, db):
    dev = create_app(load_settings({}, database_url=database_url, env="development"))
    prod = create_app(load_settings({}, database_url=database_url, env="production", secret_key="k" * 40,
                                    wechat_token="real-token", wechat_secret="real-secret"))
    try:
        body = dev.test_client().get("/readyz").get_json()
        assert body["env"] == "development" and any("微信模拟器" in p for p in body["development_only"])
        assert body["warning"].startswith("仅供开发的部分已开启")
        body = prod.test_client().get("/readyz").get_json()
        assert body["env"] == "production" and body["development_only"] == [] and body["warning"] is None
        assert prod.test_client().post("/simulator/api/bind-code", json={"staff_no": "C001"}).status_code == 404
    finally:
        services(dev).close()
        services(prod).close()
