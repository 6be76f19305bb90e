"""The benchmark keeps working: a tiny run end to end (no timing assertions — timings on
a shared two-core machine say nothing in a test; docs/performance.md has the real run)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, PrefectServer

SUMMARY_KEYS = {
    "extract_only_pages_per_s", "ingest_pages_per_s", "ratio_vs_extract_only",
    "task_runs_per_1000_articles", "prefect_overhead_ratio", "tagging_share",
    "tagging_share_5000_aliases", "rerun_seconds_ratio", "load_share", "peak_rss_mb",
    "dashboard_max_ratio_rollup_backed", "goals", "machine", "index_upkeep_share",
    "text_search",
}


def test_tiny_benchmark_prints_the_report(prefect_server: PrefectServer,
                                          tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--articles", "40", "--json", "--quick",
         "--workdir", str(tmp_path / "work")],
        env=prefect_server.env, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    doc = json.loads(proc.stdout)
    summary = doc["summary"]
    assert SUMMARY_KEYS <= set(summary)
    assert summary["page_kb_mean"] >= 100
    # The flow loaded the whole corpus, exactly as the generator's ledger says.
    assert doc["ingest"]["check"]["ok"], doc["ingest"]["check"]
    assert doc["ingest"]["flow_run"]["loaded"] == 40
    assert doc["ingest"]["plain_run"]["loaded"] == 40
    assert doc["ingest"]["rerun"]["loaded"] == 0 and doc["ingest"]["rerun"]["new"] == 0
    # Per stage and per batch, never per article.
    assert set(doc["ingest"]["flow_run"]["task_names"]) == {"discover", "fetch-extract-load",
                                                            "publish"}
    for key in ("ingest_pages_per_s", "extract_only_pages_per_s", "prefect_overhead_ratio",
                "load_share", "peak_rss_mb"):
        assert summary[key] > 0, key
    assert all(isinstance(v, bool) for v in summary["goals"].values())
    timed = doc["dashboard"]["queries"]
    assert {"series_trends_week", "article_list_default", "co_mention_pairs_article",
            "outlet_health", "keyword_terms"} <= set(timed)
    assert all(row["small_ms"] > 0 and row["large_ms"] > 0 for row in timed.values())
    text = summary["text_search"]
    # both synthetic sizes indexed, the 1,000-article upkeep batch included, and searched
    assert {int(k): v["articles"] for k, v in text["sizes"].items()} == {500: 1500,
                                                                          2000: 3000}
    assert all(v["text_search_rows"] == 50 and v["query_trend_matches"] > 0
               for v in text["sizes"].values())
