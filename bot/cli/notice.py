"""``kaohe group add|list``, ``kaohe notice send|report|cancel`` and ``kaohe scheduler``."""
from __future__ import annotations

import json
import logging
import signal
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import click

from handlers.outbound import groups, notices
from handlers.actor import system_actor
from handlers.errors import InvalidInput

from .common import Context, handle_errors, pass_ctx


@click.group("group", help="工作群（企业微信群机器人 / 公众号标签）")
def group_group():
    pass


@group_group.command("add", help="登记工作群：企业微信群机器人 webhook key，或公众号标签 id")
@click.argument("name")
@click.option("--wecom-key", help="群机器人 webhook 地址中 key= 后面的部分（也可粘贴整个地址）")
@click.option("--oa-tag", type=int, help="公众号用户标签 id（按标签群发）")
@pass_ctx
@handle_errors
def group_add(ctx: Context, name: str, wecom_key: str | None, oa_tag: int | None):
    with ctx.db.session() as session:
        group = groups.add_group(session, system_actor(), name, wecom_key=wecom_key, oa_tag_id=oa_tag)
        click.echo(f"已登记工作群“{group.name}”（编号 {group.id}）")


@group_group.command("list", help="列出工作群")
@pass_ctx
@handle_errors
def group_list(ctx: Context):
    with ctx.db.session() as session:
        rows = groups.list_groups(session, system_actor())
        for g in rows:
            click.echo("\t".join([str(g.id), g.name, f"群机器人 {groups.mask_key(g.wecom_key)}" if g.wecom_key else "-",
                                  f"公众号标签 {g.oa_tag_id}" if g.oa_tag_id else "-"]))
    click.echo(f"共 {len(rows)} 个工作群", err=True)


@click.group("notice", help="政策通知：发送、查看送达报告、撤回")
def notice_group():
    pass


def _parse_at(value: str | None, ctx: Context) -> datetime | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=ZoneInfo(ctx.policy.timezone))
        except ValueError:
            continue
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"发送时间“{value}”格式不正确，应为 YYYY-MM-DD HH:MM（北京时间）") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(ctx.policy.timezone))


@notice_group.command("send", help="发送通知：--to all | unit:<单位> | tier:<层次> | role:<角色> | group:<工作群>（可重复）")
@click.option("--title", required=True)
@click.option("--body", required=True)
@click.option("--to", "to", required=True, multiple=True)
@click.option("--link", help="详情链接（https://… 或小程序页面 pages/…）")
@click.option("--at", "at", help="定时发送，北京时间 YYYY-MM-DD HH:MM；默认立即")
@pass_ctx
@handle_errors
def notice_send(ctx: Context, title: str, body: str, to: tuple[str, ...], link: str | None, at: str | None):
    with ctx.db.session() as session:
        notice = notices.compose(session, system_actor(), title=title, body=body, to=list(to), link=link,
                                 send_at=_parse_at(at, ctx))
        r = notices.report(session, system_actor(), notice.id)
    click.echo(notice.id)
    if not r.resolved:
        click.echo(f"通知已创建，将于 {at} 发送；接收人在发送时按接收范围确定", err=True)
    else:
        click.echo(f"通知已创建，即将发送：{r.outcome}", err=True)


@notice_group.command("report", help="通知送达报告（--json 导出每个接收人的结果）")
@click.argument("notice_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@handle_errors
def notice_report(ctx: Context, notice_id: int, as_json: bool):
    with ctx.db.session() as session:
        r = notices.report(session, system_actor(), notice_id, with_rows=as_json)
    if as_json:
        click.echo(json.dumps(r.as_dict(), ensure_ascii=False, indent=1))
        return
    click.echo(f"通知 {r.id}《{r.title}》（{r.kind}，{r.status}）已处理 {r.progress}%")
    click.echo(r.outcome if not r.resolved else
               f"共 {r.total}：已送达 {r.sent}，待发送 {r.pending}，未绑定微信 {r.unbound}，发送失败 {r.failed}，"
               f"拒收 {r.refused}，已撤回 {r.cancelled}")
    for f in r.failures:
        code = f"错误码 {f['errcode']}，" if f["errcode"] is not None else ""
        click.echo(f"  {code}{f['reason']}：{f['count']}")


@notice_group.command("list", help="最近的通知（含提醒、通报草稿）及发送进度")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500))
@pass_ctx
@handle_errors
def notice_list(ctx: Context, limit: int):
    with ctx.db.session() as session:
        for n in notices.list_notices(session, system_actor(), limit):
            r = notices.report(session, system_actor(), n.id)
            click.echo("\t".join([str(n.id), r.kind, r.status, n.title,
                                   f"送达 {r.sent}/{r.total}" if r.resolved else "发送时确定接收人",
                                   f"未绑定 {r.unbound}"]))


@notice_group.command("send-draft", help="发送草稿（如调度器生成的进度通报），可用 --to 改变接收范围")
@click.argument("notice_id", type=int)
@click.option("--to", "to", multiple=True)
@click.option("--at", "at", help="定时发送，北京时间 YYYY-MM-DD HH:MM；默认立即")
@pass_ctx
@handle_errors
def notice_send_draft(ctx: Context, notice_id: int, to: tuple[str, ...], at: str | None):
    with ctx.db.session() as session:
        notices.send_draft(session, system_actor(), notice_id, to=list(to) or None, send_at=_parse_at(at, ctx))
        r = notices.report(session, system_actor(), notice_id)
    click.echo(f"草稿 {notice_id} 已转为通知，" + (f"将于 {at} 发送；接收人在发送时确定" if not r.resolved else r.outcome))


@notice_group.command("cancel", help="撤回尚未发出的通知")
@click.argument("notice_id", type=int)
@pass_ctx
@handle_errors
def notice_cancel(ctx: Context, notice_id: int):
    with ctx.db.session() as session:
        stopped = notices.cancel(session, system_actor(), notice_id)
        r = notices.report(session, system_actor(), notice_id)
    if not r.resolved:
        click.echo(f"已撤回通知 {notice_id}：尚未到发送时间，没有发出任何消息")
    else:
        click.echo(f"已撤回通知 {notice_id}：停止发送 {stopped} 条" + (f"，此前已送达 {r.sent} 人" if r.sent else "，没有人收到"))


@click.command("scheduler", help="调度器进程：定时开启考核、发送提醒和通知（可启动多个，只有一个主调度器在工作）")
@click.option("--clock", hidden=True, help="按此北京时间运行（演示、测试），YYYY-MM-DD HH:MM")
@pass_ctx
@handle_errors
def scheduler_cmd(ctx: Context, clock: str | None):
    from scheduler import leader
    from scheduler.jobs import parse_clock
    from scheduler.service import make_runtime

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    rt = make_runtime(ctx.settings, clock_offset=parse_clock(clock, ctx.policy))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if not ctx.settings.redis_url:
        click.echo("注意：未设置 KAOHE_REDIS_URL，主调度器锁只在本进程内有效；请只启动一个调度器进程", err=True)
    click.echo("调度器已启动，等待成为主调度器…", err=True)
    leader.run(rt, stop, on_change=lambda lead: click.echo("已成为主调度器" if lead else "已转为备用", err=True))
    rt.db.dispose()


COMMANDS = [group_group, notice_group, scheduler_cmd]
