"""The tasks every writer flow shares, and the fetch → extract → load → publish tail that
ingest and backfill both end with."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import duckdb
from prefect import task
from prefect.cache_policies import NO_CACHE

from blocwatch.alerts import Alert
from blocwatch.orchestration.batch import fetch_and_process, interleaved_batches
from blocwatch.records import Candidate, SourceDiscovery
from blocwatch.stages.archive import WarcArchive
from blocwatch.stages.fetch import HostMemory
from flows.report import (
    RunProgress,
    alerts_markdown,
    detect_alerts,
    emit_run_alerts,
    raise_alerts,
    report,
)
from flows.run import WriterRun
from warehouse.load import ParkingPolicy, load_batch, parked_per_source, record_run_sources
from warehouse.publish import publish

__all__ = ["batch_task", "fetch_load_publish", "publish_task"]

_COUNTED = ("fetched", "failed", "loaded", "deferred")


@task(name="fetch-extract-load", cache_policy=NO_CACHE)
def batch_task(run: WriterRun, batch: list[Candidate], executor: Executor | None,
               archive_path: str, memory: HostMemory,
               on_progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Fetch, extract and tag one batch of articles, then load it in one transaction."""
    config = run.config
    with WarcArchive(Path(archive_path)) as archive:
        result = fetch_and_process(config, batch, Path(run.inputs.taxonomy_path), executor,
                                   archive, run.inputs.resolve, memory, on_progress)
    parking = ParkingPolicy(config.settings.park_after_runs, config.settings.park_max_days)
    with run.db.cursor() as cur:
        stats = load_batch(cur, run.run_id, result.articles, result.failures, result.fetches,
                           parking)
    source_of = {c.url: c.source_id for c in batch}
    per_source: dict[str, dict[str, int]] = {}

    def row(sid: str) -> dict[str, int]:
        # Two outlets may list the same URL: each counts what came back under its id.
        return per_source.setdefault(sid, dict.fromkeys(_COUNTED, 0))

    for url, res in result.fetches.items():
        row(source_of[url])["fetched"] += int(res.ok)
    for f in result.failures:
        row(f.source_id)["failed"] += 1
    for f in result.deferred:
        row(f.source_id)["deferred"] += 1
    for sid, n in stats.loaded_by_source.items():
        row(sid)["loaded"] += n
    return {"loaded": stats.loaded, "duplicates": stats.duplicates, "failed": stats.failed,
            "fetched": sum(v["fetched"] for v in per_source.values()),
            "deferred": len(result.deferred), "per_source": per_source,
            "deferral": {f.source_id: f.error for f in result.deferred}}


@task(name="publish", cache_policy=NO_CACHE)
def publish_task(con: duckdb.DuckDBPyConnection, work_db: str, published_db: str,
                 rebuild_index: bool = False,
                 before_copy: Callable[[], object] | None = None) -> str:
    """Update the full-text index (``rebuild_index``: all of it) and the saved topics' counts,
    run ``before_copy`` and atomically replace the snapshot readers open."""
    return str(publish(con, Path(work_db), Path(published_db), rebuild_index=rebuild_index,
                       before_copy=before_copy))


def fetch_load_publish(run: WriterRun, discoveries: list[SourceDiscovery],
                       executor_factory: Callable[[], Executor | None],
                       memory: HostMemory) -> dict[str, Any]:
    """After discovery: fetch + extract + load in batches, record the run, alert, publish,
    report. ``run.counts`` is updated as batches load, so a failure still records what was
    done."""
    con, counts, logger = run.db, run.counts, run.logger
    # Parked URLs were filtered out in discovery (known_urls): counted here, per outlet.
    parked = parked_per_source(con)
    per_source = {d.source_id: {"source_id": d.source_id, "feeds_ok": d.docs_ok,
                                "feeds_failed": d.docs_failed, "discovered": d.discovered,
                                "new": len(d.candidates), "fetched": 0, "failed": 0,
                                "loaded": 0, "deferred": 0, "parked": parked.get(d.source_id, 0),
                                "error": d.errors[0] if d.errors else None}
                  for d in discoveries}
    counts["deferred"] = 0
    counts["parked"] = sum(v["parked"] for v in per_source.values())
    deferral: dict[str, str] = {}
    for d in discoveries:
        for err in d.errors:
            logger.warning("%s: %s", d.source_id, err)
    candidates = [c for d in discoveries for c in d.candidates]
    counts["discovered"] = sum(d.discovered for d in discoveries)
    counts["new"] = len(candidates)
    batches = interleaved_batches(candidates, run.config.settings.batch_size)
    logger.info("discovered %d URLs, %d new, in %d batches", counts["discovered"],
                counts["new"], len(batches))
    executor = executor_factory() if candidates else None
    archive_path = (run.paths.raw_dir
                    / f"{time.strftime('%Y%m%dT%H%M%S')}-{run.run_id[:8]}.warc.gz")
    try:
        with RunProgress(run.flow, "fetching and extracting", len(candidates),
                         run.options.show_progress) as progress:
            done = 0
            for i, batch in enumerate(batches, 1):
                out = batch_task(run, batch, executor, str(archive_path), memory,
                                 progress.advance)
                for key in _COUNTED:
                    counts[key] += out[key]
                for sid, v in out["per_source"].items():
                    for key in _COUNTED:
                        per_source[sid][key] += v[key]
                deferral.update(out["deferral"])
                done += len(batch)
                progress.done(done)
                logger.info("batch %d/%d: %d/%d URLs done, %d loaded, %d failed", i,
                            len(batches), done, len(candidates), counts["loaded"],
                            counts["failed"])
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)
    for sid, why in sorted(deferral.items()):
        logger.warning("%s: %d URLs deferred to the next run (%s)", sid,
                       per_source[sid]["deferred"], why)
    if counts["parked"]:
        logger.info("%d parked URLs left alone (see url_parking)", counts["parked"])
    record_run_sources(con, run.run_id, per_source.values())
    # An outlet failed when none of its feeds and sitemaps could be read: the run could
    # not even learn what is new there. Single pages failing are routine (fetch_log).
    failed = sorted(sid for sid, v in per_source.items()
                    if v["feeds_failed"] and not v["feeds_ok"])
    # The runs row says the run's rows were all written ('completed'), also when outlets
    # failed: the failing-feed alert reads those runs' run_sources. The Prefect state
    # (flows/lifecycle.py) gives the verdict.
    run.finish("completed", f"{len(failed)} of {len(per_source)} outlets failed: "
               f"{', '.join(failed)}" if failed else None)
    # Alerts are detected once the saved topics are counted (at publish, with the index),
    # and published with them.
    fresh: list[Alert] = []
    publish_task(con, str(run.paths.work_db), str(run.paths.published_db),
                 before_copy=lambda: fresh.extend(alerts_after_load(run, feeds=True)))
    summary = {**counts, "seconds": round(run.seconds(), 2), "run_id": run.run_id,
               "published": str(run.paths.published_db), "new_alerts": len(fresh),
               "outlets": len(per_source), "outlets_failed": failed,
               "outlet_errors": {sid: per_source[sid]["error"] for sid in failed}}
    extra = alerts_markdown(fresh)
    if failed:
        extra = "\n".join(["## Outlets that failed", "", *(
            f"- **{sid}**: {per_source[sid]['error']}" for sid in failed), "", extra])
    report(run.flow, summary, list(per_source.values()), extra)
    logger.info("%s finished: %s", run.flow, summary)
    return summary


def alerts_after_load(run: WriterRun, feeds: bool) -> list[Alert]:
    """Spike (and, with ``feeds``, failing-feed) alerts once a run's data is committed."""
    # The articles are committed and the run recorded: a bug in alerting must not turn a
    # good run into a failed one, so it is logged loudly instead.
    try:
        fresh = raise_alerts(run.db, run.run_id,
                             detect_alerts(run.db, run.run_id, feeds=feeds), run.logger)
        emit_run_alerts(run.flow, run.run_id, fresh)
        return fresh
    except Exception:
        run.logger.exception("alert detection failed; the run's data is published")
        return []
