"""The Official Account callback under load: messages/s and p99 of the full encrypted path vs a floor.

    .venv/bin/python bench/wechat_callback.py \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/kaohe_bench --redis redis://127.0.0.1:6379/9

Not a test: it prints figures. One gunicorn server (``kaohe serve``) on PostgreSQL + Redis; 32 concurrent senders
(in several processes, so the client is not the bottleneck) post messages that were signed and AES-encrypted
before the clock starts, exactly as WeChat would send them:

- **full**: ``POST /wechat`` — verify → decrypt → dedupe (Redis SET NX) → route (the sender is writing a summary)
  → database write (paragraph + audit + ledger row, one transaction) → encrypted reply;
- **floor**: ``POST /wechat/_floor`` on the same server — the same verify → decrypt → parse → encrypt, echoing
  the text, with no dedupe, routing or database.

The database named by ``--postgres`` is DROPPED and rebuilt. Afterwards the bench checks that every full-path
message left exactly one ledger row and one paragraph.
"""
from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

import cpu  # noqa: E402  (bench/cpu.py)

AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
TOKEN, APPID = "bench-token", "wxbench000000000"


def prepare(db_url: str, redis_url: str, people: int) -> list[str]:
    """Fresh schema; one unit with an open cycle; ``people`` staff bound to openids and writing their summary."""
    from config import load_policy
    from handlers.actor import system_actor
    from handlers.quarter.cycles import open_cycle
    from models import Membership, Person, Tier, Unit, County, WeChatBinding, utcnow
    from models.db import Database
    from models.migrate import upgrade
    from bench.fresh import empty_schema
    from models.store import RedisStore
    from bot.wechat import dialog

    empty_schema(db_url)
    db = Database(db_url)
    upgrade(db_url)
    policy = load_policy("hengyang")
    openids = []
    with db.session() as s:
        county = County(name="基准县")
        s.add(county)
        s.flush()
        unit = Unit(county_id=county.id, name="基准局")
        s.add(unit)
        s.flush()
        tier = Tier(unit_id=unit.id, name="一般干事")
        s.add(tier)
        s.flush()
        today = utcnow().date()
        for i in range(people):
            p = Person(staff_no=f"BN{i:05d}", name=f"基准{i}")
            s.add(p)
            s.flush()
            s.add(Membership(person_id=p.id, unit_id=unit.id, tier_id=tier.id, start_on=today.replace(day=1),
                             change="hire"))
            openid = f"o-bench-{i:05d}"
            s.add(WeChatBinding(person_id=p.id, channel="oa", openid=openid))
            openids.append(openid)
        s.flush()
        cycle = open_cycle(s, system_actor(), unit.id, today.year, (today.month - 1) // 3 + 1, policy, today=today)
        cycle.summary_due = utcnow() + timedelta(days=3)
        states = [dialog.save(s, openid, dialog.WRITING, None) for openid in openids]  # the record (chat_dialogs)
    db.dispose()
    store = RedisStore(redis_url)
    for key in store.client.scan_iter("kaohe:*"):
        store.client.delete(key)
    for openid, known in zip(openids, states):
        dialog.cache(store, openid, known)  # and its cached copy, as after a “写小结”
    store.close()
    return openids


def build(openids: list[str], per_openid: int, tag: str) -> list[tuple[str, bytes]]:
    """Signed, encrypted requests (path?query, body), built before the clock starts."""
    from bot.simulator.client import WeChatSimulator

    sim = WeChatSimulator(lambda q, b: (0, ""), TOKEN, APPID, AES_KEY, "safe")
    out = []
    for round_ in range(per_openid):
        for openid in openids:
            query, body = sim.envelope(sim.text_xml(openid, f"{tag}第{round_ + 1}段：完成本职工作。"))
            out.append((urlencode(query), body))
    return out


def _sender(port: int, path: str, jobs: list[tuple[str, bytes]], threads: int, queue) -> None:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    chunks = [jobs[i::threads] for i in range(threads)]

    def run(chunk):
        mine = []
        for query, body in chunk:
            started = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("POST", f"{path}?{query}", body=body, headers={"Content-Type": "text/xml"})
                resp = conn.getresponse()
                data = resp.read()
                ok = resp.status == 200 and b"<Encrypt>" in data
            except OSError:
                ok = False
            finally:
                conn.close()
            mine.append(time.perf_counter() - started)
            if not ok:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    ts = [threading.Thread(target=run, args=(c,)) for c in chunks]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    queue.put((latencies, errors[0]))


def phase(port: int, path: str, jobs: list[tuple[str, bytes]], senders: int, procs: int) -> dict:
    """Each process takes its own openids' messages in order (a user's messages never overlap)."""
    queue = mp.Queue()
    per = senders // procs
    workers = [mp.Process(target=_sender, args=(port, path, jobs[i::procs], per, queue)) for i in range(procs)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    results = [queue.get() for _ in workers]
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    lat = sorted(x for r in results for x in r[0])
    return {"n": len(lat), "errors": sum(r[1] for r in results), "rate": len(lat) / elapsed,
            "p50": statistics.median(lat) * 1000, "p99": lat[int(len(lat) * 0.99) - 1] * 1000, "max": lat[-1] * 1000}


def wait_ready(port: int, proc) -> None:
    for _ in range(200):
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not start")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--postgres", required=True, help="a PostgreSQL URL whose database may be dropped and rebuilt")
    ap.add_argument("--redis", required=True)
    ap.add_argument("--senders", type=int, default=32)
    ap.add_argument("--procs", type=int, default=4, help="client processes sharing the senders")
    ap.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1,
                    help="gunicorn workers, as `kaohe serve`'s default")
    ap.add_argument("--threads", type=int, default=1,
                    help="1 = sync workers, as in the figures of docs/architecture.md (`kaohe serve` defaults to 8)")
    ap.add_argument("--messages", type=int, default=3000, help="messages per phase")
    ap.add_argument("--port", type=int, default=18931)
    args = ap.parse_args()

    people = 320
    per_openid = max(1, -(-args.messages // people))
    if per_openid > 35:
        raise SystemExit("too many messages per person for the summary's paragraph limit")
    openids = prepare(args.postgres, args.redis, people)
    warm = build(openids, 1, "预热")
    floor_jobs = build(openids, per_openid, "F")[: args.messages]
    full_jobs = build(openids, per_openid, "X")[: args.messages]

    env = {**os.environ, "KAOHE_DATABASE_URL": args.postgres, "KAOHE_REDIS_URL": args.redis,
           "KAOHE_WECHAT_TOKEN": TOKEN, "KAOHE_WECHAT_APPID": APPID, "KAOHE_WECHAT_AES_KEY": AES_KEY,
           "KAOHE_ENV": "development", "KAOHE_SIMULATOR": "false"}
    server = subprocess.Popen([str(ROOT / ".venv/bin/kaohe"), "serve", "--workers", str(args.workers),
                               "--threads", str(args.threads), "--bind",
                               f"127.0.0.1:{args.port}"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_ready(args.port, server)
        phase(args.port, "/wechat", warm, args.senders, args.procs)  # fills the identity cache, warms pools
        phase(args.port, "/wechat/_floor", floor_jobs[:300], args.senders, args.procs)
        cpu0 = cpu.snapshot(server.pid)
        floor = phase(args.port, "/wechat/_floor", floor_jobs, args.senders, args.procs)
        cpu1 = cpu.snapshot(server.pid)
        full = phase(args.port, "/wechat", full_jobs, args.senders, args.procs)
        cpu2 = cpu.snapshot(server.pid)
        floor["cpu"], full["cpu"] = cpu.per_request(cpu0, cpu1, floor["n"]), cpu.per_request(cpu1, cpu2, full["n"])
    finally:
        server.terminate()
        server.wait(timeout=30)

    from models import Summary, WeChatInbound
    from models.db import Database

    db = Database(args.postgres)
    with db.session() as s:
        rows = s.scalar(select(func.count()).select_from(WeChatInbound))
        paragraphs = sum(len(p) for p in s.scalars(select(Summary.paragraphs)))
    db.dispose()
    print(f"gunicorn {args.workers} workers (sync), PostgreSQL + Redis, {args.senders} concurrent senders, "
          f"{os.cpu_count()} CPUs shared with the client")
    for name, r in (("floor (decrypt+encrypt echo)", floor), ("full path", full)):
        print(f"{name:30s} {r['n']:6d} msgs  {r['rate']:8.1f} msgs/s  p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms"
              f"  errors {r['errors']}")
        if r["cpu"]:
            print(f"{'':30s} {cpu.describe(r['cpu'])}")
    ratio = full["rate"] / floor["rate"]
    print(f"ratio full/floor (msgs/s): {ratio:.2f} (goal ≥ 0.70: {'PASS' if ratio >= 0.7 else 'MISS'}); full p99 "
          f"{full['p99']:.1f} ms (goal < 100 ms: {'PASS' if full['p99'] < 100 else 'MISS'})")
    for line in cpu.bounds(floor["cpu"], full["cpu"]):
        print(line)
    expected = len(warm) + len(full_jobs)
    print(f"exactly once: {rows} ledger rows and {paragraphs} paragraphs for {expected} messages sent "
          f"({'ok' if rows == paragraphs == expected else 'MISMATCH'})")


if __name__ == "__main__":
    main()
