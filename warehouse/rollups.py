"""Rollup tables (migrations 004-006): kept in step with the base tables at load time.

The dashboard's aggregate queries and the analyst views read these instead of scanning
mentions, co_mentions and fetch_log, so their cost is bounded by days x outlets x
entities (or entity pairs, or the distinct sets of entities articles name), not by the
number of articles.

* ``update_rollups`` folds one batch in, inside the caller's transaction: it reads only the
  batch's new articles (article ids from ``first_article_id`` on; ids only grow, and the
  zone maps of the id columns skip everything older) and MERGEs the sums in.
* ``rebuild_rollups`` recomputes everything from the base tables, for flows that rewrite
  mentions (re-tagging) or articles. The caller owns the transaction in both cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

__all__ = ["ROLLUP_TABLES", "update_rollups", "rebuild_rollups"]

ROLLUP_TABLES = ("rollup_daily_articles", "rollup_daily_mentions", "rollup_daily_co_mentions",
                 "rollup_weekly_co_mentions", "rollup_daily_pairs", "rollup_daily_entity_sets",
                 "rollup_run_fetches")

# Bits of rollup_daily_entity_sets.entity_set (a HUGEINT; its sign bit unused, as bit_count
# and the shifts are signed): entities first named after all are taken get a NULL bit, and
# the dashboard counts sets containing one from the mentions.
ENTITY_BITS = 127

# Each delta is a GROUP BY over the articles with article_id >= $first; $first = 0 gives
# the full rebuild. The two predicates on article_id (one per joined table) let DuckDB
# prune both scans by zone map, so a batch costs the same in a large warehouse.
_ARTICLES_DELTA = """
SELECT published AS day, source_id, language,
       count(*) FILTER (WHERE duplicate_of IS NULL) AS articles,
       count(*) FILTER (WHERE duplicate_of IS NOT NULL) AS duplicates
FROM articles
WHERE article_id >= $first
GROUP BY ALL
"""

_MENTIONS_DELTA = """
SELECT a.published AS day, a.source_id, a.language, m.entity_id,
       count(*) AS articles, sum(m.body_count + m.title_count)::BIGINT AS mentions
FROM mentions m JOIN articles a USING (article_id)
WHERE m.article_id >= $first AND a.article_id >= $first
  AND a.published IS NOT NULL AND a.duplicate_of IS NULL
GROUP BY ALL
"""

_CO_DELTA = """
SELECT a.published AS day, a.source_id, a.language, c.entity_a, c.entity_b,
       count(*) AS articles, count(*) FILTER (WHERE c.sentence_count > 0) AS sentence_articles,
       sum(c.sentence_count)::BIGINT AS sentences
FROM co_mentions c JOIN articles a USING (article_id)
WHERE c.article_id >= $first AND a.article_id >= $first
  AND a.published IS NOT NULL AND a.duplicate_of IS NULL
GROUP BY ALL
"""

_WEEKLY_CO_DELTA = """
SELECT date_trunc('week', a.published)::DATE AS week, a.source_id, a.language, c.entity_a,
       c.entity_b, count(*) AS articles,
       count(*) FILTER (WHERE c.sentence_count > 0) AS sentence_articles,
       sum(c.sentence_count)::BIGINT AS sentences
FROM co_mentions c JOIN articles a USING (article_id)
WHERE c.article_id >= $first AND a.article_id >= $first
  AND a.published IS NOT NULL AND a.duplicate_of IS NULL
GROUP BY ALL
"""

# Migration 005: pairs named anywhere in an article (headline included), for entity sets.
_PAIRS_DELTA = """
SELECT a.published AS day, a.source_id, a.language, m1.entity_id AS entity_a,
       m2.entity_id AS entity_b, count(*) AS articles,
       sum(m1.body_count + m1.title_count)::BIGINT AS mentions_a,
       sum(m2.body_count + m2.title_count)::BIGINT AS mentions_b
FROM mentions m1
JOIN mentions m2 ON m2.article_id = m1.article_id AND m2.entity_id > m1.entity_id
JOIN articles a ON a.article_id = m1.article_id
WHERE m1.article_id >= $first AND m2.article_id >= $first AND a.article_id >= $first
  AND a.published IS NOT NULL AND a.duplicate_of IS NULL
GROUP BY ALL
"""

# Migration 006: a bit for every entity first named in the batch, numbered on from the
# highest taken (in entity id order within a batch; NULL once all are taken).
_ASSIGN_BITS = """
INSERT INTO entity_bits (entity_id, bit)
SELECT entity_id, CASE WHEN n < $capacity THEN n END
FROM (
    SELECT entity_id,
           (SELECT coalesce(max(bit) + 1, 0) FROM entity_bits)
               + row_number() OVER (ORDER BY entity_id) - 1 AS n
    FROM (SELECT DISTINCT entity_id FROM mentions WHERE article_id >= $first)
    WHERE entity_id NOT IN (SELECT entity_id FROM entity_bits)
)
"""

# Migration 006: articles by the exact set of entities they name. Every article of a row
# names every entity of its set, so each entity's article count is the row's.
_ENTITY_SETS_DELTA = """
WITH named AS (
    SELECT a.article_id, a.published AS day, a.source_id, a.language, m.entity_id, b.bit,
           m.body_count + m.title_count AS mentions
    FROM mentions m
    JOIN articles a USING (article_id)
    JOIN entity_bits b USING (entity_id)
    WHERE m.article_id >= $first AND a.article_id >= $first
      AND a.published IS NOT NULL AND a.duplicate_of IS NULL AND b.bit IS NOT NULL
),
sets AS (
    SELECT article_id, bit_or(1::HUGEINT << bit) AS entity_set
    FROM named GROUP BY article_id
),
per_entity AS (
    SELECT n.day, n.source_id, n.language, s.entity_set, n.bit, n.entity_id,
           count(*) AS articles, sum(n.mentions)::INTEGER AS mentions
    FROM named n JOIN sets s USING (article_id)
    GROUP BY ALL
)
SELECT day, source_id, language, entity_set, max(articles) AS articles,
       list(entity_id ORDER BY bit) AS entities, list(mentions ORDER BY bit) AS mentions
FROM per_entity
GROUP BY day, source_id, language, entity_set
"""

_FETCH_SUMMARY = """
SELECT run_id, source_id, count(*) AS tried,
       count(*) FILTER (WHERE outcome NOT IN ('loaded', 'duplicate')) AS failed,
       arg_max(error, fetched_at) FILTER (WHERE outcome NOT IN ('loaded', 'duplicate'))
           AS last_error,
       max(fetched_at) FILTER (WHERE outcome NOT IN ('loaded', 'duplicate')) AS last_error_at,
       max(fetched_at) FILTER (WHERE outcome IN ('loaded', 'duplicate')) AS last_success
FROM {source}
GROUP BY ALL
"""

# NULL-safe key comparison: undated articles have a NULL day, and language may be NULL.
_MERGES = {
    "rollup_daily_articles": (
        _ARTICLES_DELTA,
        "t.day IS NOT DISTINCT FROM d.day AND t.source_id = d.source_id "
        "AND t.language IS NOT DISTINCT FROM d.language",
        "articles = t.articles + d.articles, duplicates = t.duplicates + d.duplicates",
        ("day", "source_id", "language", "articles", "duplicates")),
    "rollup_daily_mentions": (
        _MENTIONS_DELTA,
        "t.day = d.day AND t.source_id = d.source_id "
        "AND t.language IS NOT DISTINCT FROM d.language AND t.entity_id = d.entity_id",
        "articles = t.articles + d.articles, mentions = t.mentions + d.mentions",
        ("day", "source_id", "language", "entity_id", "articles", "mentions")),
    "rollup_daily_co_mentions": (
        _CO_DELTA,
        "t.day = d.day AND t.source_id = d.source_id "
        "AND t.language IS NOT DISTINCT FROM d.language "
        "AND t.entity_a = d.entity_a AND t.entity_b = d.entity_b",
        "articles = t.articles + d.articles, "
        "sentence_articles = t.sentence_articles + d.sentence_articles, "
        "sentences = t.sentences + d.sentences",
        ("day", "source_id", "language", "entity_a", "entity_b", "articles",
         "sentence_articles", "sentences")),
    "rollup_weekly_co_mentions": (
        _WEEKLY_CO_DELTA,
        "t.week = d.week AND t.source_id = d.source_id "
        "AND t.language IS NOT DISTINCT FROM d.language "
        "AND t.entity_a = d.entity_a AND t.entity_b = d.entity_b",
        "articles = t.articles + d.articles, "
        "sentence_articles = t.sentence_articles + d.sentence_articles, "
        "sentences = t.sentences + d.sentences",
        ("week", "source_id", "language", "entity_a", "entity_b", "articles",
         "sentence_articles", "sentences")),
    "rollup_daily_pairs": (
        _PAIRS_DELTA,
        "t.day = d.day AND t.source_id = d.source_id "
        "AND t.language IS NOT DISTINCT FROM d.language "
        "AND t.entity_a = d.entity_a AND t.entity_b = d.entity_b",
        "articles = t.articles + d.articles, mentions_a = t.mentions_a + d.mentions_a, "
        "mentions_b = t.mentions_b + d.mentions_b",
        ("day", "source_id", "language", "entity_a", "entity_b", "articles", "mentions_a",
         "mentions_b")),
    # Same key, same bits, so the same entities in the same order: mentions add up
    # element by element.
    "rollup_daily_entity_sets": (
        _ENTITY_SETS_DELTA,
        "t.day = d.day AND t.source_id = d.source_id "
        "AND t.language IS NOT DISTINCT FROM d.language AND t.entity_set = d.entity_set",
        "articles = t.articles + d.articles, "
        "mentions = list_transform(list_zip(t.mentions, d.mentions), lambda x: x[1] + x[2])",
        ("day", "source_id", "language", "entity_set", "articles", "entities", "mentions")),
}

_FETCH_MERGE = """
MERGE INTO rollup_run_fetches t
USING ({delta}) d
ON t.run_id = d.run_id AND t.source_id = d.source_id
WHEN MATCHED THEN UPDATE SET
    tried = t.tried + d.tried,
    failed = t.failed + d.failed,
    last_error = CASE WHEN d.last_error_at IS NOT NULL
                       AND (t.last_error_at IS NULL OR d.last_error_at >= t.last_error_at)
                      THEN d.last_error ELSE t.last_error END,
    last_error_at = greatest(t.last_error_at, d.last_error_at),
    last_success = greatest(t.last_success, d.last_success)
WHEN NOT MATCHED THEN INSERT (run_id, source_id, tried, failed, last_error, last_error_at,
                              last_success)
    VALUES (d.run_id, d.source_id, d.tried, d.failed, d.last_error, d.last_error_at,
            d.last_success)
"""

FetchRow = tuple[str, str, datetime, str, str | None]


def update_rollups(con: duckdb.DuckDBPyConnection, first_article_id: int,
                   fetch_rows: Sequence[FetchRow] = ()) -> None:
    """Fold one loaded batch into the rollups (call inside the load transaction).

    ``first_article_id`` is the smallest article_id the batch inserted (every article of
    the batch has an id at or above it); ``fetch_rows`` are the batch's fetch_log rows as
    (run_id, source_id, fetched_at, outcome, error).
    """
    con.execute(_ASSIGN_BITS, {"first": first_article_id, "capacity": ENTITY_BITS})
    for table, (delta, on, update, cols) in _MERGES.items():
        names = ", ".join(cols)
        values = ", ".join(f"d.{c}" for c in cols)
        # Table and column names are constants of this module, never user input.
        con.execute(
            f"MERGE INTO {table} t USING ({delta}) d ON {on} "  # noqa: S608
            f"WHEN MATCHED THEN UPDATE SET {update} "
            f"WHEN NOT MATCHED THEN INSERT ({names}) VALUES ({values})",
            {"first": first_article_id})
    if fetch_rows:
        log = _fetch_table(fetch_rows)  # noqa: F841 - read by DuckDB below
        con.execute(_FETCH_MERGE.format(delta=_FETCH_SUMMARY.format(source="log")))


def rebuild_rollups(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute every rollup from the base tables (after re-tagging, deletes, repairs).

    Runs in the caller's transaction when there is one, so readers of the published
    snapshot never see half-rebuilt rollups.
    """
    # Renumbered from scratch: entities no longer named (a taxonomy edit, then reprocess)
    # give their bits back.
    con.execute("DELETE FROM entity_bits")
    con.execute(_ASSIGN_BITS, {"first": 0, "capacity": ENTITY_BITS})
    for table, (delta, _on, _update, cols) in _MERGES.items():
        con.execute(f"DELETE FROM {table}")  # noqa: S608 - constant names
        # Sorted by time, as routine loads append them: zone maps on day/week then let
        # date-bounded reads (the edges of a window) skip the rest.
        con.execute(f"INSERT INTO {table} ({', '.join(cols)}) "  # noqa: S608
                    f"SELECT {', '.join(cols)} FROM ({delta}) ORDER BY {cols[0]}",
                    {"first": 0})
    con.execute("DELETE FROM rollup_run_fetches")
    con.execute("INSERT INTO rollup_run_fetches " + _FETCH_SUMMARY.format(source="fetch_log"))


def _fetch_table(rows: Sequence[FetchRow]) -> pa.Table:
    cols: list[list[Any]] = [list(c) for c in zip(*rows, strict=True)]
    return pa.table([pa.array(cols[0], pa.string()), pa.array(cols[1], pa.string()),
                     pa.array(cols[2], pa.timestamp("us")), pa.array(cols[3], pa.string()),
                     pa.array(cols[4], pa.string())],
                     names=["run_id", "source_id", "fetched_at", "outcome", "error"])
