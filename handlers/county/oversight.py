"""The county office's oversight: progress board, grade distribution and quotas, anomalies, near-duplicate
summaries, spot checks (抽查) with a circular (通报) draft, and dual filing (双备案) status.

County office only (unit HR may look at its own unit where a ``unit_name`` is accepted). Plain data; charts as
``{"label", "value"}`` lists the console draws.
"""
from __future__ import annotations

import difflib
import heapq
import random
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterator

import numpy as np
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from config.policy import Policy
from models import (
    Cycle, Evaluation, Filing, Person, SpotCheck, SpotFinding, Summary, Tier, Unit, utcnow,
)
from models.rules import similarity, states
from models.rules.calendar import format_local
from models.rules.quota import quota_by_tier

from handlers import audit
from handlers.actor import Actor
from handlers.errors import InvalidInput, NotFound
from handlers.identity.scope import check_period, require_county, unit_scope

SUBMITTED = ("submitted", "locked")
SCORED = ("submitted", "decided", "published")
DECIDED = ("decided", "published")


# ---- progress board --------------------------------------------------------------------------------------------

#: How the board's units can be ordered (``-name`` for descending): name → unit → value.
BOARD_SORTS = {
    "unit": lambda u: u["unit"],
    "late": lambda u: (len(u["late"]), u["unit"]),
    "people": lambda u: u["totals"]["people"],
    "submitted": lambda u: u["totals"]["submitted"] / max(u["totals"]["people"], 1),
    "published": lambda u: u["totals"]["published"] / max(u["totals"]["people"], 1),
}
BOARD_DEFAULT_SORT = "-late"


def board_sort(sort: str | None) -> str:
    """``sort`` if it names one of ``BOARD_SORTS`` (optionally with ``-``), else the default."""
    return sort if sort and sort.lstrip("-") in BOARD_SORTS else BOARD_DEFAULT_SORT


PROGRESS_KEYS = ("people", "submitted", "scored", "decided", "published", "not_graded")


def _progress_counts(which, summary_range: tuple[int, int] | None, *, by_tier: bool = False):
    """Per cycle (and tier, with ``by_tier``), ordered so: the ``PROGRESS_KEYS`` counts of the evaluations ``which``
    selects. Counts are never NULL. ``summary_range``: the cycle id range of the summaries to merge with."""
    on = ((Summary.cycle_id == Evaluation.cycle_id) & (Summary.person_id == Evaluation.person_id)
          & Summary.state.in_(SUBMITTED))
    if summary_range is not None:
        on = on & Summary.cycle_id.between(*summary_range)
    group = (Evaluation.cycle_id, Evaluation.tier_id) if by_tier else (Evaluation.cycle_id,)
    counts = (
        select(*group, func.count().label("people"), func.count(Summary.cycle_id).label("submitted"),
               func.count(case((Evaluation.state.in_(SCORED), 1))).label("scored"),
               func.count(case((Evaluation.state.in_(DECIDED), 1))).label("decided"),
               func.count(case((Evaluation.state == "published", 1))).label("published"),
               func.count(Evaluation.not_graded_reason).label("not_graded"))
        .select_from(Evaluation).outerjoin(Summary, on).where(which).group_by(*group)
    )
    if not by_tier:
        return counts.order_by(Evaluation.cycle_id)
    counts = counts.subquery()
    return (select(counts.c.cycle_id, Tier.name, *(counts.c[k] for k in PROGRESS_KEYS))
            .join(Tier, Tier.id == counts.c.tier_id).order_by(counts.c.cycle_id, counts.c.tier_id))


def progress_board(session: Session, actor: Actor, policy: Policy, year: int, quarter: int, *,
                   unit_name: str | None = None, now: datetime | None = None, q: str | None = None,
                   late_only: bool = False, sort: str | None = None, offset: int = 0,
                   limit: int | None = None) -> dict:
    """For each unit and tier: summaries submitted, scored, decided, published; filed; late steps per unit.

    ``totals``, ``chart``, ``late_units``, ``unit_count`` and ``filed_units`` cover every unit in scope; ``units``
    are those whose name contains ``q`` (and that have a late step, with ``late_only``), ordered by ``sort``
    (``BOARD_SORTS``; without it, and without ``limit``, in the units' own order), ``limit`` of them from
    ``offset``; ``matched`` is how many matched. The counting happens in the database, grouped by cycle (and by
    tier for the units returned).
    """
    check_period(year, quarter)
    unit = unit_scope(session, actor, unit_name)
    now = now or utcnow()
    cycle_ids = select(Cycle.id).where(Cycle.year == year, Cycle.quarter == quarter)
    cq = (select(Cycle.id, Cycle.unit_id, Cycle.state, Cycle.summary_due, Cycle.scoring_due, Cycle.decision_due,
                 Cycle.filing_due, Unit.name).join(Unit, Unit.id == Cycle.unit_id)
          .where(Cycle.year == year, Cycle.quarter == quarter).order_by(Cycle.unit_id))
    fq = select(Filing.unit_id, Filing.state).where(Filing.kind == "results", Filing.year == year,
                                                    Filing.quarter == quarter)
    if unit is not None:
        cycle_ids, cq = cycle_ids.where(Cycle.unit_id == unit.id), cq.where(Cycle.unit_id == unit.id)
        fq = fq.where(Filing.unit_id == unit.id)
    cycles = {c.id: (c, c.name) for c in session.execute(cq)}  # c: a row with the cycle's columns
    # Every unit's totals in one pass over the quarter's evaluations beside its submitted summaries, both read from
    # covering indexes in (cycle, person) order (``ix_evaluations_progress``, the partial ``ix_summaries_submitted``;
    # migration 0013): PostgreSQL merges two index-only range scans and groups by cycle as the rows come, instead of
    # probing or hashing the 285k rows of a province. The quarter's cycles are normally one id range (opened
    # together); when another cycle sits inside the range the IN keeps exactly the quarter's. The per-tier numbers
    # are counted afterwards for the units returned only.
    lo, hi = (min(cycles), max(cycles)) if cycles else (0, -1)
    in_quarter = Evaluation.cycle_id.between(lo, hi)
    if cycles and session.scalar(select(func.count()).select_from(Cycle).where(Cycle.id.between(lo, hi))) \
            != len(cycles):
        in_quarter = in_quarter & Evaluation.cycle_id.in_(cycle_ids)
    filed = dict(session.execute(fq).all())
    units: dict[int, dict] = {}
    for cycle_id, *numbers in session.execute(_progress_counts(in_quarter, (lo, hi))):
        c, unit_label = cycles[cycle_id]
        units[cycle_id] = {"unit": unit_label, "step": states.CYCLE.label(c.state), "state": c.state,
                           "filed": filed.get(c.unit_id), "late": [], "totals": dict(zip(PROGRESS_KEYS, numbers))}
    keys = PROGRESS_KEYS
    for cycle_id, u in units.items():
        c, t = cycles[cycle_id][0], u["totals"]
        # a step is late while the cycle has not moved past it and its deadline has passed
        if c.state in ("draft", "open") and now > c.summary_due and t["submitted"] < t["people"]:
            u["late"].append(f"个人小结（{t['people'] - t['submitted']}人未提交）")
        if c.state in ("draft", "open", "scoring") and now > c.scoring_due and t["scored"] < t["people"]:
            u["late"].append(f"领导评鉴（{t['people'] - t['scored']}人未评鉴）")
        if c.state in ("draft", "open", "scoring", "deciding") and now > c.decision_due and t["decided"] < t["people"]:
            u["late"].append("党委(党组)审定")
        if now > c.filing_due and u["filed"] is None:
            u["late"].append("结果备案")
    board = list(units.values())
    totals = {k: sum(u["totals"][k] for u in board) for k in keys}
    shown = [u for u in board if (not q or q in u["unit"]) and (not late_only or u["late"])]
    matched = len(shown)
    if sort or limit is not None:
        sort = board_sort(sort)
        shown.sort(key=BOARD_SORTS[sort.lstrip("-")], reverse=sort.startswith("-"))
    if limit is not None:
        shown = shown[offset:offset + limit]
    ids = {id(u) for u in shown}
    returned = [cycle_id for cycle_id, u in units.items() if id(u) in ids]
    tier_rows: dict[int, list[dict]] = {cycle_id: [] for cycle_id in returned}
    if returned:  # tiers and deadlines, only for the units returned
        every = len(returned) == len(units)
        which = in_quarter if every else Evaluation.cycle_id.in_(returned)
        for cycle_id, tier, *numbers in session.execute(_progress_counts(which, (lo, hi) if every else None,
                                                                         by_tier=True)):
            tier_rows[cycle_id].append({"tier": tier, **dict(zip(keys, numbers))})
    for cycle_id in returned:
        u, c = units[cycle_id], cycles[cycle_id][0]
        u["tiers"] = tier_rows[cycle_id]
        u["deadlines"] = {s: format_local(getattr(c, f"{s}_due"), policy)
                          for s in ("summary", "scoring", "decision", "filing")}
    if unit is not None:  # one unit: name the people who are late, tier by tier
        from handlers.quarter.progress import unit_progress

        for cycle_id, u in units.items():
            detail = unit_progress(session, actor, policy, unit.id, cycle_id, now=now)
            u["late_people"] = {t.tier: {"summaries": t.late_summaries, "scoring": t.late_scoring}
                                for t in detail.tiers if t.late_summaries or t.late_scoring}
    filed_units = sum(1 for u in board if u["filed"])
    return {
        "year": year, "quarter": quarter, "as_of": format_local(now, policy), "units": shown, "totals": totals,
        "late_units": [{"unit": u["unit"], "late": u["late"]} for u in board if u["late"]],
        "chart": [{"label": label, "value": totals[k]} for k, label in
                  (("people", "考核人数"), ("submitted", "已交小结"), ("scored", "已评鉴"), ("decided", "已审定"),
                   ("published", "已公示"))] + [{"label": "已备案单位", "value": filed_units}],
        "unit_count": len(board), "filed_units": filed_units, "matched": matched, "sort": sort,
    }


# ---- grade distribution and anomalies ------------------------------------------------------------------------

def _grade_counts(session: Session, year: int, quarter: int, unit_id: int | None) -> Iterator[tuple]:
    q = (
        select(Cycle.unit_id, Unit.name, Tier.name, Evaluation.final_grade, func.count(), func.min(Evaluation.total),
               func.max(Evaluation.total), func.count(Evaluation.total))
        .select_from(Evaluation)
        .join(Cycle, Cycle.id == Evaluation.cycle_id).join(Unit, Unit.id == Cycle.unit_id)
        .join(Tier, Tier.id == Evaluation.tier_id)
        .where(Cycle.year == year, Cycle.quarter == quarter, Evaluation.state.in_(DECIDED),
               Evaluation.not_graded_reason.is_(None))
        .group_by(Cycle.unit_id, Unit.name, Tier.id, Tier.name, Evaluation.final_grade)
        .order_by(Cycle.unit_id, Tier.id)
    )
    if unit_id is not None:
        q = q.where(Cycle.unit_id == unit_id)
    return iter(session.execute(q).all())


def grade_distribution(session: Session, actor: Actor, policy: Policy, year: int, quarter: int, *,
                       unit_name: str | None = None) -> dict:
    """Per unit and tier: counts by grade, the 好 quota and whether it was kept."""
    check_period(year, quarter)
    unit = unit_scope(session, actor, unit_name)
    tiers: dict[tuple, dict] = {}
    for unit_id, unit_label, tier, grade, n, lo, hi, scored in _grade_counts(session, year, quarter,
                                                                            unit.id if unit else None):
        t = tiers.setdefault((unit_id, tier), {"unit": unit_label, "tier": tier,
                                               "counts": {g: 0 for g in policy.grades}, "graded": 0,
                                               "min_total": None, "max_total": None, "scored": 0})
        if grade in t["counts"]:
            t["counts"][grade] += n
        t["graded"] += n
        t["scored"] += scored
        if lo is not None:
            t["min_total"] = lo if t["min_total"] is None else min(t["min_total"], lo)
            t["max_total"] = hi if t["max_total"] is None else max(t["max_total"], hi)
    rows = []
    overall = {g: 0 for g in policy.grades}
    by_unit: dict[int, dict[str, dict]] = {}
    for (unit_id, tier), t in tiers.items():
        by_unit.setdefault(unit_id, {})[tier] = t
    for unit_tiers in by_unit.values():  # the quota groups of one unit (pooled as the policy says)
        groups = quota_by_tier({k: (t["graded"], t["counts"][policy.good_grade]) for k, t in unit_tiers.items()},
                               policy)
        for k, t in unit_tiers.items():
            t["quota"], t["quota_group"] = groups[k].quota, groups[k].tier
            t["within_quota"] = not groups[k].exceeded
    for t in tiers.values():
        t["good"] = t["counts"][policy.good_grade]
        for g, n in t["counts"].items():
            overall[g] += n
        rows.append(t)
    return {"year": year, "quarter": quarter, "tiers": rows,
            "over_quota": [r for r in rows if not r["within_quota"]],
            "chart": [{"label": g, "value": n} for g, n in overall.items()]}


def anomalies(session: Session, actor: Actor, policy: Policy, year: int, quarter: int, *,
              include_duplicates: bool = True) -> list[dict]:
    """What a spot check should look at: all-好 tiers, over quota, identical scores, the same grades every
    quarter, near-duplicate summaries."""
    require_county(actor)
    dist = grade_distribution(session, actor, policy, year, quarter)
    out: list[dict] = []
    good = policy.good_grade
    for t in dist["tiers"]:
        where = {"unit": t["unit"], "tier": t["tier"]}
        if t["graded"] >= 2 and t["good"] == t["graded"]:
            out.append({"kind": "all_good", "label": f"考评组全部为{good}", **where,
                        "detail": f"{t['graded']}人全部确定为{good}等次"})
        if not t["within_quota"]:
            out.append({"kind": "over_quota", "label": f"{good}等次超过名额", **where,
                        "detail": f"{good}等次{t['good']}人，名额{t['quota']}人"})
        if t["scored"] >= 3 and t["min_total"] is not None and t["min_total"] == t["max_total"]:
            out.append({"kind": "identical_scores", "label": "评鉴得分完全相同", **where,
                        "detail": f"{t['scored']}人得分均为{t['min_total']:g}"})
    out.extend(_same_grades(session, policy, year, quarter))
    if include_duplicates:
        found = near_duplicates(session, actor, policy, year, quarter, limit=50)
        for p in found["pairs"]:
            out.append({"kind": "near_duplicate", "label": "个人小结高度雷同", "unit": p["a"]["unit"], "tier": "",
                        "detail": f"{p['a']['name']}与{p['b']['name']}"
                                  f"{'（上季度）' if p['kind'] == 'last_quarter' else ''}相似度{p['similarity']:.0%}"})
    return out


def _quarters_back(year: int, quarter: int, n: int) -> list[tuple[int, int]]:
    out = []
    for _ in range(n):
        out.append((year, quarter))
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return out


def _same_grades(session: Session, policy: Policy, year: int, quarter: int) -> list[dict]:
    n = policy.results.same_grades_quarters
    periods = _quarters_back(year, quarter, n)
    cond = None
    for y, q in periods:
        c = (Cycle.year == y) & (Cycle.quarter == q)
        cond = c if cond is None else cond | c
    rows = session.execute(
        select(Cycle.unit_id, Unit.name, Cycle.year, Cycle.quarter, Evaluation.final_grade, func.count())
        .select_from(Evaluation).join(Cycle, Cycle.id == Evaluation.cycle_id).join(Unit, Unit.id == Cycle.unit_id)
        .where(cond, Evaluation.state.in_(DECIDED), Evaluation.not_graded_reason.is_(None))
        .group_by(Cycle.unit_id, Unit.name, Cycle.year, Cycle.quarter, Evaluation.final_grade)
    )
    per_unit: dict[int, dict] = {}
    names: dict[int, str] = {}
    for unit_id, name, y, q, grade, count in rows:
        names[unit_id] = name
        per_unit.setdefault(unit_id, {}).setdefault((y, q), {})[grade] = count
    out = []
    for unit_id, by_q in per_unit.items():
        if len(by_q) == n and len({tuple(sorted(v.items())) for v in by_q.values()}) == 1:
            counts = "，".join(f"{g}{c}人" for g, c in sorted(next(iter(by_q.values())).items(),
                                                               key=lambda x: policy.grades.index(x[0])))
            out.append({"kind": "same_grades", "label": "连续多个季度等次分布完全相同", "unit": names[unit_id],
                        "tier": "", "detail": f"连续{n}个季度均为：{counts}"})
    return out


# ---- near-duplicate summaries (datasketch MinHash LSH) -------------------------------------------------------

shingles = similarity.shingles


def _overlap(a: str, b: str) -> tuple[str, float]:
    """The longest passage both texts share (up to 200 characters), and the share of matching text."""
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    m = matcher.find_longest_match(0, len(a), 0, len(b))
    return a[m.a:m.a + m.size][:200], round(matcher.ratio(), 3)


@dataclass(eq=False)
class _S:
    person_id: int
    staff_no: str
    name: str
    unit: str
    text: str
    codes: np.ndarray | None = None  # sorted packed shingle codes, when they are the shingles one-to-one
    sh: set | None = None  # the shingles themselves, only when codes cannot stand for them


def _summaries(session: Session, year: int, quarter: int, unit_id: int | None) -> Iterator[tuple[int, list[_S]]]:
    """Summaries of the quarter, one unit at a time (ordered by unit), streamed."""
    q = (
        select(Cycle.unit_id, Unit.name, Person.id, Person.staff_no, Person.name, Summary.paragraphs)
        .select_from(Summary).join(Cycle, Cycle.id == Summary.cycle_id).join(Unit, Unit.id == Cycle.unit_id)
        .join(Person, Person.id == Summary.person_id)
        .where(Cycle.year == year, Cycle.quarter == quarter)
        .order_by(Cycle.unit_id, Person.staff_no)
        .execution_options(yield_per=5000)
    )
    if unit_id is not None:
        q = q.where(Cycle.unit_id == unit_id)
    current, batch = None, []
    for uid, unit_label, pid, staff_no, name, paragraphs in session.execute(q):
        if uid != current and batch:
            yield current, batch
            batch = []
        current = uid
        batch.append(_S(pid, staff_no, name, unit_label, "\n".join(paragraphs or [])))
    if batch:
        yield current, batch


_CHUNK_TEXTS = 600  # summaries signed per numpy pass: ~40 MB of work arrays


def _chunks(units: Iterator[tuple[int, list[_S]]], size: int) -> Iterator[list[tuple[int, list[_S]]]]:
    """Whole units, grouped until a group holds at least ``size`` summaries."""
    group, count = [], 0
    for item in units:
        group.append(item)
        count += len(item[1])
        if count >= size:
            yield group
            group, count = [], 0
    if group:
        yield group


def _shingled(texts: list[_S], k: int) -> similarity.Batch:
    """Shingle every text of the batch at once; keep the code set where it is exact."""
    batch = similarity.shingle_codes([s.text for s in texts], k)
    for i, s in enumerate(texts):
        if batch.exact[i]:
            s.codes = batch.of(i)
    return batch


def _similar(x: _S, y: _S, k: int) -> float:
    """The exact Jaccard similarity of the two texts' character shingles."""
    if x.codes is not None and y.codes is not None:
        return similarity.jaccard_sorted(x.codes, y.codes)
    if x.sh is None:
        x.sh = shingles(x.text, k)
    if y.sh is None:
        y.sh = shingles(y.text, k)
    return similarity.jaccard(x.sh, y.sh)


def near_duplicates(session: Session, actor: Actor, policy: Policy, year: int, quarter: int, *,
                    unit_name: str | None = None, limit: int = 100) -> dict:
    """Summaries nearly identical to a colleague's (same unit, same quarter) or to the same person's last
    quarter. MinHash LSH (datasketch) finds candidates; the exact Jaccard of character shingles confirms them.
    Returns the ``limit`` most similar pairs with their longest shared passage, and the totals.

    A unit's summaries are shingled and signed in one numpy pass with datasketch's own hash and permutations, each
    distinct shingle hashed once per run (``models.rules.similarity``); the LSH's bands are computed once per
    (threshold, num_perm) and its buckets kept as ``MinHashLSH`` keeps them (``BandIndex``). Same signatures as
    ``MinHash.update_batch``, so the same candidates, in the same order, and the same pairs.
    """
    check_period(year, quarter)
    unit = unit_scope(session, actor, unit_name)
    cfg = policy.results
    k, threshold, num_perm = cfg.duplicate_shingle_chars, cfg.duplicate_threshold, cfg.duplicate_num_perm
    params = similarity.lsh_params(threshold, num_perm, cfg.duplicate_recall)
    memo = similarity.Sha1Memo(k)
    started = time.perf_counter()
    py, pq = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    previous = _summaries(session, py, pq, unit.id if unit else None)
    prev_unit, prev_batch = next(previous, (None, []))
    heap: list[tuple] = []
    totals = {"summaries": 0, "compared": 0, "colleague": 0, "last_quarter": 0}
    seq = 0

    def keep(sim: float, kind: str, a: _S, b: _S) -> None:
        nonlocal seq
        totals[kind] += 1
        seq += 1
        item = (sim, -seq, kind, a, b)
        if len(heap) < limit:
            heapq.heappush(heap, item)
        elif item > heap[0]:
            heapq.heapreplace(heap, item)

    # last quarter's summaries stream alongside this quarter's (both ordered by unit); several units are shingled
    # and signed together (each text's codes and signature do not depend on its neighbours), then searched one by one
    minimum = cfg.duplicate_min_chars
    for chunk in _chunks(_summaries(session, year, quarter, unit.id if unit else None), _CHUNK_TEXTS):
        units, current, earlier = [], [], []
        for unit_id, batch in chunk:
            totals["summaries"] += len(batch)
            while prev_unit is not None and prev_unit < unit_id:
                prev_unit, prev_batch = next(previous, (None, []))
            last = {s.person_id: s for s in prev_batch} if prev_unit == unit_id else {}
            texts = [s for s in batch if len(s.text) >= minimum]
            units.append((texts, last, len(current)))
            current += texts
            earlier += [b for b in (last.get(s.person_id) for s in texts) if b is not None and len(b.text) >= minimum]
        if not current:
            continue
        hashes, offsets = similarity.sha1_hashes([s.text for s in current], _shingled(current, k), memo)
        signed_all = similarity.signatures(hashes, offsets, num_perm)
        if earlier:
            _shingled(earlier, k)
        for texts, last, at in units:
            lsh = similarity.BandIndex(params)
            for i, (s, keys) in enumerate(zip(texts, lsh.band_keys(signed_all[at:at + len(texts)]), strict=True)):
                for j in lsh.query(keys):
                    totals["compared"] += 1
                    sim = _similar(s, texts[j], k)
                    if sim >= threshold:
                        keep(sim, "colleague", texts[j], s)
                lsh.insert(i, keys)
                before = last.get(s.person_id)
                if before is not None and len(before.text) >= minimum:
                    sim = _similar(s, before, k)
                    if sim >= threshold:
                        keep(sim, "last_quarter", s, before)
    pairs = []
    for sim, _, kind, a, b in sorted(heap, reverse=True):
        overlap, ratio = _overlap(a.text, b.text)
        pairs.append({"kind": kind, "similarity": round(sim, 3),
                      "a": {"staff_no": a.staff_no, "name": a.name, "unit": a.unit, "text": a.text},
                      "b": {"staff_no": b.staff_no, "name": b.name, "unit": b.unit, "text": b.text,
                            "quarter": f"{py}年第{pq}季度" if kind == "last_quarter" else f"{year}年第{quarter}季度"},
                      "overlap": overlap, "text_ratio": ratio})
    return {"year": year, "quarter": quarter, "threshold": threshold, **totals,
            "pairs_found": totals["colleague"] + totals["last_quarter"], "pairs": pairs,
            "seconds": round(time.perf_counter() - started, 2)}


# ---- spot checks ----------------------------------------------------------------------------------------------

def draw_spot_check(session: Session, actor: Actor, policy: Policy, year: int, quarter: int, *,
                    seed: int | None = None, units: int | None = None, people_per_unit: int | None = None) -> dict:
    """Draw units and people at random; the seed is recorded so the same draw can be reproduced. Audited."""
    require_county(actor)
    check_period(year, quarter)
    units = units or policy.results.spot_check_units
    people_per_unit = people_per_unit or policy.results.spot_check_people_per_unit
    if units < 1 or people_per_unit < 1:
        raise InvalidInput("抽查的单位数和每单位人数都至少为 1")
    seed = seed if seed is not None else random.SystemRandom().randrange(1, 2**31 - 1)
    sample = sample_for(session, year, quarter, seed, units, people_per_unit)
    if not sample:
        raise NotFound(f"{year}年第{quarter}季度还没有任何单位的考核")
    check = SpotCheck(year=year, quarter=quarter, seed=seed, units=units, people_per_unit=people_per_unit,
                      sample=sample, created_by=actor.ref)
    session.add(check)
    session.flush()
    audit.record(session, actor, "spotcheck.draw", "spot_check", check.id, None,
                 {"year": year, "quarter": quarter, "seed": seed, "units": [u["unit"] for u in sample]})
    return spot_check_view(session, actor, check.id)


def sample_for(session: Session, year: int, quarter: int, seed: int, units: int, people_per_unit: int) -> list[dict]:
    """The draw itself: deterministic for (data, seed, sizes)."""
    rng = random.Random(seed)
    cycles = session.execute(select(Cycle.id, Unit.id, Unit.name).join(Unit, Unit.id == Cycle.unit_id)
                             .where(Cycle.year == year, Cycle.quarter == quarter).order_by(Unit.id)).all()
    chosen = sorted(rng.sample(cycles, min(units, len(cycles))), key=lambda c: c[1])
    out = []
    for cycle_id, unit_id, unit_label in chosen:
        people = session.execute(select(Person.staff_no, Person.name).join(Evaluation, Evaluation.person_id ==
                                                                           Person.id)
                                 .where(Evaluation.cycle_id == cycle_id).order_by(Person.staff_no)).all()
        picked = sorted(rng.sample(people, min(people_per_unit, len(people))))
        out.append({"unit_id": unit_id, "unit": unit_label,
                    "people": [{"staff_no": s, "name": n} for s, n in picked]})
    return out


def _check(session: Session, actor: Actor, spot_check_id: int) -> SpotCheck:
    require_county(actor)
    check = session.get(SpotCheck, spot_check_id)
    if check is None:
        raise NotFound(f"找不到编号为 {spot_check_id} 的抽查")
    return check


def list_spot_checks(session: Session, actor: Actor, policy: Policy, *, offset: int = 0, limit: int = 20,
                     year: int | None = None) -> tuple[list[dict], int]:
    """Past spot checks, newest first, with how many units/people were drawn and how many findings were recorded."""
    require_county(actor)
    where = [SpotCheck.year == year] if year is not None else []
    total = session.scalar(select(func.count()).select_from(SpotCheck).where(*where)) or 0
    findings = (select(SpotFinding.spot_check_id, func.count().label("n")).group_by(SpotFinding.spot_check_id)
                .subquery())
    rows = session.execute(
        select(SpotCheck, func.coalesce(findings.c.n, 0)).outerjoin(findings, findings.c.spot_check_id == SpotCheck.id)
        .where(*where).order_by(SpotCheck.id.desc()).offset(offset).limit(limit)).all()
    return [{"id": c.id, "year": c.year, "quarter": c.quarter, "seed": c.seed,
             "units": [u["unit"] for u in c.sample], "people": sum(len(u["people"]) for u in c.sample),
             "findings": n, "created_by": c.created_by,
             "created_at": format_local(c.created_at, policy)}
            for c, n in rows], total


def spot_check_view(session: Session, actor: Actor, spot_check_id: int) -> dict:
    check = _check(session, actor, spot_check_id)
    findings = session.execute(
        select(SpotFinding, Unit.name, Person.staff_no, Person.name).join(Unit, Unit.id == SpotFinding.unit_id)
        .outerjoin(Person, Person.id == SpotFinding.person_id)
        .where(SpotFinding.spot_check_id == check.id).order_by(SpotFinding.id)).all()
    return {"id": check.id, "year": check.year, "quarter": check.quarter, "seed": check.seed,
            "units": check.units, "people_per_unit": check.people_per_unit, "sample": check.sample,
            "created_by": check.created_by,
            "findings": [{"id": f.id, "unit": u, "staff_no": s, "name": n, "text": f.text} for f, u, s, n in findings]}


def add_finding(session: Session, actor: Actor, spot_check_id: int, unit_name: str, text: str, *,
                staff_no: str | None = None) -> dict:
    """A finding about a drawn unit (optionally one of its drawn people). Audited."""
    check = _check(session, actor, spot_check_id)
    text = (text or "").strip()
    if not text or len(text) > 2000:
        raise InvalidInput("抽查发现的问题不能为空，且不超过 2000 字")
    drawn = next((u for u in check.sample if u["unit"] == unit_name), None)
    if drawn is None:
        raise InvalidInput(f"“{unit_name}”不在本次抽查的单位中")
    person_id = None
    if staff_no:
        if staff_no not in {p["staff_no"] for p in drawn["people"]}:
            raise InvalidInput(f"人员 {staff_no} 不在本次抽查的人员中")
        person_id = session.scalar(select(Person.id).where(Person.staff_no == staff_no))
    finding = SpotFinding(spot_check_id=check.id, unit_id=drawn["unit_id"], person_id=person_id, text=text,
                          recorded_by=actor.ref)
    session.add(finding)
    session.flush()
    audit.record(session, actor, "spotcheck.finding", "spot_check", check.id, None,
                 {"finding_id": finding.id, "unit": unit_name, "staff_no": staff_no, "text": text})
    return {"id": finding.id, "unit": unit_name, "staff_no": staff_no, "text": text}


def circular_draft(session: Session, actor: Actor, policy: Policy, spot_check_id: int,
                   today: date | None = None) -> dict:
    """A 通报 draft from the findings: title and body, ready to be edited and sent as a notice."""
    view = spot_check_view(session, actor, spot_check_id)
    today = today or date.today()
    by_unit: dict[str, list[dict]] = {}
    for f in view["findings"]:
        by_unit.setdefault(f["unit"], []).append(f)
    drawn = "、".join(u["unit"] for u in view["sample"])
    people = sum(len(u["people"]) for u in view["sample"])
    title = f"关于{view['year']}年第{view['quarter']}季度公务员平时考核抽查情况的通报"
    lines = [
        "各单位：",
        f"　　根据平时考核工作安排，{policy.contact}对{view['year']}年第{view['quarter']}季度平时考核工作进行了随机抽查"
        f"（随机种子 {view['seed']}），共抽查 {len(view['sample'])} 个单位（{drawn}）、{people} 名公务员的"
        "平时考核登记表、考核评鉴表和结果一览表。现将有关情况通报如下：",
    ]
    if by_unit:
        lines.append("　　一、发现的问题")
        for i, (unit_label, items) in enumerate(by_unit.items(), start=1):
            # a finding typed with its own full stop reads once: "…工作。", not "…工作。。" or "…工作。；…"
            details = "；".join((f"{f['name']}（{f['staff_no']}）：" if f["staff_no"] else "")
                                + f["text"].rstrip("。；;. ") for f in items)
            lines.append(f"　　{i}. {unit_label}：{details}。")
        lines.append("　　二、整改要求")
        lines.append("　　请上述单位对照问题认真整改，于收到本通报之日起 15 日内将整改情况报送"
                     f"{policy.contact}。其他单位要举一反三，严格按规定程序开展平时考核。")
    else:
        lines.append("　　抽查的单位均按规定程序开展了平时考核，未发现明显问题。请各单位继续严格落实平时考核制度。")
    lines += ["", f"{policy.county}{policy.contact.removeprefix('县')}", f"{today.year}年{today.month}月{today.day}日"]
    return {"title": title, "text": "\n".join(lines), "units": list(by_unit), "findings": len(view["findings"])}


# ---- dual filing (双备案) --------------------------------------------------------------------------------------

FILING_KINDS = {"annual_plan": "年初方案及人员备案", "changes": "人员异动备案", "results": "结果备案"}


def filing_status(session: Session, actor: Actor, policy: Policy, year: int, *, unit_name: str | None = None) -> dict:
    """Per unit: the annual plan + roster filing, and for each quarter the change list and results filings."""
    check_period(year, need_quarter=False)
    unit = unit_scope(session, actor, unit_name)
    uq = select(Unit.id, Unit.name).order_by(Unit.id)
    fq = select(Filing.unit_id, Filing.kind, Filing.quarter, Filing.state, Filing.changed_at).where(Filing.year == year)
    if unit is not None:
        uq, fq = uq.where(Unit.id == unit.id), fq.where(Filing.unit_id == unit.id)
    filings: dict[int, dict] = {}
    for unit_id, kind, quarter, state, changed_at in session.execute(fq):  # an objection changed a filed result:
        filings.setdefault(unit_id, {})[(kind, quarter)] = "changed" if changed_at is not None else state
    label = {"submitted": "已报送", "accepted": "已通过", "returned": "已退回", "changed": "结果已变更，需更正备案"}
    rows = []
    missing_plan = 0
    for unit_id, name in session.execute(uq):
        f = filings.get(unit_id, {})
        plan = f.get(("annual_plan", 0))
        missing_plan += plan is None
        rows.append({"unit": name, "annual_plan": label.get(plan, plan) if plan else "未备案",
                     "quarters": [{"quarter": q, "changes": label.get(f.get(("changes", q)), "未备案"),
                                   "results": label.get(f.get(("results", q)), "未备案")} for q in (1, 2, 3, 4)]})
    filed_results = [sum(1 for r in rows if r["quarters"][q - 1]["results"] != "未备案") for q in (1, 2, 3, 4)]
    return {"year": year, "units": rows, "missing_annual_plan": missing_plan,
            "chart": [{"label": f"第{q}季度结果备案", "value": filed_results[q - 1]} for q in (1, 2, 3, 4)]
            + [{"label": "年初方案已备案", "value": len(rows) - missing_plan}]}


def send_circular(session: Session, actor: Actor, policy: Policy, spot_check_id: int, *,
                  to: list[str] | None = None, send_at=None, today: date | None = None):
    """Send the spot check's 通报 as a notice (the notices channel: WeChat messages and work-group robots).

    The default audience is every unit's HR (单位管理员), who act on a circular. A draft too long for a notice is
    refused with a clear message rather than cut: the office edits it and sends it with ``kaohe notice send``."""
    from handlers.outbound import notices

    draft = circular_draft(session, actor, policy, spot_check_id, today=today)
    if len(draft["text"]) > notices.BODY_MAX:
        raise InvalidInput(f"通报稿共 {len(draft['text'])} 字，超过通知正文上限 {notices.BODY_MAX} 字；"
                           "请精简后用“kaohe notice send”发送")
    notice = notices.compose(session, actor, title=draft["title"], body=draft["text"],
                             to=list(to or ["role:单位管理员"]), send_at=send_at)
    audit.record(session, actor, "spot_check.circular_sent", "spot_check", spot_check_id, None,
                 {"notice_id": notice.id, "to": notice.audience})
    return notice
