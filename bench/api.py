"""Scoring-save throughput and latency under gunicorn on PostgreSQL + Redis, beside a trivial JSON endpoint.

    .venv/bin/python bench/api.py --postgres postgresql+psycopg://postgres@127.0.0.1/kaohe_bench_api \\
        --redis redis://127.0.0.1:6379/4 [--clients 32 --seconds 10 --workers 5 --threads 1]

Not a test: it prints figures. It seeds one unit (one supervisor, one evaluatee per client), opens a cycle in the
scoring step, starts ``kaohe serve`` (gunicorn), then drives the server with N keep-alive connections:
first ``GET /api/v1/ping`` (the floor: the same app, no database), then ``PUT /api/v1/evaluations/<id>/scores``
(authenticated, If-Match, validation, one versioned UPDATE + audit row, commit). Each client saves its own
evaluation, so there are no version conflicts; every response must be 200. Prints req/s, p50/p99 and the ratio
save/floor (goal ≥ 0.4, p99 < 50 ms at 32 clients). The load generator shares the machine's cores.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

import cpu  # noqa: E402  (bench/cpu.py)

import models  # noqa: E402,F401
from config import load_policy  # noqa: E402
from handlers.actor import system_actor  # noqa: E402
from handlers.quarter.cycles import open_cycle, transition  # noqa: E402
from handlers.identity.sessions import SessionPolicy, create_session  # noqa: E402
from models import County, Evaluation, Indicator, Membership, Person, Tier, Unit, utcnow  # noqa: E402
from models.db import Database  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from bench.fresh import empty_schema  # noqa: E402
from models.store import RedisStore  # noqa: E402


def seed(url: str, redis_url: str, clients: int) -> tuple[str, list[tuple[int, int]], list[int]]:
    empty_schema(url)
    upgrade(url)
    db = Database(url)
    policy = load_policy("hengyang")
    today = utcnow().date()
    store = RedisStore(redis_url)
    with db.session() as s:
        county = County(name="衡阳县")
        s.add(county)
        s.flush()
        unit = Unit(county_id=county.id, name="县财政局")
        s.add(unit)
        s.flush()
        tiers = {n: Tier(unit_id=unit.id, name=n) for n in ("中层干部", "一般干事")}
        s.add_all(tiers.values())
        s.flush()
        boss = Person(staff_no="B0001", name="张局长", hired_on=today.replace(year=today.year - 20))
        s.add(boss)
        s.flush()
        s.add(Membership(person_id=boss.id, unit_id=unit.id, tier_id=tiers["中层干部"].id, is_leader=True,
                         start_on=today.replace(year=today.year - 5)))
        for i in range(clients):
            p = Person(staff_no=f"C{i:04d}", name=f"干事{i}", hired_on=today.replace(year=today.year - 10))
            s.add(p)
            s.flush()
            s.add(Membership(person_id=p.id, unit_id=unit.id, tier_id=tiers["一般干事"].id, supervisor_id=boss.id,
                             post="综合文秘", start_on=today.replace(year=today.year - 5)))
        s.flush()
        year, quarter = today.year, (today.month - 1) // 3 + 1
        cycle = open_cycle(s, system_actor(), unit.id, year, quarter, policy, today=today)
        transition(s, system_actor(), cycle, "start_scoring")
        for e in s.scalars(select(Evaluation).where(Evaluation.cycle_id == cycle.id)):
            e.no_summary_note = "基准测试：未收个人小结，照常评分"  # the policy's missing_summary.allow_score
        token = create_session(s, store, SessionPolicy(3600, 7200), boss.id, "miniapp").token
        evals = [(e.id, e.version) for e in s.scalars(select(Evaluation).where(
            Evaluation.cycle_id == cycle.id, Evaluation.supervisor_id == boss.id).order_by(Evaluation.id))]
        indicators = list(s.scalars(select(Indicator.id).where(Indicator.cycle_id == cycle.id)
                                    .order_by(Indicator.position)))
    store.close()
    db.dispose()
    return token, evals, indicators


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(url: str, redis_url: str, port: int, workers: int, threads: int) -> subprocess.Popen:
    env = {**os.environ, "KAOHE_DATABASE_URL": url, "KAOHE_REDIS_URL": redis_url, "KAOHE_ENV": "production",
           "KAOHE_SECRET_KEY": "bench-" + "x" * 40, "KAOHE_SIMULATOR": "false"}
    cmd = [str(Path(sys.executable).parent / "kaohe"), "serve", "--workers", str(workers), "--threads", str(threads),
           "--bind", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"GET /api/v1/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if b"200" in sock.recv(100):
                    return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start: " + proc.stderr.read().decode()[-2000:])


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


async def client(port: int, seconds: float, make_request, on_response, latencies: list, errors: list) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        writer.write(make_request())
        await writer.drain()
        status, headers, body = await _read_response(reader)
        latencies.append(time.perf_counter() - t0)
        if status != 200:
            errors.append((status, body[:200]))
        else:
            on_response(headers, body)
        if headers.get("connection", "").lower() == "close":
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.close()


def run_phase(port: int, seconds: float, clients_: list) -> tuple[float, list, list]:
    latencies: list = []
    errors: list = []

    async def main():
        await asyncio.gather(*(client(port, seconds, mk, on, latencies, errors) for mk, on in clients_))

    t0 = time.perf_counter()
    asyncio.run(main())
    return time.perf_counter() - t0, latencies, errors


def pct(values: list, p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000 if ordered else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--postgres", required=True)
    ap.add_argument("--redis", required=True)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1, help="as `kaohe serve`'s default")
    ap.add_argument("--threads", type=int, default=1,
                    help="1 = sync workers, as in the figures of docs/architecture.md (`kaohe serve` defaults to 8)")
    args = ap.parse_args()

    token, evals, indicators = seed(args.postgres, args.redis, args.clients)
    port = free_port()
    server = start_server(args.postgres, args.redis, port, args.workers, args.threads)
    try:
        ping = b"GET /api/v1/ping HTTP/1.1\r\nHost: bench\r\n\r\n"
        floor_clients = [(lambda: ping, lambda h, b: None) for _ in range(args.clients)]
        run_phase(port, 1.5, floor_clients)  # warm-up: workers, pools
        cpu0 = cpu.snapshot(server.pid)
        floor_time, floor_lat, floor_err = run_phase(port, args.seconds, floor_clients)
        floor_cpu = cpu.per_request(cpu0, cpu.snapshot(server.pid), len(floor_lat))

        save_clients = []
        for n, (eid, version) in enumerate(evals[:args.clients]):
            state = {"version": version, "i": 0}

            def make(state=state, eid=eid):
                state["i"] += 1
                body = json.dumps({"scores": [{"indicator_id": indicators[state["i"] % len(indicators)],
                                               "level": "优良中差"[state["i"] % 4]}]}).encode()
                return (f"PUT /api/v1/evaluations/{eid}/scores HTTP/1.1\r\nHost: bench\r\n"
                        f"Authorization: Bearer {token}\r\nIf-Match: \"{state['version']}\"\r\n"
                        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body

            def on(headers, body, state=state):
                state["version"] = int(headers["etag"].strip('"'))

            save_clients.append((make, on))
        run_phase(port, 1.5, save_clients)  # warm-up
        cpu0 = cpu.snapshot(server.pid)
        save_time, save_lat, save_err = run_phase(port, args.seconds, save_clients)
        save_cpu = cpu.per_request(cpu0, cpu.snapshot(server.pid), len(save_lat))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)

    floor_rps = len(floor_lat) / floor_time
    save_rps = len(save_lat) / save_time
    print(f"clients={args.clients} seconds={args.seconds} gunicorn workers={args.workers} threads={args.threads} "
          f"cpus={os.cpu_count()}")
    print(f"floor  GET /api/v1/ping                 {floor_rps:8.1f} req/s  p50 {pct(floor_lat, .5):6.1f} ms  "
          f"p99 {pct(floor_lat, .99):6.1f} ms  errors {len(floor_err)}")
    print(f"save   PUT /api/v1/evaluations/:id/scores {save_rps:6.1f} req/s  p50 {pct(save_lat, .5):6.1f} ms  "
          f"p99 {pct(save_lat, .99):6.1f} ms  errors {len(save_err)}")
    if save_err:
        print("first errors:", save_err[:3])
    for name, figures in (("floor", floor_cpu), ("save ", save_cpu)):
        if figures:
            print(f"{name}  {cpu.describe(figures)}")
    ratio = save_rps / floor_rps
    p99 = pct(save_lat, .99)
    print(f"ratio save/floor = {ratio:.2f} (goal >= 0.40: {'PASS' if ratio >= 0.4 else 'MISS'}); "
          f"save p99 {p99:.1f} ms (goal < 50 ms: {'PASS' if p99 < 50 else 'MISS'})")
    for line in cpu.bounds(floor_cpu, save_cpu):
        print(line)


if __name__ == "__main__":
    main()
