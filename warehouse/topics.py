"""Saved topics in the warehouse (migration 011): synced from topics.yaml, counted with the
full-text index after every load, read as series like the entities.

Counting (``count_topics``) runs in ``warehouse.publish`` right after the full-text index
has taken in the new articles, so the counts published are those of the index published
with them. Each topic's query is compiled as ``blocwatch query`` compiles it (the
warehouse's languages, the taxonomy's aliases as stored) and run on the index, restricted to
the articles above the topic's ``counted_through``: a load costs one index query per topic,
whatever the warehouse's size, and no article is analysed again. A topic that is new, whose
compiled query changed (its text, a new language, an entity's aliases), or an index rebuilt
(re-extracted texts) is counted over every article. ``blocwatch.query.matches`` evaluates
the same compiled query on one analysed article; the index and it agree
(tests/test_textindex.py), and tests/test_topics.py checks the counts against the demo
generator's ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import tantivy

from blocwatch.query import Plan, QuerySyntaxError, compile_query, parse
from blocwatch.taxonomy import Alias, Entity, Taxonomy
from blocwatch.topics import TopicsConfig, query_hash
from warehouse.search import tantivy_query
from warehouse.sql import arrow_table, registered, sql
from warehouse.textindex import SCHEMA, open_published

__all__ = ["count_topics", "sync_topics", "taxonomy_from_db", "topic_names",
           "topic_series", "topic_week_counts"]

PERIODS = ("day", "week", "month")


def sync_topics(con: duckdb.DuckDBPyConnection, config: TopicsConfig) -> None:
    """Make the topics table say what topics.yaml says: new and edited topics written,
    topics no longer there (or now invalid) kept but inactive, with their counts."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("UPDATE topics SET active = false")
        for t in config.topics:
            con.execute(sql("topics/upsert_topic"),
                        [t.id, t.label, t.query, t.group, t.notes])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


ALIASES_SQL = ("SELECT entity_id, alias, case_rule, match_rule, lang FROM entity_aliases "
               "ORDER BY ALL")
ENTITIES_SQL = ("SELECT entity_id, name, kind, group_name, description "
                "FROM entities ORDER BY entity_id")


def taxonomy_from_db(con: duckdb.DuckDBPyConnection) -> Taxonomy:
    """The taxonomy as the last run synced it (entities, entity_aliases): what ``entity:``
    in a topic's query stands for, without the YAML file."""
    aliases: dict[str, list[Alias]] = {}
    for eid, text, case, match, lang in con.execute(ALIASES_SQL).fetchall():
        aliases.setdefault(eid, []).append(Alias(eid, text, case, match, lang))
    entities = tuple(Entity(eid, name, kind, group or "", tuple(aliases.get(eid, ())), desc)
                     for eid, name, kind, group, desc in con.execute(
                         ENTITIES_SQL).fetchall())
    return Taxonomy(entities)


def _languages(con: duckdb.DuckDBPyConnection) -> list[str]:
    # As warehouse.search.corpus_languages, from the articles themselves: the rollups may
    # not hold a language yet whose articles are all undated.
    return sorted({r[0] for r in con.execute(
        "SELECT DISTINCT language FROM articles WHERE language IS NOT NULL").fetchall()}
        | {"en"})


def _matching_ids(searcher: tantivy.Searcher, plan: Plan, after: int) -> list[int]:
    query = tantivy.Query.boolean_query([
        (tantivy.Occur.Must, tantivy_query(plan)),
        (tantivy.Occur.Must, tantivy.Query.range_query(
            SCHEMA, "article_id", tantivy.FieldType.Unsigned, after + 1, 2 ** 63 - 1))])
    n = int(searcher.search(query, limit=1, count=True).count)
    if not n:
        return []
    hits = searcher.search(query, limit=n, count=False).hits
    return sorted(int(i) for i in searcher.fast_field_values(
        "article_id", [addr for _, addr in hits]))


def count_topics(con: duckdb.DuckDBPyConnection, db_path: Path, rebuilt: bool = False
                 ) -> dict[str, int]:
    """Count every active topic on the articles it has not seen, with the index generation
    the database ``db_path`` (open as ``con``) names; ``rebuilt``: the index was rebuilt
    (texts rewritten), so every topic is counted again. One transaction. Returns the new
    matches per topic counted."""
    topics = con.execute("SELECT topic_id, query, query_hash, counted_through FROM topics "
                         "WHERE active ORDER BY topic_id").fetchall()
    if not topics:
        return {}
    last = int(con.execute("SELECT coalesce(max(article_id), 0) FROM articles").fetchone()[0])
    searcher = open_published(con, db_path)
    taxonomy, languages = taxonomy_from_db(con), _languages(con)
    done: dict[str, int] = {}
    con.execute("BEGIN TRANSACTION")
    try:
        for topic_id, text, old_hash, through in topics:
            try:
                plan = compile_query(parse(text), languages=languages, taxonomy=taxonomy,
                                     text=text)
            except QuerySyntaxError:
                # An entity the taxonomy no longer has: load_topics reports it by name at
                # the next run; until then the counts stay as they were.
                continue
            digest = query_hash(repr(plan))
            after = int(through)
            if rebuilt or digest != old_hash:
                con.execute("DELETE FROM topic_matches WHERE topic_id = ?", [topic_id])
                con.execute("DELETE FROM rollup_daily_topics WHERE topic_id = ?", [topic_id])
                after = 0
            if after < last:
                ids = _matching_ids(searcher, plan, after)
                if ids:
                    _add_matches(con, topic_id, ids)
                done[topic_id] = len(ids)
            con.execute("UPDATE topics SET query_hash = ?, counted_through = ? "
                        "WHERE topic_id = ?", [digest, last, topic_id])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return done


def _add_matches(con: duckdb.DuckDBPyConnection, topic_id: str, ids: list[int]) -> None:
    """Store a topic's new matches and recount its rollup rows on the days they fall on
    (a day's distinct stories are not a sum, so the day is counted again)."""
    table = arrow_table({"article_id": (ids, pa.int64())})
    with registered(con, new_ids=table):
        con.execute("INSERT INTO topic_matches SELECT ?, article_id FROM new_ids", [topic_id])
        con.execute(sql("topics/touched_days"))
    con.execute("DELETE FROM rollup_daily_topics WHERE topic_id = ? "
                "AND day IN (SELECT day FROM touched_days)", [topic_id])
    con.execute(sql("topics/count_days"), {"topic": topic_id})
    con.execute("DROP TABLE touched_days")


def topic_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """topic_id → label, every topic the warehouse knows."""
    return dict(con.execute("SELECT topic_id, label FROM topics").fetchall())


def topic_week_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per week (its Monday, in ``day``), active topic and outlet: matching articles
    (``day``, ``topic_id``, ``source_id``, ``articles``), the spike detector's input."""
    return con.execute(sql("topics/week_counts")).df()


def topic_series(con: duckdb.DuckDBPyConnection, topics: Sequence[str], period: str = "week",
                 start: date | None = None, end: date | None = None,
                 sources: Sequence[str] = (), languages: Sequence[str] = ()
                 ) -> pd.DataFrame:
    """Per topic and period: matching articles, all articles (same outlets and
    languages), their share, and the distinct stories among the matches; periods with
    articles but no match are rows of zeros. Columns: topic_id, period (first day),
    articles, total, share, stories. Like the entity series, from the rollups (stories
    from the topic's matches)."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")
    params: dict[str, Any] = {"topics": list(topics), "period": period, "start": start,
                              "end": end, "sources": list(sources),
                              "languages": list(languages)}
    df = con.execute(sql("topics/series"), params).df()
    df["period"] = pd.to_datetime(df["period"])
    df["share"] = df["share"].astype(float)
    return df
