"""Analyses over the warehouse that answer "why": the terms that explain a trend, and where
they occur. The SQL lives in warehouse/queries/*.sql; every value reaches DuckDB as a bound
parameter. Works on the published snapshot (read-only) or the work database.

    from warehouse.analysis import distinctive_terms, keyword_in_context
    terms = distinctive_terms(con, "nato", date(2026, 7, 6), date(2026, 7, 12),
                              date(2026, 6, 1), date(2026, 7, 5))
    lines = keyword_in_context(con, "nato", terms["term"][0], date(2026, 7, 6),
                               date(2026, 7, 12))
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb
import pandas as pd

from blocwatch.analysis import find_term
from warehouse.sql import sql

__all__ = ["UNITS", "baseline_before", "distinctive_terms", "keyword_in_context"]

UNITS = ("article", "story")
# keyword_in_context's columns before the three of the snippet.
_KWIC_COLUMNS = ["article_id", "story_id", "published", "source_id", "title", "url"]


def _check(unit: str, *pairs: tuple[date, date]) -> None:
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {', '.join(UNITS)}, not {unit!r}")
    for lo, hi in pairs:
        if lo > hi:
            raise ValueError(f"period starts after it ends: {lo} > {hi}")


def baseline_before(window_start: date, window_end: date, periods: int = 4
                    ) -> tuple[date, date]:
    """A baseline of ``periods`` times the window's length, ending the day before it."""
    days = (window_end - window_start).days + 1
    return window_start - timedelta(days=days * periods), window_start - timedelta(days=1)


def distinctive_terms(con: duckdb.DuckDBPyConnection, entity: str, window_start: date,
                      window_end: date, baseline_start: date, baseline_end: date, *,
                      unit: str = "story", limit: int = 25, min_docs: int = 2,
                      prior: float = 1000.0) -> pd.DataFrame:
    """Terms most distinctive of the articles naming ``entity`` in the window, versus those
    naming it in the baseline (weighted log-odds with an informative Dirichlet prior; see
    warehouse/queries/distinctive_terms.sql).

    Columns: term, window_docs, window_count, baseline_docs, baseline_count, window_share,
    baseline_share (of the entity's articles or stories using the term), log_odds, z,
    window_articles, baseline_articles. Best first (highest z). ``unit='story'`` counts
    syndicated copies once.
    """
    _check(unit, (window_start, window_end), (baseline_start, baseline_end))
    params: dict[str, Any] = {
        "entity": entity, "window_start": window_start, "window_end": window_end,
        "baseline_start": baseline_start, "baseline_end": baseline_end, "unit": unit,
        "limit": int(limit), "min_docs": int(min_docs), "prior": float(prior)}
    return con.execute(sql("distinctive_terms"), params).df()


def keyword_in_context(con: duckdb.DuckDBPyConnection, entity: str, term: str, start: date,
                       end: date, *, unit: str = "story", limit: int = 20,
                       width: int = 80) -> pd.DataFrame:
    """Snippets of ``term`` in the articles naming ``entity`` from ``start`` to ``end``,
    newest first: article_id, story_id, published, source_id, title, url, left_context,
    keyword, right_context (``width`` characters either side of the term's first
    occurrence; ``keyword`` is the text as written there).

    The articles are those whose keywords include ``term``; in each, the occurrence is
    found by blocwatch.analysis in the article's language, so a base form finds its
    inflected forms (конференция: "конференции") and a Korean noun its particles.
    """
    _check(unit, (start, end))
    params: dict[str, Any] = {"entity": entity, "term": term, "start": start, "end": end,
                              "unit": unit}
    result = con.execute(sql("keyword_in_context"), params)
    parts: list[pd.DataFrame] = []
    found = 0
    # Candidates arrive newest first: analyse them only until ``limit`` lines are found.
    while found < limit:
        chunk = result.fetch_df_chunk()
        if chunk.empty:
            break
        rows: list[int] = []
        spans: list[tuple[int, int]] = []
        for i, (text, language) in enumerate(zip(chunk["text"], chunk["language"],
                                                 strict=True)):
            span = _first_occurrence(text, term, language)
            if span is not None:
                rows.append(i)
                spans.append(span)
                if found + len(rows) >= limit:
                    break
        found += len(rows)
        parts.append(_snippets(chunk.iloc[rows], spans, width))
    columns = [*_KWIC_COLUMNS, "left_context", "keyword", "right_context"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


def _snippets(rows: pd.DataFrame, spans: list[tuple[int, int]], width: int) -> pd.DataFrame:
    """``rows`` with the context either side of each row's span and the span's text."""
    pairs = list(zip(rows["text"], spans, strict=True))
    return rows.assign(left_context=[t[max(0, s - width):s] for t, (s, _) in pairs],
                       keyword=[t[s:e] for t, (s, e) in pairs],
                       right_context=[t[e:e + width] for t, (_, e) in pairs])


def _first_occurrence(text: str | None, term: str, language: str | None
                      ) -> tuple[int, int] | None:
    spans = find_term(text or "", term, language)
    return spans[0] if spans else None
