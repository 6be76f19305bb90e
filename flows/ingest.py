"""The ingest flow: discover → fetch → extract → tag → load → alert → publish.

Task runs are per run stage and per batch of articles, never per article: a Prefect task
run costs about as much as extracting a page. Alert detection runs in the flow itself
(no task run): a few queries on the rollups and a pandas pass.
"""

from __future__ import annotations

import duckdb
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.states import State

from blocwatch.config import SourcesConfig
from blocwatch.orchestration.crawl import discover_all
from blocwatch.orchestration.executors import extraction_executor
from blocwatch.records import SourceDiscovery
from blocwatch.stages.fetch import HostMemory
from flows.common import fetch_load_publish
from flows.lifecycle import final_state, run_name, timeout
from flows.run import LOCK_TIMEOUT_S, RunOptions, load_inputs, writer_run
from warehouse.load import known_urls


@task(name="discover", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)
def discover_task(config: SourcesConfig, source_ids: list[str], con: duckdb.DuckDBPyConnection,
                  resolve: dict[str, str] | None, memory: HostMemory) -> list[SourceDiscovery]:
    """Read every source's feeds and sitemaps; return the URLs not stored yet."""
    sources = [s for s in config.sources if s.id in source_ids]
    with con.cursor() as cur:
        return discover_all(config, sources, lambda urls: known_urls(cur, urls), resolve,
                            memory)


@flow(name="ingest", log_prints=True, flow_run_name=run_name("ingest"),
      timeout_seconds=timeout("ingest"))
def ingest(sources_file: str | None = None, taxonomy_file: str | None = None,
           data_dir: str | None = None, resolve: dict[str, str] | None = None,
           demo_web: str | None = None, only_sources: list[str] | None = None,
           workers: int | None = None, lock_timeout_s: float = LOCK_TIMEOUT_S,
           show_progress: bool = False, dask_address: str | None = None) -> State:
    """Ingest new articles from the configured sources into the warehouse and publish it.

    After loading, spike and failing-feed alerts are detected, stored in the alerts table
    and emitted as Prefect events (blocwatch.alert.*, and one blocwatch.run.alerts per run).
    The run ends Completed, Partial (some outlets failed), Failed (every outlet failed) or
    Skipped (the writer stayed busy); its summary is the state's result.

    Args:
        sources_file: outlets and crawl settings (default: ./sources.yaml, else
            $BLOCWATCH_HOME/sources.yaml; with demo_web, the demo's).
        taxonomy_file: entities to tag (default: ./taxonomy.yaml, else
            $BLOCWATCH_HOME/taxonomy.yaml, else the one shipped with blocwatch).
        data_dir: data directory (default: $BLOCWATCH_DATA, else $BLOCWATCH_HOME/data,
            else ./data).
        resolve: host name → "127.0.0.1:port" overrides, for a local copy of a web.
        demo_web: HOST:PORT of a running demo web (`blocwatch demo --serve-web`, by
            default 127.0.0.1:8765): ingest the demo outlets of the data directory's
            demo/sources.yaml from it.
        only_sources: ingest only these source ids.
        workers: extraction processes (default: one per core; 1 = inline).
        lock_timeout_s: how long to wait while another run writes the warehouse (the
            Prefect concurrency limit, then the file lock); after that the run ends
            Skipped (logged, nothing written).
        show_progress: draw a progress bar on the terminal (the CLI sets it).
        dask_address: a dask.distributed scheduler (``tcp://host:8786``) to run extraction
            and tagging on instead of the local process pool; fetching and loading stay
            here. Workers need blocwatch installed and the taxonomy at the same path.
    """
    inputs = load_inputs(RunOptions(
        sources_file=sources_file, taxonomy_file=taxonomy_file, data_dir=data_dir,
        resolve=resolve, demo_web=demo_web, workers=workers, lock_timeout_s=lock_timeout_s,
        show_progress=show_progress, dask_address=dask_address))
    sources = [s for s in inputs.config.enabled() if not only_sources or s.id in only_sources]
    if only_sources:
        missing = sorted(set(only_sources) - {s.id for s in sources})
        if missing:
            raise ValueError(f"unknown or disabled source id(s): {', '.join(missing)}")

    with writer_run("ingest", inputs) as run:
        if run.skipped:
            return final_state(run.skipped)
        memory = HostMemory()
        discoveries = discover_task(run.config, [s.id for s in sources], run.db,
                                    inputs.resolve, memory)
        return final_state(fetch_load_publish(run, discoveries, lambda: extraction_executor(
            inputs.taxonomy_path, workers, dask_address), memory))
