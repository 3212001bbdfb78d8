"""Documents, annual lists and the county office's oversight from the command line.

``kaohe export <document> …`` writes any registered document; ``kaohe annual-list``, ``kaohe talk-done`` and
``kaohe oversight …`` print what the county office's console shows.
"""
from __future__ import annotations

import json
import os

import click

from handlers.actor import system_actor

from .common import Context, handle_errors, pass_ctx


def _documents_help() -> str:
    from handlers.results.documents import documents

    usage = ("导出文书：kaohe export <文书> [--unit 单位] [--year 年] [--quarter 季] [--person 人员编号] "
             "[--objection 异议编号] -o 文件")
    lines = [usage, "",
             "\b", "可用的文书："]
    for d in documents().values():
        needs = "、".join({"unit": "--unit", "year": "--year", "quarter": "--quarter", "person": "--person",
                          "objection": "--objection"}[n]
                         for n in d.needs)
        lines.append(f"  {d.name:<17} 《{d.title}》（{d.suffix}）需要 {needs}；{d.note}")
    return "\n".join(lines)


class _ExportCommand(click.Command):
    def get_help(self, ctx):  # the list of documents is built when asked, not at import
        self.help = _documents_help()
        return super().get_help(ctx)


@click.command("export", cls=_ExportCommand, help="导出文书（kaohe export --help 列出全部文书）")
@click.argument("document")
@click.option("--unit", default=None, help="单位名称")
@click.option("--year", type=int, default=None, help="年度")
@click.option("--quarter", type=click.IntRange(1, 4), default=None, help="季度")
@click.option("--person", default=None, help="人员编号")
@click.option("--kind", type=click.Choice(["promotion", "training"]), default=None, help="candidates 名单类型")
@click.option("--tier", default=None, help="考评组（层次），candidates 用")
@click.option("--objection", type=click.IntRange(1), default=None, help="异议编号（异议受理通知书、复核决定书）")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="输出文件")
@pass_ctx
@handle_errors
def export_cmd(ctx: Context, document: str, unit, year, quarter, person, kind, tier, objection, output: str):
    from handlers.results.documents import Params, render

    params = Params(unit=unit, year=year, quarter=quarter, person=person, kind=kind, tier=tier, objection=objection)
    partial = f"{output}.part"
    try:  # written aside and renamed, so a refused export leaves no empty file behind
        with ctx.db.session() as session, open(partial, "wb") as out:
            filename = render(session, system_actor(), ctx.policy, document, params, out)
        os.replace(partial, output)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    click.echo(f"已导出《{filename}》到 {output}")


def _echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=1, default=str))


@click.command("annual-list", help="年度结果的使用：候选名单（选拔任用/培训）、评优条件、谈话提醒、年内展望")
@click.argument("kind", type=click.Choice(["promotion", "training", "honours", "talks", "outlook"]))
@click.option("--year", required=True, type=int)
@click.option("--quarter", type=click.IntRange(1, 4), default=None,
              help="谈话提醒的季度；候选名单截至的季度（默认第四季度）")
@click.option("--unit", default=None)
@click.option("--tier", default=None)
@click.option("--min-good", type=int, default=None, help="候选名单：至少多少次计入的等次（默认见政策文件）")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@handle_errors
def annual_list_cmd(ctx: Context, kind, year, quarter, unit, tier, min_good, as_json):
    from handlers.results import annual_uses as A

    actor = system_actor()
    with ctx.db.session() as session:
        if kind in ("promotion", "training"):
            rows = A.candidates(session, actor, ctx.policy, year, kind=kind, quarter=quarter, unit_name=unit,
                                tier=tier, min_good=min_good, today=ctx.today())
        elif kind == "honours":
            rows = A.honours(session, actor, ctx.policy, year, unit_name=unit, today=ctx.today())
        elif kind == "talks":
            if quarter is None:
                raise click.UsageError("谈话提醒需要 --quarter")
            rows = A.talk_reminders(session, actor, ctx.policy, year, quarter, unit_name=unit)
        else:
            rows = [r.as_dict() for r in A.year_rows(session, actor, ctx.policy, year, unit_name=unit,
                                                      today=ctx.today())]
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        if kind == "talks":
            held = f"已于{r['held_on']}谈话" if r["held"] else "未谈话"
            click.echo("\t".join([r["staff_no"], r["name"], r["unit"], r["grade"], r["reason"],
                                  f"谈话人：{r['talk_by']}", held]))
        elif kind in ("promotion", "training"):
            quarters = "/".join(g or "—" for g in r["quarters"])
            click.echo("\t".join([r["staff_no"], r["name"], r["unit"], r["tier"], quarters,
                                  f"计入{r['count']}次（{r['window']}）", r["outlook"]["message"]]))
        else:
            quarters = "/".join(g or "—" for g in r["quarters"])
            click.echo("\t".join([r["staff_no"], r["name"], r["unit"], r["tier"], quarters,
                                  f"好{r['good_count']}次", r["outlook"]["message"]]))
    if kind in ("promotion", "training"):
        rule = ctx.policy.results.list_rule(kind, ctx.policy.good_grade)
        click.echo(f"{rule.title}：{'、'.join(rule.grades)}至少 {min_good or rule.min_count} 次"
                   + (f"，且无{'、'.join(rule.exclude_grades)}" if rule.exclude_grades else "")
                   + (f"，截至第 {quarter} 季度" if quarter else ""), err=True)
    click.echo(f"共 {len(rows)} 人", err=True)


@click.command("talk-done", help="记录谈话提醒已谈话")
@click.argument("person")
@click.option("--year", required=True, type=int)
@click.option("--quarter", required=True, type=click.IntRange(1, 4))
@click.option("--on", "held_on", type=click.DateTime(["%Y-%m-%d"]), default=None, help="谈话日期（默认今天）")
@click.option("--by", "held_by", default=None, help="谈话人人员编号（默认为分管领导）")
@click.option("--note", default="", help="谈话记录")
@pass_ctx
@handle_errors
def talk_done_cmd(ctx: Context, person, year, quarter, held_on, held_by, note):
    from handlers.results.annual_uses import record_talk

    day = held_on.date() if held_on else ctx.today()
    with ctx.db.session() as session:
        r = record_talk(session, system_actor(), ctx.policy, person, year, quarter, held_on=day, note=note,
                        held_by_staff_no=held_by)
    click.echo(f"已记录：{r['staff_no']} {year}年第{quarter}季度谈话（{r['reason']}），日期 {r['held_on']}")


@click.group("oversight", help="县公务员办督导：进度、等次分布、异常、雷同小结、抽查、双备案")
def oversight():
    pass


@oversight.command("board", help="各单位各考评组进度与逾期情况")
@click.option("--year", required=True, type=int)
@click.option("--quarter", required=True, type=click.IntRange(1, 4))
@click.option("--unit", default=None, help="只看这个单位（并列出逾期的人）")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@handle_errors
def board_cmd(ctx: Context, year, quarter, unit, as_json):
    from handlers.county.oversight import progress_board

    with ctx.db.session() as session:
        data = progress_board(session, system_actor(), ctx.policy, year, quarter, unit_name=unit)
    if as_json:
        _echo_json(data)
        return
    click.echo("单位\t步骤\t人数\t已交小结\t已评鉴\t已审定\t已公示\t备案\t逾期")
    for u in data["units"]:
        t = u["totals"]
        click.echo("\t".join(map(str, [u["unit"], u["step"], t["people"], t["submitted"], t["scored"], t["decided"],
                                       t["published"], "是" if u["filed"] else "否", "、".join(u["late"]) or "—"])))
        for tier, late in u.get("late_people", {}).items():
            for step, label in (("summaries", "未交小结"), ("scoring", "未评鉴")):
                if late[step]:
                    click.echo(f"  {tier}{label}：{'、'.join(late[step])}")
    click.echo(f"共 {len(data['units'])} 个单位，逾期 {len(data['late_units'])} 个", err=True)


@oversight.command("distribution", help="各单位各考评组等次分布与名额执行情况")
@click.option("--year", required=True, type=int)
@click.option("--quarter", required=True, type=click.IntRange(1, 4))
@click.option("--unit", default=None)
@pass_ctx
@handle_errors
def distribution_cmd(ctx: Context, year, quarter, unit):
    from handlers.county.oversight import grade_distribution

    with ctx.db.session() as session:
        data = grade_distribution(session, system_actor(), ctx.policy, year, quarter, unit_name=unit)
    for t in data["tiers"]:
        counts = " ".join(f"{g}{n}" for g, n in t["counts"].items())
        flag = "" if t["within_quota"] else "  ⚠ 超过名额"
        click.echo(f"{t['unit']}\t{t['tier']}\t{counts}\t名额{t['quota']}{flag}")


@oversight.command("anomalies", help="需要抽查关注的异常")
@click.option("--year", required=True, type=int)
@click.option("--quarter", required=True, type=click.IntRange(1, 4))
@click.option("--no-duplicates", is_flag=True, help="不做雷同小结检查（更快）")
@pass_ctx
@handle_errors
def anomalies_cmd(ctx: Context, year, quarter, no_duplicates):
    from handlers.county.oversight import anomalies

    with ctx.db.session() as session:
        rows = anomalies(session, system_actor(), ctx.policy, year, quarter, include_duplicates=not no_duplicates)
    for a in rows:
        click.echo("\t".join([a["label"], a["unit"], a["tier"], a["detail"]]))
    click.echo(f"共 {len(rows)} 项", err=True)


@oversight.command("duplicates", help="雷同的个人小结（与同事或本人上季度）")
@click.option("--year", required=True, type=int)
@click.option("--quarter", required=True, type=click.IntRange(1, 4))
@click.option("--unit", default=None)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000))
@pass_ctx
@handle_errors
def duplicates_cmd(ctx: Context, year, quarter, unit, limit):
    from handlers.county.oversight import near_duplicates

    with ctx.db.session() as session:
        data = near_duplicates(session, system_actor(), ctx.policy, year, quarter, unit_name=unit, limit=limit)
    for p in data["pairs"]:
        other = "本人上季度" if p["kind"] == "last_quarter" else f"{p['b']['name']}（{p['b']['staff_no']}）"
        click.echo(f"{p['a']['unit']}\t{p['a']['name']}（{p['a']['staff_no']}） ↔ {other}\t相似度 {p['similarity']:.0%}"
                   f"\n    重合：{p['overlap']}")
    click.echo(f"比对 {data['summaries']} 份小结，发现 {data['pairs_found']} 对（同事 {data['colleague']}，"
               f"上季度 {data['last_quarter']}），用时 {data['seconds']} 秒", err=True)


@oversight.command("spot-check", help="抽查：draw 随机抽取；list 历次抽查；finding 记录问题；show 查看；circular 生成通报稿（--send 发出）")
@click.argument("action", type=click.Choice(["draw", "list", "finding", "show", "circular"]))
@click.option("--year", type=int, default=None)
@click.option("--quarter", type=click.IntRange(1, 4), default=None)
@click.option("--seed", type=int, default=None, help="随机种子（重现某次抽查）")
@click.option("--units", type=int, default=None)
@click.option("--people", type=int, default=None, help="每个单位抽取人数")
@click.option("--id", "check_id", type=int, default=None, help="抽查编号")
@click.option("--unit", default=None)
@click.option("--person", default=None)
@click.option("--text", default=None, help="发现的问题")
@click.option("--send", is_flag=True, help="circular：把通报作为通知发出（默认发给各单位管理员）")
@click.option("--to", "to", multiple=True, help="circular --send 的接收范围，同 notice send 的 --to")
@pass_ctx
@handle_errors
def spot_check_cmd(ctx: Context, action, year, quarter, seed, units, people, check_id, unit, person, text, send, to):
    from handlers.county import oversight as O

    actor = system_actor()
    with ctx.db.session() as session:
        if action == "draw":
            if year is None or quarter is None:
                raise click.UsageError("抽取需要 --year 和 --quarter")
            data = O.draw_spot_check(session, actor, ctx.policy, year, quarter, seed=seed, units=units,
                                     people_per_unit=people)
        elif action == "list":
            data, _total = O.list_spot_checks(session, actor, ctx.policy, limit=1000, year=year)
        elif check_id is None:
            raise click.UsageError("需要 --id（抽查编号）")
        elif action == "finding":
            if not unit or not text:
                raise click.UsageError("记录问题需要 --unit 和 --text")
            data = O.add_finding(session, actor, check_id, unit, text, staff_no=person)
        elif action == "show":
            data = O.spot_check_view(session, actor, check_id)
        elif send:
            notice = O.send_circular(session, actor, ctx.policy, check_id, to=list(to) or None, today=ctx.today())
            click.echo(notice.id)
            return
        else:
            data = O.circular_draft(session, actor, ctx.policy, check_id, today=ctx.today())
            click.echo(data["title"])
            click.echo(data["text"])
            return
    _echo_json(data)


@oversight.command("filings", help="双备案：年初方案及人员、每季度人员异动和结果备案情况")
@click.option("--year", required=True, type=int)
@click.option("--unit", default=None)
@pass_ctx
@handle_errors
def filings_cmd(ctx: Context, year, unit):
    from handlers.county.oversight import filing_status

    with ctx.db.session() as session:
        data = filing_status(session, system_actor(), ctx.policy, year, unit_name=unit)
    click.echo("单位\t年初方案\t" + "\t".join(f"Q{q}异动/结果" for q in (1, 2, 3, 4)))
    for u in data["units"]:
        click.echo("\t".join([u["unit"], u["annual_plan"], *(f"{q['changes']}/{q['results']}"
                                                              for q in u["quarters"])]))
    click.echo(f"未做年初备案的单位 {data['missing_annual_plan']} 个", err=True)


@click.command("filing", help="双备案：submit 报送年初方案及人员（annual_plan）或季度人员异动（changes）；"
                              "accept 通过、return 退回（县公务员办，--id 备案编号，退回须 --reason）；"
                              "correct 结果备案后等次有变更时更正备案（--unit --year --quarter）")
@click.argument("action", type=click.Choice(["submit", "accept", "return", "correct"]))
@click.option("--kind", type=click.Choice(["annual_plan", "changes"]), default=None)
@click.option("--unit", default=None)
@click.option("--year", type=int, default=None)
@click.option("--quarter", type=click.IntRange(1, 4), default=None)
@click.option("--id", "filing_id", type=int, default=None, help="备案编号（审核时）")
@click.option("--reason", default="", help="退回原因")
@pass_ctx
@handle_errors
def filing_cmd(ctx: Context, action, kind, unit, year, quarter, filing_id, reason):
    from handlers.county.filings import review_filing, submit_filing

    if action == "correct":
        _correct(ctx, unit, year, quarter)
        return
    with ctx.db.session() as session:
        if action == "submit":
            if not kind or not unit or year is None:
                raise click.UsageError("报送需要 --kind、--unit 和 --year（人员异动还需要 --quarter）")
            data = submit_filing(session, system_actor(), ctx.policy, kind, unit, year, quarter or 0)
        else:
            if filing_id is None:
                raise click.UsageError("审核需要 --id")
            data = review_filing(session, system_actor(), filing_id, action, reason)
    period = f"{data['year']}年" + (f"第{data['quarter']}季度" if data["quarter"] else "")
    click.echo(f"备案 {data['id']}：{data['unit']}{period}{data['label']}，{data['state_label']}")


def _correct(ctx: Context, unit, year, quarter) -> None:
    """更正备案 of a quarter's 结果一览表 (an objection changed a grade after filing)."""
    from sqlalchemy import select

    from handlers.errors import NotFound
    from handlers.quarter.publishing import correct_results_filing
    from models import Cycle, Unit

    if not unit or year is None or quarter is None:
        raise click.UsageError("更正备案需要 --unit、--year 和 --quarter")
    with ctx.db.session() as session:
        cycle_id = session.scalar(select(Cycle.id).join(Unit, Unit.id == Cycle.unit_id).where(
            Unit.name == unit, Cycle.year == year, Cycle.quarter == quarter))
        if cycle_id is None:
            raise NotFound(f"{unit}{year}年第{quarter}季度考核尚未开启")
        filing = correct_results_filing(session, system_actor(), ctx.policy, cycle_id)
        fid, n = filing.id, len(filing.history or [])
    click.echo(f"备案 {fid}：{unit}{year}年第{quarter}季度结果一览表已更正备案（第 {n} 次更正），待县公务员办审核")


COMMANDS = [export_cmd, annual_list_cmd, talk_done_cmd, oversight, filing_cmd]
