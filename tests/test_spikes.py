"""blocwatch.spikes.detect_spikes: a value above its own trailing baseline."""

from __future__ import annotations

import pandas as pd
import pytest

from blocwatch.spikes import detect_spikes


def weekly(values: list[float]) -> pd.Series:
    return pd.Series(values, index=pd.date_range("2026-01-05", periods=len(values), freq="W-MON"))


def test_a_burst_after_a_steady_baseline_is_a_spike() -> None:
    s = weekly([4, 5, 4, 6, 5, 4, 5, 6, 30, 5])
    flags = detect_spikes(s, window=8, z=3.0, min_count=3)
    assert flags.dtype == bool
    assert list(flags.index) == list(s.index)
    assert flags.tolist() == [False] * 8 + [True, False]


def test_the_spike_does_not_raise_its_own_baseline() -> None:
    # Were the value part of its window, 30 would lift mean + 3 sd above itself.
    s = weekly([5] * 8 + [30])
    assert detect_spikes(s, window=8).iloc[-1]


def test_no_spike_without_a_full_window() -> None:
    s = weekly([0, 0, 50, 0, 0])
    assert not detect_spikes(s, window=8, min_count=1).any()


def test_minimum_count_keeps_small_numbers_quiet() -> None:
    s = weekly([0] * 8 + [2, 0] + [0] * 6 + [3])
    flags = detect_spikes(s, window=8, min_count=3)
    assert flags.tolist()[8] is False
    assert flags.iloc[-1]


def test_z_sets_the_bar() -> None:
    s = weekly([4, 6, 4, 6, 4, 6, 4, 6, 9])  # mean 5, population sd 1
    assert detect_spikes(s, window=8, z=3.0, min_count=0).iloc[-1]
    assert not detect_spikes(s, window=8, z=4.0, min_count=0).iloc[-1]
    assert not detect_spikes(weekly([4, 6, 4, 6, 4, 6, 4, 6, 8]), z=3.0, min_count=0).iloc[-1]


def test_trailing_window_moves_on() -> None:
    # After a new, higher level has lasted a full window it is the baseline, not a spike.
    s = weekly([2] * 8 + [20] * 10)
    flags = detect_spikes(s, window=8, min_count=3)
    assert flags.iloc[8]
    assert not flags.iloc[-1]


def test_missing_values_are_never_spikes_and_shares_work() -> None:
    s = weekly([0.1] * 8 + [None, 0.9])
    flags = detect_spikes(s, window=8, z=3.0, min_count=0.0)
    assert flags.tolist()[-2:] == [False, False]  # the NaN breaks the next window too
    assert detect_spikes(weekly([0.1] * 8 + [0.9]), min_count=0.0).iloc[-1]


def test_empty_series_and_bad_window() -> None:
    assert detect_spikes(pd.Series([], dtype=float)).empty
    with pytest.raises(ValueError):
        detect_spikes(weekly([1, 2, 3]), window=1)
