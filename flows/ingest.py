"""The ingest flow: discover → fetch → extract → tag → load → publish.

Task runs are per run stage and per batch of articles, never per article: a Prefect task
run costs about as much as extracting a page.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
from filelock import FileLock
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from blocwatch.archive import WarcArchive
from blocwatch.config import SourcesConfig, load_sources
from blocwatch.fetch import HostMemory
from blocwatch.paths import data_paths, default_config
from blocwatch.pipeline import Candidate, SourceDiscovery, discover_all, fetch_and_process
from blocwatch.process import init_worker
from blocwatch.taxonomy import load_taxonomy
from warehouse.db import connect_writer
from warehouse.load import (
    finish_run,
    known_urls,
    load_batch,
    record_run_sources,
    start_run,
    sync_reference,
)
from warehouse.publish import publish


@task(name="discover", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)
def discover_task(config: SourcesConfig, source_ids: list[str], con: duckdb.DuckDBPyConnection,
                  resolve: dict[str, str] | None, memory: HostMemory) -> list[SourceDiscovery]:
    """Read every source's feeds and sitemaps; return the URLs not stored yet."""
    cur = con.cursor()
    sources = [s for s in config.sources if s.id in source_ids]
    return discover_all(config, sources, lambda urls: known_urls(cur, urls), resolve, memory)


@task(name="fetch-extract-load", cache_policy=NO_CACHE)
def batch_task(config: SourcesConfig, batch: list[Candidate], taxonomy_path: str,
               executor: Executor | None, con: duckdb.DuckDBPyConnection, run_id: str,
               archive_path: str, resolve: dict[str, str] | None,
               memory: HostMemory, on_progress: Callable[[int], None] | None = None
               ) -> dict[str, Any]:
    """Fetch, extract, tag and load one batch of articles in one transaction."""
    with WarcArchive(Path(archive_path)) as archive:
        result = fetch_and_process(config, batch, Path(taxonomy_path), executor, archive,
                                   resolve, memory, on_progress)
    stats = load_batch(con.cursor(), run_id, result.articles, result.failures, result.fetches)
    source_of = {c.url: c.source_id for c in batch}
    per_source: dict[str, dict[str, int]] = {}
    for url, res in result.fetches.items():
        row = per_source.setdefault(source_of[url], {"fetched": 0, "failed": 0, "loaded": 0})
        row["fetched"] += int(res.ok)
    for f in result.failures:
        per_source[f.source_id]["failed"] += 1
    for sid, n in stats.loaded_by_source.items():
        per_source[sid]["loaded"] += n
    return {"loaded": stats.loaded, "duplicates": stats.duplicates, "failed": stats.failed,
            "fetched": sum(v["fetched"] for v in per_source.values()),
            "per_source": per_source}


@task(name="publish", cache_policy=NO_CACHE)
def publish_task(con: duckdb.DuckDBPyConnection, work_db: str, published_db: str) -> str:
    """Atomically replace the snapshot readers open."""
    return str(publish(con, Path(work_db), Path(published_db)))


def _batches(candidates: list[Candidate], size: int) -> list[list[Candidate]]:
    # Interleave sources so each batch spreads over hosts and per-host limits overlap.
    by_source: dict[str, list[Candidate]] = {}
    for c in sorted(candidates, key=lambda c: (c.source_id, c.url)):
        by_source.setdefault(c.source_id, []).append(c)
    order: list[Candidate] = []
    queues = [v for _, v in sorted(by_source.items())]
    while any(queues):
        for q in queues:
            if q:
                order.append(q.pop(0))
    return [order[i:i + size] for i in range(0, len(order), size)]


def make_executor(taxonomy_path: str, workers: int | None) -> ProcessPoolExecutor | None:
    """A process pool for extraction (trafilatura holds the GIL, so threads don't help)."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers <= 1:
        return None
    # spawn, not fork: forking a process that runs Prefect's threads can deadlock.
    return ProcessPoolExecutor(max_workers=workers, initializer=init_worker,
                               initargs=(taxonomy_path,),
                               mp_context=multiprocessing.get_context("spawn"))


@flow(name="ingest", log_prints=True)
def ingest(sources_file: str | None = None, taxonomy_file: str | None = None,
           data_dir: str | None = None, resolve: dict[str, str] | None = None,
           only_sources: list[str] | None = None, workers: int | None = None,
           lock_timeout_s: float = 3600.0, show_progress: bool = False) -> dict[str, Any]:
    """Ingest new articles from the configured sources into the warehouse and publish it.

    Args:
        sources_file: outlets and crawl settings (default: ./sources.yaml).
        taxonomy_file: entities to tag (default: ./taxonomy.yaml).
        data_dir: data directory (default: $BLOCWATCH_DATA or ./data).
        resolve: host name → "127.0.0.1:port" overrides, used for the local demo web.
        only_sources: ingest only these source ids.
        workers: extraction processes (default: one per core; 1 = inline).
        lock_timeout_s: how long to wait for another run holding the warehouse.
        show_progress: draw a progress bar on the terminal (the CLI sets it).
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

    lock = FileLock(str(paths.lock), timeout=lock_timeout_s)
    logger.info("waiting for the warehouse lock %s", paths.lock)
    with lock:
        con = connect_writer(paths.work_db)
        try:
            return _run(con, config, sources, taxonomy, taxonomy_path, paths, resolve,
                        workers, started, logger, show_progress)
        finally:
            con.close()


def _run(con: duckdb.DuckDBPyConnection, config: SourcesConfig, sources: list, taxonomy: Any,
         taxonomy_path: str, paths: Any, resolve: dict[str, str] | None,
         workers: int | None, started: float, logger: Any,
         show_progress: bool = False) -> dict[str, Any]:
    run_id = start_run(con, "ingest", str(flow_run.id) if flow_run.id else None)
    counts = {"discovered": 0, "new": 0, "fetched": 0, "failed": 0, "loaded": 0}
    try:
        sync_reference(con, config, taxonomy)
        memory = HostMemory()
        discoveries = discover_task(config, [s.id for s in sources], con, resolve, memory)
        per_source = {d.source_id: {"source_id": d.source_id, "feeds_ok": d.docs_ok,
                                    "feeds_failed": d.docs_failed, "discovered": d.discovered,
                                    "new": len(d.candidates), "fetched": 0, "failed": 0,
                                    "loaded": 0, "error": d.errors[0] if d.errors else None}
                      for d in discoveries}
        for d in discoveries:
            for err in d.errors:
                logger.warning("%s: %s", d.source_id, err)
        candidates = [c for d in discoveries for c in d.candidates]
        counts["discovered"] = sum(d.discovered for d in discoveries)
        counts["new"] = len(candidates)
        batches = _batches(candidates, config.settings.batch_size)
        logger.info("discovered %d URLs, %d new, in %d batches", counts["discovered"],
                    counts["new"], len(batches))
        executor = make_executor(taxonomy_path, workers) if candidates else None
        archive_path = paths.raw_dir / f"{time.strftime('%Y%m%dT%H%M%S')}-{run_id[:8]}.warc.gz"
        try:
            with _progress(show_progress, len(candidates)) as advance:
                for i, batch in enumerate(batches, 1):
                    out = batch_task(config, batch, taxonomy_path, executor, con, run_id,
                                     str(archive_path), resolve, memory, advance)
                    counts["fetched"] += out["fetched"]
                    counts["failed"] += out["failed"]
                    counts["loaded"] += out["loaded"]
                    for sid, v in out["per_source"].items():
                        for key in ("fetched", "failed", "loaded"):
                            per_source[sid][key] += v[key]
                    logger.info("batch %d/%d: %d/%d URLs done, %d loaded, %d failed", i,
                                len(batches), min(i * config.settings.batch_size, len(candidates)),
                                len(candidates), counts["loaded"], counts["failed"])
        finally:
            if executor is not None:
                executor.shutdown(cancel_futures=True)
        record_run_sources(con, run_id, per_source.values())
        seconds = time.monotonic() - started
        finish_run(con, run_id, "completed", counts, seconds)
        publish_task(con, str(paths.work_db), str(paths.published_db))
        summary = {**counts, "seconds": round(time.monotonic() - started, 2), "run_id": run_id,
                   "published": str(paths.published_db)}
        _artifacts(summary, list(per_source.values()))
        logger.info("ingest finished: %s", summary)
        return summary
    except BaseException as exc:
        finish_run(con, run_id, "failed", counts, time.monotonic() - started,
                   f"{type(exc).__name__}: {exc}")
        raise


@contextmanager
def _progress(enabled: bool, total: int) -> Iterator[Callable[[int], None] | None]:
    if not enabled or not total:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), transient=False) as bar:
        job = bar.add_task("fetching and extracting", total=total)
        yield lambda n: bar.advance(job, n)


def _artifacts(summary: dict[str, Any], per_source: list[dict[str, Any]]) -> None:
    create_table_artifact(key="ingest-sources", table=per_source,
                          description="Per-source counts of this ingest run")
    md = "\n".join(["# Ingest run", "", "| measure | value |", "|---|---|",
                    *(f"| {k} | {v} |" for k, v in summary.items())])
    create_markdown_artifact(key="ingest-summary", markdown=md,
                             description="Summary of this ingest run")
