"""Scale-out: the extraction stage on a dask.distributed cluster (two worker processes)
gives the same warehouse as the default local process pool."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO, PrefectServer, build_demo, run_ingest
from warehouse.db import connect_reader

distributed = pytest.importorskip("distributed")


def _content(published: Path) -> dict[str, list[tuple]]:
    con = connect_reader(published)
    try:
        q: dict[str, str] = {
            "articles": "SELECT url, title, published, language, content_hash, duplicate_of "
                        "IS NULL FROM articles ORDER BY url",
            "mentions": "SELECT a.url, m.entity_id, m.body_count, m.title_count, "
                        "m.first_offset FROM mentions m JOIN articles a USING (article_id) "
                        "ORDER BY 1, 2",
            "co_mentions": "SELECT a.url, c.entity_a, c.entity_b, c.sentence_count "
                           "FROM co_mentions c JOIN articles a USING (article_id) "
                           "ORDER BY 1, 2, 3",
            "keywords": "SELECT a.url, k.term, k.count FROM keywords k "
                        "JOIN articles a USING (article_id) ORDER BY 1, 2",
            "daily_mentions": "SELECT * FROM daily_mentions ORDER BY ALL",
        }
        return {k: con.execute(v).fetchall() for k, v in q.items()}
    finally:
        con.close()


def test_ingest_on_a_local_dask_cluster_equals_the_default_run(
        tmp_path: Path, prefect_server: PrefectServer) -> None:
    from blocwatch.demo.server import DemoWeb
    from flows import ingest as flow_module

    corpus = build_demo(tmp_path, articles=100, seed=11)
    default = run_ingest(corpus, tmp_path / "default")
    taxonomy = str((REPO / "taxonomy.yaml").resolve())
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        address = cluster.scheduler_address
        with DemoWeb(corpus / "web") as web:
            summary = flow_module.ingest(
                sources_file=str(corpus / "sources.yaml"), taxonomy_file=taxonomy,
                data_dir=str(tmp_path / "dask"), resolve=web.resolve_map(), workers=2,
                dask_address=address)

        def worker_taxonomy() -> str | None:
            from blocwatch.stages.page import _State

            return _State.taxonomy_path

        # The pages were processed on the cluster's workers, not in this process.
        assert taxonomy in client.run(worker_taxonomy).values()
    assert summary["loaded"] == default["loaded"] == 100
    ours = _content(tmp_path / "dask" / "blocwatch.duckdb")
    theirs = _content(tmp_path / "default" / "blocwatch.duckdb")
    for table in ours:
        assert ours[table] == theirs[table], table
    assert sum(r[2] for r in ours["mentions"]) > 100


def test_dask_executor_needs_one_target() -> None:
    from blocwatch.orchestration.executors import DaskExecutor

    with pytest.raises(ValueError):
        DaskExecutor()
