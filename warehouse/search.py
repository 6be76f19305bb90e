"""The read side of query trends and text search: a query (blocwatch.query) over the
full-text index a published snapshot names (warehouse/textindex.py), counted per period
without reading a document.

``query_series`` gives, per day, week (Monday) or month: matching articles, all articles,
their share, and distinct stories; ``query_articles`` the matching articles themselves,
newest first, with the total and where the query's words are in each headline and text.
Both count what the warehouse's rollups count: dated articles that are not exact
duplicates (``counted``). Free of Streamlit: the dashboard and the CLI call it.

Distinct stories are tantivy's cardinality aggregation, a HyperLogLog++ estimate: exact
for small counts (it keeps the exact set below a few thousand stories per period), within
about 1 % above.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

import duckdb
import tantivy

from blocwatch import fulltext
from blocwatch.query import (
    AllOf,
    AnyOf,
    Caps,
    Char,
    NoneOf,
    Plan,
    Query,
    Seq,
    compile_query,
    parse,
)
from blocwatch.taxonomy import Taxonomy
from warehouse.textindex import SCHEMA, open_published

__all__ = ["Filters", "Period", "SeriesRow", "articles_total", "compile_text", "highlight",
           "matching_ids", "open_searcher", "query_articles", "query_series", "tantivy_query"]

Period = Literal["day", "week", "month"]
_EPOCH = date(1970, 1, 1)
# 1970-01-05 was a Monday: weeks are day numbers 4 + 7k.
_MONDAY_OFFSET = 4


@dataclass(frozen=True)
class Filters:
    """What to count among: a publication-day range (inclusive), outlets, languages."""

    start: date | None = None
    end: date | None = None
    sources: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeriesRow:
    period: date
    articles: int   # matching
    total: int      # all articles in the period (same filters)
    share: float    # articles / total
    stories: int    # distinct stories among the matching articles


def open_searcher(con: duckdb.DuckDBPyConnection, db_path: Path) -> tantivy.Searcher:
    """The searcher of the index generation the open snapshot names (TextIndexError when
    it cannot be opened)."""
    return open_published(con, db_path)


LANGUAGES_SQL = ("SELECT DISTINCT language FROM rollup_daily_articles "
                 "WHERE language IS NOT NULL")


def corpus_languages(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The languages of the stored articles: a query word is analysed in each of them."""
    return sorted({r[0] for r in con.execute(LANGUAGES_SQL).fetchall()} | {"en"})


def compile_text(text: str | Query, con: duckdb.DuckDBPyConnection,
                 taxonomy: Taxonomy | None) -> Plan:
    """A query as typed (or parsed) compiled for this warehouse's languages;
    QuerySyntaxError when it cannot be read."""
    query = parse(text) if isinstance(text, str) else text
    return compile_query(query, languages=corpus_languages(con), taxonomy=taxonomy,
                         text=text if isinstance(text, str) else str(text))


def _regex_literal(term: str) -> str:
    # tantivy's regex is Rust's regex-automata syntax: escape every non-alphanumeric.
    return "".join(c if c.isalnum() else "\\" + c if c.isascii() else c for c in term)


def tantivy_query(plan: Plan) -> tantivy.Query:
    """The plan as a tantivy query over the index's fields."""
    if isinstance(plan, Seq):
        if plan.prefix:
            stem = _regex_literal(plan.terms[-1]) + ".*"
            if len(plan.terms) == 1:
                return tantivy.Query.regex_query(SCHEMA, plan.field, stem)
            return tantivy.Query.regex_phrase_query(
                SCHEMA, plan.field, [_regex_literal(t) for t in plan.terms[:-1]] + [stem])
        if len(plan.terms) == 1:
            return tantivy.Query.term_query(SCHEMA, plan.field, plan.terms[0])
        return tantivy.Query.phrase_query(SCHEMA, plan.field, list(plan.terms))
    if isinstance(plan, Char):
        c = _regex_literal(plan.char)
        return tantivy.Query.regex_query(SCHEMA, plan.field, f"{c}.?|.{c}")
    if isinstance(plan, Caps):
        word = plan.word if plan.field == "text" else "^" + plan.word
        return tantivy.Query.term_query(SCHEMA, "caps", word)
    if isinstance(plan, AllOf):
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, tantivy_query(p)) for p in plan.items])
    if isinstance(plan, AnyOf):
        if not plan.items:
            return tantivy.Query.empty_query()
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy_query(p)) for p in plan.items])
    assert isinstance(plan, NoneOf)
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, tantivy.Query.all_query()),
                                        (tantivy.Occur.MustNot, tantivy_query(plan.item))])


def _day(d: date) -> int:
    return (d - _EPOCH).days


def _filtered(plan_query: tantivy.Query | None, filters: Filters) -> tantivy.Query:
    clauses = [(tantivy.Occur.Must, tantivy.Query.term_query(SCHEMA, "counted", 1))]
    if plan_query is not None:
        clauses.append((tantivy.Occur.Must, plan_query))
    if filters.start is not None or filters.end is not None:
        clauses.append((tantivy.Occur.Must, tantivy.Query.range_query(
            SCHEMA, "day", tantivy.FieldType.Integer,
            _day(filters.start) if filters.start else 0,
            _day(filters.end) if filters.end else 2 ** 31)))
    if filters.sources:
        clauses.append((tantivy.Occur.Must, tantivy.Query.term_set_query(
            SCHEMA, "source", list(filters.sources))))
    if filters.languages:
        clauses.append((tantivy.Occur.Must, tantivy.Query.term_set_query(
            SCHEMA, "language", list(filters.languages))))
    return tantivy.Query.boolean_query(clauses)


def _period_start(day_number: int, period: Period) -> date:
    d = _EPOCH + timedelta(days=day_number)
    if period == "week":
        return d - timedelta(days=d.weekday())
    if period == "month":
        return d.replace(day=1)
    return d


def _buckets(searcher: tantivy.Searcher, query: tantivy.Query, period: Period
             ) -> dict[date, tuple[int, int]]:
    """period start -> (articles, distinct stories) of the query's matches."""
    stories = {"stories": {"cardinality": {"field": "story"}}}
    if period == "month":
        agg = {"p": {"terms": {"field": "month", "size": 100_000}, "aggs": stories}}
    else:
        agg = {"p": {"histogram": {"field": "day", "interval": 7 if period == "week" else 1,
                                   "offset": _MONDAY_OFFSET if period == "week" else 0,
                                   "min_doc_count": 1}, "aggs": stories}}
    result: dict[str, Any] = searcher.aggregate(query, agg)
    out: dict[date, tuple[int, int]] = {}
    for b in result["p"]["buckets"]:
        n = int(b["doc_count"])
        if not n:
            continue
        key = int(b["key"])
        start = (date(key // 12, key % 12 + 1, 1) if period == "month"
                 else _period_start(key, period))
        out[start] = (n, round(b["stories"]["value"]))
    return out


def _totals(con: duckdb.DuckDBPyConnection, period: Period, filters: Filters
            ) -> dict[date, int]:
    """All counted articles per period, from the load-time rollup."""
    rows = con.execute(
        "SELECT date_trunc(?, day)::DATE AS p, sum(articles) FROM rollup_daily_articles "
        "WHERE day IS NOT NULL AND (?::DATE IS NULL OR day >= ?::DATE) "
        "AND (?::DATE IS NULL OR day <= ?::DATE) "
        "AND (len(?::VARCHAR[]) = 0 OR list_contains(?::VARCHAR[], source_id)) "
        "AND (len(?::VARCHAR[]) = 0 OR list_contains(?::VARCHAR[], language)) "
        "GROUP BY 1 HAVING sum(articles) > 0",
        [period, filters.start, filters.start, filters.end, filters.end,
         list(filters.sources), list(filters.sources), list(filters.languages),
         list(filters.languages)]).fetchall()
    return {r[0]: int(r[1]) for r in rows}


def query_series(con: duckdb.DuckDBPyConnection, searcher: tantivy.Searcher, plan: Plan,
                 period: Period = "week", filters: Filters | None = None
                 ) -> list[SeriesRow]:
    """Per period with articles (same filters): matching articles, all articles, share,
    distinct stories among the matches; oldest first. Periods without a match are rows
    with zeros, so a chart's line drops to zero instead of skipping."""
    filters = filters or Filters()
    matched = _buckets(searcher, _filtered(tantivy_query(plan), filters), period)
    totals = _totals(con, period, filters)
    rows = []
    for p in sorted(set(totals) | set(matched)):
        n, stories = matched.get(p, (0, 0))
        total = totals.get(p, 0)
        rows.append(SeriesRow(p, n, total, n / total if total else 0.0, stories))
    return rows


def articles_total(searcher: tantivy.Searcher, plan: Plan, filters: Filters | None = None
                   ) -> int:
    return int(searcher.search(_filtered(tantivy_query(plan), filters or Filters()),
                               limit=1).count)


def newest_since(searcher: tantivy.Searcher, plan: Plan, filters: Filters, limit: int
                 ) -> tuple[int, date | None]:
    """(total, since): how many articles match, and the latest day such that the matches
    from that day on number at least ``limit`` (None when there are no more than
    ``limit``). A newest-first listing then needs only the matches from ``since`` on."""
    result = searcher.search(_filtered(tantivy_query(plan), filters), limit=limit,
                             order_by_field="day", count=True)
    total = int(result.count)
    if total <= limit or not result.hits:
        return total, None
    day = searcher.fast_field_values("day", [result.hits[-1][1]])[0]
    return total, _EPOCH + timedelta(days=int(day))


def matching_ids(searcher: tantivy.Searcher, plan: Plan, filters: Filters | None = None
                 ) -> list[int]:
    """The article ids of every match (same filters), ascending: the selection a keyword
    statistic is computed over."""
    query = _filtered(tantivy_query(plan), filters or Filters())
    n = int(searcher.search(query, limit=1, count=True).count)
    if not n:
        return []
    hits = searcher.search(query, limit=n, count=False).hits
    return sorted(int(i) for i in searcher.fast_field_values(
        "article_id", [addr for _, addr in hits]))


# Point lookups by primary key: an IN list of constants is an index scan, where a join with
# the hits would read every article's text. Only the number of placeholders varies.
_ARTICLES_SQL = """
SELECT a.article_id, a.title, a.source_id, coalesce(s.name, a.source_id) AS outlet,
       a.published, a.url, a.language, {text}
FROM articles a LEFT JOIN sources s USING (source_id)
WHERE a.article_id BETWEEN ? AND ? AND a.article_id IN ({marks})
"""


def query_articles(con: duckdb.DuckDBPyConnection, searcher: tantivy.Searcher, plan: Plan,
                   filters: Filters | None = None, limit: int = 50, offset: int = 0,
                   with_text: bool = False
                   ) -> tuple[int, list[dict[str, Any]], dict[int, dict[str, list[
                       tuple[int, int]]]]]:
    """(total, rows, highlights): the matching articles newest first (``limit`` from
    ``offset``): article_id, title, source_id, outlet, published, url, language (and
    ``text`` with ``with_text``); and per article id the (start, end) character spans of
    the query's words in ``title`` (and ``text`` with ``with_text``).

    A list shows headlines: marking a whole text costs about a millisecond per article,
    so it is done for the texts asked for (or one at a time, ``highlight``)."""
    result = searcher.search(_filtered(tantivy_query(plan), filters or Filters()),
                             limit=limit, offset=offset, order_by_field="day",
                             count=True)
    addresses = [addr for _, addr in result.hits]
    ids = searcher.fast_field_values("article_id", addresses) if addresses else []
    if not ids:
        return int(result.count), [], {}
    # the range lets DuckDB skip row groups by their min/max before testing the list
    cur = con.execute(_ARTICLES_SQL.format(marks=", ".join("?" * len(ids)),
                                           text="a.text" if with_text else "NULL AS text"),
                      [min(ids), max(ids), *ids])
    names = [d[0] for d in cur.description]
    rank = {aid: i for i, aid in enumerate(ids)}
    records = sorted((dict(zip(names, r, strict=True)) for r in cur.fetchall()),
                     key=lambda r: rank[r["article_id"]])
    rows, marks = [], {}
    for r in records:
        text, language = r.pop("text"), r["language"]
        mark = {"title": highlight(plan, r["title"] or "", language)}
        if with_text:
            r["text"] = text
            mark["text"] = highlight(plan, text or "", language)
        marks[int(r["article_id"])] = mark
        rows.append(r)
    return int(result.count), rows, marks


# --- highlighting ----------------------------------------------------------------------------

def _positive_leaves(plan: Plan) -> list[Seq | Char | Caps]:
    if isinstance(plan, Seq | Char | Caps):
        return [plan]
    if isinstance(plan, AllOf | AnyOf):
        return [leaf for p in plan.items for leaf in _positive_leaves(p)]
    return []  # what a NOT excludes is not in the article


_WORD_RE = re.compile(r"[^\W\d_][\w'’‐‑-]*")


@functools.lru_cache(maxsize=1024)
def _token_re(term: str) -> re.Pattern[str]:
    return re.compile(re.escape(term), re.IGNORECASE)


def highlight(plan: Plan, text: str, language: str | None, first_only: bool = False
              ) -> list[tuple[int, int]]:
    """(start, end) spans of ``text`` holding the words the query looks for: each word of
    the text whose terms (blocwatch.fulltext) a query word has, merged and sorted.
    Phrases are marked word by word; Chinese, Japanese and Korean by the query's
    characters. ``first_only``: the first span alone (a snippet needs no more, and the
    words after it are not analysed)."""
    wanted: set[str] = set()
    prefixes: list[str] = []
    literal: list[str] = []
    exact: list[str] = []
    for leaf in _positive_leaves(plan):
        if isinstance(leaf, Seq):
            wanted.update(leaf.terms[:-1] if leaf.prefix else leaf.terms)
            if leaf.prefix:
                prefixes.append(leaf.terms[-1])
        elif isinstance(leaf, Char):
            literal.append(leaf.char)
        else:
            exact.append(leaf.word)
    spans: list[tuple[int, int]] = []
    cjk = [t for t in wanted if fulltext.is_cjk(t)]
    # CJK terms are bigrams of the query's characters: mark the query word itself.
    literal += cjk
    if wanted.difference(cjk) or prefixes:
        decided: dict[str, bool] = {}  # a text repeats its words: decide each once
        for m in _WORD_RE.finditer(text):
            key = m.group(0).lower()
            hit = decided.get(key)
            if hit is None:
                terms = () if fulltext.is_cjk(key[0]) else fulltext.word_terms(key, language)
                hit = decided[key] = any(t in wanted for t in terms) or any(
                    t.startswith(p) for t in terms for p in prefixes)
            if hit:
                spans.append(m.span())
                if first_only:
                    break
    for lit in literal:
        spans.extend(m.span() for m in _token_re(lit).finditer(text))
    for word in exact:  # an acronym as written: US, not us
        spans.extend(m.span() for m in re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)", text))
    spans.sort()
    if first_only:
        return spans[:1]
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def parse_sources(value: Sequence[str] | str | None) -> tuple[str, ...]:
    """A comma-separated list (or a list) as a tuple without blanks."""
    if not value:
        return ()
    items = value.split(",") if isinstance(value, str) else value
    return tuple(i.strip() for i in items if i.strip())
