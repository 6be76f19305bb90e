"""The ingest flow: discover → fetch → extract → tag → load → alert → publish.

Task runs are per run stage and per batch of articles, never per article: a Prefect task
run costs about as much as extracting a page. Alert detection runs in the flow itself
(no task run): a few queries on the rollups and a pandas pass.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import duckdb
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from blocwatch.config import SourcesConfig, load_sources
from blocwatch.executors import extraction_executor
from blocwatch.fetch import HostMemory
from blocwatch.paths import DataPaths, data_paths, default_config
from blocwatch.pipeline import SourceDiscovery, discover_all
from blocwatch.taxonomy import load_taxonomy
from flows.common import fetch_load_publish, prefect_run_id, skipped, writer_lock
from warehouse.db import connect_writer
from warehouse.load import finish_run, known_urls, start_run, sync_reference


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
    logger = get_run_logger()
    started = time.monotonic()
    config = load_sources(sources_file or default_config("sources.yaml"))
    taxonomy_path = str(Path(taxonomy_file or default_config("taxonomy.yaml")).resolve())
    taxonomy = load_taxonomy(taxonomy_path)
    paths = data_paths(data_dir).ensure()
    sources = [s for s in config.enabled() if not only_sources or s.id in only_sources]
    if only_sources:
        missing = sorted(set(only_sources) - {s.id for s in sources})
        if missing:
            raise ValueError(f"unknown or disabled source id(s): {', '.join(missing)}")

    with writer_lock(paths.lock, lock_timeout_s, logger) as locked:
        if not locked:
            return skipped("ingest", paths, lock_timeout_s, started)
        con = connect_writer(paths.work_db)
        try:
            return _run(con, config, sources, taxonomy, taxonomy_path, paths, resolve,
                        workers, started, logger, show_progress, dask_address)
        finally:
            con.close()


def _run(con: duckdb.DuckDBPyConnection, config: SourcesConfig, sources: list, taxonomy: Any,
         taxonomy_path: str, paths: DataPaths, resolve: dict[str, str] | None,
         workers: int | None, started: float, logger: Any,
         show_progress: bool = False, dask_address: str | None = None) -> dict[str, Any]:
    run_id = start_run(con, "ingest", prefect_run_id())
    counts = {"discovered": 0, "new": 0, "fetched": 0, "failed": 0, "loaded": 0}
    try:
        sync_reference(con, config, taxonomy)
        memory = HostMemory()
        discoveries = discover_task(config, [s.id for s in sources], con, resolve, memory)
        def executor() -> Any:
            return extraction_executor(taxonomy_path, workers, dask_address)

        return fetch_load_publish(con, "ingest", run_id, config, discoveries, taxonomy_path,
                                  paths, resolve, executor, memory, counts, started, logger,
                                  show_progress)
    except BaseException as exc:
        finish_run(con, run_id, "failed", counts, time.monotonic() - started,
                   f"{type(exc).__name__}: {exc}")
        raise
