"""Seeding throughput: rows/s for a province-size synthetic county on SQLite and PostgreSQL.

    .venv/bin/python bench/seed.py --people 300000 --units 5000 --postgres postgresql+psycopg://postgres@127.0.0.1/kaohe_bench

Not a test: it prints figures. The floor measured in the same run is a bare executemany of the same number of
narrow rows on the same connection, so the ratio says how much the seed's own work costs.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Column, Integer, MetaData, String, Table, insert  # noqa: E402

from config import load_policy  # noqa: E402
from handlers.seed import seed_demo  # noqa: E402
from models.db import Database  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from bench.fresh import empty_schema  # noqa: E402


def fresh(url: str) -> Database:
    empty_schema(url)
    upgrade(url)
    return Database(url)


def floor(db: Database, rows: int) -> float:
    """A bare executemany of ``rows`` three-column rows: the fastest this connection writes."""
    table = Table("bench_floor", MetaData(), Column("id", Integer, primary_key=True), Column("a", String(20)),
                  Column("b", Integer))
    table.create(db.engine)
    started = time.perf_counter()
    with db.engine.begin() as conn:
        for start in range(0, rows, 5000):
            conn.execute(insert(table), [{"id": i, "a": f"row{i}", "b": i} for i in range(start, min(rows, start + 5000))])
    seconds = time.perf_counter() - started
    table.drop(db.engine)
    return rows / seconds


def run(label: str, url: str, units: int, people: int) -> None:
    db = fresh(url)
    with db.session() as session:
        report = seed_demo(session, load_policy("hengyang"), units=units, people=people, seed=1,
                           today=date(2026, 11, 23))
    bare = floor(db, min(report.rows, 1_000_000))
    db.dispose()
    print(f"{label:10} people={people:,} units={units:,} rows={report.rows:,} seconds={report.seconds:.1f} "
          f"rows/s={report.rows_per_second:,.0f} floor rows/s={bare:,.0f} ratio={report.rows_per_second / bare:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=300_000)
    ap.add_argument("--units", type=int, default=5_000)
    ap.add_argument("--postgres", default=os.environ.get("KAOHE_BENCH_DATABASE_URL"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run("sqlite", f"sqlite:///{tmp}/bench.sqlite3", args.units, args.people)
    if args.postgres:
        run("postgresql", args.postgres, args.units, args.people)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
