"""bench.dashboard's report: medians, ratios and goals from the samples (hand-computed)."""

from __future__ import annotations

from bench.dashboard import summarise


def test_report_medians_ratios_and_goals() -> None:
    samples = {
        100: {"trends": {"navigation": [1.0, 3.0, 2.0], "filter_change": [0.5, 0.4, 0.6]}},
        1000: {"trends": {"navigation": [2.4, 2.6, 9.0], "filter_change": [0.6, 2.0, 0.55]}},
    }
    out = summarise(samples, [100, 1000], {}, 3)
    assert out["median_ms"] == {"100": {"trends": {"navigation": 2000, "filter_change": 500}},
                                "1000": {"trends": {"navigation": 2600,
                                                    "filter_change": 600}}}
    assert out["ratio"] == {"trends": {"navigation": 1.3, "filter_change": 1.2}}
    assert out["goals"] == {"filter_change<=1.5s_at_1000": {"trends": True},
                            "1000<=1.3x100": {"trends": True}}
    slow = {**samples, 1000: {"trends": {"navigation": [2.7] * 3,
                                         "filter_change": [1.6] * 3}}}
    goals = summarise(slow, [100, 1000], {}, 3)["goals"]
    assert goals == {"filter_change<=1.5s_at_1000": {"trends": False},
                     "1000<=1.3x100": {"trends": False}}
