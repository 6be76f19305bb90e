"""Stories in the warehouse (migration 003): syndicated copies grouped, incrementally.

``assign_stories`` runs inside load_batch's transaction, after the batch's articles are
inserted (each with story_id = its own id): it stores their MinHash signatures and LSH
buckets, finds stored articles sharing a bucket (earlier batches and this one), keeps the
pairs that blocwatch.dedup calls one story, and merges their stories. A story's id is the
smallest article id in it, so a merge relabels the younger story's articles.

Why this gives the same stories whatever the batches: the pairs compared for a new
article are all stored articles sharing a bucket with it, so every similar pair is found
exactly once, when its younger article is loaded; stories are the connected components
of those pairs, and a component and its smallest id do not depend on the order its edges
arrive in. ``rebuild_stories`` recomputes everything from the stored signatures (after a
change of threshold, say) and must agree with the incremental result.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb
import pyarrow as pa

from blocwatch.dedup import UnionFind, buckets, similarity, within_window
from warehouse.sql import registered, sql

__all__ = ["assign_stories", "rebuild_stories", "replace_signatures"]


def _candidate_pairs(con: duckdb.DuckDBPyConnection, first: int | None) -> list[tuple[int, int]]:
    """Pairs sharing a bucket with an article from ``first`` on (None: all pairs)."""
    return [(a, b) for a, b in con.execute(sql("stories/candidate_pairs"),
                                           {"first": first}).fetchall()]


def _merge(con: duckdb.DuckDBPyConnection, pairs: list[tuple[int, int]]) -> int:
    """Union the stories of the similar pairs; relabel stories that merged into an older
    one. Returns the number of articles relabelled."""
    if not pairs:
        return 0
    ids = sorted({i for p in pairs for i in p})
    with registered(con, probe=pa.table({"article_id": pa.array(ids, pa.int64())})):
        rows = con.execute(sql("stories/pair_articles")).fetchall()
    story: dict[int, int] = {}
    day: dict[int, date | None] = {}
    sig: dict[int, bytes] = {}
    for aid, sid, published, signature in rows:
        story[aid], day[aid], sig[aid] = sid, published, bytes(signature)
    uf = UnionFind()
    for a, b in pairs:
        if (a in sig and b in sig and within_window(day[a], day[b])
                and similarity(sig[a], sig[b]) >= _threshold()):
            uf.union(story[a], story[b])
    moves = [(s, uf.find(s)) for s in sorted(set(story.values())) if uf.find(s) != s]
    if not moves:
        return 0
    mv = pa.table({"old": pa.array([m[0] for m in moves], pa.int64()),
                   "new": pa.array([m[1] for m in moves], pa.int64())})
    with registered(con, mv=mv):
        n = con.execute("SELECT count(*) FROM articles WHERE story_id IN (SELECT old FROM mv)"
                        ).fetchone()[0]
        con.execute("UPDATE articles SET story_id = mv.new FROM mv "
                    "WHERE articles.story_id = mv.old")
    return int(n)


def _threshold() -> float:
    # Read at call time so tests can study other thresholds by patching blocwatch.dedup.
    from blocwatch import dedup

    return dedup.THRESHOLD


def assign_stories(con: duckdb.DuckDBPyConnection,
                   items: Sequence[tuple[int, bytes | None]], first_id: int) -> int:
    """Store the signatures of a batch's new articles (ids from ``first_id`` on, already
    inserted) and merge their stories with similar stored articles. Runs in the caller's
    transaction; returns the number of articles whose story_id changed."""
    signed = [(aid, sig) for aid, sig in items if sig is not None]
    if not signed:
        return 0
    _store(con, signed)
    return _merge(con, _candidate_pairs(con, first_id))


def _store(con: duckdb.DuckDBPyConnection, signed: Sequence[tuple[int, bytes]]) -> None:
    sigs = pa.table({"article_id": pa.array([a for a, _ in signed], pa.int64()),
                     "signature": pa.array([s for _, s in signed], pa.binary())})
    with registered(con, sigs=sigs):
        con.execute("INSERT INTO article_signatures SELECT article_id, signature FROM sigs")
    keys = [(key, aid) for aid, sig in signed for key in buckets(sig)]
    bk = pa.table({"bucket": pa.array([k for k, _ in keys], pa.int64()),
                   "article_id": pa.array([a for _, a in keys], pa.int64())})
    with registered(con, bk=bk):
        con.execute("INSERT INTO story_buckets SELECT bucket, article_id FROM bk")


def replace_signatures(con: duckdb.DuckDBPyConnection,
                       items: Sequence[tuple[int, bytes | None]]) -> None:
    """Replace the stored signatures of re-extracted articles (their text changed); call
    rebuild_stories afterwards. Runs in the caller's transaction."""
    if not items:
        return
    ids = pa.table({"article_id": pa.array([a for a, _ in items], pa.int64())})
    with registered(con, ids=ids):
        for table in ("article_signatures", "story_buckets"):
            # Table names are constants of this module.
            con.execute(f"DELETE FROM {table} "  # noqa: S608
                        "WHERE article_id IN (SELECT article_id FROM ids)")
    _store(con, [(a, s) for a, s in items if s is not None])


def rebuild_stories(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute every story from the stored signatures (the caller owns the transaction).
    Articles without a signature (stored before migration 003) keep a story of their own,
    or their original's if they are exact duplicates, as the migration set them. Returns
    the number of articles whose story_id differs from what it was."""
    before = dict(con.execute("SELECT article_id, story_id FROM articles").fetchall())
    con.execute(sql("stories/reset_stories"))
    _merge(con, _candidate_pairs(con, None))
    after = dict(con.execute("SELECT article_id, story_id FROM articles").fetchall())
    return sum(before[k] != v for k, v in after.items())
