"""The maintenance flow: compaction keeps every row, comment and the 1.5 storage format;
silent-outlet alerts match what the generator's ledger says."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd

from blocwatch.alerts import SilenceParams, detect_silent_sources
from tests.conftest import BuiltWarehouse, PrefectServer
from warehouse.db import connect_reader
from warehouse.ops import compact

# The keyword rollup is settled: one row per key, the sums of the rows batches appended.
# Each publish names a new full-text index generation (text_index).
CHANGED_BY_MAINTENANCE = {"runs", "data_checks", "alerts", "rollup_weekly_keywords",
                          "text_index"}


def settled(rows: list[tuple]) -> list[tuple]:
    """rollup_weekly_keywords rows summed per key (entity, week, language, term)."""
    sums: dict[tuple, list[int]] = {}
    for *key, articles, count in rows:
        total = sums.setdefault(tuple(key), [0, 0])
        total[0] += articles
        total[1] += count
    return sorted(((*k, a, c) for k, (a, c) in sums.items()), key=repr)


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every table's rows (sorted), every comment."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()]
        out = {t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(),  # noqa: S608
                         key=repr) for t in tables}
        out["_comments"] = sorted(con.execute(
            "SELECT table_name, column_name, comment FROM duckdb_columns() "
            "WHERE schema_name = 'main'").fetchall())
        out["_views"] = sorted(con.execute(
            "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal").fetchall())
        return out
    finally:
        con.close()


def test_compact_reclaims_space_and_keeps_everything(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db), config={"storage_compatibility_version": "v1.5.0"})
    con.execute("CREATE TABLE keep AS SELECT range AS i, 'row ' || range AS s FROM range(1000)")
    con.execute("COMMENT ON TABLE keep IS 'kept'")
    con.execute("CREATE TABLE junk AS SELECT range AS i, repeat('x', 200) AS s "
                "FROM range(200000)")
    con.execute("DROP TABLE junk")
    con.execute("CHECKPOINT")
    con.close()
    before = snapshot(db)
    size_before, size_after = compact(db)
    assert size_after < size_before
    assert snapshot(db) == before
    assert not list(tmp_path.glob(".*.compact"))


def test_maintenance_compacts_without_losing_data(built_warehouse: BuiltWarehouse,
                                                  prefect_server: PrefectServer,
                                                  tmp_path: Path) -> None:
    from flows.maintenance import maintenance

    data = tmp_path / "data"
    shutil.copytree(built_warehouse.data_dir, data)
    # Garbage left by a rewrite (as a reprocess leaves), so compaction has work to do.
    con = duckdb.connect(str(data / "work.duckdb"))
    con.execute("CREATE TABLE scratch AS SELECT repeat('x', 300) AS s FROM range(100000)")
    con.execute("DROP TABLE scratch")
    con.execute("CHECKPOINT")
    con.close()
    before = snapshot(data / "work.duckdb")

    summary = maintenance(sources_file=str(built_warehouse.corpus_dir / "sources.yaml"),
                          data_dir=str(data))
    assert summary["bytes_after"] < summary["bytes_before"]

    after = snapshot(data / "blocwatch.duckdb")
    for table, rows in before.items():
        if table not in CHANGED_BY_MAINTENANCE:
            assert after[table] == rows, table
    assert after["rollup_weekly_keywords"] == settled(before["rollup_weekly_keywords"])
    assert len(after["runs"]) == len(before["runs"]) + 1
    assert after["data_checks"] and {r[0] for r in after["data_checks"]} == {
        summary["run_id"]}
    # The compacted, published file still opens in the DuckDB 1.5 CLI analysts use.
    cli = Path(sys.executable).parent / "duckdb"
    out = subprocess.run([str(cli), "-readonly", "-csv", "-noheader",
                          str(data / "blocwatch.duckdb"), "-c",
                          "SELECT count(*) FROM articles"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) == len(after["articles"])


def test_silent_outlets_match_the_ledger(built_warehouse: BuiltWarehouse,
                                         prefect_server: PrefectServer,
                                         tmp_path: Path) -> None:
    from flows.maintenance import maintenance

    # A strict setting (silent after half the usual interval) so the small corpus has
    # silent outlets to find; the expectation comes from the ledger, not the warehouse.
    params = SilenceParams(factor=0.5, min_days=0)
    days = pd.DataFrame([(a["source"], a["published"])
                         for a in built_warehouse.ledger["articles"]],
                        columns=["source_id", "day"])
    expected = {a.key for a in detect_silent_sources(days, params=params)}
    assert expected

    data = tmp_path / "data"
    shutil.copytree(built_warehouse.data_dir, data)
    summary = maintenance(sources_file=str(built_warehouse.corpus_dir / "sources.yaml"),
                          data_dir=str(data), compact=False,
                          silence_factor=params.factor, silence_min_days=params.min_days)
    con = connect_reader(data / "blocwatch.duckdb")
    try:
        stored = {r[0] for r in con.execute(
            "SELECT alert_key FROM alerts WHERE kind = 'silent_source'").fetchall()}
    finally:
        con.close()
    assert stored == expected
    assert summary["new_alerts"] >= len(expected)
    # A second run finds the same silences and raises nothing new.
    again = maintenance(sources_file=str(built_warehouse.corpus_dir / "sources.yaml"),
                        data_dir=str(data), compact=False,
                        silence_factor=params.factor, silence_min_days=params.min_days)
    assert again["new_alerts"] == 0
