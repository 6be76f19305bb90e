"""Pure pandas steps between a query result and a chart (no Streamlit, no DuckDB).

Each returns the exact table a chart draws, so the CSV download offers what is shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

import pandas as pd

from blocwatch.spikes import MIN_SPIKE_ARTICLES, detect_spikes

MEASURES = ("share", "articles", "mentions")
# A period with fewer articles in all than this is a small sample: its share is marked, as
# one article more or less moves it by several points.
SMALL_SAMPLE = 30
# The default period is the finest whose average period holds at least this many filtered
# articles (a 10 % share is then 10 articles or more), else the month.
MIN_ARTICLES_PER_PERIOD = 100
_PERIOD_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}


def default_period(articles: int, start: date, end: date) -> str:
    """Day, week or month: the finest period whose average period in the window from
    ``start`` to ``end`` holds at least MIN_ARTICLES_PER_PERIOD of the ``articles``."""
    days = (end - start).days + 1
    for period in ("day", "week"):
        periods = max(1.0, days / _PERIOD_DAYS[period])
        if articles / periods >= MIN_ARTICLES_PER_PERIOD:
            return period
    return "month"


def partial(period_start: date, period: str, start: date | None, end: date | None) -> bool:
    """Whether the window from ``start`` to ``end`` covers only part of the period."""
    lo, hi = period_bounds(period_start, period)
    return bool((start is not None and lo < start) or (end is not None and hi > end))


def set_label(members: Sequence[str], names: Mapping[str, str], match: str = "any") -> str:
    """Display name of an entity set: "Japan", or "Japan + NATO" (all) / "Japan | NATO"."""
    joiner = " + " if match == "all" else " | "
    return joiner.join(names.get(m, m) for m in members)


def trend_frame(series: pd.DataFrame, labels: Sequence[str], keys: Sequence[str],
                measure: str = "share", rolling: int = 0, spike_window: int = 8,
                spike_z: float = 3.0, spike_min: int = MIN_SPIKE_ARTICLES,
                period: str | None = None, start: date | None = None,
                end: date | None = None) -> pd.DataFrame:
    """The table behind a trend chart, one row per panel, series and period.

    ``series`` is queries.series() output; ``labels[i]``/``keys[i]`` name set_idx i+1
    (keys pick colours). Adds label, key, value (the chosen measure), rolling (mean of the
    last ``rolling`` periods, when asked), partial (the window from ``start`` to ``end``
    covers only part of the ``period``), small (fewer than SMALL_SAMPLE articles in all),
    spike (from the article counts of the complete periods: a burst of coverage, whatever
    measure is drawn; a partial period is never one, nor part of a baseline) and baseline
    (mean article count of the ``spike_window`` complete periods before).
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}")
    df = series.copy()
    idx = df["set_idx"].astype(int) - 1
    df["label"] = [labels[i] for i in idx]
    df["key"] = [keys[i] for i in idx]
    df["value"] = df[measure].astype(float)
    df = df.sort_values(["panel", "set_idx", "period"]).reset_index(drop=True)
    groups = df.groupby(["panel", "set_idx"], sort=False)
    if rolling and rolling > 1:
        df["rolling"] = groups["value"].transform(
            lambda s: s.rolling(rolling, min_periods=1).mean())
    if period is not None and len(df):
        df["partial"] = [partial(p.date(), period, start, end)
                         for p in pd.to_datetime(df["period"])]
    else:
        df["partial"] = False
    df["small"] = df["total"].fillna(0).astype(int) < SMALL_SAMPLE
    complete = df[~df["partial"]]
    cgroups = complete.groupby(["panel", "set_idx"], sort=False)["articles"]
    df["spike"] = cgroups.transform(
        lambda s: detect_spikes(s, window=spike_window, z=spike_z, min_count=spike_min)
    ).reindex(df.index).fillna(False).astype(bool)
    df["baseline"] = cgroups.transform(
        lambda s: s.astype(float).shift(1).rolling(spike_window, min_periods=1).mean()
    ).reindex(df.index)
    return df


def heatmap_matrix(pairs: pd.DataFrame, entity_ids: Sequence[str], value: str = "articles"
                   ) -> pd.DataFrame:
    """Symmetric entity × entity matrix of ``value`` from pair rows (entity_a < entity_b)."""
    ids = list(entity_ids)
    m = pd.DataFrame(0, index=ids, columns=ids, dtype="int64")
    for row in pairs.itertuples(index=False):
        a, b = row.entity_a, row.entity_b
        if a in m.index and b in m.index:
            v = int(getattr(row, value))
            m.loc[a, b] = v
            m.loc[b, a] = v
    return m


def rank_terms(terms: pd.DataFrame, window_articles: int, baseline_articles: int,
               n: int = 20, min_docs: int = 2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Top terms (most articles in the window) and rising terms (largest gain in the share
    of the entity's articles using them, window versus baseline).

    Shares are per article naming the entity, so a window with more coverage overall does
    not make every term "rise".
    """
    df = terms.copy()
    df["window_share"] = df["window_docs"] / window_articles if window_articles else 0.0
    df["baseline_share"] = (df["baseline_docs"] / baseline_articles
                            if baseline_articles else 0.0)
    df["change_pp"] = (df["window_share"] - df["baseline_share"]) * 100
    top = df[df["window_docs"] > 0].sort_values(
        ["window_docs", "window_count", "term"], ascending=[False, False, True]).head(n)
    # Without a baseline every term would "rise" from nothing.
    rises = (df["window_docs"] >= min_docs) & (df["change_pp"] > 0) & (baseline_articles > 0)
    rising = df[rises].sort_values(
        ["change_pp", "window_docs", "term"], ascending=[False, False, True]).head(n)
    return top.reset_index(drop=True), rising.reset_index(drop=True)


def period_bounds(first_day: date, period: str) -> tuple[date, date]:
    """First and last day of the day, week (Monday start) or month beginning ``first_day``."""
    if period == "day":
        return first_day, first_day
    if period == "week":
        return first_day, first_day + timedelta(days=6)
    if period == "month":
        nxt = (first_day.replace(day=28) + timedelta(days=4)).replace(day=1)
        return first_day, nxt - timedelta(days=1)
    raise ValueError(f"unknown period {period!r}")
