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
        click.echo("人员编号\t姓名\t单位\t一季度\t二季度\t三季度\t四季度\t可评优秀\t优先\t最高等次\t直接确定\t说明\t年度等次（已确定）")
        n = 0
        for row in rows:
            o = row.outcome
            quarters = [g or "—" for g in row.quarters]
            click.echo("\t".join([row.staff_no, row.name, row.unit, *quarters, "是" if o.excellent_eligible else "否",
                                  "是" if o.excellent_priority else "否", o.max_grade, o.forced_grade or "",
                                  "；".join(o.reasons), row.annual_grade or ""]))
            n += 1
        click.echo(f"共 {n} 人", err=True)


@click.command("annual-grades", help="年度考核等次：list 查看建议与已确定等次；record 确定一人（缺省为建议等次，"
               "只能在规则允许范围内）；record-all 未确定的按建议确定；feedback 告知本人")
@click.argument("action", type=click.Choice(["list", "record", "record-all", "feedback"]))
@click.option("--unit", required=True, help="单位名称")
@click.option("--year", required=True, type=int)
@click.option("--person", default=None, help="人员编号（record 必填）")
@click.option("--grade", default="", help="年度等次（record；缺省为建议等次）")
@click.option("--note", default="", help="说明（record）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@pass_ctx
@handle_errors
def annual_grades_cmd(ctx: Context, action: str, unit: str, year: int, person: str | None, grade: str, note: str,
                      as_json: bool):
    from handlers.identity.scope import unit_named
    from handlers.results import annual_results

    actor = system_actor()
    with ctx.db.session() as session:
        unit_id = unit_named(session, actor, unit).id
        if action == "list":
            sheet = annual_results.year_sheet(session, actor, ctx.policy, unit_id, year, today=ctx.today())
            if as_json:
                click.echo(json.dumps(sheet.as_dict(), ensure_ascii=False, default=str))
                return
            click.echo("人员编号\t姓名\t一季度\t二季度\t三季度\t四季度\t建议\t允许\t已确定\t告知本人\t复核")
            for r in sheet.rows:
                click.echo("\t".join([r["staff_no"], r["name"], *[g or "—" for g in r["quarters"]], r["suggested"],
                                      "、".join(r["allowed"]), r["grade"] or "—", r["fed_back_at"] or "未告知",
                                      r["objection_state"] or "—"]))
            click.echo(f"共 {len(sheet.rows)} 人，已确定 {sheet.recorded} 人，已告知 {sheet.fed_back} 人", err=True)
            return
        if action == "record":
            if not person:
                raise click.UsageError("record 需要 --person 人员编号")
            data = annual_results.record(session, actor, ctx.policy, unit_id, year, person, grade, note,
                                         today=ctx.today())
        elif action == "record-all":
            data = annual_results.record_suggested(session, actor, ctx.policy, unit_id, year, today=ctx.today())
        else:
            data = annual_results.feed_back(session, actor, ctx.policy, unit_id, year)
    click.echo(json.dumps(data, ensure_ascii=False) if as_json else
               "；".join(f"{k}：{v}" for k, v in data.items()))


COMMANDS = [annual_cmd, annual_grades_cmd]
