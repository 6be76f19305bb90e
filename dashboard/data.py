"""The dashboard's one door to the warehouse: cached, read-only, snapshot-aware.

The app opens only the published snapshot, read-only with external access off
(warehouse.db.connect_reader). Every cache is keyed on the snapshot's identity (path,
inode, mtime_ns), so a newly published file (an atomic rename: a new inode) is picked up
on the next interaction, without a restart, and old results are never served for it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, cast

import duckdb
import pandas as pd
import streamlit as st
import tantivy

from blocwatch.paths import data_paths
from blocwatch.query import Plan
from dashboard import queries
from dashboard.filters import Filters
from warehouse import search
from warehouse import topics as wtopics
from warehouse.db import connect_reader

TTL_S = 600  # results also expire, so memory does not hold every view ever asked for
T = TypeVar("T")


@dataclass(frozen=True)
class Snapshot:
    """Identity of one published file: a new publish is a new inode and mtime."""

    path: str
    inode: int
    mtime_ns: int
    size: int


def published_path() -> Path:
    return data_paths().published_db


def snapshot(path: Path | None = None) -> Snapshot | None:
    """The current snapshot, or None when nothing is published there."""
    p = path or published_path()
    try:
        st_ = os.stat(p)
    except OSError:
        return None
    return Snapshot(str(p), st_.st_ino, st_.st_mtime_ns, st_.st_size)


_lock = threading.Lock()
_open: dict[str, tuple[Snapshot, duckdb.DuckDBPyConnection]] = {}


def _connection(snap: Snapshot) -> duckdb.DuckDBPyConnection:
    """The read-only connection to this snapshot, shared by all sessions.

    DuckDB keeps one database instance per path in a process: connecting again to a path
    whose file was replaced returns the instance still reading the old file. So the
    connection to the previous snapshot at the same path is closed before opening anew.
    """
    with _lock:
        held = _open.get(snap.path)
        if held is not None and held[0] == snap:
            return held[1]
        if held is not None:
            held[1].close()
        con = connect_reader(Path(snap.path))
        _open[snap.path] = (snap, con)
        return con


def _with_cursor(snap: Snapshot, fn: Callable[..., T], *args: Any) -> T:
    # One cursor per call: a DuckDB connection is not safe to share between the threads
    # Streamlit runs sessions in; cursors of one connection are.
    cur = _connection(snap).cursor()
    try:
        queries.configure(cur)
        return fn(cur, *args)
    finally:
        cur.close()


@st.cache_data(ttl=TTL_S, show_spinner=False)
def entities(snap: Snapshot) -> pd.DataFrame:
    return _with_cursor(snap, queries.entities)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def sources(snap: Snapshot) -> pd.DataFrame:
    return _with_cursor(snap, queries.sources)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def languages(snap: Snapshot) -> list[str]:
    return _with_cursor(snap, queries.languages)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def overview(snap: Snapshot) -> dict[str, Any]:
    return _with_cursor(snap, queries.overview)


@st.cache_data(ttl=TTL_S, max_entries=256, show_spinner=False)
def count_articles(snap: Snapshot, filters: Filters) -> int:
    return _with_cursor(snap, queries.count_articles, filters)


@st.cache_data(ttl=TTL_S, max_entries=256, show_spinner=False)
def top_entities(snap: Snapshot, filters: Filters, n: int = 5) -> list[str]:
    return _with_cursor(snap, queries.top_entities, filters, n)


@st.cache_data(ttl=TTL_S, max_entries=256, show_spinner=False)
def series(snap: Snapshot, filters: Filters, sets: tuple[tuple[str, ...], ...],
           period: str, split: str = "none", match: str = "any") -> pd.DataFrame:
    return _with_cursor(snap, queries.series, filters, sets, period, split, match)


def _article_list(cur: duckdb.DuckDBPyConnection, snap: Snapshot, filters: Filters,
                  entities: tuple[str, ...], match: str, text: str | None, limit: int
                  ) -> pd.DataFrame:
    if not text:
        return queries.article_list(cur, filters, entities, match, limit)
    return queries.article_search(cur, _searcher(cur, snap), _plan(cur, text),
                                  _text_filters(cur, filters), filters, entities, match,
                                  limit)


@st.cache_data(ttl=TTL_S, max_entries=256, show_spinner=False)
def article_list(snap: Snapshot, filters: Filters, entities: tuple[str, ...] = (),
                 match: str = "any", text: str | None = None,
                 limit: int = 500) -> pd.DataFrame:
    """The Articles page's list (queries.article_list), or queries.article_search when a
    query ``text`` is given (QuerySyntaxError, TextIndexError: not cached)."""
    return _with_cursor(snap, _article_list, snap, filters, entities, match, text, limit)


@st.cache_data(ttl=TTL_S, max_entries=256, show_spinner=False)
def article(snap: Snapshot, article_id: int) -> dict[str, Any] | None:
    return _with_cursor(snap, queries.article, article_id)


@st.cache_data(ttl=TTL_S, max_entries=256, show_spinner=False)
def article_mentions(snap: Snapshot, article_id: int) -> pd.DataFrame:
    return _with_cursor(snap, queries.article_mentions, article_id)


@st.cache_data(ttl=TTL_S, max_entries=64, show_spinner=False)
def aliases(snap: Snapshot, entity_ids: tuple[str, ...]) -> pd.DataFrame:
    return _with_cursor(snap, queries.aliases, entity_ids)


@st.cache_data(ttl=TTL_S, max_entries=256, show_spinner=False)
def co_mention_pairs(snap: Snapshot, filters: Filters, level: str,
                     entities: tuple[str, ...] = ()) -> pd.DataFrame:
    return _with_cursor(snap, queries.co_mention_pairs, filters, level, entities)


@st.cache_data(ttl=TTL_S, max_entries=256, show_spinner=False)
def entity_totals(snap: Snapshot, filters: Filters,
                  entities: tuple[str, ...] = ()) -> pd.DataFrame:
    return _with_cursor(snap, queries.entity_totals, filters, entities)


@st.cache_data(ttl=TTL_S, max_entries=256, show_spinner=False)
def pair_articles(snap: Snapshot, filters: Filters, a: str, b: str,
                  level: str) -> pd.DataFrame:
    return _with_cursor(snap, queries.pair_articles, filters, a, b, level)


@st.cache_data(ttl=TTL_S, max_entries=256, show_spinner=False)
def keyword_terms(snap: Snapshot, filters: Filters, entity: str
                  ) -> tuple[pd.DataFrame, int, int]:
    return _with_cursor(snap, queries.keyword_terms, filters, entity)


@st.cache_data(ttl=TTL_S, max_entries=256, show_spinner=False)
def kwic_articles(snap: Snapshot, filters: Filters, entity: str, term: str) -> pd.DataFrame:
    return _with_cursor(snap, queries.kwic_articles, filters, entity, term)


@st.cache_data(ttl=TTL_S, max_entries=256, show_spinner=False)
def outlet_series(snap: Snapshot, filters: Filters, period: str) -> pd.DataFrame:
    return _with_cursor(snap, queries.outlet_series, filters, period)


@st.cache_data(ttl=TTL_S, max_entries=64, show_spinner=False)
def outlet_health(snap: Snapshot, filters: Filters, runs: int) -> pd.DataFrame:
    return _with_cursor(snap, queries.outlet_health, filters, runs)


@st.cache_data(ttl=TTL_S, max_entries=64, show_spinner=False)
def recent_runs(snap: Snapshot, runs: int) -> pd.DataFrame:
    return _with_cursor(snap, queries.recent_runs, runs)


def _parked_urls(con: duckdb.DuckDBPyConnection, filters: Filters, now: datetime,
                 limit: int) -> pd.DataFrame:
    try:
        return queries.run(con, "parked_urls", {"sources": list(filters.sources),
                                                "countries": list(filters.countries),
                                                "now": now, "limit": int(limit)})
    except duckdb.CatalogException:
        # A snapshot published before migration 008 has no url_parking: nothing is parked.
        return pd.DataFrame(columns=["outlet", "source_id", "url", "failed_runs",
                                     "last_outcome", "last_error", "last_failed_at",
                                     "parked_until", "parked", "total"])


@st.cache_data(ttl=TTL_S, max_entries=64, show_spinner=False)
def parked_urls(snap: Snapshot, filters: Filters, now: datetime,
                limit: int = 1000) -> pd.DataFrame:
    """URLs parked after failing in several runs in a row (dashboard/queries/parked_urls.sql);
    ``now`` (naive UTC) tells parked ones from those due for a retry."""
    return _with_cursor(snap, _parked_urls, filters, now, limit)


@st.cache_data(ttl=TTL_S, max_entries=64, show_spinner=False)
def alerts(snap: Snapshot, filters: Filters, kinds: tuple[str, ...] = ()) -> pd.DataFrame:
    return _with_cursor(snap, queries.alerts, filters, kinds)


# Rows the SQL page shows at most (its queries run in dashboard/sqlrun.py, on a capped
# connection of their own, not through the caches here).
SQL_ROW_LIMIT = 10_000


def as_sets(groups: Sequence[Sequence[str]]) -> tuple[tuple[str, ...], ...]:
    """Entity sets in the hashable shape the caches key on."""
    return tuple(tuple(g) for g in groups if len(g))


# --- queries over the full-text index (warehouse/search.py) and saved topics ---------------

_searchers: dict[str, tuple[Snapshot, tantivy.Searcher]] = {}
# At most this many query lines per chart and characters per query: a URL is typed input.
MAX_QUERIES = 8
MAX_QUERY_CHARS = 500


def _searcher(cur: duckdb.DuckDBPyConnection, snap: Snapshot) -> tantivy.Searcher:
    """The searcher of the index generation this snapshot names, opened once per snapshot
    (TextIndexError when it cannot be opened)."""
    with _lock:
        held = _searchers.get(snap.path)
        if held is not None and held[0] == snap:
            return held[1]
    found = search.open_searcher(cur, Path(snap.path))
    with _lock:
        _searchers[snap.path] = (snap, found)
    return found


def _text_filters(cur: duckdb.DuckDBPyConnection, filters: Filters) -> search.Filters:
    """The sidebar's filters as the index knows them: outlet countries become the outlets
    of those countries (the index has no country)."""
    sources = tuple(filters.sources)
    if filters.countries:
        in_countries = queries.run(cur, "country_sources", {
            "countries": list(filters.countries)})["source_id"].tolist()
        sources = tuple(s for s in (sources or in_countries) if s in in_countries)
        # No outlet left: a source id no outlet has, so nothing matches (empty means all).
        sources = sources or ("\x00",)
    return search.Filters(filters.start, filters.end, sources, tuple(filters.languages))


def _plan(cur: duckdb.DuckDBPyConnection, text: str) -> Plan:
    # entity: resolves against the taxonomy this snapshot was synced with, as the saved
    # topics counted in it did.
    return search.compile_text(text, cur, wtopics.taxonomy_from_db(cur))


def check_query(snap: Snapshot, text: str) -> None:
    """QuerySyntaxError (with the caret) when ``text`` cannot be read or names an entity
    this snapshot does not know; None when it can be charted."""
    _with_cursor(snap, _plan, text)


def _query_series(cur: duckdb.DuckDBPyConnection, snap: Snapshot, filters: Filters,
                  text: str, period: str) -> pd.DataFrame:
    if period not in queries.PERIODS:
        raise ValueError(f"period must be one of {', '.join(queries.PERIODS)}")
    rows = search.query_series(cur, _searcher(cur, snap), _plan(cur, text),
                               cast(search.Period, period), _text_filters(cur, filters))
    df = pd.DataFrame([vars(r) for r in rows],
                      columns=["period", "articles", "total", "share", "stories"])
    df["period"] = pd.to_datetime(df["period"])
    return df


@st.cache_data(ttl=TTL_S, max_entries=256, show_spinner=False)
def query_series(snap: Snapshot, filters: Filters, text: str, period: str) -> pd.DataFrame:
    """Per period (all of the window's periods with articles): articles matching the query
    ``text``, all articles, share, distinct stories among the matches (columns period,
    articles, total, share, stories). QuerySyntaxError for a query that cannot be read,
    TextIndexError when the snapshot's index cannot be opened (neither is cached)."""
    return _with_cursor(snap, lambda cur: _query_series(cur, snap, filters, text, period))


def _query_articles(cur: duckdb.DuckDBPyConnection, snap: Snapshot, filters: Filters,
                    text: str, limit: int
                    ) -> tuple[int, list[dict[str, Any]], dict[int, dict[str, Any]]]:
    return search.query_articles(cur, _searcher(cur, snap), _plan(cur, text),
                                 _text_filters(cur, filters), limit=limit, with_text=True)


@st.cache_data(ttl=TTL_S, max_entries=64, show_spinner=False)
def query_articles(snap: Snapshot, filters: Filters, text: str, limit: int = 50
                   ) -> tuple[int, list[dict[str, Any]], dict[int, dict[str, Any]]]:
    """(total, the newest ``limit`` matching articles with their text, per article id the
    (start, end) spans of the query's words in ``title`` and ``text``)."""
    return _with_cursor(snap, lambda cur: _query_articles(cur, snap, filters, text, limit))


def _topics(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    try:
        return queries.run(cur, "saved_topics", {})
    except duckdb.CatalogException:
        # A snapshot published before migration 011 has no saved topics.
        return pd.DataFrame(columns=["topic_id", "label", "query", "group_name"])


@st.cache_data(ttl=TTL_S, show_spinner=False)
def topics(snap: Snapshot) -> pd.DataFrame:
    """The saved topics (topics.yaml) this snapshot counts: topic_id, label, query,
    group_name."""
    return _with_cursor(snap, _topics)


def _topic_series(cur: duckdb.DuckDBPyConnection, filters: Filters,
                  topic_ids: tuple[str, ...], period: str) -> pd.DataFrame:
    f = _text_filters(cur, filters)
    return wtopics.topic_series(cur, topic_ids, period, f.start, f.end, f.sources,
                                f.languages)


@st.cache_data(ttl=TTL_S, max_entries=256, show_spinner=False)
def topic_series(snap: Snapshot, filters: Filters, topic_ids: tuple[str, ...],
                 period: str) -> pd.DataFrame:
    """Per saved topic and period, from the topics' rollup: topic_id, period, articles,
    total, share, stories (warehouse.topics.topic_series)."""
    return _with_cursor(snap, _topic_series, filters, topic_ids, period)


def _query_ids(cur: duckdb.DuckDBPyConnection, snap: Snapshot, filters: Filters,
               text: str) -> list[int]:
    return search.matching_ids(_searcher(cur, snap), _plan(cur, text),
                               _text_filters(cur, filters))


def _query_keyword_terms(cur: duckdb.DuckDBPyConnection, snap: Snapshot, filters: Filters,
                         text: str) -> tuple[pd.DataFrame, int, int]:
    assert filters.start is not None and filters.end is not None
    b_start, _ = queries.baseline_window(filters.start, filters.end)
    window = _query_ids(cur, snap, filters, text)
    baseline = _query_ids(cur, snap, filters.with_dates(
        b_start, filters.start - timedelta(days=1)), text)
    terms = queries.run(cur, "query_keyword_terms",
                        {"window_ids": window, "baseline_ids": baseline})
    return terms, len(window), len(baseline)


@st.cache_data(ttl=TTL_S, max_entries=64, show_spinner=False)
def query_keyword_terms(snap: Snapshot, filters: Filters, text: str
                        ) -> tuple[pd.DataFrame, int, int]:
    """As keyword_terms, over the articles the query ``text`` matches: (terms, articles in
    the window, articles in the baseline window before it)."""
    if filters.start is None or filters.end is None:
        raise ValueError("query_keyword_terms needs a dated window")
    return _with_cursor(snap, lambda cur: _query_keyword_terms(cur, snap, filters, text))


def _query_kwic_articles(cur: duckdb.DuckDBPyConnection, snap: Snapshot, filters: Filters,
                         text: str, term: str, limit: int) -> pd.DataFrame:
    return queries.run(cur, "query_kwic_articles",
                       {"ids": _query_ids(cur, snap, filters, text), "term": term,
                        "limit": int(limit)})


@st.cache_data(ttl=TTL_S, max_entries=64, show_spinner=False)
def query_kwic_articles(snap: Snapshot, filters: Filters, text: str, term: str,
                        limit: int = 40) -> pd.DataFrame:
    """As kwic_articles, among the articles the query ``text`` matches."""
    return _with_cursor(snap, lambda cur: _query_kwic_articles(cur, snap, filters, text,
                                                               term, limit))
