"""``kaohe secondment record|list|edit|end``: 借调 from the command line, through ``handlers.identity.secondments``
(the console's and the API's handler), acting as the operator (``system:cli`` in the audit log)."""
from __future__ import annotations

import click
from sqlalchemy import select

from handlers.actor import system_actor
from handlers.errors import NotFound
from models import Unit

from .common import Context, handle_errors, pass_ctx


@click.group("secondment", help="借调：record 登记、list 查看、edit 修改、end 提前结束")
def secondment_group():
    pass


def _echo_notes(head: str, notes: list[str]) -> None:
    click.echo(head)
    for line in notes:
        click.echo(f"  {line}")


@secondment_group.command("record", help="登记借调（本单位人员借出到借调单位）")
@click.option("--person", "staff_no", required=True, help="人员编号")
@click.option("--host", "host_unit", required=True, help="借调单位名称")
@click.option("--start", "start_on", required=True, help="开始日期 YYYY-MM-DD")
@click.option("--end", "end_on", required=True, help="结束日期 YYYY-MM-DD")
@click.option("--tier", default="", help="在借调单位的考评层次（空则取同名层次）")
@click.option("--note", default="", help="备注")
@pass_ctx
@handle_errors
def record_cmd(ctx: Context, staff_no, host_unit, start_on, end_on, tier, note):
    from handlers.identity import secondments

    with ctx.db.session() as session:
        row, notes = secondments.record(session, system_actor(), ctx.policy, staff_no=staff_no, host_unit=host_unit,
                                        start_on=start_on, end_on=end_on, tier=tier, note=note)
        head = f"已登记借调 {row.id}：{row.start_on.isoformat()} 至 {row.end_on.isoformat()}"
    _echo_notes(head, notes)


@secondment_group.command("list", help="单位的借调记录（借出与借入）")
@click.option("--unit", required=True, help="单位名称")
@pass_ctx
@handle_errors
def list_cmd(ctx: Context, unit: str):
    from handlers.identity import secondments

    with ctx.db.session() as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.name == unit))
        if unit_id is None:
            raise NotFound(f"找不到单位“{unit}”")
        rows = secondments.unit_secondments(session, system_actor(), unit_id)
    for s in rows:
        ended = f"\t已提前结束：{s.end_reason}" if s.ended_on else ""
        click.echo("\t".join([str(s.id), s.staff_no, s.name, "借入" if s.direction == "in" else "借出", s.home_unit,
                              s.host_unit, s.host_tier, f"{s.start_on.isoformat()} 至 {s.end_on.isoformat()}",
                              s.note]) + ended)
    click.echo(f"共 {len(rows)} 条", err=True)


@secondment_group.command("edit", help="修改借调（只改给出的项）；会改变已审定季度的考核单位时拒绝")
@click.option("--id", "secondment_id", required=True, type=int, help="借调编号（见 kaohe secondment list）")
@click.option("--reason", required=True, help="修改原因")
@click.option("--host", "host_unit", default=None, help="新的借调单位")
@click.option("--start", "start_on", default=None, help="开始日期 YYYY-MM-DD")
@click.option("--end", "end_on", default=None, help="结束日期 YYYY-MM-DD")
@click.option("--tier", default=None, help="在借调单位的考评层次")
@click.option("--note", default=None, help="备注")
@pass_ctx
@handle_errors
def edit_cmd(ctx: Context, secondment_id, reason, host_unit, start_on, end_on, tier, note):
    from handlers.identity import secondments

    with ctx.db.session() as session:
        row, notes = secondments.edit(session, system_actor(), ctx.policy, secondment_id, reason=reason,
                                      host_unit=host_unit, start_on=start_on, end_on=end_on, tier=tier, note=note)
        head = f"已修改借调 {row.id}：{row.start_on.isoformat()} 至 {row.end_on.isoformat()}"
    _echo_notes(head, notes)


@secondment_group.command("end", help="提前结束借调（--on 结束日期，默认今天）；会改变已审定季度的考核单位时拒绝")
@click.option("--id", "secondment_id", required=True, type=int, help="借调编号")
@click.option("--reason", required=True, help="提前结束的原因")
@click.option("--on", "end_on", default=None, help="结束日期 YYYY-MM-DD（默认今天）")
@pass_ctx
@handle_errors
def end_cmd(ctx: Context, secondment_id, reason, end_on):
    from handlers.identity import secondments

    with ctx.db.session() as session:
        row, notes = secondments.end(session, system_actor(), ctx.policy, secondment_id, reason=reason,
                                     end_on=end_on, today=ctx.today())
        head = f"借调 {row.id} 已提前结束：{row.start_on.isoformat()} 至 {row.end_on.isoformat()}"
    _echo_notes(head, notes)


COMMANDS = [secondment_group]
