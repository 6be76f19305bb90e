"""Spike detection on a count series: a period well above its own recent past.

Pure pandas, no Streamlit: the dashboard marks spikes with it and alerting reuses it.
"""

from __future__ import annotations

import pandas as pd

# The fewest articles a spike can hold, in the dashboard's charts and in the pipeline's
# alerts alike: below it a jump (0, 1, 0, 4) is chance, however many deviations it is.
MIN_SPIKE_ARTICLES = 8


def detect_spikes(series: pd.Series, window: int = 8, z: float = 3.0,
                  min_count: float = MIN_SPIKE_ARTICLES) -> pd.Series:
    """Flag the periods whose value is a spike.

    A value is a spike when it exceeds the mean plus ``z`` standard deviations of the
    ``window`` values before it (the value itself excluded, so a burst cannot raise its own
    bar) and is at least ``min_count``. The first ``window`` periods have no full history
    and are never spikes; missing values are never spikes.

    Args:
        series: values indexed by period, in chronological order, one row per period
            (periods without coverage must be present as 0, or the history is wrong).
        window: how many preceding periods form the baseline.
        z: how many standard deviations above the baseline mean.
        min_count: the least value that can be a spike (keeps 0 → 4 from alerting).

    Returns:
        A boolean Series with the same index.
    """
    if window < 2:
        raise ValueError("window must be at least 2 (a standard deviation needs two values)")
    values = pd.to_numeric(series, errors="coerce").astype(float)
    past = values.shift(1).rolling(window, min_periods=window)
    threshold = past.mean() + z * past.std(ddof=0).fillna(0.0)
    flags = (values > threshold) & (values >= min_count)
    return flags.fillna(False).astype(bool)
