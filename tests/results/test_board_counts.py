"""The board's counting query against the straightforward count, on a small randomized county.

Runs on SQLite by default and on PostgreSQL with KAOHE_TEST_DATABASE_URL (the same fixtures as the rest of the suite),
so the covering indexes of migration 0013 and the query's outer join on submitted summaries are checked on both.
"""
from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from handlers.actor import system_actor
from handlers.county import oversight as O
from models import Cycle, Evaluation, Filing, Summary, Tier
from models.rules.calendar import step_deadlines
from tests import factories as f

E_STATES = ("pending", "scoring", "submitted", "decided", "published")
S_STATES = (None, "draft", "submitted", "returned", "locked")
C_STATES = ("draft", "open", "scoring", "deciding", "publicity", "filed")


def _cycle(session, policy, unit, year, quarter, state):
    due = step_deadlines(year, quarter, policy)
    c = Cycle(unit_id=unit.id, year=year, quarter=quarter, state=state, summary_due=due["summary"],
              scoring_due=due["scoring"], decision_due=due["decision"], filing_due=due["filing"])
    session.add(c)
    session.flush()
    return c


def random_county(session, policy, rng: random.Random, interleaved: bool, units: int = 12, people: int = 140):
    """Units with one to three tiers, people spread over them, the 2026 Q3 cycle in a random step for most units
    (one unit has none), random evaluation and summary states, some summaries with no evaluation in the cycle
    (someone who left), a Q2 cycle as noise, and results filings for some units. ``interleaved``: the Q2 cycles'
    ids sit between the Q3 cycles' (the board's IN path); else the Q3 cycles are one id range (its range path)."""
    made = []
    for i in range(units):
        tiers = ("中层干部", "一般干事", "工勤")[:rng.randint(1, 3)]
        made.append((f.unit(session, f"随机单位{i:02d}", tiers=tiers), tiers))
    staff = []
    for _ in range(people):
        u, tiers = rng.choice(made)
        staff.append((f.person(session, u, rng.choice(tiers)), u))
    tier_ids = {t.unit_id: [] for t in session.scalars(select(Tier))}
    for t in session.scalars(select(Tier).order_by(Tier.id)):
        tier_ids[t.unit_id].append(t.id)
    cycles = {}
    if not interleaved:
        for u, _ in made[1:]:
            cycles[u.id] = _cycle(session, policy, u, 2026, 3, rng.choice(C_STATES))
    for u, _ in made[1:]:  # the first unit has not opened the quarter
        if interleaved:
            cycles[u.id] = _cycle(session, policy, u, 2026, 3, rng.choice(C_STATES))
        if rng.random() < 0.5:
            q2 = _cycle(session, policy, u, 2026, 2, "filed")
            for p, home in staff:
                if home.id == u.id:
                    session.add(Evaluation(cycle_id=q2.id, person_id=p.id, tier_id=rng.choice(tier_ids[u.id]),
                                           state="published"))
                    session.add(Summary(cycle_id=q2.id, person_id=p.id, state="locked"))
        if rng.random() < 0.4:
            session.add(Filing(kind="results", unit_id=u.id, year=2026, quarter=3, submitted_by="x",
                               state=rng.choice(("submitted", "accepted"))))
    for p, u in staff:
        c = cycles.get(u.id)
        if c is None:
            continue
        evaluated = rng.random() < 0.9
        if evaluated:
            session.add(Evaluation(
                cycle_id=c.id, person_id=p.id, tier_id=rng.choice(tier_ids[u.id]), state=rng.choice(E_STATES),
                not_graded_reason=rng.choice((None, None, None, "新录用人员试用期内"))))
        s_state = rng.choice(S_STATES)
        if s_state is not None:  # a summary even for someone not evaluated: it must not be counted
            session.add(Summary(cycle_id=c.id, person_id=p.id, state=s_state))
    session.flush()


def straightforward(session, year: int, quarter: int) -> dict[str, dict[str, dict[str, int]]]:
    """Unit → tier → counts, one evaluation at a time, the summary looked up by (cycle, person)."""
    summaries = {(s.cycle_id, s.person_id): s.state for s in session.scalars(select(Summary))}
    out: dict[str, dict[str, dict[str, int]]] = {}
    rows = session.execute(select(Evaluation, Cycle, Tier).join(Cycle, Cycle.id == Evaluation.cycle_id)
                           .join(Tier, Tier.id == Evaluation.tier_id)
                           .where(Cycle.year == year, Cycle.quarter == quarter))
    for e, c, t in rows:
        n = out.setdefault(c.unit.name, {}).setdefault(t.name, dict.fromkeys(
            ("people", "submitted", "scored", "decided", "published", "not_graded"), 0))
        n["people"] += 1
        n["submitted"] += summaries.get((e.cycle_id, e.person_id)) in ("submitted", "locked")
        n["scored"] += e.state in ("submitted", "decided", "published")
        n["decided"] += e.state in ("decided", "published")
        n["published"] += e.state == "published"
        n["not_graded"] += e.not_graded_reason is not None
    return out


@pytest.mark.parametrize("interleaved", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_board_counts_equal_the_straightforward_count(session, policy, seed, interleaved):
    random_county(session, policy, random.Random(seed), interleaved)
    q3 = sorted(session.scalars(select(Cycle.id).where(Cycle.year == 2026, Cycle.quarter == 3)))
    others = session.scalars(select(Cycle.id).where(Cycle.id.between(q3[0], q3[-1]), Cycle.quarter != 3)).all()
    assert bool(others) == interleaved
    expected = straightforward(session, 2026, 3)
    assert sum(n["submitted"] for tiers in expected.values() for n in tiers.values()) > 0  # the data is not trivial
    now = datetime(2026, 10, 20, tzinfo=timezone.utc)
    board = O.progress_board(session, system_actor(), policy, 2026, 3, now=now)
    got = {u["unit"]: {t["tier"]: {k: v for k, v in t.items() if k != "tier"} for t in u["tiers"]}
           for u in board["units"]}
    assert got == expected
    for u in board["units"]:
        assert u["totals"] == {k: sum(t[k] for t in expected[u["unit"]].values()) for k in u["totals"]}
    totals = {k: sum(n[k] for tiers in expected.values() for n in tiers.values())
              for k in ("people", "submitted", "scored", "decided", "published", "not_graded")}
    assert board["totals"] == totals
    assert board["chart"][:5] == [{"label": label, "value": totals[k]} for k, label in
                                  (("people", "考核人数"), ("submitted", "已交小结"), ("scored", "已评鉴"),
                                   ("decided", "已审定"), ("published", "已公示"))]
    # the paged, sorted first page is the same units' numbers
    page = O.progress_board(session, system_actor(), policy, 2026, 3, now=now, sort="-submitted", limit=5)
    assert page["totals"] == totals and page["matched"] == len(expected)
    for u in page["units"]:
        assert {t["tier"]: t["submitted"] for t in u["tiers"]} == {k: n["submitted"]
                                                                  for k, n in expected[u["unit"]].items()}
    # one unit's drill-down counts the same
    name = min(expected)
    one = O.progress_board(session, system_actor(), policy, 2026, 3, now=now, unit_name=name)
    assert one["units"][0]["totals"] == {k: sum(t[k] for t in expected[name].values()) for k in totals}
