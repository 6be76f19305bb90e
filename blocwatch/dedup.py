"""Near-duplicate detection: syndicated copies of one story, found by MinHash LSH.

A wire story republished by other outlets comes back with a new headline, a rewritten lead
sentence or an extra closing paragraph, so its content hash differs and exact-duplicate
detection (``articles.duplicate_of``) misses it. Counting such copies as separate articles
inflates attention to whatever the wire covered. Here every article gets a MinHash
signature of its text's shingles; articles whose signatures agree on at least
``THRESHOLD`` of their values (the estimated Jaccard similarity of their shingle sets) and
that were published within ``WINDOW_DAYS`` of each other are one story.

* Shingles are ``SHINGLE`` consecutive tokens of the lower-cased text, punctuation
  dropped. A token is a word in spaced scripts (Latin, Cyrillic, Hangul) and a single
  character in scripts written without spaces (Chinese, kana, Thai), where a "word"
  cannot be found without a dictionary; ``SHINGLE_UNSPACED`` of those make one shingle.
* Signatures are ``NUM_PERM`` 32-bit MinHash values (datasketch, fixed seed, scheme and
  base hash, so they are stable across processes and runs and can be stored).
* LSH: the first ``BANDS * ROWS`` values are cut into ``BANDS`` bands; each band hashes to
  a 64-bit bucket key. Two articles are compared only if they share a bucket. With 42
  bands of 3 rows, a pair at similarity 0.6 shares a bucket with probability 0.99996, at
  0.5 with 0.996, at 0.2 with 0.29 (then rejected by the comparison).
* Stories are the connected components of "similar" pairs, and a story's id is the
  smallest article id in it. Components do not depend on the order pairs are found in,
  so loading the same articles in other batches gives the same stories.

This module is pure (no database); warehouse/stories.py keeps stories in the warehouse
incrementally, and ``cluster`` does the same in memory for tests and the quality harness.
"""

from __future__ import annotations

import functools
import hashlib
import re
import zlib
from collections.abc import Iterable, Mapping
from datetime import date

import numpy as np

from blocwatch.text import SPACELESS_CLASS

__all__ = ["NUM_PERM", "BANDS", "ROWS", "THRESHOLD", "WINDOW_DAYS", "tokens", "shingles",
           "signature", "buckets", "similarity", "within_window", "UnionFind", "cluster"]

NUM_PERM = 128
BANDS, ROWS = 42, 3
THRESHOLD = 0.5
# Syndicated copies appear within days of the original; beyond that, similar texts are a
# recurring format (a weekly column, a market report), not one story counted twice.
WINDOW_DAYS = 7
SHINGLE = 5
SHINGLE_UNSPACED = 8
_SEED = 1
_SCHEME = "affine32"
# A letter of a spaceless script on its own, or a run of other letters and digits.
_TOKEN_RE = re.compile(rf"[{SPACELESS_CLASS}]|[^\W_{SPACELESS_CLASS}]+")
_SPACELESS_RE = re.compile(rf"[{SPACELESS_CLASS}]")


def tokens(text: str) -> list[str]:
    """Lower-cased tokens: words, and single characters of scripts without spaces."""
    return _TOKEN_RE.findall(text.lower())


def shingles(text: str) -> set[bytes]:
    """The set of k-token shingles of ``text`` (k depends on the script, see module doc);
    a text shorter than k tokens is one shingle; an empty text has none."""
    toks = tokens(text)
    if not toks:
        return set()
    spaceless = sum(1 for t in toks if len(t) == 1 and _SPACELESS_RE.match(t))
    k = SHINGLE_UNSPACED if spaceless * 2 > len(toks) else SHINGLE
    if len(toks) <= k:
        return {" ".join(toks).encode("utf-8")}
    return {" ".join(toks[i:i + k]).encode("utf-8") for i in range(len(toks) - k + 1)}


@functools.cache
def _permutations() -> np.ndarray:
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=_SEED, scheme=_SCHEME).permutations


def signature(text: str) -> bytes | None:
    """MinHash signature of the text's shingles: NUM_PERM little-endian uint32 values
    (512 bytes); None for a text without tokens."""
    from datasketch import MinHash

    grams = shingles(text)
    if not grams:
        return None
    # CRC-32 as the base hash: three times faster than datasketch's default SHA-1, stable
    # across processes and versions, and the affine32 scheme mixes it (a murmur finaliser)
    # before permuting, so its weak avalanche does not show in the signature.
    m = MinHash(num_perm=NUM_PERM, seed=_SEED, scheme=_SCHEME, permutations=_permutations(),
                hashfunc=zlib.crc32)
    m.update_batch(sorted(grams))
    return np.asarray(m.hashvalues, dtype="<u4").tobytes()


def _values(sig: bytes) -> np.ndarray:
    return np.frombuffer(sig, dtype="<u4")


def buckets(sig: bytes) -> list[int]:
    """The LSH bucket keys of a signature: one signed 64-bit key per band (the band number
    is part of the key, so equal values in different bands never meet)."""
    values = _values(sig)
    out = []
    for band in range(BANDS):
        chunk = values[band * ROWS:(band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8, person=band.to_bytes(2, "little"))
        out.append(int.from_bytes(digest.digest(), "little", signed=True))
    return out


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two signatures: the share of equal values."""
    return float(np.mean(_values(a) == _values(b)))


def within_window(a: date | None, b: date | None) -> bool:
    """Whether two publication dates are close enough for one story (unknown dates are)."""
    return a is None or b is None or abs((a - b).days) <= WINDOW_DAYS


class UnionFind:
    """Disjoint sets of integer ids; every set is represented by its smallest id."""

    def __init__(self) -> None:
        self._parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        parent = self._parent
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while x != root:  # path compression
            parent[x], x = root, parent.get(x, x)
        return root

    def union(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        lo, hi = (ra, rb) if ra < rb else (rb, ra)
        self._parent[hi] = lo
        return lo

    def roots(self, ids: Iterable[int]) -> dict[int, int]:
        return {i: self.find(i) for i in ids}


def cluster(signatures: Mapping[int, bytes | None],
            published: Mapping[int, date | None] | None = None,
            threshold: float = THRESHOLD) -> dict[int, int]:
    """Story id (smallest member id) of every article id, in memory: the same rule as
    warehouse/stories.py applies incrementally in the warehouse."""
    published = published or {}
    by_bucket: dict[int, list[int]] = {}
    for aid in sorted(signatures):
        sig = signatures[aid]
        if sig is not None:
            for key in buckets(sig):
                by_bucket.setdefault(key, []).append(aid)
    pairs = {(a, b) for members in by_bucket.values()
             for i, a in enumerate(members) for b in members[i + 1:]}
    uf = UnionFind()
    for a, b in sorted(pairs):
        sa, sb = signatures[a], signatures[b]
        assert sa is not None and sb is not None
        if (similarity(sa, sb) >= threshold
                and within_window(published.get(a), published.get(b))):
            uf.union(a, b)
    return uf.roots(signatures)
