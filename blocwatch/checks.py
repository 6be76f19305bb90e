"""Data checks run by the daily maintenance flow, as a pure function of per-outlet counts.

Bad dates create fake spikes (an article dated in the future, or a run of undated ones
falling back to the fetch day), and an outlet whose pages stop yielding dates or bylines
usually changed its templates. The counts come from ``warehouse/ops.py``; results go to
the ``data_checks`` table for the dashboard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

OK, WARN, FAIL = "ok", "warn", "fail"


@dataclass(frozen=True)
class CheckParams:
    """Thresholds: the largest value that passes.

    Counts that must be zero fail; shares above their threshold warn (some outlets never
    print bylines, so a high share of missing authors is a finding, not a failure).
    """

    max_future_dates: int = 0
    max_missing_date_share: float = 0.10
    max_missing_author_share: float = 0.50
    max_duplicate_urls: int = 0


@dataclass(frozen=True)
class CheckResult:
    check_name: str
    source_id: str | None
    value: float
    threshold: float
    status: str
    detail: str | None = None


def _examples(value: object) -> list[str]:
    # DuckDB gives NULL lists as None, NaN or pd.NA depending on the column's dtype.
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return []
    return [str(v) for v in list(value)]  # type: ignore[call-overload]


def evaluate_checks(outlets: pd.DataFrame, duplicate_urls: int,
                    duplicate_examples: Sequence[str] = (),
                    params: CheckParams = CheckParams()) -> list[CheckResult]:
    """Judge the counts against the thresholds.

    Args:
        outlets: one row per outlet: ``source_id``, ``articles``, ``future_dates``,
            ``missing_dates``, ``missing_authors`` and optionally ``future_examples``
            (a few URLs dated in the future).
        duplicate_urls: canonical URLs stored more than once, whole warehouse.
        duplicate_examples: a few of them.
        params: thresholds.

    Returns:
        future_dates, missing_dates and missing_authors per outlet, then duplicate_urls for
        the whole warehouse.
    """
    out: list[CheckResult] = []
    for row in outlets.sort_values("source_id").itertuples(index=False):
        n = int(row.articles)
        future = int(row.future_dates)
        examples = _examples(getattr(row, "future_examples", None))
        out.append(CheckResult(
            "future_dates", row.source_id, float(future), float(params.max_future_dates),
            FAIL if future > params.max_future_dates else OK,
            f"e.g. {', '.join(examples)}" if future and examples else None))
        for name, missing, limit in (
                ("missing_dates", int(row.missing_dates), params.max_missing_date_share),
                ("missing_authors", int(row.missing_authors), params.max_missing_author_share)):
            share = missing / n if n else 0.0
            out.append(CheckResult(name, row.source_id, round(share, 4), limit,
                                   WARN if share > limit else OK, f"{missing} of {n} articles"))
    out.append(CheckResult(
        "duplicate_urls", None, float(duplicate_urls), float(params.max_duplicate_urls),
        FAIL if duplicate_urls > params.max_duplicate_urls else OK,
        f"e.g. {', '.join(duplicate_examples)}" if duplicate_urls else None))
    return out
