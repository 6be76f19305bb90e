"""The ingest flow: discover → fetch → extract → tag → load → alert → publish.

Task runs are per run stage and per batch of articles, never per article: a Prefect task
run costs about as much as extracting a page. Alert detection runs in the flow itself
(no task run): a few queries on the rollups and a pandas pass.
"""

from __future__ import annotations

from typing import Any

import duckdb
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from blocwatch.config import SourcesConfig
from blocwatch.orchestration.crawl import discover_all
from blocwatch.orchestration.executors import extraction_executor
from blocwatch.records import SourceDiscovery
from blocwatch.stages.fetch import HostMemory
from flows.common import fetch_load_publish
from flows.run import RunOptions, load_inputs, writer_run
from warehouse.load import known_urls


@task(name="discover", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)
def discover_task(config: SourcesConfig, source_ids: list[str], con: duckdb.DuckDBPyConnection,
                  resolve: dict[str, str] | None, memory: HostMemory) -> list[SourceDiscovery]:
    """Read every source's feeds and sitemaps; return the URLs not stored yet."""
    sources = [s for s in config.sources if s.id in source_ids]
    with con.cursor() as cur:
        return discover_all(config, sources, lambda urls: known_urls(cur, urls), resolve,
                            memory)


@flow(name="ingest", log_prints=True)
def ingest(sources_file: str | None = None, taxonomy_file: str | None = None,
           data_dir: str | None = None, resolve: dict[str, str] | None = None,
           only_sources: list[str] | None = None, workers: int | None = None,
           lock_timeout_s: float = 3600.0, show_progress: bool = False,
           dask_address: str | None = None) -> dict[str, Any]:
    """Ingest new articles from the configured sources into the warehouse and publish it.

    After loading, spike and failing-feed alerts are detected, stored in the alerts table
    and emitted as Prefect events (blocwatch.alert.*).

    Args:
        sources_file: outlets and crawl settings (default: ./sources.yaml).
        taxonomy_file: entities to tag (default: ./taxonomy.yaml).
        data_dir: data directory (default: $BLOCWATCH_DATA or ./data).
        resolve: host name → "127.0.0.1:port" overrides, used for the local demo web.
        only_sources: ingest only these source ids.
        workers: extraction processes (default: one per core; 1 = inline).
        lock_timeout_s: how long to wait while another run writes the warehouse; after
            that the run is skipped (logged, nothing written).
        show_progress: draw a progress bar on the terminal (the CLI sets it).
        dask_address: a dask.distributed scheduler (``tcp://host:8786``) to run extraction
            and tagging on instead of the local process pool; fetching and loading stay
            here. Workers need blocwatch installed and the taxonomy at the same path.
    """
    inputs = load_inputs(RunOptions(
        sources_file=sources_file, taxonomy_file=taxonomy_file, data_dir=data_dir,
        resolve=resolve, workers=workers, lock_timeout_s=lock_timeout_s,
        show_progress=show_progress, dask_address=dask_address))
    sources = [s for s in inputs.config.enabled() if not only_sources or s.id in only_sources]
    if only_sources:
        missing = sorted(set(only_sources) - {s.id for s in sources})
        if missing:
            raise ValueError(f"unknown or disabled source id(s): {', '.join(missing)}")

    with writer_run("ingest", inputs) as run:
        if run.skipped:
            return run.skipped
        memory = HostMemory()
        discoveries = discover_task(run.config, [s.id for s in sources], run.db, resolve,
                                    memory)
        return fetch_load_publish(run, discoveries, lambda: extraction_executor(
            inputs.taxonomy_path, workers, dask_address), memory)
