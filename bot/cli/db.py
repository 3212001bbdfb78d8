"""``kaohe db upgrade``."""
import click

from .common import Context, ensure_schema, handle_errors, pass_ctx


@click.group("db", help="数据库迁移")
def db_group():
    pass


@db_group.command("upgrade", help="把数据库结构升级到最新版本")
@pass_ctx
@handle_errors
def upgrade(ctx: Context):
    ensure_schema(ctx)
    click.echo("数据库已升级到最新版本")


COMMANDS = [db_group]
