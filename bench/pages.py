"""The supervisor's phone pages against the API's JSON for the same data, in the same run, under gunicorn on
PostgreSQL + Redis (issue 11's goal: the page's server time within 1.5× of the JSON endpoint's, p99 < 100 ms at
32 clients).

    .venv/bin/python bench/pages.py --postgres postgresql+psycopg://postgres@127.0.0.1/kaohe_bench_pages \\
        --redis redis://127.0.0.1:6379/4 [--clients 32 --seconds 8 --rounds 3]

Not a test: it prints figures. Seeds one unit in the scoring step (one evaluatee per client, as ``bench/api.py``),
signs the supervisor in once for the API (bearer) and once for the pages (cookie + CSRF token), starts
``kaohe serve`` and alternates, for ``--rounds`` rounds:
- view: ``GET /api/v1/evaluations/<id>`` (JSON) against ``GET /m/score/<id>`` (the scoring page's HTML);
- tap:  ``PUT /api/v1/evaluations/<id>/scores`` (If-Match) against ``PUT /m/api/evaluations/<id>/scores`` (the
  page's own call: cookie, CSRF header, version in the body).
"Server time" is the app server's CPU per request (bench/cpu.py), the figure that decides how many people one
server carries; p50/p99 are wall latencies seen by the load generator, which shares the machine's two cores.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import signal
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api as base  # noqa: E402  (bench/api.py: seed, server, load loop)
import cpu  # noqa: E402

from handlers.identity.sessions import SessionPolicy, create_session  # noqa: E402
from models.db import Database  # noqa: E402
from models.store import RedisStore  # noqa: E402

SECRET = "bench-" + "x" * 40  # bench/api.py's start_server sets this KAOHE_SECRET_KEY


def web_session(url: str, redis_url: str, api_token: str) -> tuple[str, str]:
    """A page session for the same supervisor, and its CSRF token (as bot/web/session.csrf_for computes it)."""
    from handlers.identity.sessions import token_hash
    from models import ApiSession

    db = Database(url)
    store = RedisStore(redis_url)
    with db.session() as s:
        person_id = s.query(ApiSession).filter_by(token_hash=token_hash(api_token)).one().person_id
        token = create_session(s, store, SessionPolicy(3600, 7200), person_id, "web").token
    store.close()
    db.dispose()
    csrf = hmac.new(SECRET.encode(), b"csrf:" + hashlib.sha256(token.encode()).digest(), hashlib.sha256).hexdigest()
    return token, csrf


def view_clients(evals, n, api_token, cookie):
    api, page = [], []
    for eid, _ in evals[:n]:
        a = f"GET /api/v1/evaluations/{eid} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {api_token}\r\n\r\n".encode()
        p = f"GET /m/score/{eid} HTTP/1.1\r\nHost: bench\r\nCookie: kaohe_s={cookie}\r\n\r\n".encode()
        api.append((lambda a=a: a, lambda h, b: None))
        page.append((lambda p=p: p, lambda h, b: None))
    return api, page


def tap_clients(evals, n, indicators, api_token, cookie, csrf, versions):
    api, page = [], []
    for eid, _ in evals[:n]:
        state = versions[eid]

        def make_api(state=state, eid=eid):
            state["i"] += 1
            body = json.dumps({"scores": [{"indicator_id": indicators[state["i"] % len(indicators)],
                                           "level": "优良中差"[state["i"] % 4]}]}).encode()
            return (f"PUT /api/v1/evaluations/{eid}/scores HTTP/1.1\r\nHost: bench\r\n"
                    f"Authorization: Bearer {api_token}\r\nIf-Match: \"{state['version']}\"\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body

        def on_api(headers, body, state=state):
            state["version"] = int(headers["etag"].strip('"'))

        def make_page(state=state, eid=eid):
            state["i"] += 1
            body = json.dumps({"taps": [{"indicator_id": indicators[state["i"] % len(indicators)],
                                         "level": "优良中差"[state["i"] % 4]}], "version": state["version"]}).encode()
            return (f"PUT /m/api/evaluations/{eid}/scores HTTP/1.1\r\nHost: bench\r\nCookie: kaohe_s={cookie}\r\n"
                    f"X-CSRF-Token: {csrf}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                    ).encode() + body

        def on_page(headers, body, state=state):
            state["version"] = json.loads(body)["version"]

        api.append((make_api, on_api))
        page.append((make_page, on_page))
    return api, page


def measure(server, port, seconds, clients):
    cpu0 = cpu.snapshot(server.pid)
    wall, lat, err = base.run_phase(port, seconds, clients)
    per = cpu.per_request(cpu0, cpu.snapshot(server.pid), len(lat))
    return {"rps": len(lat) / wall, "p50": base.pct(lat, .5), "p99": base.pct(lat, .99), "errors": err,
            "server_ms": per.get("server", float("nan")), "cpu": per}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--postgres", required=True)
    ap.add_argument("--redis", required=True)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1, help="as `kaohe serve`'s default")
    args = ap.parse_args()

    api_token, evals, indicators = base.seed(args.postgres, args.redis, args.clients)
    cookie, csrf = web_session(args.postgres, args.redis, api_token)
    port = base.free_port()
    server = base.start_server(args.postgres, args.redis, port, args.workers, 1)
    versions = {eid: {"version": v, "i": 0} for eid, v in evals}
    results: dict[str, list] = {k: [] for k in ("view api", "view page", "tap api", "tap page")}
    try:
        view_api, view_page = view_clients(evals, args.clients, api_token, cookie)
        tap_api, tap_page = tap_clients(evals, args.clients, indicators, api_token, cookie, csrf, versions)
        for phase in (view_api, view_page, tap_api, tap_page):
            base.run_phase(port, 1.0, phase)  # warm-up: workers, pools, templates
        for _ in range(args.rounds):
            for name, phase in (("view api", view_api), ("view page", view_page), ("tap api", tap_api),
                                ("tap page", tap_page)):
                results[name].append(measure(server, port, args.seconds, phase))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)

    print(f"clients={args.clients} seconds={args.seconds} rounds={args.rounds} workers={args.workers} "
          f"cpus={os.cpu_count()}  (median of the rounds; server = app server CPU ms per request)")
    for name, runs in results.items():
        errors = sum(len(r["errors"]) for r in runs)
        print(f"{name:10s} {statistics.median(r['rps'] for r in runs):8.1f} req/s  "
              f"p50 {statistics.median(r['p50'] for r in runs):6.1f} ms  p99 {statistics.median(r['p99'] for r in runs):6.1f} ms"
              f"  server {statistics.median(r['server_ms'] for r in runs):5.2f} ms  errors {errors}")
        if errors:
            print("   first errors:", [e for r in runs for e in r["errors"]][:2])
    for what in ("view", "tap"):
        page = statistics.median(r["server_ms"] for r in results[f"{what} page"])
        api = statistics.median(r["server_ms"] for r in results[f"{what} api"])
        p99 = statistics.median(r["p99"] for r in results[f"{what} page"])
        ratio = page / api
        print(f"{what}: page/API server time = {ratio:.2f} (goal <= 1.50: {'PASS' if ratio <= 1.5 else 'MISS'}); "
              f"page p99 {p99:.1f} ms (goal < 100 ms: {'PASS' if p99 < 100 else 'MISS'})")


if __name__ == "__main__":
    main()
