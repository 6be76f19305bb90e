"""The daily maintenance flow: data checks, alerts (silent outlets, failing feeds, spikes),
settling the keyword rollup, compaction of the work database, publish."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event
from prefect.states import State

from blocwatch.alerts import Alert, SilenceParams
from blocwatch.checks import FAIL, OK, CheckParams, CheckResult, evaluate_checks
from blocwatch.stages.dates import MAX_FUTURE
from flows.common import publish_task
from flows.lifecycle import final_state, run_name, timeout
from flows.report import alerts_markdown, detect_alerts, emit_run_alerts, raise_alerts, report
from flows.run import LOCK_TIMEOUT_S, RunOptions, load_inputs, writer_run
from warehouse import ops
from warehouse.rollups import settle_keywords


@task(name="data-checks", cache_policy=NO_CACHE)
def checks_task(con: duckdb.DuckDBPyConnection, run_id: str,
                params: CheckParams) -> list[CheckResult]:
    """Future dates, missing dates and authors per outlet, duplicate canonical URLs."""
    # The ingest rejects dates beyond tomorrow (time zones), so the check uses the same bar.
    latest_ok = datetime.now(UTC).date() + MAX_FUTURE
    outlets = ops.outlet_quality(con, latest_ok)
    dup_count, dup_examples = ops.duplicate_urls(con)
    results = evaluate_checks(outlets, dup_count, dup_examples, params)
    ops.record_checks(con, run_id, results)
    return results


@task(name="detect-alerts", cache_policy=NO_CACHE)
def alerts_task(con: duckdb.DuckDBPyConnection, run_id: str, source_ids: list[str],
                silence: SilenceParams) -> list[Alert]:
    """Silent outlets, failing feeds and spikes; new ones stored and emitted as events."""
    logger = get_run_logger()
    found = detect_alerts(con, run_id, silence_sources=source_ids, silence_params=silence)
    return raise_alerts(con, run_id, found, logger)


@task(name="settle-keywords", cache_policy=NO_CACHE)
def settle_task(con: duckdb.DuckDBPyConnection) -> int:
    """One row per key in the keyword rollup, in entity order again: load batches append
    theirs at the end, which the Keywords page would otherwise read in full."""
    con.execute("BEGIN TRANSACTION")
    try:
        rows = settle_keywords(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return rows


@task(name="compact", cache_policy=NO_CACHE)
def compact_task(work_db: str) -> tuple[int, int]:
    """Rewrite the work database into a fresh file (only live rows) and swap it in."""
    return ops.compact(Path(work_db))


@flow(name="maintenance", log_prints=True, flow_run_name=run_name("maintenance"),
      timeout_seconds=timeout("maintenance"))
def maintenance(sources_file: str | None = None, data_dir: str | None = None,
                compact: bool = True, max_missing_date_share: float = 0.10,
                max_missing_author_share: float = 0.50, silence_factor: float = 4.0,
                silence_min_days: int = 3, lock_timeout_s: float = LOCK_TIMEOUT_S) -> State:
    """Daily upkeep: data checks, silent-outlet and failing-feed alerts, compaction, publish.

    Check results go to the data_checks table (and a Prefect event per failing or warning
    check: blocwatch.check.fail / blocwatch.check.warn); alerts to the alerts table and
    blocwatch.alert.* events; the run's new alerts and checks not ok also go out together
    as one blocwatch.run.alerts event. The run ends Completed, "Checks failed" (Completed,
    a check failed), or Skipped (the writer stayed busy, or there is no warehouse yet).

    Args:
        sources_file: outlets (default: ./sources.yaml, else $BLOCWATCH_HOME/sources.yaml);
            silence is judged for the enabled ones.
        data_dir: data directory (default: $BLOCWATCH_DATA, else $BLOCWATCH_HOME/data,
            else ./data).
        compact: rewrite the work database into a fresh file to reclaim space.
        max_missing_date_share: an outlet warns above this share of undated articles.
        max_missing_author_share: an outlet warns above this share of articles without an
            author.
        silence_factor: an outlet is silent after this many times its usual interval
            between publication days without a new article.
        silence_min_days: ... and at least this many days.
        lock_timeout_s: how long to wait while another run writes the warehouse (the
            Prefect concurrency limit, then the file lock); after that the run ends
            Skipped (logged, nothing written).
    """
    inputs = load_inputs(RunOptions(sources_file=sources_file, data_dir=data_dir,
                                    lock_timeout_s=lock_timeout_s), taxonomy=False)
    enabled = [s.id for s in inputs.config.enabled()]
    params = CheckParams(max_missing_date_share=max_missing_date_share,
                         max_missing_author_share=max_missing_author_share)
    silence = SilenceParams(factor=silence_factor, min_days=silence_min_days)

    with writer_run("maintenance", inputs, sync=False, existing_only=True) as run:
        if run.skipped:
            return final_state(run.skipped)
        logger, paths = run.logger, run.paths
        results = checks_task(run.db, run.run_id, params)
        for r in results:
            if r.status != OK:
                logger.warning("data check %s %s%s: %s (threshold %s) %s", r.status.upper(),
                               r.check_name, f" [{r.source_id}]" if r.source_id else "",
                               r.value, r.threshold, r.detail or "")
                emit_event(event=f"blocwatch.check.{r.status}",
                           resource={"prefect.resource.id":
                                     f"blocwatch.check.{r.check_name}.{r.source_id or 'all'}",
                                     "prefect.resource.name": r.check_name},
                           payload={"check": r.check_name, "source_id": r.source_id,
                                    "value": r.value, "threshold": r.threshold,
                                    "status": r.status, "detail": r.detail})
        fresh = alerts_task(run.db, run.run_id, enabled, silence)
        failing = sum(r.status != OK for r in results)
        emit_run_alerts("maintenance", run.run_id, fresh, [
            {"check": r.check_name, "source_id": r.source_id, "value": r.value,
             "threshold": r.threshold, "status": r.status} for r in results if r.status != OK])
        message = (f"{len(results)} checks, {failing} not ok; {len(fresh)} new alerts")
        settle_task(run.db)
        run.finish("completed", message)
        sizes = (0, 0)
        compact_error: Exception | None = None
        if compact:
            # Compaction needs the file closed; the lock is still held, so nobody writes.
            run.close()
            try:
                sizes = compact_task(str(paths.work_db))
                logger.info("compacted %s: %d → %d bytes", paths.work_db, *sizes)
            except Exception as exc:  # the original file is intact (see ops.compact)
                compact_error = exc
            run.reopen()
        if compact_error is not None:
            run.finish("failed", f"{message}; compaction failed: {compact_error}")
        publish_task(run.db, str(paths.work_db), str(paths.published_db))
        if compact_error is not None:
            # Checks and alerts are published; the run still fails so Prefect shows it.
            raise compact_error
        summary = {"run_id": run.run_id, "checks": len(results), "checks_not_ok": failing,
                   "checks_failed": sum(r.status == FAIL for r in results),
                   "new_alerts": len(fresh), "bytes_before": sizes[0], "bytes_after": sizes[1],
                   "seconds": round(run.seconds(), 2), "published": str(paths.published_db)}
    table = [{"check": r.check_name, "source_id": r.source_id or "(all)", "value": r.value,
              "threshold": r.threshold, "status": r.status} for r in results]
    report("maintenance", summary, table, alerts_markdown(fresh))
    logger.info("maintenance finished: %s", summary)
    return final_state(summary)
