"""The backfill deployment's flow: a date range over every outlet's full history, and extra
sitemaps and HTML archive pages, checked against the demo ledger and the pages served."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from blocwatch.config import load_sources
from blocwatch.orchestration.crawl import BackfillScope, plan_backfill
from blocwatch.stages.feeds import archive_links
from tests.conftest import REPO, BuiltWarehouse, PrefectServer
from warehouse.db import connect_reader

JULY = (date(2026, 7, 1), date(2026, 7, 31))


def stored(data: Path) -> tuple[list[str], list[tuple]]:
    con = connect_reader(data / "blocwatch.duckdb")
    try:
        urls = sorted(r[0] for r in con.execute("SELECT url FROM articles").fetchall())
        runs = con.execute("SELECT flow, status, loaded FROM runs ORDER BY started_at"
                           ).fetchall()
        return urls, runs
    finally:
        con.close()


def run_backfill(corpus: Path, data: Path, **kwargs: object) -> dict:
    from blocwatch.demo.server import DemoWeb
    from flows.backfill import backfill

    with DemoWeb(corpus / "web") as web:
        return backfill(sources_file=str(corpus / "sources.yaml"),
                        taxonomy_file=str(REPO / "taxonomy.yaml"), data_dir=str(data),
                        resolve=web.resolve_map(), workers=2, **kwargs)


def test_date_range_fetches_exactly_that_period(built_warehouse: BuiltWarehouse,
                                                prefect_server: PrefectServer,
                                                tmp_path: Path) -> None:
    corpus, data = built_warehouse.corpus_dir, tmp_path / "data"
    expected = sorted(a["url"] for a in built_warehouse.ledger["articles"]
                      if JULY[0].isoformat() <= a["published"] <= JULY[1].isoformat())
    assert expected
    summary = run_backfill(corpus, data, start_date=JULY[0], end_date=JULY[1])
    urls, runs = stored(data)
    assert urls == expected
    assert (summary["discovered"], summary["loaded"], summary["failed"]) == (
        len(expected), len(expected), 0)
    assert runs == [("backfill", "completed", len(expected))]
    again = run_backfill(corpus, data, start_date=JULY[0], end_date=JULY[1])
    assert (again["new"], again["loaded"]) == (0, 0)


def test_sitemaps_and_archive_pages(built_warehouse: BuiltWarehouse,
                                    prefect_server: PrefectServer, tmp_path: Path) -> None:
    corpus, data = built_warehouse.corpus_dir, tmp_path / "data"
    ledger = built_warehouse.ledger["articles"]
    sitemap = "http://nipponledger.news.test/sitemaps/2026-07.xml"
    homepage = "http://eastwire.news.test/"
    # Expected from the served files with a plain regex, not through the backfill's parser.
    html = (corpus / "web" / "eastwire.news.test" / "index.html").read_text(encoding="utf-8")
    linked = {f"http://eastwire.news.test{p}" for p in
              re.findall(r'href="(/\d{4}/\d{2}/\d{2}/[^"]+\.html)"', html)}
    in_sitemap = {a["url"] for a in ledger if a["source"] == "nipponledger"
                  and a["published"].startswith("2026-07")}
    assert linked and in_sitemap
    assert linked <= {a["url"] for a in ledger}

    summary = run_backfill(corpus, data, sitemaps=[sitemap], archive_pages=[homepage],
                           configured_feeds=False)
    urls, _ = stored(data)
    assert set(urls) == linked | in_sitemap
    assert summary["failed"] == 0


def test_scope_is_validated_before_anything_runs(built_warehouse: BuiltWarehouse) -> None:
    config = load_sources(built_warehouse.corpus_dir / "sources.yaml")
    with pytest.raises(ValueError, match="owns these URLs"):
        plan_backfill(config, BackfillScope(sitemaps=("http://elsewhere.test/sitemap.xml",)))
    with pytest.raises(ValueError, match="after end"):
        BackfillScope(start=date(2026, 2, 1), end=date(2026, 1, 1))
    with pytest.raises(ValueError, match="unknown or disabled"):
        plan_backfill(config, BackfillScope(), only_sources=["nope"])
    plans = plan_backfill(config, BackfillScope(
        archive_pages=("http://eastwire.news.test/",), configured=False))
    assert [(p.source.id, p.documents, p.archives) for p in plans] == [
        ("eastwire", [], ["http://eastwire.news.test/"])]


def test_archive_links_keep_same_site_article_links() -> None:
    html = b"""<html><head><link rel="next" href="/archive/page/2/"></head><body>
      <a href="/">home</a> <a href="/section/world/">world</a>
      <a href="/2026/07/06/a-story.html?utm_source=x">story</a>
      <a href="http://other.test/2026/07/06/elsewhere.html">elsewhere</a>
      <a href="/2026/07/07/b.html#comments">b</a> <a href="/feed.xml">feed</a>
    </body></html>"""
    links, nexts = archive_links(html, "http://site.test/archive/")
    assert links == ["http://site.test/2026/07/06/a-story.html",
                     "http://site.test/2026/07/07/b.html"]
    assert nexts == ["http://site.test/archive/page/2/"]
    links, _ = archive_links(html, "http://site.test/archive/", pattern=r"/section/")
    assert links == ["http://site.test/section/world/"]
