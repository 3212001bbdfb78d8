"""``kaohe wechat menu push|show`` against the local fake WeChat (real HTTP): links to the phone pages."""
from __future__ import annotations

from click.testing import CliRunner

from bot.cli import main
from models import AuditEntry


def _run(database_url, fake_wechat, *args):
    env = {"KAOHE_DATABASE_URL": database_url, "KAOHE_WECHAT_API_BASE": fake_wechat.url,
           "KAOHE_PUBLIC_URL": "https://kaohe.example.gov.cn"}
    return CliRunner().invoke(main, list(args), env=env)


def test_menu_push_sets_links_to_the_phone_pages_and_show_reads_them_back(database_url, db, fake_wechat, session):
    r = _run(database_url, fake_wechat, "wechat", "menu", "show")
    assert r.exit_code == 0 and "尚未设置菜单" in r.output
    r = _run(database_url, fake_wechat, "wechat", "menu", "push")
    assert r.exit_code == 0, r.output
    menu = fake_wechat.fake.menu
    names = [b["name"] for b in menu["button"]] + [s["name"] for b in menu["button"] for s in b.get("sub_button", [])]
    assert {"我的考核", "写小结", "打分", "审定等次", "通知"} <= set(names) and len(menu["button"]) <= 3
    urls = [b.get("url") for b in menu["button"] if b.get("url")]
    assert "https://kaohe.example.gov.cn/m/login?next=/m/summary" in urls
    assert fake_wechat.fake.calls_to("/cgi-bin/menu/create")[0].args["access_token"].startswith("TOKEN-")
    r = _run(database_url, fake_wechat, "wechat", "menu", "show")
    assert r.exit_code == 0 and "写小结  https://kaohe.example.gov.cn/m/login?next=/m/summary" in r.output
    assert session.query(AuditEntry).filter_by(action="wechat.menu_push").count() == 1


def test_a_refused_menu_is_a_chinese_error(database_url, db, fake_wechat):
    fake_wechat.fake.fail("/cgi-bin/menu/create", errcode=-1)
    r = _run(database_url, fake_wechat, "wechat", "menu", "push")
    assert r.exit_code == 1 and "微信拒绝设置菜单" in r.output
