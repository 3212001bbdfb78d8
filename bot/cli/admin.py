"""``kaohe admin create|disable``: password accounts for unit HR and the county office (web console)."""
from __future__ import annotations

import click

from handlers.actor import system_actor
from handlers.identity.admin_accounts import create_account, disable_account, totp_uri
from models.store import make_store

from .common import Context, handle_errors, pass_ctx


@click.group("admin", help="管理员账号（单位管理员、县公务员办）：创建、停用")
def admin_group():
    pass


@admin_group.command("create", help="为单位管理员或县公务员办人员创建密码登录账号")
@click.option("--username", required=True)
@click.option("--person", "staff_no", required=True, help="人员编号")
@click.option("--totp/--no-totp", default=False, help="同时开启动态验证码（TOTP）")
@click.password_option("--password", help="至少 12 位", confirmation_prompt=True)
@pass_ctx
@handle_errors
def create_cmd(ctx: Context, username: str, staff_no: str, totp: bool, password: str):
    with ctx.db.session() as session:
        _, secret = create_account(session, system_actor(), username, staff_no, password, totp)
    click.echo(f"已创建管理员账号 {username}")
    if secret:
        click.echo(f"动态验证码密钥（请用验证器 App 扫描或手动输入，仅显示一次）：{secret}")
        click.echo(totp_uri(secret, username))


@admin_group.command("disable", help="停用管理员账号并结束其全部登录会话")
@click.option("--username", required=True)
@pass_ctx
@handle_errors
def disable_cmd(ctx: Context, username: str):
    store = make_store(ctx.settings.redis_url)
    with ctx.db.session() as session:
        n = disable_account(session, store, system_actor(), username)
    click.echo(f"已停用 {username}，结束登录会话 {n} 个")


COMMANDS = [admin_group]
