"""The backfill flow: an outlet's history over a date range, from its feeds and sitemaps
read to the end, extra sitemaps and HTML archive pages (the crawler of
blocwatch/orchestration/crawl.py under the backfill's stop policy); then the same fetch →
extract → load → alert → publish stages as ingest."""

from __future__ import annotations

from datetime import date

import duckdb
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.states import State

from blocwatch.config import SourcesConfig
from blocwatch.orchestration.crawl import (
    BackfillScope,
    SourcePlan,
    discover_backfill,
    plan_backfill,
)
from blocwatch.orchestration.executors import process_pool
from blocwatch.records import SourceDiscovery
from blocwatch.stages.fetch import HostMemory
from flows.common import fetch_load_publish
from flows.lifecycle import final_state, run_name, timeout
from flows.run import LOCK_TIMEOUT_S, RunOptions, load_inputs, writer_run
from warehouse.load import known_urls


@task(name="discover-backfill", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)
def discover_backfill_task(config: SourcesConfig, plans: list[SourcePlan],
                           scope: BackfillScope, con: duckdb.DuckDBPyConnection,
                           resolve: dict[str, str] | None, memory: HostMemory
                           ) -> list[SourceDiscovery]:
    """Read the outlets' documents to the end; return in-range URLs not stored yet."""
    cur = con.cursor()
    return discover_backfill(config, plans, scope, lambda urls: known_urls(cur, urls),
                             resolve, memory)


@flow(name="backfill", log_prints=True, flow_run_name=run_name("backfill"),
      timeout_seconds=timeout("backfill"))
def backfill(start_date: date | None = None, end_date: date | None = None,
             sitemaps: list[str] | None = None, archive_pages: list[str] | None = None,
             archive_link_pattern: str | None = None, only_sources: list[str] | None = None,
             max_pages: int = 1000, configured_feeds: bool = True,
             sources_file: str | None = None, taxonomy_file: str | None = None,
             data_dir: str | None = None, resolve: dict[str, str] | None = None,
             demo_web: str | None = None, workers: int | None = None,
             lock_timeout_s: float = LOCK_TIMEOUT_S, show_progress: bool = False) -> State:
    """Fetch an outlet's older articles: a date range and/or sitemaps and archive pages.

    The parameters stay flat (they are the deployment's form in the Prefect UI and its
    ``parameters:`` in prefect.yaml); the flow groups them at once into the backfill's
    scope (``BackfillScope``) and the run's options (``RunOptions``). The run ends like an
    ingest: Completed, Partial, Failed (every outlet failed) or Skipped.

    Args:
        start_date: first publication day to fetch (inclusive); default: no lower bound.
        end_date: last publication day to fetch (inclusive); default: no upper bound.
        sitemaps: extra sitemap, sitemap-index or feed URLs to read to the end; each must
            be on the host of a configured outlet.
        archive_pages: HTML archive, section or tag pages whose article links to fetch
            (rel="next" pages are followed); each must be on a configured outlet's host.
        archive_link_pattern: regular expression an archive link must match to be an
            article; default: links with a date in the URL.
        only_sources: backfill only these source ids (default: the outlets owning the
            given sitemaps/archive pages, else every enabled outlet).
        max_pages: feed, sitemap and archive documents read per outlet, at most.
        configured_feeds: also read the outlets' feeds and sitemaps from sources.yaml.
        sources_file: outlets and crawl settings (default: ./sources.yaml, else
            $BLOCWATCH_HOME/sources.yaml; with demo_web, the demo's).
        taxonomy_file: entities to tag (default: ./taxonomy.yaml, else
            $BLOCWATCH_HOME/taxonomy.yaml, else the one shipped with blocwatch).
        data_dir: data directory (default: $BLOCWATCH_DATA, else $BLOCWATCH_HOME/data,
            else ./data).
        resolve: host name → "127.0.0.1:port" overrides, for a local copy of a web.
        demo_web: HOST:PORT of a running demo web (`blocwatch demo --serve-web`): backfill
            the demo outlets of the data directory's demo/sources.yaml from it.
        workers: extraction processes (default: one per core; 1 = inline).
        lock_timeout_s: how long to wait while another run writes the warehouse (the
            Prefect concurrency limit, then the file lock); after that the run ends
            Skipped (logged, nothing written).
        show_progress: draw a progress bar on the terminal (the CLI sets it).
    """
    scope = BackfillScope(start=start_date, end=end_date, sitemaps=tuple(sitemaps or ()),
                          archive_pages=tuple(archive_pages or ()),
                          link_pattern=archive_link_pattern, max_pages=max_pages,
                          configured=configured_feeds)
    inputs = load_inputs(RunOptions(
        sources_file=sources_file, taxonomy_file=taxonomy_file, data_dir=data_dir,
        resolve=resolve, demo_web=demo_web, workers=workers, lock_timeout_s=lock_timeout_s,
        show_progress=show_progress))
    plans = plan_backfill(inputs.config, scope, only_sources)

    with writer_run("backfill", inputs) as run:
        if run.skipped:
            return final_state(run.skipped)
        run.logger.info("backfill %s to %s of %s", start_date or "the beginning",
                        end_date or "today", ", ".join(p.source.id for p in plans))
        memory = HostMemory()
        discoveries = discover_backfill_task(run.config, plans, scope, run.db,
                                             inputs.resolve, memory)
        return final_state(fetch_load_publish(
            run, discoveries, lambda: process_pool(inputs.taxonomy_path, workers), memory))
