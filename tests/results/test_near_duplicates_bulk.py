"""The near-duplicate search's bulk path (numpy shingles and signatures, LSH bands computed once) finds exactly the
pairs the earlier path (one sha1 per shingle per text, datasketch parameters recomputed per unit) found."""
import heapq
import itertools
import random
from datetime import date

import pytest
from datasketch import MinHash, MinHashLSH
from sqlalchemy import select

from handlers.county import oversight as O
from handlers.seed import seed_demo
from models import Cycle, Summary
from models.rules import similarity

TODAY = date(2026, 11, 23)
CJK = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]


def _old_pairs(session, policy, year, quarter):
    """The search as it was before the bulk path (the code of ``near_duplicates`` at main 656d205), pairs only."""
    cfg = policy.results
    k, threshold = cfg.duplicate_shingle_chars, cfg.duplicate_threshold
    perms = MinHash(num_perm=cfg.duplicate_num_perm, seed=1).permutations
    py, pq = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    previous = O._summaries(session, py, pq, None)
    prev_unit, prev_batch = next(previous, (None, []))
    found, totals = set(), {"colleague": 0, "last_quarter": 0}

    def jaccard(x, y):
        return len(x & y) / len(x | y) if x and y else 0.0

    for unit_id, batch in O._summaries(session, year, quarter, None):
        while prev_unit is not None and prev_unit < unit_id:
            prev_unit, prev_batch = next(previous, (None, []))
        last = {s.person_id: s for s in prev_batch} if prev_unit == unit_id else {}
        # the bands the search uses now (policy ``duplicate_recall``), so both paths look for the same candidates
        lsh = MinHashLSH(num_perm=cfg.duplicate_num_perm,
                         params=similarity.lsh_params(threshold, cfg.duplicate_num_perm, cfg.duplicate_recall))
        for i, s in enumerate(batch):
            if len(s.text) < cfg.duplicate_min_chars:
                continue
            s.sh = similarity.shingles(s.text, k)
            m = MinHash(num_perm=cfg.duplicate_num_perm, seed=1, permutations=perms)
            m.update_batch([x.encode("utf-8") for x in s.sh])
            for j in lsh.query(m):
                sim = jaccard(s.sh, batch[j].sh)
                if sim >= threshold:
                    found.add(("colleague", batch[j].staff_no, s.staff_no, round(sim, 3)))
                    totals["colleague"] += 1
            lsh.insert(i, m)
            before = last.get(s.person_id)
            if before is not None and len(before.text) >= cfg.duplicate_min_chars:
                before.sh = before.sh or similarity.shingles(before.text, k)
                sim = jaccard(s.sh, before.sh)
                if sim >= threshold:
                    found.add(("last_quarter", s.staff_no, before.staff_no, round(sim, 3)))
                    totals["last_quarter"] += 1
    return found, totals


def _new_pairs(session, actor, policy, year, quarter):
    out = O.near_duplicates(session, actor, policy, year, quarter, limit=10_000)
    pairs = {(p["kind"], p["a"]["staff_no"], p["b"]["staff_no"], p["similarity"]) for p in out["pairs"]}
    return pairs, {"colleague": out["colleague"], "last_quarter": out["last_quarter"]}


def _edit(rng, text, n):
    """``text`` with ``n`` characters replaced."""
    chars = list(text)
    for _ in range(n):
        chars[rng.randrange(len(chars))] = rng.choice(CJK)
    return "".join(chars)


@pytest.fixture
def corpus(db, policy):
    """The seeded county's 2026 Q2 and Q3 summaries replaced by a fixed corpus: distinct random texts, and known
    near-duplicates — copies with 0–3 characters changed among colleagues and from last quarter."""
    rng = random.Random(20261128)
    known = set()
    with db.session() as s:
        seed_demo(s, policy, units=4, people=120, seed=7, today=TODAY)
        q = {quarter: list(s.execute(select(Summary, Cycle.unit_id).join(Cycle, Cycle.id == Summary.cycle_id)
                                     .where(Cycle.year == 2026, Cycle.quarter == quarter)
                                     .order_by(Cycle.unit_id, Summary.person_id)).all())
             for quarter in (2, 3)}
        by_person_q2 = {summary.person_id: summary for summary, _ in q[2]}
        units: dict[int, list] = {}
        for summary, unit_id in q[3]:
            units.setdefault(unit_id, []).append(summary)
        for unit_id, summaries in units.items():
            for i, summary in enumerate(summaries):
                text = "".join(rng.choice(CJK) for _ in range(rng.randrange(80, 220)))
                if i % 5 == 1:  # a colleague's text copied with 0–3 characters changed
                    edits = rng.randrange(0, 4)
                    text = _edit(rng, "".join(summaries[i - 1].paragraphs), edits)
                    known.add(("colleague", summaries[i - 1].person_id, summary.person_id, edits))
                summary.paragraphs = [text[:len(text) // 2], text[len(text) // 2:]]
                before = by_person_q2.get(summary.person_id)
                if before is not None:
                    if i % 7 == 3:  # last quarter's text again, lightly edited
                        edits = rng.randrange(0, 3)
                        before.paragraphs = [_edit(rng, text, edits)]
                        known.add(("last_quarter", summary.person_id, summary.person_id, edits))
                    else:
                        before.paragraphs = ["".join(rng.choice(CJK) for _ in range(120))]
            summaries[0].paragraphs = ["太短。"]  # below the minimum length: never compared
    return known


@pytest.mark.parametrize("chunk", [O._CHUNK_TEXTS, 7])  # units signed together, or a few at a time
def test_bulk_path_finds_exactly_the_pairs_of_the_sha1_path(db, policy, cli_actor, corpus, monkeypatch, chunk):
    monkeypatch.setattr(O, "_CHUNK_TEXTS", chunk)
    with db.session() as s:
        old, old_totals = _old_pairs(s, policy, 2026, 3)
    with db.session() as s:
        new, new_totals = _new_pairs(s, cli_actor, policy, 2026, 3)
        staff = {p.id: p.staff_no for p in s.scalars(select(O.Person))}
    assert new == old and new_totals == old_totals
    copies = {(kind, staff[a], staff[b]) for kind, a, b, edits in corpus if edits == 0}
    edited = {(kind, staff[a], staff[b]) for kind, a, b, edits in corpus if edits}
    found = {p[:3] for p in new}
    assert found >= copies and {kind for kind, *_ in copies} == {"colleague", "last_quarter"}
    assert found & edited and found - copies <= edited and all(p[3] >= policy.results.duplicate_threshold for p in new)


def test_every_pair_at_or_above_the_threshold_is_found(db, policy, cli_actor, corpus):
    """Against every pair compared exactly (no LSH): the bands chosen for 95% at the threshold miss none of the
    corpus's copies and lightly edited copies (datasketch's own 5 × 11 bands found about a third of those at 0.8)."""
    cfg = policy.results
    truth = set()
    with db.session() as s:
        staff = {p.id: p.staff_no for p in s.scalars(select(O.Person))}
        last = {(unit, t.person_id): t for unit, batch in O._summaries(s, 2026, 2, None) for t in batch}
        for unit, batch in O._summaries(s, 2026, 3, None):
            texts = [(t, similarity.shingles(t.text, cfg.duplicate_shingle_chars)) for t in batch
                     if len(t.text) >= cfg.duplicate_min_chars]
            for (a, sa), (b, sb) in itertools.combinations(texts, 2):
                if similarity.jaccard(sa, sb) >= cfg.duplicate_threshold:
                    truth.add(("colleague", a.staff_no, b.staff_no))
            for t, st in texts:
                before = last.get((unit, t.person_id))
                if before is not None and len(before.text) >= cfg.duplicate_min_chars and similarity.jaccard(
                        st, similarity.shingles(before.text, cfg.duplicate_shingle_chars)) >= cfg.duplicate_threshold:
                    truth.add(("last_quarter", t.staff_no, before.staff_no))
        found, _ = _new_pairs(s, cli_actor, policy, 2026, 3)
    edited = {(kind, staff[a], staff[b]) for kind, a, b, edits in corpus if edits}
    assert {p[:3] for p in found} == truth and len(edited & truth) >= 10  # (3 edits in 80 characters: below 0.8)


@pytest.mark.parametrize(("threshold", "num_perm", "recall", "bands", "rows"), [
    (0.8, 64, 0.95, 10, 6),   # the profiles' numbers
    (0.8, 64, 0.30, 5, 11),   # a low recall: longer bands (datasketch's own choice here)
    (0.8, 128, 0.95, 18, 7),
    (0.9, 64, 0.95, 7, 9),
    (0.5, 16, 0.99, 16, 1),   # two rows per band would find only 90%: one row
])
def test_bands_are_the_longest_that_find_a_pair_at_the_threshold_with_the_recall(threshold, num_perm, recall,
                                                                                  bands, rows):
    assert similarity.lsh_params(threshold, num_perm, recall) == (bands, rows)
    assert similarity.found_chance(threshold, bands, rows) >= recall
    if rows < num_perm:
        longer = rows + 1
        assert similarity.found_chance(threshold, num_perm // longer, longer) < recall


def test_bulk_path_matches_the_sha1_path_on_the_seeded_templates(db, policy, cli_actor):
    """The demo summaries are drawn from a few dozen template paragraphs."""
    with db.session() as s:
        seed_demo(s, policy, units=4, people=120, seed=7, today=TODAY)
    found = 0
    for quarter in (1, 2, 3):
        with db.session() as s:
            old, old_totals = _old_pairs(s, policy, 2026, quarter)
        with db.session() as s:
            new, new_totals = _new_pairs(s, cli_actor, policy, 2026, quarter)
        assert new == old and new_totals == old_totals
        found += len(new)
    assert found >= 3


def test_packed_codes_are_the_shingles_one_to_one():
    rng = random.Random(5)
    texts = ["".join(rng.choice(CJK[:40] + list("，。 ab")) for _ in range(rng.randrange(0, 60))) for _ in range(200)]
    texts += ["abc", "x", "", "，。", "本季度𠀀完成任务𠀀", "𠀀𠀁𠀂𠀃𠀄"]
    batch = similarity.shingle_codes(texts, 4)
    for i, t in enumerate(texts):
        assert len(batch.of(i)) == len(similarity.shingles(t, 4)), t
        assert list(batch.of(i)) == sorted(set(batch.of(i).tolist()))
    assert not batch.exact[-1] and not batch.exact[-2] and not batch.exact[-6] and batch.exact[-4]
    exact = [i for i in range(len(texts)) if batch.exact[i]]
    for i, j in itertools.pairwise(exact):
        a, b = texts[i], texts[j]
        assert similarity.jaccard(set(batch.of(i).tolist()), set(batch.of(j).tolist())) == \
            similarity.jaccard(similarity.shingles(a, 4), similarity.shingles(b, 4))


def test_bulk_signatures_are_datasketch_minhash_of_the_sha1_shingles():
    texts = ["本季度认真学习贯彻党的二十大精神，坚定拥护“两个确立”。", "严格落实岗位职责，按时完成各项工作任务",
             "", "短", "本季度𠀀完成任务𠀀以及其他", "本季度认真学习贯彻党的二十大精神"]
    memo = similarity.Sha1Memo(4)
    for _ in range(2):  # the second time every shingle comes from the memo
        batch = similarity.shingle_codes(texts, 4)
        signed = similarity.signatures(*similarity.sha1_hashes(texts, batch, memo), 64)
        for i, t in enumerate(texts):
            m = MinHash(num_perm=64, seed=1)
            m.update_batch([x.encode("utf-8") for x in similarity.shingles(t, 4)])
            assert signed[i].tolist() == m.hashvalues.tolist(), t
    assert len(memo.memo) == len(set().union(*(similarity.shingles(t, 4) for t in texts[:2] + texts[5:])))


def test_lsh_parameters_are_computed_once():
    similarity.lsh_params.cache_clear()
    similarity.lsh_params(0.8, 64, 0.95)
    similarity.lsh_params(0.8, 64, 0.95)
    assert similarity.lsh_params.cache_info().hits == 1


def test_heap_keeps_the_most_similar(db, policy, cli_actor, corpus):
    with db.session() as s:
        top = O.near_duplicates(s, cli_actor, policy, 2026, 3, limit=3)
        everything = O.near_duplicates(s, cli_actor, policy, 2026, 3, limit=10_000)
    assert [p["similarity"] for p in top["pairs"]] == heapq.nlargest(3, [p["similarity"] for p in everything["pairs"]])


def test_band_index_returns_what_minhashlsh_returns_in_the_same_order():
    rng = random.Random(9)
    base = ["".join(rng.choice(CJK[:300]) for _ in range(120)) for _ in range(6)]
    texts = [_edit(rng, rng.choice(base), rng.randrange(0, 6)) for _ in range(80)]
    params = similarity.lsh_params(0.8, 64)
    batch = similarity.shingle_codes(texts, 4)
    signed = similarity.signatures(*similarity.sha1_hashes(texts, batch, similarity.Sha1Memo(4)), 64)
    lsh, index = MinHashLSH(num_perm=64, params=params), similarity.BandIndex(params)
    queried = 0
    for i, keys in enumerate(index.band_keys(signed)):
        m = MinHash(num_perm=64, seed=1, hashvalues=signed[i])
        assert index.query(keys) == lsh.query(m)
        queried += len(index.query(keys))
        lsh.insert(i, m)
        index.insert(i, keys)
    assert queried > 80
