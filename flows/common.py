"""What every blocwatch flow shares: the single-writer lock, the run's report (runs row,
Prefect artifacts), progress, alerts (stored and emitted as Prefect events), and the
fetch → extract → load → publish stages that ingest and backfill both end with.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import duckdb
from filelock import FileLock, Timeout
from prefect import task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event
from prefect.runtime import flow_run

from blocwatch.alerts import (
    Alert,
    SilenceParams,
    SpikeParams,
    detect_entity_spikes,
    detect_failing_feeds,
    detect_silent_sources,
)
from blocwatch.archive import WarcArchive
from blocwatch.config import SourcesConfig
from blocwatch.fetch import HostMemory
from blocwatch.paths import DataPaths
from blocwatch.pipeline import Candidate, SourceDiscovery, fetch_and_process
from warehouse import ops
from warehouse.load import (
    ParkingPolicy,
    finish_run,
    load_batch,
    parked_per_source,
    record_run_sources,
)
from warehouse.publish import publish

# Consecutive runs with a failing feed before an alert (one failure is often a blip).
FEED_FAILING_RUNS = 2


def prefect_run_id() -> str | None:
    return str(flow_run.id) if flow_run.id else None


# --- one writer at a time -----------------------------------------------------------------

@contextmanager
def writer_lock(lock_path: Path, timeout_s: float, logger: Any) -> Iterator[bool]:
    """Hold the warehouse lock (data/work.lock) for the body; yield False if it never came.

    Every flow that writes the work database takes this one lock, whatever its kind, so two
    runs never write together. A run that finds it taken logs who waits and for how long;
    after ``timeout_s`` it gives up and the caller skips the run with a log line.
    """
    lock = FileLock(str(lock_path), timeout=timeout_s)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        logger.info("another run is writing the warehouse (lock %s held); waiting up to %.0f s",
                    lock_path, timeout_s)
        try:
            lock.acquire(timeout=timeout_s)
        except Timeout:
            logger.warning("the warehouse lock %s was still held after %.0f s: skipping this "
                           "run, nothing was written", lock_path, timeout_s)
            yield False
            return
        logger.info("got the warehouse lock; the other run has finished")
    try:
        yield True
    finally:
        lock.release()


def skipped(flow_name: str, paths: DataPaths, timeout_s: float, started: float
            ) -> dict[str, Any]:
    """The summary of a run that never got the lock (it wrote nothing, not even a runs row)."""
    summary = {"status": "skipped", "flow": flow_name,
               "reason": f"warehouse lock held for more than {timeout_s:g} s",
               "seconds": round(time.monotonic() - started, 2), "data_dir": str(paths.root)}
    report(flow_name, summary, [])
    return summary


# --- reports --------------------------------------------------------------------------------

def report(flow_name: str, summary: dict[str, Any], per_source: Sequence[dict[str, Any]],
           extra_markdown: str = "") -> None:
    """The run's Prefect artifacts: per-outlet counts (table) and a markdown summary.

    Keys are stable per flow (``ingest-sources``, ``ingest-summary``, ...) so the UI's
    Artifacts page shows each one's history run by run.
    """
    if per_source:
        create_table_artifact(key=f"{flow_name}-sources", table=list(per_source),
                              description=f"Per-outlet counts of this {flow_name} run")
    lines = [f"# {flow_name.capitalize()} run", "", "| measure | value |", "|---|---|",
             *(f"| {k} | {v} |" for k, v in summary.items() if not isinstance(v, list | dict))]
    if extra_markdown:
        lines += ["", extra_markdown]
    create_markdown_artifact(key=f"{flow_name}-summary", markdown="\n".join(lines),
                             description=f"Summary of this {flow_name} run")


class RunProgress:
    """Progress of a long stage: a Prefect progress artifact (updated per batch, so the UI
    shows how far a backfill or reprocess is) and, on a terminal, a progress bar."""

    def __init__(self, flow_name: str, description: str, total: int,
                 show_bar: bool = False) -> None:
        self.key = f"{flow_name}-progress"
        self.description = description
        self.total = total
        self.show_bar = show_bar
        self._artifact: UUID | None = None
        self._bar: Any = None
        self._job: Any = None

    def __enter__(self) -> RunProgress:
        if not self.total:
            return self
        self._artifact = create_progress_artifact(0.0, key=self.key,
                                                  description=self.description)
        if self.show_bar:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            self._bar = Progress("[progress.description]{task.description}", BarColumn(),
                                 MofNCompleteColumn(), TimeRemainingColumn(), transient=False)
            self._bar.start()
            self._job = self._bar.add_task(self.description, total=self.total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    @property
    def advance(self) -> Callable[[int], None] | None:
        """Per-item callback for the bar (None without a bar, so callers skip the calls)."""
        if self._bar is None:
            return None
        return lambda n: self._bar.advance(self._job, n)

    def done(self, items: int) -> None:
        """``items`` of ``total`` are finished (call per batch: one API call each)."""
        if self._artifact is not None and self.total:
            update_progress_artifact(self._artifact, min(100.0, 100.0 * items / self.total))


# --- alerts --------------------------------------------------------------------------------

def emit_alert(alert: Alert, name: str | None = None) -> None:
    """A Prefect event for a new alert; a Prefect Automation can turn it into a notification."""
    resource = {"prefect.resource.id": alert.resource_id,
                "prefect.resource.name": name or alert.entity_id or alert.source_id or "",
                "blocwatch.alert.kind": alert.kind, "blocwatch.alert.key": alert.key}
    emit_event(event=alert.event, resource=resource, payload=ops.alert_payload(alert))


def raise_alerts(con: duckdb.DuckDBPyConnection, run_id: str | None, alerts: list[Alert],
                 logger: Any) -> list[Alert]:
    """Store alerts (deduplicated by key) and emit an event for each new one."""
    fresh = ops.store_alerts(con, alerts, run_id)
    names = ops.entity_names(con) if fresh else {}
    for a in fresh:
        logger.warning("ALERT %s", a.message)
        emit_alert(a, names.get(a.entity_id or ""))
    if alerts and not fresh:
        logger.info("%d alert(s) detected again, none new", len(alerts))
    return fresh


def detect_alerts(con: duckdb.DuckDBPyConnection, run_id: str | None, *,
                  spikes: bool = True, feeds: bool = True,
                  silence_sources: Sequence[str] | None = None,
                  spike_params: SpikeParams | None = None,
                  silence_params: SilenceParams | None = None) -> list[Alert]:
    """Run the detectors asked for on the work database (pure logic in blocwatch.alerts)."""
    spike_params = spike_params or SpikeParams()
    silence_params = silence_params or SilenceParams()
    found: list[Alert] = []
    if spikes:
        found += detect_entity_spikes(ops.entity_week_counts(con), ops.week_totals(con),
                                      spike_params, ops.entity_names(con))
    if feeds:
        found += detect_failing_feeds(ops.feed_history(con, current_run_id=run_id),
                                      FEED_FAILING_RUNS)
    if silence_sources is not None:
        # Dates after today are bad data (the data checks report them), not news.
        until = datetime.now(UTC).date()
        found += detect_silent_sources(
            ops.publication_days(con, silence_params.history, until), None, silence_params,
            silence_sources)
    return found


def alerts_markdown(alerts: Sequence[Alert]) -> str:
    if not alerts:
        return "No new alerts."
    return "\n".join(["## New alerts", "", *(f"- **{a.kind}**: {a.message}" for a in alerts)])


# --- the shared tail of ingest and backfill -------------------------------------------------

@task(name="fetch-extract-load", cache_policy=NO_CACHE)
def batch_task(config: SourcesConfig, batch: list[Candidate], taxonomy_path: str,
               executor: Executor | None, con: duckdb.DuckDBPyConnection, run_id: str,
               archive_path: str, resolve: dict[str, str] | None,
               memory: HostMemory, on_progress: Callable[[int], None] | None = None
               ) -> dict[str, Any]:
    """Fetch, extract and tag one batch of articles, then load it in one transaction."""
    with WarcArchive(Path(archive_path)) as archive:
        result = fetch_and_process(config, batch, Path(taxonomy_path), executor, archive,
                                   resolve, memory, on_progress)
    parking = ParkingPolicy(config.settings.park_after_runs, config.settings.park_max_days)
    with con.cursor() as cur:
        stats = load_batch(cur, run_id, result.articles, result.failures, result.fetches,
                           parking)
    source_of = {c.url: c.source_id for c in batch}
    per_source: dict[str, dict[str, int]] = {}

    def row(sid: str) -> dict[str, int]:
        # Two outlets may list the same URL: each counts what came back under its id.
        return per_source.setdefault(sid, {"fetched": 0, "failed": 0, "loaded": 0,
                                           "deferred": 0})

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
def publish_task(con: duckdb.DuckDBPyConnection, work_db: str, published_db: str) -> str:
    """Atomically replace the snapshot readers open."""
    return str(publish(con, Path(work_db), Path(published_db)))


def interleaved_batches(candidates: list[Candidate], size: int) -> list[list[Candidate]]:
    """Batches that each spread over hosts, so per-host politeness limits overlap."""
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


def fetch_load_publish(con: duckdb.DuckDBPyConnection, flow_name: str, run_id: str,
                       config: SourcesConfig, discoveries: list[SourceDiscovery],
                       taxonomy_path: str, paths: DataPaths, resolve: dict[str, str] | None,
                       executor_factory: Callable[[], Executor | None], memory: HostMemory,
                       counts: dict[str, int], started: float, logger: Any,
                       show_progress: bool = False) -> dict[str, Any]:
    """After discovery: fetch + extract + load in batches, record the run, alert, publish,
    report. ``counts`` is updated in place, so a failure still records what was done."""
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
    batches = interleaved_batches(candidates, config.settings.batch_size)
    logger.info("discovered %d URLs, %d new, in %d batches", counts["discovered"],
                counts["new"], len(batches))
    executor = executor_factory() if candidates else None
    archive_path = paths.raw_dir / f"{time.strftime('%Y%m%dT%H%M%S')}-{run_id[:8]}.warc.gz"
    try:
        with RunProgress(flow_name, "fetching and extracting", len(candidates),
                         show_progress) as progress:
            done = 0
            for i, batch in enumerate(batches, 1):
                out = batch_task(config, batch, taxonomy_path, executor, con, run_id,
                                 str(archive_path), resolve, memory, progress.advance)
                for key in ("fetched", "failed", "loaded", "deferred"):
                    counts[key] += out[key]
                for sid, v in out["per_source"].items():
                    for key in ("fetched", "failed", "loaded", "deferred"):
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
    record_run_sources(con, run_id, per_source.values())
    finish_run(con, run_id, "completed", counts, time.monotonic() - started)
    fresh = _alerts_after_load(con, run_id, logger)
    publish_task(con, str(paths.work_db), str(paths.published_db))
    summary = {**counts, "seconds": round(time.monotonic() - started, 2), "run_id": run_id,
               "published": str(paths.published_db), "new_alerts": len(fresh)}
    report(flow_name, summary, list(per_source.values()), alerts_markdown(fresh))
    logger.info("%s finished: %s", flow_name, summary)
    return summary


def _alerts_after_load(con: duckdb.DuckDBPyConnection, run_id: str, logger: Any
                       ) -> list[Alert]:
    # The articles are committed and the run recorded: a bug in alerting must not turn a
    # good ingest into a failed one, so it is logged loudly instead.
    try:
        return raise_alerts(con, run_id, detect_alerts(con, run_id), logger)
    except Exception:
        logger.exception("alert detection failed; the run's data is loaded and published")
        return []
