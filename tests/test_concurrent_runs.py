"""One writer at a time: two ingest runs started together give the warehouse of one run
(the second waits on the Prefect concurrency limit blocwatch-writer); a run that cannot
get the writer in time ends Cancelled, named Skipped, and writes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
from filelock import FileLock

from tests.conftest import REPO, BuiltWarehouse, PrefectServer
from warehouse.db import connect_reader

CHILD = """
import json, sys
from flows.ingest import ingest
corpus, data, resolve = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
summary = ingest(sources_file=corpus + "/sources.yaml", taxonomy_file=sys.argv[4],
                 data_dir=data, resolve=resolve, workers=2)
print("SUMMARY " + json.dumps(summary))
"""


def content(db: Path) -> dict[str, object]:
    con = connect_reader(db)
    try:
        def rows(sql: str) -> list[tuple]:
            return sorted(con.execute(sql).fetchall())
        return {
            "urls": rows("SELECT url FROM articles"),
            "mentions": rows("SELECT entity_id, sum(body_count), sum(title_count), count(*) "
                             "FROM mentions GROUP BY ALL"),
            "per_article": rows("SELECT a.url, m.entity_id, m.body_count FROM mentions m "
                                "JOIN articles a USING (article_id)"),
            "co_mentions": rows("SELECT entity_a, entity_b, sum(sentence_count), count(*) "
                                "FROM co_mentions GROUP BY ALL"),
            "keywords": rows("SELECT count(*), sum(count) FROM keywords"),
            "alerts": rows("SELECT alert_key FROM alerts"),
        }
    finally:
        con.close()


def test_two_ingests_at_once_equal_one(built_warehouse: BuiltWarehouse,
                                       prefect_server: PrefectServer, tmp_path: Path) -> None:
    from blocwatch.demo.server import DemoWeb

    data = tmp_path / "data"
    env = {**prefect_server.env, "PREFECT_LOGGING_TO_API_ENABLED": "false",
           "PYTHONPATH": str(REPO)}
    with DemoWeb(built_warehouse.corpus_dir / "web") as web:
        args = [str(built_warehouse.corpus_dir), str(data), json.dumps(web.resolve_map()),
                str(REPO / "taxonomy.yaml")]
        procs = [subprocess.Popen([sys.executable, "-c", CHILD, *args], cwd=REPO, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for _ in range(2)]
        outputs = [p.communicate(timeout=600)[0] for p in procs]
    for p, out in zip(procs, outputs, strict=True):
        assert p.returncode == 0, out[-3000:]
    summaries = [json.loads(next(line for line in out.splitlines()
                                 if line.startswith("SUMMARY "))[8:]) for out in outputs]
    n = len(built_warehouse.ledger["articles"])
    # One run loaded everything; the other waited for the lock, then found nothing new.
    assert sorted(s["loaded"] for s in summaries) == [0, n]
    assert sorted(s["new"] for s in summaries) == [0, n]
    # The second waited on the Prefect concurrency limit (the file lock, the safety net
    # behind it, was free by the time it got a slot).
    waited = [out for out in outputs if "Prefect concurrency limit blocwatch-writer full"
              in out]
    assert len(waited) == 1
    assert not any("lock" in out and "held" in out for out in outputs)

    published = data / "blocwatch.duckdb"
    assert content(published) == content(built_warehouse.published)
    con = connect_reader(published)
    try:
        assert con.execute("SELECT status, count(*) FROM runs GROUP BY ALL").fetchall() == [
            ("completed", 2)]
        assert con.execute("SELECT count(*) - count(DISTINCT url) FROM articles"
                           ).fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM fetch_log WHERE outcome = 'loaded'"
                           ).fetchone()[0] == n
    finally:
        con.close()
    # The work database is a healthy DuckDB file (no stray WAL, opens read-write).
    con = duckdb.connect(str(data / "work.duckdb"))
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == n
    con.close()


def test_a_run_that_never_gets_the_lock_skips_and_writes_nothing(
        built_warehouse: BuiltWarehouse, prefect_server: PrefectServer,
        tmp_path: Path) -> None:
    from flows.ingest import ingest
    from flows.maintenance import maintenance

    data = tmp_path / "data"
    data.mkdir()
    with FileLock(str(data / "work.lock"), timeout=1):
        state = ingest(sources_file=str(built_warehouse.corpus_dir / "sources.yaml"),
                       data_dir=str(data), lock_timeout_s=0.5, workers=1, return_state=True)
        upkeep = maintenance(sources_file=str(built_warehouse.corpus_dir / "sources.yaml"),
                             data_dir=str(data), lock_timeout_s=0.2, return_state=True)
    # Not a green Completed: Cancelled, named Skipped, saying why; the summary is its result.
    for s, waited in ((state, 0.5), (upkeep, 0.2)):
        assert (s.type.value, s.name) == ("CANCELLED", "Skipped")
        assert s.message == f"the warehouse lock {data / 'work.lock'} was held for more " \
            f"than {waited:g} s"
        assert s.result(raise_on_failure=False)["status"] == "skipped"
    assert not (data / "work.duckdb").exists()
    assert not (data / "blocwatch.duckdb").exists()


def test_maintenance_without_a_warehouse_skips(built_warehouse: BuiltWarehouse,
                                               prefect_server: PrefectServer,
                                               tmp_path: Path) -> None:
    from flows.maintenance import maintenance

    state = maintenance(sources_file=str(built_warehouse.corpus_dir / "sources.yaml"),
                        data_dir=str(tmp_path / "data"), return_state=True)
    assert (state.type.value, state.name, state.message) == (
        "CANCELLED", "Skipped", f"no warehouse yet in {tmp_path / 'data'}")
    assert not (tmp_path / "data" / "work.duckdb").exists()
