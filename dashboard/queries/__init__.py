"""The dashboard's queries as plain functions ``(con, filters, ...) -> DataFrame``.

No Streamlit here: dashboard/data.py wraps these in caches, and a benchmark or a notebook
can call them with any DuckDB connection. The SQL lives beside this file in ``*.sql``;
``/*name*/`` in a file stands for the shared fragment ``_name.sql`` (``_filtered.sql``: the
filtered articles; ``_cell_filter.sql``: the same filters on a rollup row;
``_set_match.sql``: an entity-set rollup row naming any or all of a set). Every value
reaches DuckDB as a bound ``$name`` parameter; Python only chooses which constant file to
run.

Speed: aggregates read the rollup tables (migrations 004-006), whose size is bounded by
days x outlets x entities (or the distinct sets of entities articles name), so they take
about the same time in a warehouse ten times larger. Listings (newest first, with a LIMIT)
first ask the rollups how far back the newest rows go and then read only those days. Keyword
statistics read the weekly keyword rollup (migration 010), the edge days of a window that
do not fill a week from the articles. What still grows with the warehouse: a text query's
matches (found in the full-text index, then listed here), and sets of three or more
entities containing one first named after the entity-set masks' 127 bits were taken
(article-level set logic).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

import duckdb
import pandas as pd
import tantivy

from blocwatch.query import Plan
from dashboard.filters import Filters
from dashboard.text import hit_excerpt
from warehouse import search
from warehouse.sql import read_sql

PERIODS = ("day", "week", "month")
SPLITS = ("none", "country", "language", "kind", "outlet")
MATCHES = ("any", "all")
LEVELS = ("article", "sentence")

_PARAM_RE = re.compile(r"\$([a-z_]+)")
# kwic_articles reads back this many times its limit of articles naming the entity first,
# then widens by this factor until enough rows are found.
_KWIC_WIDEN = 8


@cache
def sql(name: str) -> str:
    """The text of ``queries/<name>.sql`` with the shared fragments spliced in."""
    return read_sql(resources.files("dashboard.queries"), name, "_{}")


def configure(con: duckdb.DuckDBPyConnection) -> None:
    """Session settings for a cursor (cursors do not inherit their connection's)."""
    con.execute("SET TimeZone = 'UTC'")


def filter_params(filters: Filters) -> dict[str, Any]:
    return {"start": filters.start, "end": filters.end, "sources": list(filters.sources),
            "countries": list(filters.countries), "languages": list(filters.languages)}


def run(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> pd.DataFrame:
    """Run one named query; parameters it does not use are left out (DuckDB refuses them)."""
    text = sql(name)
    used = set(_PARAM_RE.findall(text))
    missing = used - params.keys()
    if missing:
        raise KeyError(f"query {name} needs parameters {sorted(missing)}")
    return con.execute(text, {k: v for k, v in params.items() if k in used}).df()


def _choice(value: str, allowed: Sequence[str], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}, not {value!r}")
    return value


# --- catalogue ---------------------------------------------------------------------------

def entities(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return run(con, "catalog_entities", {})


def sources(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return run(con, "catalog_sources", {})


def languages(con: duckdb.DuckDBPyConnection) -> list[str]:
    return run(con, "catalog_languages", {})["language"].tolist()


def overview(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """first_day, last_day (None when no article is dated), articles, rows_total."""
    row = run(con, "overview", {}).iloc[0].to_dict()
    if row.pop("table_rows") != row["rows_total"]:
        # Rows changed behind the loader's back (by hand, say): trust the table.
        row = run(con, "overview_articles", {}).iloc[0].to_dict()
    for key in ("first_day", "last_day"):
        row[key] = None if pd.isna(row[key]) else pd.Timestamp(row[key]).date()
    return row


# --- selections --------------------------------------------------------------------------

def count_articles(con: duckdb.DuckDBPyConnection, filters: Filters) -> int:
    return int(run(con, "count_filtered", filter_params(filters))["articles"].iloc[0])


def top_entities(con: duckdb.DuckDBPyConnection, filters: Filters, n: int = 5) -> list[str]:
    """The ``n`` entities named by the most filtered articles (the default selection)."""
    df = run(con, "top_entities", {**filter_params(filters), "n": n})
    return df["entity_id"].tolist()


def series(con: duckdb.DuckDBPyConnection, filters: Filters,
           sets: Sequence[Sequence[str]], period: str = "week", split: str = "none",
           match: str = "any") -> pd.DataFrame:
    """Per panel, period and entity set: articles naming the set, mentions, total, share.

    Columns: panel, period (first day), set_idx (1-based position in ``sets``), articles,
    mentions, total (all filtered articles of the panel and period), share (articles /
    total; NaN when the period has no article). A set of one entity is that entity; a
    larger set counts articles naming any (``match='any'``) or all of its entities.
    """
    params = _series_params(filters, sets, period, split, match)
    if params is None:
        return pd.DataFrame(columns=_SERIES_COLUMNS)
    sets_list = params["sets"]
    # Every set comes from the rollups unless it needs the mentions (see _in_rollups).
    large = sorted({e for s in sets_list if len(s) >= 3 for e in s})
    name = "series" if _in_rollups(con, large) else "series_sets"
    df = run(con, name, params)
    df["period"] = pd.to_datetime(df["period"])
    df["share"] = df["share"].astype(float)
    return df


def _in_rollups(con: duckdb.DuckDBPyConnection, entities: Sequence[str]) -> bool:
    """Whether the rollups can count articles naming these entities (any or all of them).

    One or two always can; three or more through the entity-set masks, unless one of them
    was first named after the masks' 127 bits were taken.
    """
    return len(entities) <= 2 or run(con, "unmasked_entities",
                                     {"entities": list(entities)}).empty


def _article_rows(con: duckdb.DuckDBPyConnection, filters: Filters, entities: Sequence[str],
                  match: str, ids: Sequence[int] | None, limit: int,
                  since: date | None = None, matches: int | None = None) -> pd.DataFrame:
    entities = list(dict.fromkeys(entities))
    params = {**filter_params(filters), "entities": entities,
              "match": _choice(match, MATCHES, "match"),
              "ids": None if ids is None else [int(i) for i in ids], "limit": int(limit),
              "since": since, "matches": matches}
    if ids is None and _in_rollups(con, entities):
        # The rollups know how many rows match and from which day the newest `limit` of
        # them start; a text query's matches are listed from its ids instead.
        bounds = run(con, "article_list_bounds", params).iloc[0]
        params["since"] = None if pd.isna(bounds["since"]) else bounds["since"]
        params["matches"] = int(bounds["matches"])
    return run(con, "article_list", params)


def article_list(con: duckdb.DuckDBPyConnection, filters: Filters,
                 entities: Sequence[str] = (), match: str = "any",
                 limit: int = 500) -> pd.DataFrame:
    """Filtered articles (naming ``entities`` when given), newest first, with a snippet.

    Columns: article_id, published, outlet, title, url, entities (names, most mentioned
    first), mentions (of ``entities``), snippet, matches (rows before the limit).
    """
    return _article_rows(con, filters, entities, match, None, limit).drop(
        columns=["language", "text"])


def article_search(con: duckdb.DuckDBPyConnection, searcher: tantivy.Searcher, plan: Plan,
                   text_filters: search.Filters, filters: Filters,
                   entities: Sequence[str] = (), match: str = "any",
                   limit: int = 500) -> pd.DataFrame:
    """``article_list`` of the articles a text query matches: their ids from the full-text
    index (``plan`` under ``text_filters``, the same filters as the index knows them), the
    snippet cut around the query's first hit in the text (the text's start where the hit
    is only in the headline). Same columns."""
    since = matches = None
    if not entities:
        # The index counts the matches and finds the day the newest `limit` start from
        # (its "counted" flag is the filtered articles' rule: dated, not a duplicate), so
        # only the matches from that day on are listed.
        matches, since = search.newest_since(searcher, plan, text_filters, limit)
        if since is not None:
            text_filters = replace(text_filters, start=max(since, text_filters.start or since))
    ids = search.matching_ids(searcher, plan, text_filters)
    df = _article_rows(con, filters, entities, match, ids, limit, since, matches)
    snippets = []
    for body, language, fallback in zip(df["text"], df["language"], df["snippet"],
                                        strict=True):
        first = search.highlight(plan, body or "", language, first_only=True)
        excerpt, _ = hit_excerpt(body or "", first, width=120)
        snippets.append(excerpt or fallback)
    df["snippet"] = snippets
    return df.drop(columns=["language", "text"])


def article(con: duckdb.DuckDBPyConnection, article_id: int) -> dict[str, Any] | None:
    df = run(con, "article_detail", {"article_id": int(article_id)})
    return None if df.empty else df.iloc[0].to_dict()


def article_mentions(con: duckdb.DuckDBPyConnection, article_id: int) -> pd.DataFrame:
    return run(con, "article_mentions", {"article_id": int(article_id)})


def aliases(con: duckdb.DuckDBPyConnection, entity_ids: Sequence[str]) -> pd.DataFrame:
    return run(con, "entity_aliases", {"entities": list(entity_ids)})


def co_mention_pairs(con: duckdb.DuckDBPyConnection, filters: Filters,
                     level: str = "article", entities: Sequence[str] = ()) -> pd.DataFrame:
    """Pairs (entity_a < entity_b) with articles naming both and sentences naming both."""
    return run(con, "co_mention_pairs", {**filter_params(filters),
                                         "level": _choice(level, LEVELS, "level"),
                                         "entities": list(entities)})


def entity_totals(con: duckdb.DuckDBPyConnection, filters: Filters,
                  entities: Sequence[str] = ()) -> pd.DataFrame:
    return run(con, "entity_totals", {**filter_params(filters), "entities": list(entities)})


def pair_articles(con: duckdb.DuckDBPyConnection, filters: Filters, a: str, b: str,
                  level: str = "article", limit: int = 500) -> pd.DataFrame:
    params = {**filter_params(filters), "a": a, "b": b,
              "level": _choice(level, LEVELS, "level"), "limit": int(limit)}
    since = run(con, "pair_articles_bounds", params)["since"].iloc[0]
    return run(con, "pair_articles", {**params, "since": None if pd.isna(since) else since})


def baseline_window(start: date, end: date) -> tuple[date, date]:
    """The window of the same length just before [start, end]."""
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)


def keyword_terms(con: duckdb.DuckDBPyConnection, filters: Filters, entity: str
                  ) -> tuple[pd.DataFrame, int, int]:
    """Terms of the articles naming ``entity`` in the window and the baseline before it.

    Returns (terms, window_articles, baseline_articles); terms has columns term,
    window_docs, window_count, baseline_docs, baseline_count, most window_docs first.
    Whole ISO weeks come from the keyword rollup (migration 010), so a window costs its
    weeks, not its articles; the days at the edges that do not fill a week, and any outlet
    or country filter (the rollup has no outlet), are read from the articles.
    """
    if filters.start is None or filters.end is None:
        raise ValueError("keyword_terms needs a dated window")
    b_start, _ = baseline_window(filters.start, filters.end)
    params = {**filter_params(filters.with_dates(b_start, filters.end)),
              "window_start": filters.start, "entity": entity}
    sizes = run(con, "keyword_sizes", params).iloc[0]
    return (_term_counts(con, params, b_start, filters.start, filters.end),
            int(sizes["window_articles"]), int(sizes["baseline_articles"]))


@dataclass(frozen=True)
class WeekPlan:
    """How keyword_terms.sql reads a window and its baseline: whole ISO weeks from the
    rollup (``baseline``, ``window``: first and last Monday, or None), and ranges of days
    from the articles, each with the weights its counts add to the window and to the
    baseline (-1, 0 or 1)."""

    baseline: tuple[date, date] | None
    window: tuple[date, date] | None
    days: tuple[tuple[date, date, int, int], ...]


def week_plan(b_start: date, w_start: date, end: date) -> WeekPlan:
    """The plan for the baseline [b_start, w_start) and the window [w_start, end].

    A week only partly inside a side is read whole from the rollup for the side holding
    most of its days, less the counts of its other days, read from the articles (and added
    to the other side when they are in it); when most of its days are outside both, its
    days inside are read instead. So at most three of a week's days are read from the
    articles, whatever the window: at a million articles each day read costs about as
    much as a week of the rollup.
    """
    def side(d: date) -> str | None:
        return "b" if b_start <= d < w_start else "w" if w_start <= d <= end else None

    weeks: dict[str, list[date]] = {"b": [], "w": []}
    days: list[tuple[date, date, int, int]] = []
    weight = {"w": (1, 0), "b": (0, 1), None: (0, 0)}
    monday = b_start - timedelta(days=b_start.weekday())
    while monday <= end:
        labels = [side(monday + timedelta(days=i)) for i in range(7)]
        counts = {k: labels.count(k) for k in dict.fromkeys(labels)}
        # The largest group; on a tie a side rather than "outside" (fewer days read).
        main = max(counts, key=lambda k: (counts[k], k is not None))
        if main is not None:
            weeks[main].append(monday)
        for label in counts:
            if label == main:
                continue
            idx = [i for i, x in enumerate(labels) if x == label]
            lo, hi = monday + timedelta(days=idx[0]), monday + timedelta(days=idx[-1])
            w, b = weight[label]
            if main is not None:
                mw, mb = weight[main]
                w, b = w - mw, b - mb
            days.append((lo, hi, w, b))
        monday += timedelta(days=7)

    def span(ws: list[date]) -> tuple[date, date] | None:
        return (ws[0], ws[-1]) if ws else None

    return WeekPlan(span(weeks["b"]), span(weeks["w"]), tuple(days))


def _term_counts(con: duckdb.DuckDBPyConnection, params: dict[str, Any], b_start: date,
                 w_start: date, end: date) -> pd.DataFrame:
    plan = week_plan(b_start, w_start, end)
    if params["sources"] or params["countries"] or len(plan.days) > len(_EDGES):
        # The rollup has no outlet; windows of a few days have more edges than weeks.
        return run(con, "keyword_terms_days", params)
    bounds: dict[str, Any] = {"baseline_from": plan.baseline and plan.baseline[0],
                              "baseline_to": plan.baseline and plan.baseline[1],
                              "window_from": plan.window and plan.window[0],
                              "window_to": plan.window and plan.window[1]}
    for i, x in enumerate(_EDGES):
        lo, hi, w, b = plan.days[i] if i < len(plan.days) else (None, None, 0, 0)
        bounds.update({f"edge_{x}_from": lo, f"edge_{x}_to": hi, f"edge_{x}_window": w,
                       f"edge_{x}_baseline": b})
    return run(con, "keyword_terms", {**params, **bounds})


# The ranges of days keyword_terms.sql can read from the articles.
_EDGES = ("a", "b", "c")


def kwic_articles(con: duckdb.DuckDBPyConnection, filters: Filters, entity: str, term: str,
                  limit: int = 40) -> pd.DataFrame:
    params = {**filter_params(filters), "entity": entity, "term": term,
              "limit": int(limit)}
    # Newest first with a limit: read back only as many days as needed. Start where the
    # articles naming the entity number _KWIC_WIDEN x limit, widen by that factor while
    # fewer than `limit` rows come back, and end with the whole window.
    days = run(con, "entity_days", params)
    cumulative = days["articles"].cumsum().tolist()
    want = int(limit) * _KWIC_WIDEN
    while True:
        i = next((k for k, c in enumerate(cumulative) if c >= want), None)
        since = None if i is None else days["day"].iloc[i]
        df = run(con, "kwic_articles", {**params, "since": since})
        if since is None or len(df) >= int(limit):
            return df
        want *= _KWIC_WIDEN


# --- outlets and runs --------------------------------------------------------------------

def outlet_series(con: duckdb.DuckDBPyConnection, filters: Filters,
                  period: str = "week") -> pd.DataFrame:
    df = run(con, "outlet_series", {**filter_params(filters),
                                    "period": _choice(period, PERIODS, "period")})
    df["period"] = pd.to_datetime(df["period"])
    return df


def outlet_health(con: duckdb.DuckDBPyConnection, filters: Filters,
                  runs: int = 10) -> pd.DataFrame:
    return run(con, "outlet_health", {"sources": list(filters.sources),
                                      "countries": list(filters.countries), "runs": int(runs)})


def recent_runs(con: duckdb.DuckDBPyConnection, runs: int = 20) -> pd.DataFrame:
    return run(con, "recent_runs", {"runs": int(runs)})


# --- distinct stories (syndicated copies counted once; migration 003) -----------------------

COUNTS = ("articles", "stories")


_SERIES_COLUMNS = ["panel", "period", "set_idx", "articles", "mentions", "total", "share"]


def _series_params(filters: Filters, sets: Sequence[Sequence[str]], period: str, split: str,
                   match: str) -> dict[str, Any] | None:
    """The bound parameters of a series query; None when no set names an entity."""
    sets_list = [list(dict.fromkeys(s)) for s in sets if len(s)]
    if not sets_list:
        return None
    return {**filter_params(filters), "sets": sets_list,
            "period": _choice(period, PERIODS, "period"),
            "split": _choice(split, SPLITS, "split"), "match": _choice(match, MATCHES, "match")}


def story_series(con: duckdb.DuckDBPyConnection, filters: Filters,
                 sets: Sequence[Sequence[str]], period: str = "week", split: str = "none",
                 match: str = "any") -> pd.DataFrame:
    """As series(), counted in distinct stories (articles.story_id) instead of articles:
    a wire story and its republished copies are one. Same columns; "articles" holds the
    stories naming the set and "total" all stories of the panel and period. Reads the base
    tables (stories are not in the rollups), so it grows with the window's articles."""
    params = _series_params(filters, sets, period, split, match)
    if params is None:
        return pd.DataFrame(columns=_SERIES_COLUMNS)
    df = run(con, "stories_series", params)
    df["period"] = pd.to_datetime(df["period"])
    df["share"] = df["share"].astype(float)
    return df


# --- alerts, map and outlets --------------------------------------------------------------

ALERT_KINDS = ("spike", "silent_source", "feed_failing")


def alerts(con: duckdb.DuckDBPyConnection, filters: Filters,
           kinds: Sequence[str] = ()) -> pd.DataFrame:
    """The alerts table's rows whose period overlaps the filters' dates (alerts.sql)."""
    for kind in kinds:
        _choice(kind, ALERT_KINDS, "alert kind")
    return run(con, "alerts", {"start": filters.start, "end": filters.end,
                               "kinds": list(kinds)})
