"""``kaohe bind-code --person <人员编号>``: a one-time code the person sends as ``绑定 <code>``."""
import click

from handlers.actor import system_actor
from handlers.identity.binding import issue_bind_code
from models.rules.calendar import format_local

from .common import Context, handle_errors, pass_ctx


@click.command("bind-code", help="为人员生成一次性微信绑定码（新码生成后旧码作废）")
@click.option("--person", "staff_no", required=True, help="人员编号")
@pass_ctx
@handle_errors
def bind_code(ctx: Context, staff_no: str):
    with ctx.db.session() as session:
        issued = issue_bind_code(session, system_actor(), staff_no, ctx.policy)
    click.echo(issued.code)
    click.echo(f"{issued.name}（{issued.staff_no}）的绑定码，{format_local(issued.expires_at, ctx.policy)} 前有效、"
               f"仅能使用一次：在公众号发送“绑定 {issued.code}”，或在小程序中输入。", err=True)


COMMANDS = [bind_code]
