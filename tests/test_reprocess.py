"""The reprocess flow: re-extract and re-tag from the raw archive, fetching nothing; the
same taxonomy changes nothing, an edited one changes exactly what its edit implies."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from blocwatch.stages.archive import index_archive, read_bodies
from tests.conftest import REPO, BuiltWarehouse, PrefectServer
from warehouse.db import connect_reader


def derived(db: Path) -> dict[str, list[tuple]]:
    """The derived tables keyed by URL (what re-tagging rewrites)."""
    con = connect_reader(db)
    try:
        def rows(sql: str) -> list[tuple]:
            return sorted(con.execute(sql).fetchall())
        return {
            "articles": rows("SELECT url, title, author, published, date_source, text, "
                             "content_hash, duplicate_of, language, language_source, "
                             "declared_language, detected_language, language_confidence "
                             "FROM articles"),
            "stories": rows("SELECT a.url, s.url FROM articles a JOIN articles s "
                            "ON s.article_id = a.story_id"),
            "signatures": rows("SELECT a.url, md5(g.signature::VARCHAR) FROM "
                               "article_signatures g JOIN articles a USING (article_id)"),
            "mentions": rows("SELECT a.url, m.entity_id, m.body_count, m.title_count, "
                             "m.in_title, m.first_offset FROM mentions m JOIN articles a "
                             "USING (article_id)"),
            "co_mentions": rows("SELECT a.url, c.entity_a, c.entity_b, c.sentence_count FROM "
                                "co_mentions c JOIN articles a USING (article_id)"),
            "keywords": rows("SELECT a.url, k.term, k.count, round(k.score, 9) FROM keywords k "
                             "JOIN articles a USING (article_id)"),
            "daily_mentions": rows("SELECT * FROM daily_mentions"),
            "fetch_log": rows("SELECT url, outcome FROM fetch_log"),
        }
    finally:
        con.close()


@pytest.fixture()
def data(built_warehouse: BuiltWarehouse, tmp_path: Path) -> Path:
    out = tmp_path / "data"
    shutil.copytree(built_warehouse.data_dir, out)
    return out


def text_matches(data: Path, query: str) -> int:
    """Dated, non-duplicate articles the published full-text index finds for ``query``."""
    from warehouse import search

    db = data / "blocwatch.duckdb"
    con = connect_reader(db)
    try:
        searcher = search.open_searcher(con, db)
        return search.articles_total(searcher, search.compile_text(query, con, None))
    finally:
        con.close()


def run(built_warehouse: BuiltWarehouse, data: Path, taxonomy: Path = REPO / "taxonomy.yaml"
        ) -> dict:
    from flows.reprocess import reprocess

    return reprocess(sources_file=str(built_warehouse.corpus_dir / "sources.yaml"),
                     taxonomy_file=str(taxonomy), data_dir=str(data), workers=2)


def test_archive_index_finds_every_article(built_warehouse: BuiltWarehouse) -> None:
    index = index_archive(built_warehouse.data_dir / "raw")
    ledger = {a["url"] for a in built_warehouse.ledger["articles"]}
    assert ledger <= set(index.pages) and not index.errors
    page = index.pages[min(ledger)]
    [(got, body, ctype)] = list(read_bodies([page]))
    assert got == page and b"<html" in body.lower() and ctype.startswith("text/html")


def test_removing_an_alias_removes_exactly_its_mentions(
        built_warehouse: BuiltWarehouse, prefect_server: PrefectServer, data: Path,
        tmp_path: Path) -> None:
    taxonomy = yaml.safe_load((REPO / "taxonomy.yaml").read_text(encoding="utf-8"))
    japan = next(e for e in taxonomy["entities"] if e["id"] == "japan")
    removed = "Tokyo government"
    assert removed in japan["aliases"]
    japan["aliases"] = [a for a in japan["aliases"] if a != removed]
    edited = tmp_path / "taxonomy.yaml"
    edited.write_text(yaml.safe_dump(taxonomy, sort_keys=False, allow_unicode=True),
                      encoding="utf-8")
    # Expected from the stored text with a plain regex, independently of the tagger.
    pattern = re.compile(rf"\b{re.escape(removed)}\b")
    con = connect_reader(data / "blocwatch.duckdb")
    try:
        expected = sum(len(pattern.findall(t or "")) + len(pattern.findall(x or ""))
                       for t, x in con.execute("SELECT title, text FROM articles").fetchall())
        japan_before = con.execute("SELECT sum(body_count + title_count) FROM mentions "
                                   "WHERE entity_id = 'japan'").fetchone()[0]
        others_before = con.execute(
            "SELECT entity_id, sum(body_count + title_count) FROM mentions "
            "WHERE entity_id <> 'japan' GROUP BY 1 ORDER BY 1").fetchall()
    finally:
        con.close()
    assert expected > 0

    summary = run(built_warehouse, data, edited)
    assert summary["mentions_before"] - summary["mentions_after"] == expected
    con = connect_reader(data / "blocwatch.duckdb")
    try:
        assert con.execute("SELECT sum(body_count + title_count) FROM mentions WHERE "
                           "entity_id = 'japan'").fetchone()[0] == japan_before - expected
        assert con.execute(
            "SELECT entity_id, sum(body_count + title_count) FROM mentions "
            "WHERE entity_id <> 'japan' GROUP BY 1 ORDER BY 1").fetchall() == others_before
        assert removed not in {r[0] for r in con.execute(
            "SELECT alias FROM entity_aliases WHERE entity_id = 'japan'").fetchall()}
        # The rollups behind the daily views were rebuilt from the new mentions.
        assert con.execute("SELECT sum(mentions) FROM daily_mentions WHERE entity_id = "
                           "'japan'").fetchone()[0] == con.execute(
            "SELECT sum(m.body_count + m.title_count) FROM mentions m JOIN articles a "
            "USING (article_id) WHERE m.entity_id = 'japan' AND a.published IS NOT NULL "
            "AND a.duplicate_of IS NULL").fetchone()[0]
    finally:
        con.close()


def test_changed_extraction_rewrites_text_fields_and_duplicate_links(
        built_warehouse: BuiltWarehouse, prefect_server: PrefectServer, data: Path) -> None:
    from warehouse.db import connect_writer
    from warehouse.publish import publish

    before = derived(data / "blocwatch.duckdb")
    # As if an older extractor had stored other texts: five articles with the same wrong
    # text (so four became duplicates of the first), one with a wrong title and author.
    con = connect_writer(data / "work.duckdb")
    try:
        ids = [r[0] for r in con.execute("SELECT article_id FROM articles "
                                         "ORDER BY article_id LIMIT 6").fetchall()]
        con.execute("UPDATE articles SET text = 'old zzstale', content_hash = 'old', "
                    "word_count = 2 WHERE list_contains(?, article_id)", [ids[:5]])
        con.execute("UPDATE articles SET duplicate_of = ? WHERE list_contains(?, article_id)",
                    [ids[0], ids[1:5]])
        con.execute("UPDATE articles SET title = 'Old title', author = NULL "
                    "WHERE article_id = ?", [ids[5]])
        # The full-text index made from those texts: five hold "zzstale", one of them
        # counted (the other four are its exact duplicates).
        publish(con, data / "work.duckdb", data / "blocwatch.duckdb", rebuild_index=True)
    finally:
        con.close()
    assert text_matches(data, "zzstale") == 1
    raw_files = sorted(p.name for p in (data / "raw").iterdir())
    summary = run(built_warehouse, data)
    n = len(built_warehouse.ledger["articles"])
    assert (summary["articles"], summary["reprocessed"], summary["missing_raw"],
            summary["failed"]) == (n, n, 0, 0)
    assert (summary["text_changed"], summary["duplicate_links_changed"]) == (6, 4)
    assert summary["mentions_after"] == summary["mentions_before"]
    # Everything is as the ingest stored it; everything else was re-derived identically.
    assert derived(data / "blocwatch.duckdb") == before
    # Nothing fetched: no new archive file, no fetch_log row (compared above), runs says so.
    assert sorted(p.name for p in (data / "raw").iterdir()) == raw_files
    # reprocess rewrote the texts in place and rebuilt the index from them
    assert text_matches(data, "zzstale") == 0
    con = connect_reader(data / "blocwatch.duckdb")
    try:
        assert con.execute("SELECT flow, status, new, fetched, loaded FROM runs "
                           "WHERE run_id = ?", [summary["run_id"]]).fetchall() == [
            ("reprocess", "completed", 0, 0, 0)]
    finally:
        con.close()


def test_articles_without_a_raw_page_are_kept_as_they_were(
        built_warehouse: BuiltWarehouse, prefect_server: PrefectServer, data: Path) -> None:
    before = derived(data / "blocwatch.duckdb")
    shutil.rmtree(data / "raw")
    summary = run(built_warehouse, data)
    n = len(built_warehouse.ledger["articles"])
    assert (summary["missing_raw"], summary["reprocessed"]) == (n, 0)
    assert derived(data / "blocwatch.duckdb") == before


def test_an_unreadable_raw_page_fails_alone(built_warehouse: BuiltWarehouse,
                                            tmp_path: Path) -> None:
    import dataclasses

    index = index_archive(built_warehouse.data_dir / "raw")
    good, other = sorted(index.pages.values(), key=lambda p: (p.path, p.offset))[:2]
    damaged = dataclasses.replace(other, offset=other.offset + 7)  # not a record start
    gone = dataclasses.replace(good, path=tmp_path / "deleted.warc.gz")
    got = {(p.path, p.offset): (body is not None, reason)
           for p, body, reason in read_bodies([good, damaged, gone])}
    assert got[(good.path, good.offset)][0]
    assert not got[(damaged.path, damaged.offset)][0]
    assert got[(damaged.path, damaged.offset)][1].startswith("raw page unreadable")
    assert not got[(gone.path, gone.offset)][0]
    assert got[(gone.path, gone.offset)][1].startswith("raw archive unreadable")
