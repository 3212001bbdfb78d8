"""``kaohe cycle open|advance|assign`` and ``kaohe person find``: operator commands on cycles and people."""
from __future__ import annotations

import click
from sqlalchemy import select

from handlers.actor import system_actor
from handlers.quarter.cycle_steps import ADVANCE, advance_cycle
from handlers.quarter.cycles import assign_supervisor, get_cycle, open_cycle, opening_notes, transition
from handlers.errors import NotFound
from handlers.identity.people import find_people
from models import Evaluation, Person, Unit
from models.rules.states import CYCLE

from .common import Context, handle_errors, pass_ctx


def _unit(session, name: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.name == name))
    if unit is None:
        raise NotFound(f"找不到单位“{name}”")
    return unit


@click.group("cycle", help="考核周期：开启、推进、更换评鉴人")
def cycle_group():
    pass


@cycle_group.command("open", help="为单位开启某季度考核（按当季花名册生成考核对象和默认指标）")
@click.option("--unit", required=True)
@click.option("--year", required=True, type=int)
@click.option("--quarter", required=True, type=click.IntRange(1, 4))
@pass_ctx
@handle_errors
def open_cmd(ctx: Context, unit: str, year: int, quarter: int):
    with ctx.db.session() as session:
        cycle = open_cycle(session, system_actor(), _unit(session, unit).id, year, quarter, ctx.policy,
                           today=ctx.today())
        n = len(session.scalars(select(Evaluation.id).where(Evaluation.cycle_id == cycle.id)).all())
        notes = opening_notes(session, cycle).lines()
    click.echo(f"已开启{unit}{year}年第{quarter}季度考核，考核对象 {n} 人")
    for line in notes:
        click.echo(f"请注意：{line}")


@cycle_group.command("advance", help=f"推进考核周期，操作：{'、'.join(CYCLE.actions)}")
@click.option("--unit", required=True)
@click.option("--year", required=True, type=int)
@click.option("--quarter", required=True, type=click.IntRange(1, 4))
@click.argument("action", type=click.Choice(list(CYCLE.actions)))
@click.option("--reason", default="", help="截止前仍有人未完成时提前推进的原因（记入操作日志）")
@pass_ctx
@handle_errors
def advance_cmd(ctx: Context, unit: str, year: int, quarter: int, action: str, reason: str):
    with ctx.db.session() as session:
        cycle = get_cycle(session, _unit(session, unit).id, year, quarter)
        if cycle is None:
            raise NotFound(f"{unit}{year}年第{quarter}季度考核尚未开启")
        if action in ADVANCE:  # the same checks as the API: who is missing, a reason before the deadline
            advance_cycle(session, system_actor(), ctx.policy, cycle, action, reason=reason)
        else:
            transition(session, system_actor(), cycle, action, policy=ctx.policy)
        click.echo(f"{unit}{cycle.label}考核：{CYCLE.label(cycle.state)}")


@cycle_group.command("assign", help="更换考核对象的评鉴人（分管领导）")
@click.option("--unit", required=True)
@click.option("--year", required=True, type=int)
@click.option("--quarter", required=True, type=click.IntRange(1, 4))
@click.option("--person", required=True, help="考核对象人员编号")
@click.option("--supervisor", required=True, help="评鉴人人员编号")
@pass_ctx
@handle_errors
def assign_cmd(ctx: Context, unit: str, year: int, quarter: int, person: str, supervisor: str):
    with ctx.db.session() as session:
        cycle = get_cycle(session, _unit(session, unit).id, year, quarter)
        evaluation_id = cycle and session.scalar(
            select(Evaluation.id).join(Person, Person.id == Evaluation.person_id)
            .where(Evaluation.cycle_id == cycle.id, Person.staff_no == person))
        if not evaluation_id:
            raise NotFound(f"{person} 不是{unit}{year}年第{quarter}季度的考核对象")
        assign_supervisor(session, system_actor(), evaluation_id, supervisor, ctx.policy)
    click.echo(f"已将 {person} 的评鉴人改为 {supervisor}")


@click.command("person", help="按人员编号、姓名或手机号查找人员（手机号脱敏显示）")
@click.argument("query")
@pass_ctx
@handle_errors
def person_cmd(ctx: Context, query: str):
    with ctx.db.session() as session:
        rows = find_people(session, system_actor(), query)
    for r in rows:
        click.echo("\t".join([r.staff_no, r.name, r.unit, r.tier, r.post, r.phone]))
    click.echo(f"共 {len(rows)} 人", err=True)


COMMANDS = [cycle_group, person_cmd]
