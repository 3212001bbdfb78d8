"""``kaohe seed-demo``: a deterministic, realistic synthetic county, fast enough for a province.

Rows are written with Core bulk inserts and pre-assigned ids (no per-row round trips). Everything is
derived from one ``random.Random(seed)``, so the same arguments give the same county.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable, Iterator

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from config.policy import Policy
from models import (
    AuditEntry, CommitteeDecision, County, Cycle, Evaluation, Filing, Indicator, Membership, Person, RoleGrant,
    Section, Summary, Tier, Unit,
)
from models.db import refresh_statistics
from models.rules.calendar import quarter_bounds, quarter_of, step_deadlines
from models.rules.eligibility import leader_placement, not_graded_reason
from models.rules.quota import good_quota, quota_groups
from models.rules.scoring import suggested_grade

from handlers import seed_data as W
from handlers.errors import Conflict

Progress = Callable[[str, int], None]
BATCH = 5000


@dataclass
class SeedReport:
    units: int = 0
    people: int = 0
    rows: int = 0
    cycles: int = 0
    seconds: float = 0.0
    samples: dict = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass
class _P:
    id: int
    staff_no: str
    unit: int
    tier: int
    section: int | None
    post: str
    leader: bool
    supervisor: int | None
    hired_on: date
    quality: float


def _names(rng: random.Random) -> Iterator[str]:
    while True:
        yield rng.choice(W.SURNAMES) + "".join(rng.choice(W.GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _unit_names(n: int, rng: random.Random) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = [(name, "机关") for name in W.AGENCIES[: max(1, n - n * 35 // 100)]]
    used = {name for name, _ in out}
    places = [a + b for a in W.PLACE for b in W.PLACE if a != b]
    rng.shuffle(places)
    i = 0
    while len(out) < n:
        place = places[i % len(places)]
        suffix = "" if i < len(places) else str(i // len(places) + 1)
        kind = "镇" if i % 3 else "乡"
        name = f"{place}{kind}{suffix}"
        i += 1
        if name not in used:
            used.add(name)
            out.append((name, "乡镇"))
    return out[:n]


class _Writer:
    """Buffers rows per table and flushes them in batches."""

    def __init__(self, session: Session, progress: Progress | None):
        self.session, self.progress = session, progress
        self.buffers: dict[type, list[dict]] = {}
        self.rows = 0

    def add(self, model, **row) -> None:
        buf = self.buffers.setdefault(model, [])
        buf.append(row)
        if len(buf) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """All tables, in the order first seen (parents before children, so foreign keys hold)."""
        for m in list(self.buffers):
            buf = self.buffers.get(m)
            if buf:
                self.session.execute(insert(m), buf)
                self.rows += len(buf)
                if self.progress:
                    self.progress(m.__tablename__, len(buf))
                self.buffers[m] = []


def seed_demo(
    session: Session, policy: Policy, *, units: int = 77, people: int = 1300, seed: int = 2021,
    history_years: tuple[int, ...] = (2021,), today: date, progress: Progress | None = None,
) -> SeedReport:
    """Build a county of ``units`` units and ``people`` people with past quarters filed and today's open."""
    import time as _time

    started = _time.perf_counter()
    if session.scalar(select(func.count()).select_from(Person)):
        raise Conflict("数据库中已有人员数据，演示数据只能写入空库", "not_empty")
    if units < 2 or people < units * 3:
        raise Conflict("单位数至少为 2，且每个单位平均至少 3 人", "bad_size")
    rng = random.Random(seed)
    w = _Writer(session, progress)
    county = County(name=policy.county)
    session.add(county)
    session.flush()

    unit_rows = _unit_names(units, rng)
    tiers: dict[int, list[int]] = {}
    sections: dict[int, list[int]] = {}
    tier_id = section_id = 0
    for uid, (name, kind) in enumerate(unit_rows, start=1):
        w.add(Unit, id=uid, county_id=county.id, name=name, kind=kind)
        for tname in W.TIERS_TOWN if kind == "乡镇" else W.TIERS_AGENCY:
            tier_id += 1
            w.add(Tier, id=tier_id, unit_id=uid, name=tname)
            tiers.setdefault(uid, []).append(tier_id)
        for sname in rng.sample(W.SECTIONS_TOWN if kind == "乡镇" else W.SECTIONS_AGENCY, 3):
            section_id += 1
            w.add(Section, id=section_id, unit_id=uid, name=sname)
            sections.setdefault(uid, []).append(section_id)
    w.flush()

    # people: spread over units, the first of each unit is its head, the next two are deputies (supervisors)
    names = _names(rng)
    per_unit = [people // units] * units
    for i in range(people - sum(per_unit)):
        per_unit[i % units] += 1
    persons: list[_P] = []
    pid = 0
    this_year, this_quarter = quarter_of(today)
    for uid, count in enumerate(per_unit, start=1):
        kind = unit_rows[uid - 1][1]
        unit_tiers, unit_sections = tiers[uid], sections[uid]
        head = deputies = None
        for k in range(count):
            pid += 1
            leader = k < 3
            section = unit_sections[(k - 1) % len(unit_sections)] if k >= 1 else None
            if kind == "乡镇":
                tier = unit_tiers[1] if leader else unit_tiers[rng.randrange(len(unit_tiers))]
                post = "党委书记" if k == 0 else ("党委委员、副镇长" if leader else rng.choice(W.POSTS_TOWN))
            else:
                tier = unit_tiers[0] if leader or rng.random() < 0.25 else unit_tiers[1]
                post = "党组书记、局长" if k == 0 else ("党组成员、副局长" if leader else rng.choice(W.POSTS_AGENCY))
            if k == 0:
                head, supervisor = pid, None
            elif leader:
                supervisor = head
                deputies = (deputies or []) + [pid]
            else:
                supervisor = deputies[(k - 3) % len(deputies)] if deputies else head
            recent = rng.random() < 0.03
            hired = (date(this_year, 1, 1) + timedelta(days=rng.randrange(max(1, (today - date(this_year, 1, 1)).days)))
                     if recent else date(rng.randrange(1995, 2020), rng.randrange(1, 13), rng.randrange(1, 28)))
            persons.append(_P(pid, f"P{pid:06d}", uid, tier, section, post, leader, supervisor, hired,
                              min(99.0, max(50.0, rng.gauss(87.5, 4.5)))))
            w.add(Person, id=pid, staff_no=f"P{pid:06d}", name=next(names),
                  phone=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}", staffing_type=rng.choice(W.STAFFING),
                  hired_on=hired, status="active", created_at=datetime.now(timezone.utc))
    w.flush()
    grant_id = 0
    for p in persons:
        w.add(Membership, id=p.id, person_id=p.id, unit_id=p.unit, section_id=p.section, tier_id=p.tier,
              post=p.post, rank=rng.choice(W.RANKS), is_leader=p.leader, supervisor_id=p.supervisor,
              on_leave=False, change="hire", start_on=max(p.hired_on, date(2020, 1, 1)), end_on=None)
        roles = []
        if p.leader:
            roles.append(("supervisor", p.unit))
        for role, unit_id in roles:
            grant_id += 1
            w.add(RoleGrant, id=grant_id, person_id=p.id, role=role, unit_id=unit_id)
    # unit HR: the fourth member of each unit; county office: HR and deputies of 县委组织部
    first_of_unit: dict[int, int] = {}
    for p in persons:
        first_of_unit.setdefault(p.unit, p.id)
    org_unit = next((i for i, (n, _) in enumerate(unit_rows, start=1) if n == "县委组织部"), 1)
    for uid, first in first_of_unit.items():
        hr = first + 3 if first + 3 <= pid and persons[first + 2].unit == uid else first
        grant_id += 1
        w.add(RoleGrant, id=grant_id, person_id=hr, role="unit_admin", unit_id=uid)
        if uid == org_unit:
            for county_admin in (hr, first + 1):
                grant_id += 1
                w.add(RoleGrant, id=grant_id, person_id=county_admin, role="county_admin", unit_id=None)
    w.flush()

    quarters = [(y, q) for y in history_years for q in (1, 2, 3, 4)]
    quarters += [(this_year, q) for q in range(1, this_quarter) if (this_year, q) not in quarters]
    ids = {"cycle": 0, "indicator": 0, "evaluation": 0, "summary": 0, "filing": 0, "decision": 0}
    by_unit: dict[int, list[_P]] = {}
    for p in persons:
        by_unit.setdefault(p.unit, []).append(p)
    for year, quarter in quarters + [(this_year, this_quarter)]:
        current = (year, quarter) == (this_year, this_quarter)
        _seed_quarter(w, rng, policy, ids, by_unit, year, quarter, current, today)
    w.flush()
    session.add(AuditEntry(actor="system:seed", action="seed.demo", object_type="county", object_id=str(county.id),
                           after={"units": units, "people": people, "seed": seed, "quarters": len(quarters) + 1}))
    if session.get_bind().dialect.name == "postgresql":
        for table in ("units", "tiers", "sections", "people", "memberships", "role_grants", "cycles", "indicators",
                      "evaluations", "summaries", "committee_decisions", "filings"):
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"COALESCE((SELECT MAX(id) FROM {table}), 1))"))
    refresh_statistics(session)
    report = SeedReport(units=units, people=people, rows=w.rows, cycles=ids["cycle"],
                        seconds=_time.perf_counter() - started)
    report.samples = _samples(persons, unit_rows, first_of_unit, org_unit)
    return report


def _samples(persons: list[_P], unit_rows, first_of_unit: dict[int, int], org_unit: int) -> dict:
    unit = 1
    first = first_of_unit[unit]
    staff = next(p for p in persons if p.unit == unit and not p.leader and p.id != first + 3)
    return {
        "unit": unit_rows[unit - 1][0],
        "staff": staff.staff_no,
        "supervisor": f"P{staff.supervisor:06d}" if staff.supervisor else None,
        "unit_admin": f"P{first + 3:06d}",
        "county_admin": f"P{first_of_unit[org_unit] + 3:06d}",
    }


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.utc)


def _seed_quarter(w: _Writer, rng: random.Random, policy: Policy, ids: dict, by_unit: dict[int, list[_P]],
                  year: int, quarter: int, current: bool, today: date) -> None:
    due = step_deadlines(year, quarter, policy)
    q_start, q_end = quarter_bounds(year, quarter)
    specs = [("common", s) for s in policy.template.common] + [("specific", s) for s in policy.template.specific]
    for uid, members in by_unit.items():
        ids["cycle"] += 1
        cid = ids["cycle"]
        w.add(Cycle, id=cid, unit_id=uid, year=year, quarter=quarter, state="open" if current else "filed",
              summary_due=due["summary"], scoring_due=due["scoring"], decision_due=due["decision"],
              filing_due=due["filing"], opened_at=_at(min(today, q_end), 1),
              publicity_ends=None if current else due["decision"] + timedelta(days=policy.deadlines.publicity_days))
        indicator_ids = []
        for position, (kind, spec) in enumerate(specs):
            ids["indicator"] += 1
            indicator_ids.append((ids["indicator"], spec.points))
            w.add(Indicator, id=ids["indicator"], cycle_id=cid, post="", kind=kind, dimension=spec.dimension,
                  name=spec.name, points=spec.points, position=position)
        ref = min(today, q_end)
        roster = [p for p in members if max(p.hired_on, date(2020, 1, 1)) <= ref
                  and leader_placement(p.leader, policy)[0] is None]  # as open_cycle: 班子成员 may be the county's
        rows = []
        for p in roster:
            reason = not_graded_reason(p.hired_on, 0, q_end, policy)
            if current:
                rows.append(dict(person=p, reason=reason, total=None, suggested=None))
                continue
            scores, total = {}, 0.0
            for iid, points in indicator_ids:
                s = round(min(points, max(0.0, points * (p.quality + rng.gauss(0, 3)) / 100)) * 2) / 2
                scores[str(iid)] = s
                total += s
            total = round(total, 1)
            rows.append(dict(person=p, reason=reason, total=total, scores=scores,
                             suggested=suggested_grade(total, policy)))
        if not current:
            _decide(rows, policy)
        for r in rows:
            p = r["person"]
            ids["evaluation"] += 1
            decided = not current
            w.add(Evaluation, id=ids["evaluation"], cycle_id=cid, person_id=p.id, tier_id=p.tier, post=p.post,
                  supervisor_id=p.supervisor, state="published" if decided else "pending",
                  scores=r.get("scores", {}), total=r["total"], suggested_grade=r["suggested"],
                  final_grade=r.get("final"), not_graded_reason=r["reason"],
                  submitted_at=due["scoring"] - timedelta(days=2) if decided else None,
                  decided_at=due["decision"] - timedelta(days=1) if decided else None, version=1)
            if decided or rng.random() < 0.3:
                ids["summary"] += 1
                paras = [t.format(post=p.post, n=rng.randrange(12, 90))
                         for t in rng.sample(W.PARAGRAPHS, rng.randrange(2, 5))]
                w.add(Summary, id=ids["summary"], cycle_id=cid, person_id=p.id,
                      state="locked" if decided else "draft", paragraphs=paras, voice_media_ids=[],
                      returned_reason=None, submitted_at=due["summary"] - timedelta(days=1) if decided else None,
                      updated_at=_at(min(today, q_end + timedelta(days=3)), 2), version=1)
        if not current:
            ids["decision"] += 1
            w.add(CommitteeDecision, id=ids["decision"], cycle_id=cid, meeting_on=(q_end + timedelta(days=12)),
                  attendees="党委(党组)全体成员", note="按程序审定平时考核等次", recorded_by="system:seed",
                  recorded_at=due["decision"] - timedelta(days=1))
            ids["filing"] += 1
            w.add(Filing, id=ids["filing"], kind="results", unit_id=uid, year=year, quarter=quarter,
                  state="accepted", payload={"evaluatees": len(rows)}, submitted_by="system:seed",
                  submitted_at=due["filing"] - timedelta(days=1), reviewed_by="system:seed",
                  reviewed_at=due["filing"], return_reason=None)


def _decide(rows: list[dict], policy: Policy) -> None:
    """The committee's decision as the seed imagines it: band grades, 好 capped by each tier's quota."""
    good = policy.good_grade
    by_tier: dict[int, list[dict]] = {}
    for r in rows:
        if r["reason"] is None:
            by_tier.setdefault(r["person"].tier, []).append(r)
        else:
            r["final"] = None
    for tiers in quota_groups({t: len(m) for t, m in by_tier.items()}, policy):  # pooled as the policy says
        members = [r for t in tiers for r in by_tier[t]]
        quota = good_quota(len(members), policy)
        for r in sorted(members, key=lambda r: -r["total"]):
            grade = r["suggested"]
            if grade == good:
                if quota > 0:
                    quota -= 1
                else:
                    grade = policy.grades[1]
            r["final"] = grade
