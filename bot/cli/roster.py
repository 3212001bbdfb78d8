"""Roster import/export, the demo seed and the quarterly change list."""
from __future__ import annotations

import sys

import click

from handlers.actor import system_actor
from handlers.identity.changes import HEADERS, quarterly_changes
from handlers.identity.roster import import_roster, read_workbook, roster_rows, write_workbook
from handlers.seed import seed_demo

from .common import Context, handle_errors, pass_ctx


@click.command("import-roster", help="导入花名册（xlsx）。先校验全部行，有错误时不导入任何数据。")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--skip-invalid", is_flag=True, help="跳过有错误的行，导入其余的行")
@click.option("--create-units", is_flag=True,
              help="允许新建系统中没有的单位和考评层次（否则视为填写错误），新建的会列在报告中")
@pass_ctx
@handle_errors
def import_roster_cmd(ctx: Context, file: str, skip_invalid: bool, create_units: bool):
    raw = read_workbook(file)
    with ctx.db.session() as session:
        with click.progressbar(length=len(raw), label="导入花名册", file=sys.stderr) as bar:
            report = import_roster(session, system_actor(), raw, ctx.policy, today=ctx.today(),
                                   skip_invalid=skip_invalid, create_units=create_units, progress=bar.update)
        ended = _end_departed_sessions(ctx, session)
    for line in report.lines():
        click.echo(line)
    if ended:
        click.echo(f"已结束离职/退休人员的登录会话 {ended} 个")


def _end_departed_sessions(ctx: Context, session) -> int:
    """People who left with this import lose their API sessions at once (not only after the cache ages out)."""
    from handlers.identity.sessions import end_sessions_of_departed
    from models.store import make_store

    store = make_store(ctx.settings.redis_url)
    try:
        return end_sessions_of_departed(session, store, system_actor())
    finally:
        getattr(store, "close", lambda: None)()


@click.command("export-roster", help="按导入格式导出当前花名册（xlsx）")
@click.option("-o", "--output", default="roster.xlsx", show_default=True, type=click.Path(dir_okay=False))
@click.option("--unit", default=None, help="只导出这个单位")
@pass_ctx
@handle_errors
def export_roster_cmd(ctx: Context, output: str, unit: str | None):
    with ctx.db.session() as session:
        rows = roster_rows(session, unit)
    write_workbook(output, rows)
    click.echo(f"已导出 {len(rows)} 人到 {output}")


@click.command("seed-demo", help="生成确定性的演示数据（虚构人员），写入空数据库")
@click.option("--units", default=77, show_default=True, type=click.IntRange(2, 100000))
@click.option("--people", default=1300, show_default=True, type=click.IntRange(6, 10_000_000))
@click.option("--seed", default=2021, show_default=True, type=int)
@click.option("--history-year", "history_years", multiple=True, type=int, default=(2021,), show_default=True,
              help="补齐四个季度历史结果的年份（可多次指定）；本年度已结束的季度总会补齐")
@pass_ctx
@handle_errors
def seed_demo_cmd(ctx: Context, units: int, people: int, seed: int, history_years: tuple[int, ...]):
    from .common import ensure_schema

    ensure_schema(ctx)
    counts: dict[str, int] = {}

    def progress(table: str, n: int) -> None:
        counts[table] = counts.get(table, 0) + n
        total = sum(counts.values())
        if total % 50000 < n:
            click.echo(f"  已写入 {total:,} 行…", err=True)

    with ctx.db.session() as session:
        report = seed_demo(session, ctx.policy, units=units, people=people, seed=seed,
                           history_years=tuple(history_years), today=ctx.today(), progress=progress)
    ctx.db.vacuum()  # PostgreSQL: the visibility map too, once the rows are committed
    click.echo(f"已生成 {report.units} 个单位、{report.people} 人、{report.cycles} 个考核周期，"
               f"共 {report.rows:,} 行，用时 {report.seconds:.1f} 秒（{report.rows_per_second:,.0f} 行/秒）")
    s = report.samples
    click.echo(f"示例账号（人员编号）：公务员 {s['staff']}，分管领导 {s['supervisor']}，"
               f"单位管理员 {s['unit_admin']}（{s['unit']}），县公务员办 {s['county_admin']}")


@click.command("changes", help="列出某季度的人员异动（用于每季度异动备案）")
@click.option("--year", required=True, type=int)
@click.option("--quarter", required=True, type=click.IntRange(1, 4))
@pass_ctx
@handle_errors
def changes_cmd(ctx: Context, year: int, quarter: int):
    with ctx.db.session() as session:
        changes = quarterly_changes(session, year, quarter)
    click.echo("\t".join(HEADERS))
    for c in changes:
        click.echo("\t".join(c.as_row()))
    click.echo(f"共 {len(changes)} 条异动", err=True)


@click.command("import-leave", help="导入某单位的季度请假天数（xlsx：人员编号、姓名、年度、季度、请假天数、备注）。"
                                    "先校验全部行，有错误时不导入任何数据")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--unit", "unit_name", required=True, help="单位名称")
@pass_ctx
@handle_errors
def import_leave_cmd(ctx: Context, file: str, unit_name: str):
    from sqlalchemy import select

    from handlers.identity import leave
    from handlers.errors import NotFound
    from models import Unit

    raw = read_workbook(file, leave.COLUMNS)
    with ctx.db.session() as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.name == unit_name))
        if unit_id is None:
            raise NotFound(f"找不到单位“{unit_name}”")
        report = leave.import_rows(session, system_actor(), ctx.policy, unit_id, raw)
    for line in report.lines():
        click.echo(line)


COMMANDS = [import_roster_cmd, export_roster_cmd, seed_demo_cmd, changes_cmd, import_leave_cmd]
