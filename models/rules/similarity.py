"""Near-duplicate summaries: character shingles, MinHash signatures in bulk, LSH band parameters.

The near-duplicate search compares every summary with its colleagues' (same unit, same quarter) through MinHash LSH
and confirms each candidate with the exact Jaccard similarity of the two texts' character shingles. Pure functions,
no database:

* ``shingles`` — the reference definition: the set of ``k``-character substrings of the text with whitespace and
  punctuation removed (a text shorter than ``k`` is its own single shingle).
* ``shingle_codes`` — the same sets for a whole batch of texts at once, as sorted ``uint64`` codes: ``k`` UTF-32 code
  points packed 16 bits each. For ``k <= 4`` and characters of the Basic Multilingual Plane (every common Chinese
  character) the packing is one-to-one, so the Jaccard of two code sets equals the Jaccard of the shingle sets
  exactly; the batch says which texts are ``exact``. For the others the codes are only a hash (fine for MinHash) and
  the caller hashes and confirms with ``shingles``.
* ``Sha1Memo`` / ``sha1_hashes`` — datasketch's own shingle hash (sha1, 32 bits), computed once per distinct shingle
  of the run instead of once per shingle of every text: identical values, so identical signatures and candidates.
* ``signatures`` — MinHash signatures of a whole batch in one numpy pass: datasketch's permutations
  ``(a·h + b) mod (2^61 − 1)`` and the minimum per text, bit for bit what ``MinHash.update_batch`` computes.
* ``lsh_params`` — bands × rows for (threshold, num_perm, recall), computed once (datasketch would integrate the
  false-positive and false-negative curves numerically on every ``MinHashLSH(threshold=…)``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["BandIndex", "Batch", "Sha1Memo", "found_chance", "jaccard", "jaccard_sorted", "lsh_params", "permutations", "sha1_hashes", "shingle_codes", "shingles",
           "signatures", "strip"]

_STRIP = re.compile(r"[\s，。、；：！？“”‘’（）()《》,.;:!?\"'-]+")
_MERSENNE = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)


def strip(text: str) -> str:
    return _STRIP.sub("", text)


def shingles(text: str, k: int) -> set[str]:
    t = strip(text)
    return {t[i:i + k] for i in range(max(1, len(t) - k + 1))} if t else set()


def jaccard(x: set | frozenset, y: set | frozenset) -> float:
    return len(x & y) / len(x | y) if x and y else 0.0


def jaccard_sorted(x: np.ndarray, y: np.ndarray) -> float:
    """``jaccard`` of two sorted arrays of distinct codes (``Batch.of``)."""
    if not x.size or not y.size:
        return 0.0
    at = np.searchsorted(y, x)
    np.minimum(at, y.size - 1, out=at)
    both = int(np.count_nonzero(y[at] == x))
    return both / (x.size + y.size - both)


def found_chance(similarity: float, bands: int, rows: int) -> float:
    """The chance that two texts of this Jaccard similarity share at least one band (so become candidates)."""
    return 1 - (1 - similarity ** rows) ** bands


@lru_cache(maxsize=32)
def lsh_params(threshold: float, num_perm: int, recall: float = 0.95) -> tuple[int, int]:
    """(bands, rows) for this threshold and signature length: the most rows per band (the fewest false candidates)
    that still find a pair exactly at the threshold with at least ``recall``. (datasketch's MinHashLSH balances
    misses against false candidates instead: 5 × 11 at 0.8 / 64, which finds a pair at 0.8 only 36% of the time.)"""
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if found_chance(threshold, bands, rows) >= recall:
            return bands, rows
    return num_perm, 1


class BandIndex:
    """The candidate search of datasketch's ``MinHashLSH`` (in-memory storage) without its per-call overhead: a
    signature is cut into ``bands`` slices of ``rows`` values; two texts are candidates when any slice is equal.
    Same buckets (sets of keys per band), same insertion order, so ``query`` returns the same keys in the same
    order as ``MinHashLSH.query``."""

    def __init__(self, params: tuple[int, int]) -> None:
        bands, rows = params
        self.ranges = [(i * rows, (i + 1) * rows) for i in range(bands)]
        self.tables: list[dict[bytes, set]] = [{} for _ in range(bands)]

    def band_keys(self, signatures: np.ndarray) -> list[list[bytes]]:
        """Each text's band keys (the bytes of each slice of its signature)."""
        slices = [np.ascontiguousarray(signatures[:, a:b]) for a, b in self.ranges]
        return [[band[i].tobytes() for band in slices] for i in range(signatures.shape[0])]

    def query(self, keys: list[bytes]) -> list:
        candidates = set()
        for key, table in zip(keys, self.tables, strict=True):
            for found in table.get(key, ()):
                candidates.add(found)
        return list(candidates)

    def insert(self, item, keys: list[bytes]) -> None:
        for key, table in zip(keys, self.tables, strict=True):
            bucket = table.get(key)
            if bucket is None:
                table[key] = {item}
            else:
                bucket.add(item)


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's MinHash permutations (a, b) for this length and seed."""
    from datasketch import MinHash

    a, b = MinHash(num_perm=num_perm, seed=seed).permutations
    return np.asarray(a, dtype=np.uint64), np.asarray(b, dtype=np.uint64)


@dataclass
class Batch:
    """Shingle codes of several texts: text ``i`` owns ``codes[offsets[i]:offsets[i + 1]]`` (sorted, unique)."""
    codes: np.ndarray
    offsets: np.ndarray
    exact: np.ndarray  # bool per text: the codes are the shingles one-to-one

    def of(self, i: int) -> np.ndarray:
        return self.codes[self.offsets[i]:self.offsets[i + 1]]


def shingle_codes(texts: list[str], k: int) -> Batch:
    """The shingle sets of ``texts`` as packed codes, in a handful of numpy operations for the whole batch."""
    n = len(texts)
    stripped = [strip(t) for t in texts]
    lengths = np.fromiter((len(t) for t in stripped), dtype=np.int64, count=n)
    cps = np.frombuffer("".join(stripped).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    starts = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    # shingles per text: len - k + 1, or one (the whole text) when shorter than k but not empty
    counts = np.where(lengths >= k, lengths - k + 1, np.minimum(lengths, 1))
    owner = np.repeat(np.arange(n, dtype=np.int64), counts)
    first = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=first[1:])
    pos = starts[owner] + (np.arange(owner.size, dtype=np.int64) - first[owner])  # where each shingle starts
    # every k-character window of the joined text, packed from contiguous slices; each shingle picks its own
    size = cps.size
    packed = np.zeros(max(size - k + 1, 1), dtype=np.uint64)
    if size >= k:
        for j in range(k):
            packed <<= np.uint64(16)
            packed += cps[j:size - k + 1 + j]
    code = packed[np.minimum(pos, packed.size - 1)]
    short = np.flatnonzero((lengths > 0) & (lengths < k))
    if short.size:  # fewer than k characters: the whole text, with a marker so "ab" never equals "\0ab"
        for i in short.tolist():
            value, width = 0, len(stripped[i])
            for ch in stripped[i]:
                value = (value << 16) + ord(ch)
            value = ((value << 16 * (k - width)) ^ (0x9E3779B97F4A7C15 * width)) & 0xFFFFFFFFFFFFFFFF
            code[int(first[i])] = value
    # sorted and unique per text: rank the codes, then one sort of (text, rank) — three times faster than lexsort
    distinct, rank = np.unique(code, return_inverse=True)
    key = np.sort(owner * max(distinct.size, 1) + rank)
    if key.size:
        key = key[np.concatenate(([True], key[1:] != key[:-1]))]
    owner, code = np.divmod(key, max(distinct.size, 1))
    code = distinct[code]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=n), out=offsets[1:])
    # exact when every shingle is k BMP characters packed without loss (or a short text, compared by its text)
    widest = np.zeros(n, dtype=np.uint64)
    if cps.size:
        has = lengths > 0
        widest[has] = np.maximum.reduceat(cps, starts[:-1][has])
    exact = (k <= 4) & (widest < 65536) & (lengths >= k)
    return Batch(code, offsets, exact | (lengths == 0))


class Sha1Memo:
    """datasketch's default shingle hash (the first 4 bytes of the shingle's UTF-8 sha1, ``sha1_hash32``), computed
    once per distinct packed shingle and remembered: summaries repeat the same phrases, so after the first units
    almost every shingle's hash is a dictionary hit. Same values as before, so the same signatures and the same LSH
    candidates. At most ``limit`` entries (then it starts over)."""

    def __init__(self, k: int, limit: int = 2_000_000) -> None:
        self.k, self.limit, self.memo = k, limit, {}
        self.shifts = [16 * (k - 1 - j) for j in range(k)]

    def shingle(self, code: int) -> str:
        return "".join(chr((code >> s) & 0xFFFF) for s in self.shifts)

    def of_codes(self, codes: np.ndarray) -> np.ndarray:
        """The hash of each packed (exact) code."""
        from datasketch.hashfunc import sha1_hash32

        if not codes.size:
            return np.zeros(0, dtype=np.uint64)
        uniq, inverse = np.unique(codes, return_inverse=True)
        memo, out = self.memo, []
        if len(memo) > self.limit:
            memo.clear()
        for c in uniq.tolist():
            h = memo.get(c)
            if h is None:
                h = memo[c] = sha1_hash32(self.shingle(c).encode("utf-8"))
            out.append(h)
        return np.array(out, dtype=np.uint64)[inverse]


def sha1_hashes(texts: list[str], batch: Batch, memo: Sha1Memo) -> tuple[np.ndarray, np.ndarray]:
    """Each text's shingle hashes (datasketch's sha1_hash32), concatenated, with their offsets. Exact texts go
    through the memo in one numpy pass; the rare others (characters beyond the BMP, shingles longer than 4) hash
    their string shingles as before."""
    from datasketch.hashfunc import sha1_hash32

    sizes = np.diff(batch.offsets)
    if batch.exact.all():
        return memo.of_codes(batch.codes), batch.offsets
    exact_codes = np.repeat(batch.exact, sizes)
    hv_exact = memo.of_codes(batch.codes[exact_codes])
    parts, at = [], 0
    for i, t in enumerate(texts):
        if batch.exact[i]:
            parts.append(hv_exact[at:at + sizes[i]])
            at += sizes[i]
        else:
            parts.append(np.array([sha1_hash32(x.encode("utf-8")) for x in shingles(t, memo.k)], dtype=np.uint64))
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([p.size for p in parts], out=offsets[1:])
    return (np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)), offsets


def signatures(hashes: np.ndarray, offsets: np.ndarray, num_perm: int, seed: int = 1) -> np.ndarray:
    """MinHash signatures (texts × ``num_perm``, uint64) from each text's shingle hashes (``hashes[offsets[i]:
    offsets[i + 1]]``) in one numpy pass — the same values as datasketch's ``MinHash.update_batch`` with the same
    hashes and permutations; an empty set keeps datasketch's initial value (2^32 − 1) everywhere."""
    a, b = permutations(num_perm, seed)
    n = offsets.size - 1
    out = np.full((n, num_perm), _MAX_HASH, dtype=np.uint64)
    if not hashes.size:
        return out
    # permute each distinct hash once (colleagues' summaries share most phrases), in place to spare memory passes
    uniq, inverse = np.unique(hashes, return_inverse=True)
    # one row per permutation (num_perm × distinct hashes): the per-text minimum then runs along contiguous rows,
    # some thirty times faster than ``reduceat`` down the columns
    x = np.empty((num_perm, uniq.size), dtype=np.uint64)
    y = np.empty_like(x)
    with np.errstate(over="ignore"):
        np.multiply(a[:, None], uniq, out=x)  # wraps modulo 2^64 exactly as datasketch's uint64 arithmetic does
        x += b[:, None]
        # x mod (2^61 − 1) without a division: fold the top 3 bits back (< 2p), then subtract p where it fits —
        # min(x, x − p) in unsigned arithmetic is x − p when x ≥ p and x otherwise
        np.right_shift(x, np.uint64(61), out=y)
        x &= _MERSENNE
        x += y
        np.subtract(x, _MERSENNE, out=y)
    np.minimum(x, y, out=x)
    x &= _MAX_HASH
    small = x.astype(np.uint32)  # the values fit in 32 bits: half the memory to gather and reduce
    nonempty = np.flatnonzero(np.diff(offsets) > 0)
    out[nonempty] = np.minimum.reduceat(np.take(small, inverse, axis=1), offsets[:-1][nonempty], axis=1).T
    return out
