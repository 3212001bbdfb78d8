"""Outbound faults (issue 14, items 1 and 4): prints lost / doubled / recovery seconds. Not a test; run on demand.

    .venv/bin/python bench/faults_outbound.py [--postgres postgresql+psycopg://postgres@127.0.0.1/kaohe_x]
        [--recipients 3000] [--outage 20] [--ttl 30] [--slow-recipients 200] [--latency 2.0] [--only redis|slow]

1. ``redis``: two real ``kaohe scheduler`` processes on a PRIVATE redis-server (a free port; never the shared one)
   send a notice; when a fifth is sent, Redis is SIGKILLed for ``--outage`` seconds and started again (empty).
   Prints whether both schedulers lived, what was sent during the outage, how long after Redis's return a
   scheduler led again and sends resumed, and lost / doubled recipients at the end.
2. ``slow``: two drainers (each as the scheduler's job runs it: ``drain(max_seconds=55)`` every 5 s, the default
   60 s lease and 8 workers) against the fake WeChat answering every call after ``--latency`` seconds.

The fake WeChat server runs in this process (its ``delivered()`` counts what each recipient really received).
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from bench.fanout import seed  # noqa: E402
from bot.channels import build_channels  # noqa: E402
from bot.simulator.fake_wechat import FakeWeChat, FakeWeChatServer  # noqa: E402
from config import load_settings  # noqa: E402
from handlers.outbound import notices  # noqa: E402
from handlers.actor import system_actor  # noqa: E402
from models.db import Database  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from bench.fresh import empty_schema  # noqa: E402
from models.store import MemoryStore  # noqa: E402
from scheduler.drainer import Drainer  # noqa: E402
from tests.outbound.private_redis import PrivateRedis  # noqa: E402

SEND = "/cgi-bin/message/template/send"
LEADS = "已成为主调度器"


def fresh_database(url: str | None, tmp: str, name: str) -> str:
    url = url or f"sqlite:///{tmp}/{name}.sqlite3"
    empty_schema(url)
    upgrade(url)
    return url


def sent(fake: FakeWeChat) -> int:
    return sum(1 for c in fake.calls_to(SEND) if c.errcode == 0)


def figures(fake: FakeWeChat, recipients: int) -> tuple[int, int]:
    got = fake.delivered()
    return recipients - len(got), sum(n - 1 for n in got.values())


def wait_for(check, timeout: float, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return False


def redis_outage(args, tmp: str) -> None:
    url = fresh_database(args.postgres, tmp, "redis")
    db = Database(url)
    nid = seed(db, args.recipients)
    redis = PrivateRedis().start()
    fake_server = FakeWeChatServer(FakeWeChat(latency=0.05)).start()
    fake = fake_server.fake
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAOHE_")}
    env.update(KAOHE_DATABASE_URL=url, KAOHE_REDIS_URL=redis.url, KAOHE_ENV="test", KAOHE_SEND_RATE="0",
               KAOHE_WECHAT_API_BASE=fake_server.url, KAOHE_WECOM_API_BASE=fake_server.url,
               KAOHE_SCHEDULER_LOCK_TTL=str(args.ttl))
    logs = [Path(tmp) / f"scheduler-{i}.log" for i in range(2)]
    procs = [subprocess.Popen([sys.executable, "-c", "from bot.cli import main; main()", "scheduler"], env=env,
                              cwd=ROOT, stdout=open(log, "w"), stderr=subprocess.STDOUT) for log in logs]

    def leads() -> int:
        return sum(log.read_text().count(LEADS) for log in logs)

    try:
        wait_for(lambda: sent(fake) >= args.recipients // 5, 300)
        redis.kill()
        at_kill = sent(fake)
        time.sleep(args.outage)
        during = sent(fake) - at_kill
        alive = sum(p.poll() is None for p in procs)
        leads_before = leads()
        back, at_back = time.monotonic(), sent(fake)
        redis.start()
        wait_for(lambda: leads() > leads_before, 120)
        leader_again = time.monotonic() - back
        wait_for(lambda: sent(fake) > at_back, 120)
        sends_again = time.monotonic() - back
        with db.session() as s:
            wait_for(lambda: notices.report(s, system_actor(), nid).pending == 0, 600, 0.5)
        lost, doubled = figures(fake, args.recipients)
        print(f"redis killed {args.outage:.0f} s under two schedulers (TTL {args.ttl} s, {args.recipients} recipients, "
              f"{db.dialect}): schedulers alive {alive}/2; sent in the outage {during} (in flight at the kill); "
              f"leader again {leader_again:.1f} s and sends resumed {sends_again:.1f} s after redis-server was started "
              f"(its own start-up included); "
              f"lost {lost}, doubled {doubled} (goal 0 and 0: {verdict(lost, doubled)})")
    finally:
        for p in procs:
            p.send_signal(signal.SIGKILL)
            p.wait()
        redis.kill()
        fake_server.stop()
        db.dispose()


def verdict(lost: int, doubled: int) -> str:
    return "PASS" if lost == 0 and doubled == 0 else "MISS"


def slow_wechat(args, tmp: str) -> None:
    url = fresh_database(args.postgres, tmp, "slow")
    db = Database(url)
    nid = seed(db, args.slow_recipients)
    fake_server = FakeWeChatServer(FakeWeChat(latency=args.latency)).start()
    settings = load_settings({}, database_url=url, wechat_api_base=fake_server.url, wecom_api_base=fake_server.url,
                             send_rate=0)
    store = MemoryStore()  # the pace is off and the token is shared in-process: Redis plays no part here
    done = threading.Event()

    def job_loop(name: str) -> None:
        drainer = Drainer(db, build_channels(settings, store), store, workers=settings.send_workers,
                          lease=settings.delivery_lease, owner=name)
        while not done.is_set():
            drainer.drain(max_seconds=55)
            done.wait(5)

    started = time.monotonic()
    threads = [threading.Thread(target=job_loop, args=(f"drainer-{i}",), daemon=True) for i in range(2)]
    [t.start() for t in threads]
    try:
        with db.session() as s:
            wait_for(lambda: notices.report(s, system_actor(), nid).pending == 0, 3600, 0.5)
        seconds = time.monotonic() - started
        lost, doubled = figures(fake_server.fake, args.slow_recipients)
        print(f"two drainers, {args.latency:.1f} s per WeChat call, lease {settings.delivery_lease} s, "
              f"{settings.send_workers} workers each, {args.slow_recipients} recipients ({db.dialect}): "
              f"lost {lost}, doubled {doubled}, {seconds:.0f} s (goal 0 and 0: {verdict(lost, doubled)})")
    finally:
        done.set()
        [t.join() for t in threads]
        fake_server.stop()
        db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--postgres")
    ap.add_argument("--recipients", type=int, default=3000)
    ap.add_argument("--outage", type=float, default=20)
    ap.add_argument("--ttl", type=int, default=30)
    ap.add_argument("--slow-recipients", type=int, default=200)
    ap.add_argument("--latency", type=float, default=2.0)
    ap.add_argument("--only", choices=("redis", "slow"))
    args = ap.parse_args()
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "redis"):
            redis_outage(args, tmp)
        if args.only in (None, "slow"):
            slow_wechat(args, tmp)


if __name__ == "__main__":
    main()
