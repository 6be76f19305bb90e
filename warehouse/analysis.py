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

import functools
from datetime import date, timedelta
from importlib import resources
from typing import Any

import duckdb
import pandas as pd

__all__ = ["UNITS", "baseline_before", "distinctive_terms", "keyword_in_context"]

UNITS = ("article", "story")


@functools.cache
def _sql(name: str) -> str:
    return resources.files("warehouse").joinpath("queries", f"{name}.sql").read_text(
        encoding="utf-8")


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
    return con.execute(_sql("distinctive_terms"), params).df()


def keyword_in_context(con: duckdb.DuckDBPyConnection, entity: str, term: str, start: date,
                       end: date, *, unit: str = "story", limit: int = 20,
                       width: int = 80) -> pd.DataFrame:
    """Snippets of ``term`` in the articles naming ``entity`` from ``start`` to ``end``,
    newest first: article_id, story_id, published, source_id, title, url, left_context,
    keyword, right_context (``width`` characters either side)."""
    _check(unit, (start, end))
    params: dict[str, Any] = {"entity": entity, "term": term, "start": start, "end": end,
                              "unit": unit, "limit": int(limit), "width": int(width)}
    return con.execute(_sql("keyword_in_context"), params).df()
