"""CPU time by component, read from /proc, so a benchmark can say where a request's cost goes.

Throughput on this machine is bounded by its cores, shared by the load generator, the app server, PostgreSQL and
Redis. "Where did the time go" is therefore best answered in CPU milliseconds per request per component, not in
wall time. Linux only; elsewhere ``snapshot`` returns empty figures and the benchmarks print none.
"""
from __future__ import annotations

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _processes():
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1: raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        # fields[0] is state (field 3); ppid is field 4, pgid field 5; utime/stime are fields 14/15 and
        # cutime/cstime (children that exited and were reaped) 16/17, so indexes 1, 2, 11/12 and 13/14 here
        yield (int(entry.name), comm, int(fields[1]), int(fields[2]), (int(fields[11]) + int(fields[12])) / TICK,
               (int(fields[13]) + int(fields[14])) / TICK)


def snapshot(server_pgid: int) -> dict[str, float]:
    """CPU seconds so far: the app server (its process group), PostgreSQL, Redis, and this process's group."""
    if not Path("/proc/self/stat").exists():
        return {}
    own = os.getpgid(0)
    out = {"server": 0.0, "postgres": 0.0, "redis": 0.0, "client": 0.0}
    seen = list(_processes())
    postgres = {pid for pid, comm, *_ in seen if comm.startswith("postgres")}
    for pid, comm, ppid, pgid, cpu, reaped in seen:
        if pgid == server_pgid:
            out["server"] += cpu
        elif comm.startswith("postgres"):
            out["postgres"] += cpu
            if ppid not in postgres:  # the postmaster: backends that ended (a pool closing its overflow
                out["postgres"] += reaped  # connections) count through it, or an app that churns looks cheap
        elif comm.startswith("redis-server"):
            out["redis"] += cpu
        elif pgid == own:
            out["client"] += cpu
    # finished client processes (multiprocessing senders) count through our children's times
    t = os.times()
    out["client"] += t.children_user + t.children_system
    return out


def per_request(before: dict[str, float], after: dict[str, float], requests: int) -> dict[str, float]:
    """CPU milliseconds per request by component, plus ``total``; empty when /proc was not readable."""
    if not before or not requests:
        return {}
    out = {k: (after[k] - before[k]) * 1000 / requests for k in before}
    out["total"] = sum(out.values())
    return out


def describe(ms: dict[str, float]) -> str:
    if not ms:
        return ""
    return "CPU ms/request: " + ", ".join(f"{k} {v:.2f}" for k, v in ms.items() if k != "total") + \
        f"; total {ms['total']:.2f}"


def bounds(floor: dict[str, float], full: dict[str, float]) -> list[str]:
    """What the CPU figures say about the ratio, when the machine's cores are the bottleneck (rate ∝ 1 / CPU):

    - *ceiling here*: the ratio if the app server did the full path for no more CPU than the floor, with
      PostgreSQL, Redis and the client costing what they were measured to cost. No app code can beat it on
      this machine;
    - *app server alone*: the ratio if the app server had the cores to itself (database, cache and load
      generator elsewhere), which is the app code's own share of the gap.
    """
    if not floor or not full:
        return []
    ceiling = floor["total"] / (full["total"] - (full["server"] - floor["server"]))
    alone = floor["server"] / full["server"]
    return [f"ceiling on this machine (app server as cheap as the floor, the rest as measured): {ceiling:.2f}",
            f"app server alone (its CPU, floor/full): {alone:.2f}"]
