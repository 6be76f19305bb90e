"""Data checks of the maintenance flow: future dates, missing dates and authors per outlet,
duplicate canonical URLs; recorded in data_checks."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from blocwatch.checks import FAIL, OK, WARN, CheckParams, evaluate_checks
from tests.conftest import BuiltWarehouse, PrefectServer
from warehouse.db import connect_reader, connect_writer


def outlets(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["source_id", "articles", "future_dates",
                                       "missing_dates", "missing_authors", "future_examples"])


def test_thresholds_decide_ok_warn_and_fail() -> None:
    results = evaluate_checks(outlets([
        ("clean", 100, 0, 5, 10, None),
        ("dated_ahead", 50, 2, 0, 0, ["http://x.test/a", "http://x.test/b"]),
        ("sloppy", 10, 0, 3, 9, None),
    ]), duplicate_urls=0)
    status = {(r.check_name, r.source_id): r.status for r in results}
    assert status == {
        ("future_dates", "clean"): OK, ("missing_dates", "clean"): OK,
        ("missing_authors", "clean"): OK,
        ("future_dates", "dated_ahead"): FAIL, ("missing_dates", "dated_ahead"): OK,
        ("missing_authors", "dated_ahead"): OK,
        ("future_dates", "sloppy"): OK, ("missing_dates", "sloppy"): WARN,
        ("missing_authors", "sloppy"): WARN,
        ("duplicate_urls", None): OK,
    }
    future = next(r for r in results if r.status == FAIL)
    assert future.value == 2 and "http://x.test/a" in (future.detail or "")
    sloppy = next(r for r in results if r.check_name == "missing_dates"
                  and r.source_id == "sloppy")
    assert (sloppy.value, sloppy.threshold) == (0.3, 0.1)


def test_duplicates_fail_and_thresholds_are_parameters() -> None:
    results = evaluate_checks(outlets([("s", 10, 0, 3, 9, None)]), duplicate_urls=2,
                              duplicate_examples=["http://x.test/a"],
                              params=CheckParams(max_missing_date_share=0.5,
                                                 max_missing_author_share=0.95))
    by_name = {r.check_name: r for r in results}
    assert by_name["duplicate_urls"].status == FAIL
    assert "http://x.test/a" in (by_name["duplicate_urls"].detail or "")
    assert by_name["missing_dates"].status == OK and by_name["missing_authors"].status == OK


def test_maintenance_records_checks_for_the_dashboard(built_warehouse: BuiltWarehouse,
                                                      prefect_server: PrefectServer,
                                                      tmp_path: Path) -> None:
    from flows.maintenance import maintenance

    data = tmp_path / "data"
    shutil.copytree(built_warehouse.data_dir, data)
    con = connect_writer(data / "work.duckdb")
    try:
        sources = [r[0] for r in con.execute(
            "SELECT DISTINCT source_id FROM articles ORDER BY 1").fetchall()]
        ahead, anonymous, undated = sources[:3]
        # One article dated a month ahead; one outlet without bylines; a third of another
        # outlet's articles undated.
        future_url = con.execute("SELECT min(url) FROM articles WHERE source_id = ?",
                                 [ahead]).fetchone()[0]
        con.execute("UPDATE articles SET published = ? WHERE url = ?",
                    [date.today() + timedelta(days=30), future_url])
        con.execute("UPDATE articles SET author = NULL WHERE source_id = ?", [anonymous])
        n_undated = con.execute("SELECT count(*) FROM articles WHERE source_id = ?",
                                [undated]).fetchone()[0]
        con.execute("UPDATE articles SET published = NULL WHERE article_id IN (SELECT "
                    "article_id FROM articles WHERE source_id = ? ORDER BY article_id "
                    "LIMIT ?)", [undated, n_undated // 3])
    finally:
        con.close()

    summary = maintenance(sources_file=str(built_warehouse.corpus_dir / "sources.yaml"),
                          data_dir=str(data), compact=False)
    assert summary["checks_not_ok"] == 3

    con = connect_reader(data / "blocwatch.duckdb")
    try:
        rows = con.execute("SELECT check_name, source_id, value, status, detail "
                           "FROM data_checks").fetchall()
        runs = con.execute("SELECT flow, status FROM runs WHERE run_id = "
                           "(SELECT DISTINCT run_id FROM data_checks)").fetchall()
    finally:
        con.close()
    assert runs == [("maintenance", "completed")]
    not_ok = {(name, src): (value, status) for name, src, value, status, _ in rows
              if status != OK}
    assert not_ok == {
        ("future_dates", ahead): (1.0, FAIL),
        ("missing_authors", anonymous): (1.0, WARN),
        ("missing_dates", undated): (round((n_undated // 3) / n_undated, 4), WARN),
    }
    detail = next(d for name, src, _, _, d in rows if (name, src) == ("future_dates", ahead))
    assert future_url in detail
    assert ("duplicate_urls", None, 0.0, OK) in {r[:4] for r in rows}
    # Three checks per outlet, one for the warehouse.
    assert len(rows) == 3 * len(sources) + 1
