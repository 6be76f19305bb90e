"""A writer run's setup and teardown, written once for the four flows that write the
warehouse (ingest, backfill, reprocess, maintenance).

    inputs = load_inputs(RunOptions(...))          # config, taxonomy, data directory
    with writer_run("ingest", inputs) as run:       # lock, connection, runs row, reference
        if run.skipped:
            return run.skipped                      # the lock never came: nothing written
        ...                                         # run.con, run.run_id, run.counts

Leaving the block closes the connection and releases the lock; an exception on the way
out marks the runs row 'failed' with the error first (unless the body already recorded
its own failure).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from filelock import FileLock, Timeout
from prefect import get_run_logger
from prefect.runtime import flow_run
from pydantic import BaseModel, ConfigDict

from blocwatch.config import SourcesConfig, load_sources
from blocwatch.paths import DataPaths, data_paths, default_config
from blocwatch.taxonomy import Taxonomy, load_taxonomy
from flows.report import report
from warehouse.db import connect_writer
from warehouse.load import finish_run, start_run, sync_reference

__all__ = ["RunInputs", "RunOptions", "WriterRun", "load_inputs", "prefect_run_id",
           "writer_lock", "writer_run"]


class RunOptions(BaseModel):
    """What every writer flow is given besides its own work (the flows' shared
    parameters; each flow documents them in its Args and in prefect.yaml)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sources_file: str | None = None
    taxonomy_file: str | None = None
    data_dir: str | None = None
    resolve: dict[str, str] | None = None
    workers: int | None = None
    lock_timeout_s: float = 3600.0
    show_progress: bool = False
    dask_address: str | None = None


@dataclass(frozen=True)
class RunInputs:
    """The options read: validated configuration, the data directory, and when it began."""

    options: RunOptions
    config: SourcesConfig
    paths: DataPaths
    started: float
    taxonomy_path: str = ""
    taxonomy: Taxonomy | None = None


def load_inputs(options: RunOptions, taxonomy: bool = True) -> RunInputs:
    """Read and validate the configuration files and make the data directory: everything a
    flow checks before it takes the lock, so a bad file fails with nothing written."""
    started = time.monotonic()
    config = load_sources(options.sources_file or default_config("sources.yaml"))
    paths = data_paths(options.data_dir).ensure()
    if not taxonomy:
        return RunInputs(options, config, paths, started)
    taxonomy_path = str(Path(options.taxonomy_file or default_config("taxonomy.yaml")).resolve())
    return RunInputs(options, config, paths, started, taxonomy_path,
                     load_taxonomy(taxonomy_path))


def prefect_run_id() -> str | None:
    return str(flow_run.id) if flow_run.id else None


@dataclass
class WriterRun:
    """One run holding the warehouse: its connection, runs row and counts."""

    flow: str
    inputs: RunInputs
    logger: Any
    con: duckdb.DuckDBPyConnection | None = None
    run_id: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    # The summary of a run that did not happen (the lock never came; nothing to maintain).
    skipped: dict[str, Any] | None = None
    status: str = "running"

    @property
    def config(self) -> SourcesConfig:
        return self.inputs.config

    @property
    def paths(self) -> DataPaths:
        return self.inputs.paths

    @property
    def options(self) -> RunOptions:
        return self.inputs.options

    def seconds(self) -> float:
        return time.monotonic() - self.inputs.started

    @property
    def db(self) -> duckdb.DuckDBPyConnection:
        """The open writer connection (closed only around compaction)."""
        if self.con is None:
            raise RuntimeError("the run's connection is closed")
        return self.con

    def finish(self, status: str, message: str | None = None) -> None:
        """Record the run's end in its runs row."""
        finish_run(self.db, self.run_id, status, self.counts, self.seconds(), message)
        self.status = status

    def close(self) -> None:
        """Close the connection; the lock stays held (compaction needs the file closed)."""
        if self.con is not None:
            self.con.close()
            self.con = None

    def reopen(self) -> None:
        if self.con is None:
            self.con = connect_writer(self.paths.work_db)


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


def _skipped(run: WriterRun) -> dict[str, Any]:
    """The summary of a run that never got the lock (it wrote nothing, not even a runs row)."""
    timeout_s = run.options.lock_timeout_s
    summary = {"status": "skipped", "flow": run.flow,
               "reason": f"warehouse lock held for more than {timeout_s:g} s",
               "seconds": round(run.seconds(), 2), "data_dir": str(run.paths.root)}
    report(run.flow, summary, [])
    return summary


@contextmanager
def writer_run(flow: str, inputs: RunInputs, *, sync: bool = True,
               existing_only: bool = False) -> Iterator[WriterRun]:
    """Take the warehouse lock, open the work database, start the runs row and (``sync``)
    refresh sources and entities from the YAML files; on the way out record a failure and
    close. ``existing_only``: a run with no work database yet has nothing to do (the
    summary says so in ``run.skipped``)."""
    run = WriterRun(flow, inputs, get_run_logger(),
                    counts={"discovered": 0, "new": 0, "fetched": 0, "failed": 0,
                            "loaded": 0})
    with writer_lock(inputs.paths.lock, inputs.options.lock_timeout_s, run.logger) as locked:
        if not locked:
            run.skipped = _skipped(run)
            yield run
            return
        if existing_only and not inputs.paths.work_db.exists():
            run.logger.info("no work database at %s yet: nothing to do", inputs.paths.work_db)
            run.skipped = {"status": "empty", "data_dir": str(inputs.paths.root)}
            yield run
            return
        run.con = connect_writer(inputs.paths.work_db)
        try:
            run.run_id = start_run(run.con, flow, prefect_run_id())
            if sync:
                assert inputs.taxonomy is not None, "a run that syncs needs the taxonomy"
                sync_reference(run.con, inputs.config, inputs.taxonomy)
            yield run
        except BaseException as exc:
            if run.status != "failed" and run.con is not None:
                run.finish("failed", f"{type(exc).__name__}: {exc}")
            raise
        finally:
            run.close()
