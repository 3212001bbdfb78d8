"""Every benchmark with a goal, in one command, on PostgreSQL + Redis; then one table of every PASS/MISS line.

    .venv/bin/python bench/all.py [--postgres postgresql+psycopg://postgres@127.0.0.1:5432]
                                  [--redis redis://127.0.0.1:6379] [--people 300000 --units 5000]
                                  [--only vs_peers pages fanout faults results console] [--quick]

Not a test. Each bench runs as its own process, one after the other (they would share the cores otherwise), with
its own database (``kaohe_bench_<name>``, dropped and rebuilt by the bench) and its own Redis database number. The
province benches (``results``, ``console``) read one database seeded once by ``kaohe seed-demo`` at the size given
(about 5 minutes at 300,000 people on PostgreSQL); ``--seeded URL`` reuses one seeded earlier. ``--quick`` runs
shorter phases and fewer rounds (a smoke run: its figures are not the ones to quote). The output of every bench is
printed as it runs; the table at the end repeats each line that holds a verdict, with the machine it ran on.
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
sys.path.insert(0, str(ROOT))


def benches(pg: str, redis: str, province: str, quick: bool) -> dict[str, list[str]]:
    """name -> argv. Each bench's own defaults are the quotable run; --quick shortens them."""
    q = quick
    return {
        "vs_peers": ["bench/vs_peers.py", "--postgres", f"{pg}/kaohe_bench_vs_peers", "--redis", f"{redis}/9"]
        + (["--rounds", "2", "--messages", "512", "--burst-messages", "512", "--seconds", "3"] if q else []),
        "pages": ["bench/pages.py", "--postgres", f"{pg}/kaohe_bench_pages", "--redis", f"{redis}/12"]
        + (["--rounds", "1", "--seconds", "3"] if q else []),
        "fanout": ["bench/fanout.py", "--postgres", f"{pg}/kaohe_bench_fanout"]
        + (["--recipients", "10000", "--bare", "3000"] if q else []),
        "faults": ["bench/faults_outbound.py", "--postgres", f"{pg}/kaohe_bench_faults"]
        + (["--recipients", "1000", "--slow-recipients", "50"] if q else []),
        "results": ["bench/results.py", "--url", province, "--year", "2026", "--quarter", "3"],
        "console": ["bench/console_county.py", "--url", province, "--year", "2026", "--quarter", "3"]
        + (["--repeat", "2"] if q else []),
    }


def ensure_database(pg: str, name: str) -> bool:
    """Create ``name`` if missing; True when it was created (so it needs seeding)."""
    from bench.fresh import ensure_database as ensure

    return ensure(f"{pg}/{name}")


def seed_province(pg: str, people: int, units: int) -> str:
    name = f"kaohe_bench_province_{people}"
    url = f"{pg}/{name}"
    if not ensure_database(pg, name):
        print(f"# province database {name} exists: reused (drop it to seed again)", flush=True)
        return url
    print(f"# seeding {name}: {units} units, {people} people", flush=True)
    env = {**os.environ, "KAOHE_DATABASE_URL": url}
    started = time.monotonic()
    subprocess.run([str(Path(PY).parent / "kaohe"), "db", "upgrade"], env=env, cwd=ROOT, check=True)
    subprocess.run([str(Path(PY).parent / "kaohe"), "seed-demo", "--units", str(units), "--people", str(people),
], env=env, cwd=ROOT, check=True)
    print(f"# seeded in {time.monotonic() - started:.0f} s", flush=True)
    return url


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next((int(line.split()[1]) // 1024 // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0)
    return f"{os.cpu_count()} vCPU ({cpu}), {mem} GiB, load {os.getloadavg()[0]:.2f}"


def run(name: str, argv: list[str]) -> tuple[int, list[str], float]:
    print(f"\n===== {name}: {' '.join(argv)}  [{machine()}]", flush=True)
    started = time.monotonic()
    proc = subprocess.Popen([PY, *argv], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    verdicts = []
    for line in proc.stdout:
        print(line, end="", flush=True)
        if "PASS" in line or "MISS" in line:
            verdicts.append(line.strip())
    return proc.wait(), verdicts, time.monotonic() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432",
                    help="the server (no database name): each bench gets its own database there")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379", help="the server (no database number)")
    ap.add_argument("--people", type=int, default=300_000)
    ap.add_argument("--units", type=int, default=5_000)
    ap.add_argument("--seeded", help="a province database seeded earlier (skips seeding)")
    ap.add_argument("--only", nargs="*", help="names of the benches to run (default: all)")
    ap.add_argument("--quick", action="store_true", help="short phases: a smoke run, not figures to quote")
    args = ap.parse_args()
    pg, redis = args.postgres.rstrip("/"), args.redis.rstrip("/")

    names = args.only or ["vs_peers", "pages", "fanout", "faults", "results", "console"]
    for name in set(names) & {"vs_peers", "pages", "fanout", "faults"}:
        ensure_database(pg, f"kaohe_bench_{name}")
    province = args.seeded or ""
    if not province and {"results", "console"} & set(names):
        province = seed_province(pg, args.people, args.units)
    table = benches(pg, redis, province, args.quick)
    unknown = [n for n in names if n not in table]
    if unknown:
        raise SystemExit(f"unknown bench: {', '.join(unknown)} (known: {', '.join(table)})")
    started, summary = time.monotonic(), []
    for name in names:
        code, verdicts, seconds = run(name, table[name])
        summary.append((name, code, verdicts, seconds))

    print(f"\n===== summary ({time.monotonic() - started:.0f} s; {machine()})")
    passed = missed = 0
    for name, code, verdicts, seconds in summary:
        state = "ran" if code == 0 else f"FAILED (exit {code})"
        print(f"{name}: {state} in {seconds:.0f} s")
        for line in verdicts:
            print(f"    {line}")
            passed += line.count("PASS")
            missed += line.count("MISS")
    print(f"verdicts: {passed} PASS, {missed} MISS")
    if any(code for _, code, _, _ in summary):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
