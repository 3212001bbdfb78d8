"""``kaohe merits record|list|review|withdraw``: 加扣分、负面清单与问责 from the command line.

The same ``handlers.quarter.merits`` functions as the console and the API; the CLI acts as the operator
(``system:cli`` in the audit log, like every other CLI command), so the county's catalogue, its caps, the evidence
checks and the approval rule apply exactly as they do for unit HR.
"""
from __future__ import annotations

import json
from pathlib import Path

import click

from handlers.actor import system_actor
from handlers.identity.scope import unit_named

from .common import Context, handle_errors, pass_ctx


@click.group("merits", help="加扣分、负面清单与问责：record 记录、list 查看、review 审核、withdraw 撤回")
def merits_group():
    pass


def _line(e: dict) -> str:
    points = f"{'+' if e['points'] > 0 else ''}{e['points']:g} 分" if e["points"] else "—"
    return "\t".join([str(e["id"]), e["occurred_on"], f"{e['name']}（{e['staff_no']}）",
                      f"{e['item_name']}（{e['item_code']}）", points, "、".join(e["effect_labels"]) or "—",
                      e["state_label"], e["description"]])


@merits_group.command("record", help="为人员记录一项县目录中的事项（需要证明材料的事项用 --evidence 指定文件）")
@click.option("--person", "staff_no", required=True, help="人员编号")
@click.option("--item", "item_code", required=True, help="事项代码（见 kaohe merits list --catalogue）")
@click.option("--on", "occurred_on", required=True, type=click.DateTime(["%Y-%m-%d"]), help="发生日期 YYYY-MM-DD")
@click.option("--description", default="", help="事件说明")
@click.option("--evidence", type=click.Path(exists=True, dir_okay=False), default=None,
              help="证明材料文件（pdf、jpg、png、docx，大小见县里规定）")
@pass_ctx
@handle_errors
def record_cmd(ctx: Context, staff_no: str, item_code: str, occurred_on, description: str, evidence: str | None):
    from handlers.quarter import merits

    upload = None
    if evidence:
        path = Path(evidence)
        with path.open("rb") as f:  # at most one byte over the limit: the handler names the size it refuses
            upload = merits.Upload(path.name, f.read(ctx.policy.merits.evidence_max_bytes + 1))
    with ctx.db.session() as session:
        e = merits.record(session, system_actor(), ctx.policy, staff_no, item_code, occurred_on.date(),
                          description, upload, ctx.today())
    click.echo(f"已记录 {e['id']}：{e['name']}（{e['staff_no']}）{e['item_name']}，{e['occurred_on']}，{e['state_label']}")


@merits_group.command("list", help="加扣分记录（可按单位、人员、季度、状态筛选）；--catalogue 列出县里的目录")
@click.option("--unit", default=None, help="单位名称")
@click.option("--person", "staff_no", default=None, help="人员编号")
@click.option("--year", type=int, default=None)
@click.option("--quarter", type=click.IntRange(1, 4), default=None)
@click.option("--state", type=click.Choice(["pending", "approved", "rejected", "withdrawn"]), default=None)
@click.option("--catalogue", is_flag=True, help="列出县里的事项目录（代码、名称、分值、效果）")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@handle_errors
def list_cmd(ctx: Context, unit, staff_no, year, quarter, state, catalogue: bool, as_json: bool):
    from handlers.quarter import merits

    if catalogue:
        items = merits.catalogue(ctx.policy)
        if as_json:
            click.echo(json.dumps(items, ensure_ascii=False, indent=1))
            return
        for i in items:
            click.echo("\t".join([i["code"], i["name"], i["points_text"] or "—", "、".join(i["effect_labels"]) or "—",
                                  "须证明材料" if i["evidence_required"] else ""]))
        return
    if quarter is not None and year is None:
        raise click.UsageError("--quarter 需要同时给出 --year")
    actor = system_actor()
    with ctx.db.session() as session:
        unit_id = unit_named(session, actor, unit).id if unit else None
        rows = merits.list_events(session, actor, ctx.policy, unit_id=unit_id, staff_no=staff_no, year=year,
                                  quarter=quarter, state=state, limit=100_000)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1, default=str))
        return
    for e in rows:
        click.echo(_line(e))
    click.echo(f"共 {len(rows)} 项", err=True)


@merits_group.command("review", help="县公务员办审核待审核的事项：--approve 通过，--reject 不予通过（须 --note 原因）")
@click.option("--id", "event_id", required=True, type=int, help="事项编号")
@click.option("--approve/--reject", required=True)
@click.option("--note", default="", help="审核意见（不予通过时必填）")
@pass_ctx
@handle_errors
def review_cmd(ctx: Context, event_id: int, approve: bool, note: str):
    from handlers.quarter import merits

    with ctx.db.session() as session:
        e = merits.review(session, system_actor(), ctx.policy, event_id, approve, note)
    click.echo(f"事项 {e['id']}：{e['name']}{e['item_name']}，{e['state_label']}")


@merits_group.command("withdraw", help="撤回误录的事项（待审核的，或无需审核时已生效的），须 --reason")
@click.option("--id", "event_id", required=True, type=int, help="事项编号")
@click.option("--reason", required=True, help="撤回原因")
@pass_ctx
@handle_errors
def withdraw_cmd(ctx: Context, event_id: int, reason: str):
    from handlers.quarter import merits

    with ctx.db.session() as session:
        e = merits.withdraw(session, system_actor(), ctx.policy, event_id, reason)
    click.echo(f"已撤回事项 {e['id']}：{e['name']}{e['item_name']}（{e['occurred_on']}）")


COMMANDS = [merits_group]
