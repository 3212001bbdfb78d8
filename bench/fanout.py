"""Fan-out: sends/s of the delivery drainer against the fake WeChat server, beside a bare loop of the same calls.

    .venv/bin/python bench/fanout.py [--recipients 100000] [--latency 0.005] [--workers 8] [--bare 20000]
                                     [--postgres postgresql+psycopg://postgres@127.0.0.1/kaohe_bench]

Not a test: it prints figures. The fake server (its own process) answers every call after ``--latency``. The floor
is a bare loop: the same number of threads posting the same template-message requests with plain ``requests``,
no database. The drainer does the real work: claim rows under a lease, send, record each result. Rate limit off.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from bot.channels import build_channels  # noqa: E402
from config import load_settings  # noqa: E402
from handlers.outbound import notices  # noqa: E402
from handlers.actor import system_actor  # noqa: E402
from models import County, Membership, Person, Tier, Unit, WeChatBinding  # noqa: E402
from models.db import Database  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from bench.fresh import empty_schema  # noqa: E402
from models.store import MemoryStore  # noqa: E402
from scheduler.drainer import Drainer  # noqa: E402


OVERHEAD_GOAL = 15  # percent below the bare loop's sends/s (issue 16, goal 3)
MEMORY_GOAL_MB = 50  # the drainer holds a claim at a time, not the recipient list: growth must not scale with it


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def seed(db: Database, n: int) -> int:
    with db.session() as s:
        county = County(name="基准县")
        s.add(county)
        s.flush()
        unit = Unit(county_id=county.id, name="基准单位")
        s.add(unit)
        s.flush()
        tier = Tier(unit_id=unit.id, name="一般干事")
        s.add(tier)
        s.flush()
        for start in range(0, n, 20000):
            s.execute(insert(Person), [{"staff_no": f"B{i:07d}", "name": f"基准{i}"} for i in range(start, min(n, start + 20000))])
        ids = s.scalars(select(Person.id)).all()
        for start in range(0, n, 20000):
            chunk = ids[start:start + 20000]
            s.execute(insert(Membership), [{"person_id": p, "unit_id": unit.id, "tier_id": tier.id,
                                            "start_on": __import__("datetime").date(2020, 1, 1)} for p in chunk])
            s.execute(insert(WeChatBinding), [{"person_id": p, "channel": "oa", "openid": f"o-{p}"} for p in chunk])
        return notices.compose(s, system_actor(), title="基准通知", body="万人通知正文", to=["all"]).id


def bare_loop(url: str, token: str, count: int, workers: int) -> float:
    """The floor: ``count`` template sends from ``workers`` threads, nothing else."""
    payload = {"template_id": "NOTICE-TEMPLATE-DEMO", "data": {"thing1": {"value": "基准通知"},
               "thing2": {"value": "万人通知正文"}, "time3": {"value": "2026-11-25 10:00"}}}
    counter = iter(range(count))
    lock = threading.Lock()

    def work():
        session = requests.Session()
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            r = session.post(f"{url}/cgi-bin/message/template/send", params={"access_token": token},
                             json={**payload, "touser": f"o-{i}"}, timeout=5)
            assert r.json()["errcode"] == 0

    started = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(workers)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return count / (time.perf_counter() - started)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--recipients", type=int, default=100_000)
    ap.add_argument("--latency", type=float, default=0.005)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--bare", type=int, default=20_000, help="calls in the bare loop (its rate is what counts)")
    ap.add_argument("--postgres")
    ap.add_argument("--keep-alive", action=argparse.BooleanOptionalAction, default=True,
                    help="the fake keeps HTTP/1.1 connections open as WeChat's servers do (--no-keep-alive: one "
                         "connection per call, which makes the fake server itself the bottleneck on 2 cores)")
    args = ap.parse_args()

    fake = subprocess.Popen([sys.executable, "-m", "bot.simulator.fake_wechat", "--latency", str(args.latency)]
                            + (["--keep-alive"] if args.keep_alive else []),
                            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1])
    url = fake.stdout.readline().strip()
    tmp = tempfile.mkdtemp()
    db_url = args.postgres or f"sqlite:///{tmp}/fanout.sqlite3"
    try:
        empty_schema(db_url)
        db = Database(db_url)
        upgrade(db_url)
        t0 = time.perf_counter()
        notice_id = seed(db, args.recipients)
        print(f"{db.dialect}: {args.recipients} recipients seeded in {time.perf_counter() - t0:.1f} s; "
              f"fake server {url}, latency {args.latency * 1000:.0f} ms, {args.workers} workers, rate limit off")
        settings = load_settings({}, database_url=db_url, wechat_api_base=url, wecom_api_base=url, send_rate=0,
                                 send_workers=args.workers)
        store = MemoryStore()
        channels = build_channels(settings, store)
        token = channels["template"].tokens.get()

        floor = bare_loop(url, token, min(args.bare, args.recipients), args.workers)
        print(f"bare loop:  {floor:8.0f} sends/s ({min(args.bare, args.recipients)} calls)")

        base, peak = rss_mb(), [rss_mb()]
        done = threading.Event()

        def sample():
            while not done.wait(0.2):
                peak.append(rss_mb())

        threading.Thread(target=sample, daemon=True).start()
        stats = Drainer(db, channels, store, workers=args.workers, lease=120).drain()
        done.set()
        rate = stats.sends / stats.seconds
        with db.session() as s:
            r = notices.report(s, system_actor(), notice_id)
        print(f"drainer:    {rate:8.0f} sends/s ({stats.sends} sends in {stats.seconds:.1f} s; report: total {r.total}, "
              f"sent {r.sent}, pending {r.pending}, failed {r.failed})")
        overhead = 100 * (1 - rate / floor)
        print(f"ratio drainer/bare = {rate / floor:.2f}  (overhead {overhead:.0f}%, goal < {OVERHEAD_GOAL}%: "
              f"{'PASS' if overhead < OVERHEAD_GOAL else 'MISS'})")
        grown = max(peak) - base
        print(f"drainer memory: RSS {base:.0f} MB before, peak {max(peak):.0f} MB (+{grown:.0f} MB; goal flat in the "
              f"recipients, < {MEMORY_GOAL_MB} MB growth: {'PASS' if grown < MEMORY_GOAL_MB else 'MISS'})")
        db.dispose()
    finally:
        fake.terminate()
        fake.wait()
        if not args.postgres:
            for f in Path(tmp).iterdir():
                os.unlink(f)
            os.rmdir(tmp)


if __name__ == "__main__":
    main()
