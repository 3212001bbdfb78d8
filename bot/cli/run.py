"""``kaohe demo`` (embedded defaults, one process) and ``kaohe serve`` (gunicorn, production)."""
from __future__ import annotations

import os

import click
from sqlalchemy import func, select

from config.settings import development_parts

from .common import Context, ensure_schema, handle_errors, pass_ctx

THREADS = 8  # per worker: slow clients each hold one; the database pool (10 + 20 overflow) covers them


@click.command("demo", help="演示模式：SQLite、进程内存储与调度，首次运行自动建库并生成演示数据")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@pass_ctx
@handle_errors
def demo(ctx: Context, host: str, port: int):
    from handlers.seed import seed_demo
    from models import Person

    from ..app import create_app

    from config.settings import refuse_exposed

    refuse_exposed(ctx.settings, f"{host}:{port}", "kaohe demo")
    ensure_schema(ctx)
    from handlers.identity import demo as demo_cast

    with ctx.db.session() as session:
        empty = not session.scalar(select(func.count()).select_from(Person))
        if empty:
            click.echo("首次运行：正在生成演示数据（77 个单位、1300 人）…")
            seed_demo(session, ctx.policy, today=ctx.today())
        cast = demo_cast.prepare(session, ctx.policy, ctx.today())
    settings = _demo_outbound(ctx.settings, host, port, cast)
    app = create_app(settings)
    base = f"http://{host}:{port}"
    click.echo(f"kaohe 演示服务：{base}/  （健康检查 /healthz，就绪检查 /readyz；Ctrl+C 退出）")
    if cast:
        click.echo("演示角色（在手机页面登录时的“模拟微信授权”页中选择）：")
        for p in cast:
            click.echo(f"  {p.label} → {base}{p.start}")
        admins = [p for p in cast if p.start == "/m/decide" or p.role == "县公务员办"]
        click.echo(f"管理台 {base}/console 账号（用户名 = 人员编号，密码 {demo_cast.DEMO_PASSWORD}）：" +
                   "，".join(f"{p.role.split('（')[0]} {p.staff_no}" for p in admins))
    if ctx.settings.simulator_enabled:
        click.echo(f"微信模拟器（无需微信账号即可试用公众号）：{base}/simulator")
    app.run(host=host, port=port, threaded=True, use_reloader=False)


def _demo_outbound(settings, host: str, port: int, cast):
    """The demo sends to the built-in fake WeChat server (unless real API hosts were configured), signs people in to
    the phone pages through its "choose who you are" page, and runs the scheduler in this process."""
    from config import Settings
    from scheduler.service import start_in_thread

    if settings.public_url == Settings.public_url:
        settings = settings.with_overrides(public_url=f"http://{host}:{port}")
    if settings.simulator_enabled and settings.wechat_api_base == Settings.wechat_api_base:
        from bot.simulator.fake_wechat import FakeWeChat, FakeWeChatServer

        fake = FakeWeChatServer(FakeWeChat(appid=settings.wechat_appid, secret=settings.wechat_secret,
                                           mini_appid=settings.miniapp_appid, mini_secret=settings.miniapp_secret))
        for p in cast:
            fake.fake.add_persona(p.openid, p.label, p.unionid)
        fake.start()
        settings = settings.with_overrides(wechat_api_base=fake.url, wecom_api_base=fake.url, wechat_open_base=fake.url)
        click.echo(f"模拟微信接口：{fake.url}（通知和提醒发往这里，不会发到真实微信；网页授权在这里选择身份）")
    start_in_thread(settings)
    click.echo("调度器已在本进程内启动（开启考核、提醒、通知发送）")
    return settings


@click.command("serve", help="生产服务（gunicorn），只读取环境变量中的配置；未设置 KAOHE_ENV 时按生产环境（production）运行")
@click.option("--workers", default=lambda: int(os.environ.get("KAOHE_WORKERS", "0")) or (os.cpu_count() or 1) * 2 + 1,
              type=click.IntRange(1, 256), help="工作进程数（默认 CPU×2+1）")
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.option("--threads", default=lambda: int(os.environ.get("KAOHE_THREADS", "0")) or THREADS,
              type=click.IntRange(1, 64), help=f"每个工作进程的线程数（默认 {THREADS}；慢速客户端只占用一个线程）")
@pass_ctx
@handle_errors
def serve(ctx: Context, workers: int, bind: str, threads: int):
    from gunicorn.app.base import BaseApplication

    settings = serve_settings(bind)  # validate before forking: a wrong setting stops start-up here
    for part in development_parts(settings):
        click.echo(f"警告：仅供开发的部分已开启：{part}", err=True)

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", bind)
            self.cfg.set("workers", workers)
            # gthread, not sync: a client that sends its body slowly ties up one thread, not the whole worker
            # (three slow clients used to block every sync worker for 30 s). A buffering reverse proxy in front
            # (README, "Production") keeps slow clients away from the workers altogether; only behind one is
            # ``--threads 1`` (plain sync workers, a little faster) safe.
            self.cfg.set("worker_class", "gthread" if threads > 1 else "sync")
            self.cfg.set("threads", threads)
            self.cfg.set("accesslog", "-")
            self.cfg.set("timeout", 30)

        def load(self):
            from ..app import create_app

            return create_app(settings)

    Server().run()


def serve_settings(bind: str, environ=None):
    """``kaohe serve`` is production unless ``KAOHE_ENV`` says otherwise; whatever the environment, development-only
    parts never listen beyond loopback."""
    from config import load_settings
    from config.settings import refuse_exposed

    env = dict(os.environ if environ is None else environ)
    env["KAOHE_ENV"] = env.get("KAOHE_ENV") or "production"
    settings = load_settings(env)
    refuse_exposed(settings, bind)
    return settings


COMMANDS = [demo, serve]
