"""Readers query the published snapshot in a loop while two ingest runs publish over it.

A reader process opens the file the way the dashboard (Python DuckDB, read-only) and an
analyst's SQL shell (the DuckDB 1.5 CLI with -readonly) do, over and over, and writes
every result or error to a log. Two ingest runs publish meanwhile, the second adding the
outlets the first left out. Every read must succeed and see one whole snapshot.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, PrefectServer, build_demo

ARTICLES = 100
FIRST_SOURCES = 3
CLI = Path(sys.executable).parent / "duckdb"
QUERY = ("SELECT (SELECT count(*) FROM articles), "
         "(SELECT coalesce(sum(body_count), 0) FROM mentions)")

READER = textwrap.dedent("""
    import json, os, subprocess, sys, time
    import duckdb

    path, out, stop, cli, query = sys.argv[1:6]
    with open(out, "w") as log:
        i = 0
        while not os.path.exists(stop):
            i += 1
            # The published file appears once, by rename, and is never removed.
            if not os.path.exists(path):
                time.sleep(0.01)
                continue
            client = "cli" if cli != "-" and i % 5 == 0 else "python"
            row = {"client": client, "t": time.monotonic()}
            try:
                if client == "cli":
                    r = subprocess.run([cli, "-readonly", "-csv", "-noheader", path, "-c",
                                        query], capture_output=True, text=True, timeout=60)
                    if r.returncode or not r.stdout.strip():
                        raise RuntimeError(f"exit {r.returncode}: {r.stderr.strip()}")
                    articles, mentions = (int(v) for v in r.stdout.strip().split(","))
                else:
                    con = duckdb.connect(path, read_only=True,
                                         config={"enable_external_access": False})
                    try:
                        articles, mentions = con.execute(query).fetchone()
                    finally:
                        con.close()
                row.update(articles=int(articles), mentions=int(mentions))
            except Exception as exc:
                row["error"] = f"{type(exc).__name__}: {exc}"
            log.write(json.dumps(row) + "\\n")
            log.flush()
""")


def published_counts(db: Path) -> tuple[int, int]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        a, m = con.execute(QUERY).fetchone()
        return int(a), int(m)
    finally:
        con.close()


class SlowCopy:
    """Stands in for shutil in warehouse.publish: copies in chunks with pauses, as a large
    warehouse would take, so readers are certainly reading while the next snapshot is
    being written; records when each copy ran."""

    def __init__(self) -> None:
        self.windows: list[tuple[float, float]] = []

    SECONDS = 1.5
    CHUNK = 256 * 1024

    def copyfile(self, src: Path, dst: Path) -> None:
        start = time.monotonic()
        pause = self.SECONDS / max(1, Path(src).stat().st_size // self.CHUNK)
        with open(src, "rb") as fin, open(dst, "wb") as fout:
            while chunk := fin.read(self.CHUNK):
                fout.write(chunk)
                fout.flush()
                time.sleep(pause)
        self.windows.append((start, time.monotonic()))


def test_readers_never_fail_and_always_see_a_whole_snapshot(
        tmp_path: Path, prefect_server: PrefectServer, monkeypatch: pytest.MonkeyPatch) -> None:
    import warehouse.publish
    from blocwatch.demo.server import DemoWeb
    from flows.ingest import ingest

    slow = SlowCopy()
    monkeypatch.setattr(warehouse.publish, "shutil", slow)

    corpus = build_demo(tmp_path, articles=ARTICLES)
    config = yaml.safe_load((corpus / "sources.yaml").read_text(encoding="utf-8"))
    first = [s["id"] for s in config["sources"]][:FIRST_SOURCES]
    data = tmp_path / "data"
    published = data / "blocwatch.duckdb"
    log, stop = tmp_path / "reads.jsonl", tmp_path / "STOP"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(published), str(log), str(stop),
         str(CLI) if CLI.exists() else "-", QUERY], cwd=REPO)
    snapshots: list[tuple[int, int]] = []
    summaries = []
    try:
        with DemoWeb(corpus / "web") as web:
            for only in (first, None):
                summaries.append(ingest(
                    sources_file=str(corpus / "sources.yaml"),
                    taxonomy_file=str(REPO / "taxonomy.yaml"), data_dir=str(data),
                    resolve=web.resolve_map(), workers=1, only_sources=only))
                snapshots.append(published_counts(published))
                time.sleep(0.5)  # let the reader see this snapshot for a while
    finally:
        stop.touch()
        try:
            reader.wait(timeout=60)
        except subprocess.TimeoutExpired:
            reader.kill()
            reader.wait()
    assert reader.returncode == 0

    # The writer side: both runs completed and the second one added articles.
    assert [s["loaded"] > 0 for s in summaries] == [True, True]
    assert snapshots[0][0] < snapshots[1][0] == ARTICLES

    reads = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    errors = [r for r in reads if "error" in r]
    assert errors == []
    seen = [(r["articles"], r["mentions"]) for r in reads]
    # Never partial: every read is one of the published snapshots, counts and sums alike.
    assert set(seen) <= set(snapshots), set(seen) - set(snapshots)
    assert set(seen) == set(snapshots)  # both were seen
    # Never backwards: once the second snapshot is seen, the first never comes back.
    assert seen == sorted(seen)
    clients = {r["client"] for r in reads}
    assert clients == ({"python", "cli"} if CLI.exists() else {"python"})
    assert len(reads) >= 50, len(reads)
    # Reads did happen while the second snapshot was being written next to the first (the
    # first publish had no file to read yet).
    assert len(slow.windows) == 2
    start, end = slow.windows[1]
    assert sum(start <= r["t"] <= end for r in reads) >= 3, (start, end)


@pytest.mark.skipif(not CLI.exists(), reason="the DuckDB CLI (duckdb-cli) is not installed")
def test_analyst_cli_opens_the_snapshot_read_only() -> None:
    """The shell the README tells analysts to use (duckdb -readonly) cannot write the
    snapshot, so an analyst cannot corrupt what the dashboard reads."""
    import tempfile

    import duckdb

    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "s.duckdb"
        con = duckdb.connect(str(db), config={"storage_compatibility_version": "v1.5.0"})
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
        con.close()
        r = subprocess.run([str(CLI), "-readonly", str(db), "-c", "INSERT INTO t VALUES (2)"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode != 0 and "read-only" in (r.stderr + r.stdout).lower()
