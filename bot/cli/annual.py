"""``kaohe annual``: the annual outcome implied by each person's quarterly grades."""
from __future__ import annotations

import json

import click

from handlers.actor import system_actor
from handlers.results.annual import annual_rollup

from .common import Context, handle_errors, pass_ctx


@click.command("annual", help="年度汇总：每人四个季度的等次及据此得出的年度考核结论")
@click.option("--year", required=True, type=int)
@click.option("--unit", default=None, help="只看这个单位本年度考核过的人")
@click.option("--person", default=None, help="人员编号")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（每人一个对象）")
@pass_ctx
@handle_errors
def annual_cmd(ctx: Context, year: int, unit: str | None, person: str | None, as_json: bool):
    if unit and person:
        raise click.UsageError("--unit 和 --person 只能选一个")
    with ctx.db.session() as session:
        rows = annual_rollup(session, system_actor(), year, ctx.policy, unit_name=unit, staff_no=person)
        if as_json:
            click.echo("[", nl=False)
            for i, row in enumerate(rows):
                click.echo(("," if i else "") + "\n" + json.dumps(row.as_dict(), ensure_ascii=False), nl=False)
            click.echo("\n]")
            return
        click.echo("人员编号\t姓名\t单位\t一季度\t二季度\t三季度\t四季度\t可评优秀\t优先\t最高等次\t直接确定\t说明")
        n = 0
        for row in rows:
            o = row.outcome
            quarters = [g or "—" for g in row.quarters]
            click.echo("\t".join([row.staff_no, row.name, row.unit, *quarters, "是" if o.excellent_eligible else "否",
                                  "是" if o.excellent_priority else "否", o.max_grade, o.forced_grade or "",
                                  "；".join(o.reasons)]))
            n += 1
        click.echo(f"共 {n} 人", err=True)


COMMANDS = [annual_cmd]
