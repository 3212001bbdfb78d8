"""Results at province scale: annual roll-up, progress board, one unit's 一览表, the county table streamed,
near-duplicate summaries for one quarter. Prints time and peak memory for each, and a ratio against a floor.

Seed once (about 5 minutes on PostgreSQL), then run:

    KAOHE_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/kaohe_bench6 kaohe seed-demo --units 5000 --people 300000
    .venv/bin/python bench/results.py --url postgresql+psycopg://postgres@127.0.0.1/kaohe_bench6 --year 2026 --quarter 3

Each step prints its goal (issue 16, goal 4) and PASS/MISS. ``--linear-url`` names a second, smaller seeded database
(e.g. 30,000 people): the near-duplicate search runs there too and the cost per summary is compared.

Each measurement runs in its own forked process, so "peak" is that step's own maximum resident set size
(``wait4``), not the largest step so far. The floor of each step is a bare Core query streaming the same rows
without any of the step's work; the ratio says what the step's own work costs on top of reading the data.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from config import load_policy  # noqa: E402
from handlers.results import annual_uses as A  # noqa: E402
from handlers.county import oversight as O  # noqa: E402
from handlers.actor import system_actor  # noqa: E402
from handlers.results.documents import sheets as S  # noqa: E402
from models import Cycle, Evaluation, Summary, Unit  # noqa: E402
from models.db import Database  # noqa: E402


def forked(fn):
    """Run ``fn()`` in a child; return (its result, seconds, peak RSS MiB of the child)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        try:
            started = time.perf_counter()
            result = fn()
            payload = {"ok": True, "result": result, "seconds": time.perf_counter() - started}
        except BaseException as exc:  # report, never hang the parent
            payload = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        with os.fdopen(w, "w") as fh:
            json.dump(payload, fh, ensure_ascii=False, default=str)
        os._exit(0)
    os.close(w)
    with os.fdopen(r) as fh:
        data = fh.read()
    _, _, usage = os.wait4(pid, 0)
    payload = json.loads(data)
    if not payload["ok"]:
        raise SystemExit(payload["error"])
    return payload["result"], payload["seconds"], usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default=os.environ.get("KAOHE_BENCH_DATABASE_URL"), required=False)
    ap.add_argument("--year", type=int, default=2026)
    ap.add_argument("--quarter", type=int, default=3)
    ap.add_argument("--only", nargs="*", default=None,
                    help="annual board unit county duplicates (default: all)")
    ap.add_argument("--linear-url", default=None,
                    help="a second seeded database (e.g. 30,000 people): the near-duplicate search runs there too and "
                         "the two times are compared per summary (goal: linear in people)")
    args = ap.parse_args()
    if not args.url:
        raise SystemExit("give --url or KAOHE_BENCH_DATABASE_URL (a database seeded with kaohe seed-demo)")
    policy = load_policy("hengyang")
    actor = system_actor("bench")
    year, quarter = args.year, args.quarter
    today = date(2026, 11, 23)

    def with_session(fn):
        def run():
            db = Database(args.url)
            try:
                with db.session() as session:
                    return fn(session)
            finally:
                db.dispose()
        return run

    with Database(args.url).session() as session:
        people = session.scalar(select(func.count()).select_from(Evaluation).join(Cycle).where(
            Cycle.year == year, Cycle.quarter == quarter))
        unit_id, unit_name = session.execute(select(Unit.id, Unit.name).order_by(Unit.id).limit(1)).one()
        cycle_id = session.scalar(select(Cycle.id).where(Cycle.unit_id == unit_id, Cycle.year == year,
                                                         Cycle.quarter == quarter))
        summaries = session.scalar(select(func.count()).select_from(Summary).join(Cycle).where(
            Cycle.year == year, Cycle.quarter == quarter))
    print(f"database: {people:,} evaluations and {summaries:,} summaries in {year}Q{quarter}; unit {unit_name}")

    def stream(q):
        def run(session):
            n = 0
            for _ in session.execute(q.execution_options(yield_per=5000)):
                n += 1
            return n
        return with_session(run)

    year_q = (select(Evaluation.person_id, Cycle.quarter, Evaluation.final_grade)
              .join(Cycle, Cycle.id == Evaluation.cycle_id).where(Cycle.year == year))
    quarter_q = (select(Evaluation.id, Evaluation.state, Evaluation.tier_id).join(Cycle, Cycle.id == Evaluation.cycle_id)
                 .where(Cycle.year == year, Cycle.quarter == quarter))
    unit_q = select(Evaluation.id, Evaluation.total).where(Evaluation.cycle_id == cycle_id)
    summary_q = (select(Summary.paragraphs).join(Cycle, Cycle.id == Summary.cycle_id)
                 .where(Cycle.year == year, Cycle.quarter.in_((quarter, quarter - 1 if quarter > 1 else 4))))

    def annual(session):
        return sum(1 for _ in A.year_rows(session, actor, policy, year, today=today))

    def board(session):
        b = O.progress_board(session, actor, policy, year, quarter)
        return len(b["units"])

    def unit_list(session):
        """The step's time is the first call in a fresh process (new connection, nothing cached); the result also
        says what a second call in the same process takes (a running server's case)."""
        buf = io.BytesIO()
        started = time.perf_counter()
        S.result_list(session, actor, policy, unit_name, year, quarter, buf)
        first = time.perf_counter() - started
        started = time.perf_counter()
        S.result_list(session, actor, policy, unit_name, year, quarter, io.BytesIO())
        return {"bytes": len(buf.getvalue()), "again_s": round(time.perf_counter() - started, 3), "first_s": first}

    def county(session):
        with tempfile.TemporaryFile() as fh:
            S.county_result_table(session, actor, policy, year, quarter, fh)
            return fh.tell()

    def duplicates(session):
        found = O.near_duplicates(session, actor, policy, year, quarter, limit=50)
        return {k: found[k] for k in ("summaries", "compared", "colleague", "last_quarter")}

    # issue 16, goal 4: seconds for a province (300,000 people, 5,000 units)
    steps = [
        ("annual", f"annual roll-up, everyone, {year}", annual, year_q, 5.0),
        ("board", f"county progress board {year}Q{quarter}", board, quarter_q, 1.0),
        ("unit", f"one unit's 一览表 (xlsx) {year}Q{quarter}", unit_list, unit_q, 0.2),
        ("county", f"county combined table streamed (xlsx) {year}Q{quarter}", county, quarter_q, 10.0),
        ("duplicates", f"near-duplicate summaries {year}Q{quarter}", duplicates, summary_q, 20.0),
    ]
    timings = {}
    for key, label, fn, floor_q, goal in steps:
        if args.only and key not in args.only:
            continue
        result, seconds, peak = forked(with_session(fn))
        if isinstance(result, dict) and "first_s" in result:  # a step that times its own first call
            seconds = result.pop("first_s")
        _, floor_s, floor_peak = forked(stream(floor_q))
        timings[key] = (seconds, result)
        print(f"{label:48} {seconds:8.2f} s  goal < {goal:g} s {'PASS' if seconds < goal else 'MISS'}  "
              f"peak {peak:6.0f} MiB  result={result}  "
              f"floor {floor_s:.2f} s / {floor_peak:.0f} MiB  ratio {seconds / floor_s:.1f}", flush=True)
    if args.linear_url and "duplicates" in timings:
        linear(args.linear_url, year, quarter, timings["duplicates"], duplicates, with_session)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")


def linear(url: str, year: int, quarter: int, big: tuple, duplicates, with_session) -> None:
    """The near-duplicate search on a smaller database: seconds per 1,000 summaries at both sizes. Linear means the
    per-summary cost stays the same (within 25%: the machine is shared)."""
    seconds, result = big
    small, small_s, _ = forked(lambda: _with_url(url, duplicates))
    per_big = seconds / max(result["summaries"], 1) * 1000
    per_small = small_s / max(small["summaries"], 1) * 1000
    ratio = per_big / per_small if per_small else float("inf")
    print(f"near-duplicate search at {small['summaries']:,} summaries {small_s:.2f} s ({per_small:.3f} s per 1,000), "
          f"at {result['summaries']:,} {seconds:.2f} s ({per_big:.3f} s per 1,000): per-summary ratio {ratio:.2f}  "
          f"goal linear (ratio < 1.25) {'PASS' if ratio < 1.25 else 'MISS'}", flush=True)


def _with_url(url: str, fn):
    db = Database(url)
    try:
        with db.session() as session:
            return fn(session)
    finally:
        db.dispose()


if __name__ == "__main__":
    main()
