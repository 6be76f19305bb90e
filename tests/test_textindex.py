"""The full-text index: it finds what the hand-annotated corpus says (tests/fulltext_corpus.py),
counts per period what the demo generator's ledger says, is published atomically with the
warehouse, and is rebuilt (never silently empty) when missing."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from blocwatch.records import ArticleRecord
from blocwatch.taxonomy import Taxonomy, load_taxonomy
from tests import fulltext_corpus as corpus
from tests.conftest import BuiltWarehouse
from warehouse import search, textindex
from warehouse.db import connect_reader, connect_writer
from warehouse.load import load_batch, start_run
from warehouse.publish import publish

FIRST_DAY = date(2026, 1, 1)  # article i of the corpus is published FIRST_DAY + i days


def record(name: str, language: str, title: str, text: str, day: date) -> ArticleRecord:
    url = f"https://news.example/{name}"
    return ArticleRecord(url=url, discovered_url=url, fetched_url=url, source_id="wire",
                         title=title, author=None, published=day, date_source="url",
                         language=language, sitename=None, text=text,
                         word_count=len(text.split()), content_hash=name,
                         fetched_at=datetime(2026, 2, 1))


def load(con: duckdb.DuckDBPyConnection, records: list[ArticleRecord]) -> None:
    load_batch(con, start_run(con, "test"), records, [], {})


@dataclass
class Warehouse:
    root: Path
    con: duckdb.DuckDBPyConnection  # the writer's

    @property
    def work(self) -> Path:
        return self.root / "work.duckdb"

    @property
    def published(self) -> Path:
        return self.root / "blocwatch.duckdb"

    def publish(self, rebuild: bool = False) -> None:
        publish(self.con, self.work, self.published, rebuild_index=rebuild)


def corpus_records() -> list[ArticleRecord]:
    return [record(name, lang, title, text, FIRST_DAY + timedelta(days=i))
            for i, (name, lang, title, text) in enumerate(corpus.ARTICLES)]


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    con = connect_writer(tmp_path / "work.duckdb")
    con.execute("INSERT INTO sources (source_id, name, updated_at) "
                "VALUES ('wire', 'Wire', now())")
    load(con, corpus_records())
    w = Warehouse(tmp_path, con)
    w.publish()
    yield w
    con.close()


@pytest.fixture(scope="module")
def taxonomy(tmp_path_factory: pytest.TempPathFactory) -> Taxonomy:
    return load_taxonomy(corpus.write_taxonomy(tmp_path_factory.mktemp("taxonomy")))


def found(db: Path, text: str, taxonomy: Taxonomy) -> tuple[int, set[str]]:
    con = connect_reader(db)
    try:
        searcher = search.open_searcher(con, db)
        plan = search.compile_text(text, con, taxonomy)
        total, rows, _ = search.query_articles(con, searcher, plan, limit=1000)
    finally:
        con.close()
    return total, {r["url"].rsplit("/", 1)[1] for r in rows}


def test_the_index_finds_the_hand_annotated_articles(warehouse: Warehouse,
                                                     taxonomy: Taxonomy) -> None:
    wrong = {}
    for text, want in corpus.EXPECTED.items():
        total, got = found(warehouse.published, text, taxonomy)
        if (total, got) != (len(want), set(want)):
            wrong[text] = (sorted(got), sorted(want))
    assert not wrong


def test_series_and_listing(warehouse: Warehouse, taxonomy: Taxonomy) -> None:
    con = connect_reader(warehouse.published)
    searcher = search.open_searcher(con, warehouse.published)
    plan = search.compile_text('"Asian NATO" OR "NATO of Asia" OR Японии', con, taxonomy)
    # a1, a2, a7, a8: published Jan 1, 2, 7, 8; weeks start Monday Dec 29, Jan 5, Jan 12
    weeks = [(r.period, r.articles, r.total, r.stories)
             for r in search.query_series(con, searcher, plan, "week")]
    assert weeks == [(date(2025, 12, 29), 2, 4, 2), (date(2026, 1, 5), 2, 7, 2),
                     (date(2026, 1, 12), 0, 3, 0)]
    months = search.query_series(con, searcher, plan, "month")
    assert [(r.period, r.articles, r.total) for r in months] == [(date(2026, 1, 1), 4, 14)]
    filtered = search.query_series(con, searcher, plan, "day", search.Filters(
        start=date(2026, 1, 2), end=date(2026, 1, 7), languages=("ru",)))
    assert [(r.period, r.articles, r.total) for r in filtered] == [
        (date(2026, 1, 7), 1, 1)]
    total, rows, marks = search.query_articles(con, searcher, plan, limit=2, offset=1,
                                              with_text=True)
    assert total == 4
    assert [r["url"].rsplit("/", 1)[1] for r in rows] == ["a7", "a2"]  # newest first
    a7 = next(r for r in rows if r["url"].endswith("a7"))
    assert marks[a7["article_id"]]["text"] == [(16, 22)]  # Японии in "Премьер-министр Японии"
    # The first hit alone (a snippet's), the same as the first of all of them.
    text = "Japan said NATO ministers met; 北约 and Japan again."
    for q in ("NATO OR Japan", "北约 OR minister", "ministers AND NOT Korea", "Korea"):
        plan_q = search.compile_text(q, con, taxonomy)
        every = search.highlight(plan_q, text, "en")
        assert search.highlight(plan_q, text, "en", first_only=True) == every[:1], q
    assert search.highlight(search.compile_text("北约 OR minister", con, taxonomy), text,
                            "en", first_only=True) == [(16, 25)]
    con.close()


def test_a_reader_keeps_the_index_of_the_snapshot_it_opened(warehouse: Warehouse,
                                                            taxonomy: Taxonomy) -> None:
    old = connect_reader(warehouse.published)
    old_searcher = search.open_searcher(old, warehouse.published)
    old_plan = search.compile_text("NATO", old, taxonomy)
    assert search.articles_total(old_searcher, old_plan) == 5
    late = connect_reader(warehouse.published)  # opened the DB, not yet the index
    load(warehouse.con, [record("b1", "en", "NATO summit", "NATO leaders met.",
                                date(2026, 1, 20))])
    warehouse.publish()
    # the snapshot opened before sees the index state published with it
    assert search.articles_total(old_searcher, old_plan) == 5
    late_searcher = search.open_searcher(late, warehouse.published)
    assert search.articles_total(late_searcher, old_plan) == 5
    # DuckDB shares one open instance per file within a process: close them to see the new
    old.close()
    late.close()
    assert found(warehouse.published, "NATO", taxonomy)[0] == 6
    gens = sorted(p.name for p in textindex.index_root(warehouse.root).glob("gen-*"))
    assert gens == ["gen-1", "gen-2"]  # the previous generation kept for open readers
    warehouse.publish()
    gens = sorted(p.name for p in textindex.index_root(warehouse.root).glob("gen-*"))
    assert gens == ["gen-2", "gen-3"]


def test_a_missing_work_index_is_rebuilt_with_a_warning(
        warehouse: Warehouse, taxonomy: Taxonomy, caplog: pytest.LogCaptureFixture) -> None:
    shutil.rmtree(textindex.index_root(warehouse.root) / "work")
    with caplog.at_level(logging.WARNING, logger="warehouse.textindex"):
        warehouse.publish()
    assert "rebuilding it from the warehouse" in caplog.text
    assert "work is missing" in caplog.text
    assert found(warehouse.published, "Japan", taxonomy) == (6, set(corpus.EXPECTED["Japan"]))


def test_a_missing_generation_is_an_error_naming_the_fix(warehouse: Warehouse) -> None:
    shutil.rmtree(textindex.index_root(warehouse.root) / "gen-1")
    con = connect_reader(warehouse.published)
    with pytest.raises(textindex.TextIndexError, match="is missing; run `blocwatch reindex`"):
        search.open_searcher(con, warehouse.published)
    con.close()


def test_rebuild_indexes_texts_rewritten_in_place(warehouse: Warehouse,
                                                  taxonomy: Taxonomy) -> None:
    warehouse.con.execute("UPDATE articles SET text = 'Nothing about blocs.' "
                          "WHERE url LIKE '%/a1'")
    warehouse.publish()  # an ingest does not see texts changed in place
    assert found(warehouse.published, '"Asian NATO"', taxonomy)[0] == 1
    warehouse.publish(rebuild=True)  # reprocess does
    assert found(warehouse.published, '"Asian NATO"', taxonomy)[0] == 0
    assert found(warehouse.published, "blocs", taxonomy) == (1, {"a1"})


# --- the demo corpus, built by the real ingest flow ------------------------------------------

def _week(day: str) -> date:
    d = date.fromisoformat(day)
    return d - timedelta(days=d.weekday())


def test_weekly_counts_and_stories_match_the_ledger(built_warehouse: BuiltWarehouse) -> None:
    ledger = built_warehouse.ledger["articles"]
    db = built_warehouse.published
    con = connect_reader(db)
    searcher = search.open_searcher(con, db)
    everything: dict[date, set[str]] = {}
    per_week: dict[date, int] = {}
    titled: dict[date, int] = {}
    # a plain regex over the ledger's headlines, not the index's analysis
    nato = re.compile(r"(?<![A-Za-z0-9])nato(?![A-Za-z0-9])", re.IGNORECASE)
    for a in ledger:
        w = _week(a["published"])
        everything.setdefault(w, set()).add(a["story"])
        per_week[w] = per_week.get(w, 0) + 1
        if nato.search(unicodedata.normalize("NFKC", a["title"] or "")):
            titled[w] = titled.get(w, 0) + 1
    rows = search.query_series(con, searcher, search.compile_text("NOT zzzqqq", con, None),
                               "week")
    assert {r.period: (r.articles, r.total, r.stories) for r in rows} == {
        w: (per_week[w], per_week[w], len(s)) for w, s in everything.items()}
    rows = search.query_series(con, searcher, search.compile_text("title:NATO", con, None),
                               "week")
    assert {r.period: r.articles for r in rows if r.articles} == titled
    assert sum(titled.values()) > 10
    con.close()


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "blocwatch.cli", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def test_cli_query_counts_and_refuses_bad_syntax(built_warehouse: BuiltWarehouse) -> None:
    data = str(built_warehouse.data_dir)
    bad = run_cli("query", 'Japan AND ("Asian NATO"', "--data-dir", data)
    assert bad.returncode == 2
    assert bad.stderr.splitlines()[-3:] == ["missing ')' for this '(' at 10",
                                            'Japan AND ("Asian NATO"', " " * 10 + "^"]
    assert bad.stdout == ""
    good = run_cli("query", "NOT zzzqqq", "--by", "month", "--csv", "--data-dir", data)
    assert good.returncode == 0, good.stderr
    lines = good.stdout.splitlines()
    assert lines[0] == "month,articles,all_articles,share,stories"
    months: dict[str, int] = {}
    for a in built_warehouse.ledger["articles"]:
        months[a["published"][:7] + "-01"] = months.get(a["published"][:7] + "-01", 0) + 1
    assert {ln.split(",")[0]: int(ln.split(",")[1]) for ln in lines[1:]} == months
    listed = run_cli("query", "NOT zzzqqq", "--articles", "3", "--data-dir", data)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith(f"{len(built_warehouse.ledger['articles'])} matching "
                                    f"articles, the first 3:")


def test_a_story_merged_by_a_later_article_is_counted_once(tmp_path: Path) -> None:
    """B's story is renamed when C, similar to both A and B, joins them: the index's story
    field follows, so the three count as one story."""
    from blocwatch import dedup

    def words(prefix: str, n: int) -> str:
        return " ".join(f"{prefix}{i}" for i in range(n))

    x1, shared, x2 = words("alpha", 40), words("common", 50), words("beta", 40)
    texts = {"A": f"{x1} {shared}", "B": f"{shared} {x2}", "C": f"{x1} {shared} {x2}"}
    con = connect_writer(tmp_path / "work.duckdb")
    con.execute("INSERT INTO sources (source_id, name, updated_at) "
                "VALUES ('wire', 'Wire', now())")

    def rec(name: str) -> ArticleRecord:
        r = record(name, "en", f"Story {name}", texts[name], date(2026, 3, 2))
        r.signature = dedup.signature(texts[name])
        return r

    load(con, [rec("A"), rec("B")])
    publish(con, tmp_path / "work.duckdb", tmp_path / "blocwatch.duckdb")
    load(con, [rec("C")])
    publish(con, tmp_path / "work.duckdb", tmp_path / "blocwatch.duckdb")
    # the warehouse merged them (the premise): one story of three articles
    assert con.execute("SELECT count(DISTINCT story_id), count(*) FROM articles"
                       ).fetchone() == (1, 3)
    con.close()
    db = tmp_path / "blocwatch.duckdb"
    reader = connect_reader(db)
    searcher = search.open_searcher(reader, db)
    rows = search.query_series(reader, searcher, search.compile_text("common7", reader, None),
                               "day")
    assert [(r.period, r.articles, r.stories) for r in rows] == [(date(2026, 3, 2), 3, 1)]
    reader.close()


def test_cli_says_to_reindex_a_missing_index_and_reindex_rebuilds_it(
        warehouse: Warehouse) -> None:
    warehouse.con.close()  # the CLI takes the writer's place
    shutil.rmtree(textindex.index_root(warehouse.root) / "gen-1")
    data = str(warehouse.root)
    missing = run_cli("query", "Japan", "--data-dir", data)
    assert missing.returncode == 2
    assert "gen-1 that" in missing.stderr and "run `blocwatch reindex`" in missing.stderr
    rebuilt = run_cli("reindex", "--data-dir", data)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert rebuilt.stdout.startswith("full-text index rebuilt: 14 articles")
    found_now = run_cli("query", "Japan", "--by", "month", "--csv", "--data-dir", data)
    assert found_now.returncode == 0, found_now.stderr
    assert found_now.stdout.splitlines()[1] == "2026-01-01,6,14,0.428571,6"
    warehouse.con = connect_writer(warehouse.work)  # for the fixture's teardown
