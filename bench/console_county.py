"""The county office's console pages against the API's JSON for the same data, on a seeded database.

Times, in the server (Flask's test client in this process: no network, no browser), the board's first page, one
unit's drill-down and the annual list's first page, beside the API's JSON for the same data in the same run:
``GET /api/v1/county/progress`` paged like the board, the unit's progress plus the first page of its
``GET /api/v1/annual/rows``, and the first page of ``GET /api/v1/annual/rows``. Prints the median of ``--repeat``
runs of each, the ratio page / JSON and PASS/MISS against issue 12's goals (< 300 ms, ≤ 1.5×).

Seed once, then run (a province is 300,000 people and 5,000 units; start smaller on a shared machine):

    KAOHE_DATABASE_URL=sqlite:////tmp/kaohe_bench_console.sqlite3 kaohe seed-demo --units 500 --people 30000
    .venv/bin/python bench/console_county.py --url sqlite:////tmp/kaohe_bench_console.sqlite3 --year 2026 --quarter 3
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from bot import create_app  # noqa: E402
from bot.ext import services  # noqa: E402
from config.settings import load_settings  # noqa: E402
from handlers.identity.sessions import SessionPolicy, create_session  # noqa: E402
from models import Cycle, RoleGrant, Unit  # noqa: E402


PAGE_GOAL_MS = 300  # issue 12: each page's server time
RATIO_GOAL = 1.5  # issue 12: a page within 1.5× of the API's JSON for the same data, same run


def timed(client, url: str, repeat: int, **kwargs) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        r = client.get(url, **kwargs)
        body = r.get_data()
        times.append((time.perf_counter() - started) * 1000)
        assert r.status_code == 200, (url, r.status_code, body[:300])
        size = len(body)
    return statistics.median(times), size


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True, help="the seeded database (sqlite:///… or postgresql+psycopg://…)")
    ap.add_argument("--year", type=int, required=True)
    ap.add_argument("--quarter", type=int, required=True)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    app = create_app(load_settings({"KAOHE_DATABASE_URL": args.url, "KAOHE_ENV": "development"}))
    s = services(app)
    with s.db.session() as session:
        officer = session.scalar(select(RoleGrant.person_id).where(RoleGrant.role == "county_admin").limit(1))
        unit = session.scalar(select(Unit.name).join(Cycle, Cycle.unit_id == Unit.id)
                              .where(Cycle.year == args.year, Cycle.quarter == args.quarter).order_by(Unit.id).limit(1))
        policy = SessionPolicy(3600, 7200)
        page_token = create_session(session, s.store, policy, officer, "console").token
        api_token = create_session(session, s.store, policy, officer, "miniapp").token
    pages = app.test_client()
    pages.set_cookie("kaohe_c", page_token, path="/console")
    api = app.test_client()
    bearer = {"headers": {"Authorization": f"Bearer {api_token}"}}
    period = f"year={args.year}&quarter={args.quarter}"
    # Each page beside the API call(s) that return the same data: the board's first page beside the board's JSON
    # paged the same way; the drill-down (the unit's board and the first page of its people's year) beside the
    # unit's board JSON plus the first page of the unit's annual rows; the annual list beside its first page.
    cases = [
        ("board, first page", f"/console/county/board?{period}",
         [f"/api/v1/county/progress?{period}&page=1&per_page=50"]),
        ("one unit's drill-down", f"/console/county/board/unit?{period}&name={unit}",
         [f"/api/v1/county/progress?{period}&unit={unit}",
          f"/api/v1/annual/rows?year={args.year}&unit={unit}&per_page=50"]),
        ("annual list, first page", f"/console/county/annual?year={args.year}",
         [f"/api/v1/annual/rows?year={args.year}&per_page=50"]),
    ]
    print(f"database {args.url.split('@')[-1]}, {args.year} Q{args.quarter}, unit {unit}, median of {args.repeat}")
    print(f"goals: page < {PAGE_GOAL_MS} ms and page / JSON <= {RATIO_GOAL}")
    print(f"{'':26}{'page ms':>10}{'JSON ms':>10}{'ratio':>8}{'page KB':>10}{'JSON KB':>10}  result")
    for label, page_url, api_urls in cases:
        timed(pages, page_url, 1)  # warm (templates compiled, caches filled)
        for api_url in api_urls:
            timed(api, api_url, 1, **bearer)
        page_ms, page_size = timed(pages, page_url, args.repeat)
        api_ms = api_size = 0
        for api_url in api_urls:
            ms, size = timed(api, api_url, args.repeat, **bearer)
            api_ms, api_size = api_ms + ms, api_size + size
        ratio = page_ms / api_ms
        verdict = ("PASS" if page_ms < PAGE_GOAL_MS and ratio <= RATIO_GOAL else
                   "MISS (" + ", ".join(m for m, bad in ((f"page ≥ {PAGE_GOAL_MS} ms", page_ms >= PAGE_GOAL_MS),
                                                         (f"ratio > {RATIO_GOAL}", ratio > RATIO_GOAL)) if bad) + ")")
        print(f"{label:26}{page_ms:10.1f}{api_ms:10.1f}{ratio:8.2f}{page_size / 1024:10.1f}{api_size / 1024:10.1f}"
              f"  {verdict}")
    # Not one of the three: the annual list's charts count everyone in scope, so they are an image of their own
    # (``/console/county/annual/chart.svg``, loaded by the browser beside the list); its cost, for the record.
    chart_url = f"/console/county/annual/chart.svg?year={args.year}"
    timed(pages, chart_url, 1)
    chart_ms, chart_size = timed(pages, chart_url, args.repeat)
    print(f"{'annual charts (own image)':26}{chart_ms:10.1f}{'':18}{chart_size / 1024:10.1f}")
    s.close()


if __name__ == "__main__":
    main()
