"""The demo generator's ledger against a published warehouse: the same articles, and the
exact mentions the generator placed in the body texts."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import duckdb


def read_ledger(demo_dir: Path) -> dict:
    return json.loads((demo_dir / "ledger.json").read_text(encoding="utf-8"))


def warehouse_view(db: Path) -> tuple[list[str], dict[str, int]]:
    """(sorted article URLs, body mentions per entity) of a published warehouse."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        urls = sorted(r[0] for r in con.execute("SELECT url FROM articles").fetchall())
        mentions = {k: int(v) for k, v in con.execute(
            "SELECT entity_id, sum(body_count) FROM mentions GROUP BY 1").fetchall() if v}
    finally:
        con.close()
    return urls, mentions


def ledger_view(ledger: dict) -> tuple[list[str], dict[str, int]]:
    expected: Counter[str] = Counter()
    for article in ledger["articles"]:
        expected.update(article["mentions"])
    return (sorted(a["url"] for a in ledger["articles"]),
            {k: v for k, v in expected.items() if v})


def assert_matches_ledger(db: Path, ledger: dict) -> None:
    urls, mentions = warehouse_view(db)
    want_urls, want_mentions = ledger_view(ledger)
    assert urls == want_urls, (f"missing {sorted(set(want_urls) - set(urls))[:5]}, "
                               f"extra {sorted(set(urls) - set(want_urls))[:5]}, "
                               f"{len(urls)} stored of {len(want_urls)}")
    assert mentions == want_mentions
