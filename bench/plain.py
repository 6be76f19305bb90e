"""The ingest stages called by a plain Python program: no Prefect, same functions, same
parallelism and batch size as flows/ingest.py. The benchmark times it against the real
flow (what orchestration costs) and reads per-stage times from it (what loading and
publishing cost)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blocwatch.config import load_sources
from blocwatch.orchestration.batch import fetch_and_process, interleaved_batches
from blocwatch.orchestration.crawl import discover_all
from blocwatch.orchestration.executors import extraction_executor
from blocwatch.paths import data_paths
from blocwatch.stages.archive import WarcArchive
from blocwatch.stages.fetch import HostMemory
from blocwatch.taxonomy import load_taxonomy
from warehouse.db import connect_writer
from warehouse.load import finish_run, known_urls, load_batch, start_run, sync_reference
from warehouse.publish import publish


@dataclass
class PlainRun:
    """Wall time of a plain run and of its stages (seconds)."""

    seconds: float = 0.0
    discover_s: float = 0.0
    fetch_process_s: float = 0.0
    load_s: float = 0.0
    publish_s: float = 0.0
    alerts_s: float = 0.0
    loaded: int = 0
    failed: int = 0
    batches: int = 0


def run_plain(sources_file: Path, taxonomy_file: Path, data_dir: Path,
              resolve: dict[str, str] | None, workers: int | None = None,
              dask_address: str | None = None) -> PlainRun:
    """Discover, fetch + process, load and publish, like the ingest flow, without Prefect."""
    out = PlainRun()
    started = time.perf_counter()
    config = load_sources(sources_file)
    taxonomy_path = str(Path(taxonomy_file).resolve())
    taxonomy = load_taxonomy(taxonomy_path)
    paths = data_paths(str(data_dir)).ensure()
    con = connect_writer(paths.work_db)
    try:
        run_id = start_run(con, "ingest")
        sync_reference(con, config, taxonomy)
        memory = HostMemory()
        t = time.perf_counter()
        cur = con.cursor()
        found = discover_all(config, config.enabled(), lambda urls: known_urls(cur, urls),
                             resolve, memory)
        out.discover_s = time.perf_counter() - t
        candidates = [c for d in found for c in d.candidates]
        parts = interleaved_batches(candidates, config.settings.batch_size)
        out.batches = len(parts)
        executor = (extraction_executor(taxonomy_path, workers, dask_address)
                    if candidates else None)
        archive_path = paths.raw_dir / f"plain-{run_id[:8]}.warc.gz"
        try:
            for batch in parts:
                t = time.perf_counter()
                with WarcArchive(archive_path) as archive:
                    result = fetch_and_process(config, batch, Path(taxonomy_path), executor,
                                               archive, resolve, memory)
                t2 = time.perf_counter()
                stats = load_batch(con.cursor(), run_id, result.articles, result.failures,
                                   result.fetches)
                out.load_s += time.perf_counter() - t2
                out.fetch_process_s += t2 - t
                out.loaded += stats.loaded
                out.failed += stats.failed
        finally:
            if executor is not None:
                executor.shutdown(cancel_futures=True)
        finish_run(con, run_id, "completed", {"loaded": out.loaded, "failed": out.failed},
                   time.perf_counter() - started)
        t = time.perf_counter()
        _alerts(con, run_id)
        out.alerts_s = time.perf_counter() - t
        t = time.perf_counter()
        publish(con, paths.work_db, paths.published_db)
        out.publish_s = time.perf_counter() - t
    finally:
        con.close()
    out.seconds = time.perf_counter() - started
    return out


def _alerts(con: Any, run_id: str) -> None:
    """The flow's post-load alert detection, without its Prefect events (same work)."""
    try:
        from flows.report import detect_alerts
        from warehouse import ops
    except ImportError:  # a checkout without alerting
        return
    ops.store_alerts(con, detect_alerts(con, run_id), run_id)
