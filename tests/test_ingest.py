"""The ingest flow on the demo web, checked against the generator's ledger."""

from __future__ import annotations

import asyncio
import math
from collections import Counter

import duckdb
import pytest

from blocwatch.config import load_sources
from tests.conftest import BuiltWarehouse, PrefectServer, run_ingest
from warehouse.db import connect_reader

LOG_TABLES = {"runs", "run_sources"}


def q(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


@pytest.fixture(scope="module")
def con(built_warehouse: BuiltWarehouse) -> duckdb.DuckDBPyConnection:
    c = connect_reader(built_warehouse.published)
    yield c
    c.close()


def test_articles_are_exactly_the_ledger_urls(con: duckdb.DuckDBPyConnection,
                                             built_warehouse: BuiltWarehouse) -> None:
    stored = [r[0] for r in q(con, "SELECT url FROM articles ORDER BY url")]
    ledger = sorted(a["url"] for a in built_warehouse.ledger["articles"])
    assert len(stored) == len(set(stored))
    assert stored == ledger


def test_body_mentions_per_entity_equal_the_ledger(con: duckdb.DuckDBPyConnection,
                                                  built_warehouse: BuiltWarehouse) -> None:
    expected: Counter[str] = Counter()
    for a in built_warehouse.ledger["articles"]:
        expected.update(a["mentions"])
    stored = dict(q(con, "SELECT entity_id, sum(body_count) FROM mentions GROUP BY 1"))
    entities = [r[0] for r in q(con, "SELECT entity_id FROM entities")]
    for e in entities:
        assert stored.get(e, 0) == expected.get(e, 0), e
    assert sum(expected.values()) > 1000


def test_each_article_mentions_equal_the_ledger(con: duckdb.DuckDBPyConnection,
                                               built_warehouse: BuiltWarehouse) -> None:
    stored: dict[str, dict[str, int]] = {}
    for url, entity, n in q(con, "SELECT a.url, m.entity_id, m.body_count FROM mentions m "
                                 "JOIN articles a USING (article_id) WHERE m.body_count > 0"):
        stored.setdefault(url, {})[entity] = n
    wrong = [a["url"] for a in built_warehouse.ledger["articles"]
             if stored.get(a["url"], {}) != {k: v for k, v in a["mentions"].items() if v}]
    assert wrong == []


def test_same_sentence_co_mentions_equal_the_ledger(con: duckdb.DuckDBPyConnection,
                                                   built_warehouse: BuiltWarehouse) -> None:
    expected: Counter[str] = Counter()
    for a in built_warehouse.ledger["articles"]:
        expected.update(a.get("co_sentence", {}))
    stored = {f"{a}|{b}": n for a, b, n in q(
        con, "SELECT entity_a, entity_b, sum(sentence_count) FROM co_mentions GROUP BY ALL")}
    assert {k: v for k, v in stored.items() if v} == {k: v for k, v in expected.items() if v}


def test_publication_dates_match_the_ledger(con: duckdb.DuckDBPyConnection,
                                           built_warehouse: BuiltWarehouse) -> None:
    stored = {u: str(d) for u, d in q(con, "SELECT url, published FROM articles")}
    ledger = built_warehouse.ledger["articles"]
    right = sum(stored.get(a["url"]) == a["published"] for a in ledger)
    assert right / len(ledger) >= 0.99


def test_run_is_recorded(con: duckdb.DuckDBPyConnection,
                         built_warehouse: BuiltWarehouse) -> None:
    n = len(built_warehouse.ledger["articles"])
    rows = q(con, "SELECT status, discovered, new, loaded, failed FROM runs")
    assert rows[0] == ("completed", n, n, n, 0)
    summary = built_warehouse.summary
    assert (summary["discovered"], summary["new"], summary["loaded"]) == (n, n, n)
    fl = dict(q(con, "SELECT outcome, count(*) FROM fetch_log GROUP BY 1"))
    assert fl == {"loaded": n}


def test_task_runs_are_per_batch_not_per_article(built_warehouse: BuiltWarehouse,
                                                 prefect_server: PrefectServer) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    con = connect_reader(built_warehouse.published)
    flow_run_id = q(con, "SELECT prefect_flow_run_id FROM runs ORDER BY started_at LIMIT 1")[0][0]
    con.close()

    async def count() -> int:
        async with get_client() as client:
            runs = await client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
            return len(runs)

    batch = load_sources(built_warehouse.corpus_dir / "sources.yaml").settings.batch_size
    n = len(built_warehouse.ledger["articles"])
    # discover + one per batch + publish
    assert asyncio.run(count()) == 2 + math.ceil(n / batch)


def test_second_run_adds_nothing(built_warehouse: BuiltWarehouse, tmp_path) -> None:
    import shutil

    data = tmp_path / "data"
    shutil.copytree(built_warehouse.data_dir, data)
    con = connect_reader(data / "blocwatch.duckdb")
    tables = [r[0] for r in q(con, "SELECT table_name FROM duckdb_tables()")]
    before = {t: q(con, f'SELECT count(*) FROM "{t}"')[0][0] for t in tables}  # noqa: S608
    con.close()
    summary = run_ingest(built_warehouse.corpus_dir, data)
    assert (summary["new"], summary["loaded"], summary["failed"]) == (0, 0, 0)
    con = connect_reader(data / "blocwatch.duckdb")
    after = {t: q(con, f'SELECT count(*) FROM "{t}"')[0][0] for t in tables}  # noqa: S608
    n_sources = q(con, "SELECT count(*) FROM sources")[0][0]
    con.close()
    for t in tables:
        if t not in LOG_TABLES:
            assert after[t] == before[t], t
    # The log tables record the run itself: one run, one row per outlet.
    assert after["runs"] == before["runs"] + 1
    assert after["run_sources"] == before["run_sources"] + n_sources
