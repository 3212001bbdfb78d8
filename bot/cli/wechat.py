"""``kaohe wechat menu push|show``: the Official Account's menu, linking to the phone pages."""
from __future__ import annotations

import json

import click

from handlers import audit
from handlers.actor import system_actor
from models.store import make_store

from .common import Context, handle_errors, pass_ctx


@click.group("wechat", help="公众号设置：自定义菜单")
def wechat_group():
    pass


@wechat_group.group("menu", help="公众号自定义菜单（我的考核 · 写小结 · 打分/审定/通知），链接到手机页面")
def menu_group():
    pass


@menu_group.command("push", help="按 KAOHE_PUBLIC_URL 设置菜单")
@pass_ctx
@handle_errors
def push_cmd(ctx: Context):
    from bot.wechat import menu

    store = make_store(ctx.settings.redis_url)
    pushed = menu.push(ctx.settings, store)
    with ctx.db.session() as session:
        audit.record(session, system_actor(), "wechat.menu_push", "wechat_menu", ctx.settings.wechat_appid, None,
                     pushed)
    click.echo("已设置公众号菜单：")
    click.echo(_lines(pushed))


@menu_group.command("show", help="显示微信上当前的菜单")
@click.option("--json", "as_json", is_flag=True, help="原样输出 JSON")
@pass_ctx
@handle_errors
def show_cmd(ctx: Context, as_json: bool):
    from bot.wechat import menu

    current = menu.show(ctx.settings, make_store(ctx.settings.redis_url))
    if current is None:
        click.echo("公众号尚未设置菜单（可运行 kaohe wechat menu push）")
        return
    click.echo(json.dumps(current, ensure_ascii=False, indent=2) if as_json else _lines(current.get("menu", current)))


def _lines(menu: dict) -> str:
    out = []
    for button in menu.get("button", []):
        if button.get("sub_button"):
            out.append(f"{button['name']}")
            out += [f"  · {b['name']}  {b.get('url', '')}" for b in button["sub_button"]]
        else:
            out.append(f"{button['name']}  {button.get('url', '')}")
    return "\n".join(out)


COMMANDS = [wechat_group]
