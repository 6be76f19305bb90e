"""SIGKILL in the middle of an ingest: the published snapshot stays whole, nothing is lost,
and the next run brings the warehouse to exactly what an uninterrupted run gives.

The ingest that is killed runs in its own process (the real flow under the real Prefect
server). A small hook in that process, not in blocwatch, writes a marker and sleeps at the
point to crash at: inside a batch's load transaction (articles inserted, not committed),
or inside publish (the copy written, not yet renamed). The test then sends SIGKILL, which
nothing can catch: no finally block, no rollback, no atexit runs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from filelock import FileLock

from tests.conftest import REPO, PrefectServer, build_demo
from warehouse.db import connect_reader

ARTICLES = 120
BATCH = 15
FIRST_SOURCES = 2  # the first run ingests this many outlets; the others come later

CHILD = textwrap.dedent("""
    import json, os, sys, time
    from pathlib import Path

    corpus, data, crash_at = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    marker = data / "CRASH_POINT_REACHED"

    def stop_here() -> None:
        marker.write_text(str(os.getpid()))
        time.sleep(600)  # wait for SIGKILL

    if crash_at == "load":
        import warehouse.load as load

        real_insert = load.insert_arrow
        inserted = {"batches": 0}

        def insert(con, table, *args):
            real_insert(con, table, *args)
            if table == "articles":
                inserted["batches"] += 1
                if inserted["batches"] == 3:  # batches 1-2 committed, batch 3 in flight
                    stop_here()

        load.insert_arrow = insert
    elif crash_at == "publish":
        import warehouse.publish as publish

        real_copy = publish.shutil.copyfile

        class Shutil:
            @staticmethod
            def copyfile(src, dst):
                real_copy(src, dst)
                stop_here()  # the new snapshot is written, not yet renamed

        publish.shutil = Shutil

    from blocwatch.demo.server import DemoWeb
    from flows.ingest import ingest

    with DemoWeb(corpus / "web") as web:
        ingest(sources_file=str(corpus / "sources.yaml"),
               taxonomy_file=sys.argv[4], data_dir=str(data),
               resolve=web.resolve_map(), workers=1)
""")


@dataclass
class Corpus:
    dir: Path
    first_sources: list[str]
    initial: Path       # data dir after the first (partial) run
    reference: Path     # data dir after first + full run, never interrupted


def ingest_in_process(corpus: Path, data: Path, only: list[str] | None = None) -> dict:
    from blocwatch.demo.server import DemoWeb
    from flows.ingest import ingest

    with DemoWeb(corpus / "web") as web:
        return ingest(sources_file=str(corpus / "sources.yaml"),
                      taxonomy_file=str(REPO / "taxonomy.yaml"), data_dir=str(data),
                      resolve=web.resolve_map(), workers=1, only_sources=only)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory,
           prefect_server: PrefectServer) -> Iterator[Corpus]:
    root = tmp_path_factory.mktemp("crash")
    cdir = build_demo(root, articles=ARTICLES)
    sources_file = cdir / "sources.yaml"
    config = yaml.safe_load(sources_file.read_text(encoding="utf-8"))
    config.setdefault("settings", {})["batch_size"] = BATCH  # several batches per run
    sources_file.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    first = [s["id"] for s in config["sources"]][:FIRST_SOURCES]
    initial = root / "initial"
    ingest_in_process(cdir, initial, first)
    reference = root / "reference"
    shutil.copytree(initial, reference)
    ingest_in_process(cdir, reference)
    yield Corpus(cdir, first, initial, reference)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def crash_ingest(corpus: Corpus, data: Path, at: str, env: dict[str, str]) -> None:
    """Run the full ingest in a child process and SIGKILL it at the crash point."""
    marker = data / "CRASH_POINT_REACHED"
    log = open(data.parent / f"crash-{at}.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(corpus.dir), str(data), at,
                             str(REPO / "taxonomy.yaml")], cwd=REPO, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, (data.parent / f"crash-{at}.log").read_text()
            assert time.monotonic() < deadline, "the crash point was never reached"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
    marker.unlink()


def contents(db: Path) -> dict[str, list[tuple]]:
    """The warehouse as content, keyed by URL rather than surrogate ids (which legitimately
    depend on how the work was split between runs)."""
    con = connect_reader(db)
    try:
        def rows(sql: str) -> list[tuple]:
            return sorted(con.execute(sql).fetchall())
        return {
            "articles": rows("SELECT url, source_id, fetched_url, title, author, published, "
                             "date_source, language, text, word_count, content_hash, "
                             "(SELECT d.url FROM articles d WHERE d.article_id = a.duplicate_of)"
                             " FROM articles a"),
            "mentions": rows("SELECT a.url, m.entity_id, m.body_count, m.title_count, "
                             "m.in_title, m.first_offset FROM mentions m JOIN articles a "
                             "USING (article_id)"),
            "co_mentions": rows("SELECT a.url, c.entity_a, c.entity_b, c.sentence_count "
                                "FROM co_mentions c JOIN articles a USING (article_id)"),
            "keywords": rows("SELECT a.url, k.term, k.count, round(k.score, 9) FROM keywords k "
                             "JOIN articles a USING (article_id)"),
            "sources": rows("SELECT source_id, name FROM sources"),
            "entities": rows("SELECT entity_id, name FROM entities"),
        }
    finally:
        con.close()


def assert_no_duplicates(db: Path) -> None:
    con = connect_reader(db)
    try:
        assert con.execute("SELECT count(*) - count(DISTINCT url) FROM articles"
                           ).fetchone()[0] == 0
        # Across all runs, each article was loaded once: the crashed batch left no trace.
        assert con.execute("SELECT count(*) FROM (SELECT url FROM fetch_log WHERE outcome = "
                           "'loaded' GROUP BY url HAVING count(*) > 1)").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM mentions WHERE article_id NOT IN "
                           "(SELECT article_id FROM articles)").fetchone()[0] == 0
    finally:
        con.close()


def child_env(prefect_server: PrefectServer) -> dict[str, str]:
    return {**prefect_server.env, "PREFECT_LOGGING_TO_API_ENABLED": "false",
            "PYTHONPATH": str(REPO)}


def test_sigkill_mid_load_keeps_snapshot_and_next_run_completes(
        corpus: Corpus, prefect_server: PrefectServer, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(corpus.initial, data)
    published = data / "blocwatch.duckdb"
    before = sha256(published)
    before_contents = contents(published)

    crash_ingest(corpus, data, "load", child_env(prefect_server))

    # The published file is the previous snapshot, byte for byte, and opens.
    assert sha256(published) == before
    assert contents(published) == before_contents
    # The OS released the run lock with the process.
    with FileLock(str(data / "work.lock"), timeout=1):
        pass
    # Batches 1-2 were committed before the kill; batch 3 was not.
    con = connect_reader(data / "work.duckdb")  # safe now: no writer holds it
    try:
        loaded = con.execute("SELECT count(*) FROM articles").fetchone()[0]
        initial = len(before_contents["articles"])
        assert loaded == initial + 2 * BATCH
        crashed = con.execute("SELECT run_id, status, finished_at FROM runs "
                              "ORDER BY started_at DESC LIMIT 1").fetchone()
    finally:
        con.close()
    # No code runs on SIGKILL: the run stays 'running' until the next run marks it.
    assert crashed[1:] == ("running", None)

    summary = ingest_in_process(corpus.dir, data)
    con = connect_reader(published)
    try:
        status = con.execute("SELECT status FROM runs WHERE run_id = ?",
                             [crashed[0]]).fetchone()[0]
    finally:
        con.close()
    assert status == "crashed"
    assert summary["loaded"] == len(contents(corpus.reference / "blocwatch.duckdb")[
        "articles"]) - initial - 2 * BATCH
    assert contents(published) == contents(corpus.reference / "blocwatch.duckdb")
    assert_no_duplicates(published)


def test_sigkill_mid_publish_keeps_snapshot_and_cleans_up(
        corpus: Corpus, prefect_server: PrefectServer, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(corpus.initial, data)
    published = data / "blocwatch.duckdb"
    before = sha256(published)

    crash_ingest(corpus, data, "publish", child_env(prefect_server))

    assert sha256(published) == before
    stale = list(data.glob(".blocwatch.duckdb.*.tmp"))
    assert len(stale) == 1  # the dead run's half-published copy

    ingest_in_process(corpus.dir, data)
    assert contents(published) == contents(corpus.reference / "blocwatch.duckdb")
    assert_no_duplicates(published)
    assert list(data.glob(".blocwatch.duckdb.*.tmp")) == []  # no disk leak from crashes
