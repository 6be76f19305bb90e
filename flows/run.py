"""A writer run's setup and teardown, written once for the four flows that write the
warehouse (ingest, backfill, reprocess, maintenance).

    inputs = load_inputs(RunOptions(...))          # config, taxonomy, data directory
    with writer_run("ingest", inputs) as run:       # writer slot and lock, connection,
        if run.skipped:                             #   runs row, reference data
            return final_state(run.skipped)         # the writer never came: nothing written
        ...                                         # run.con, run.run_id, run.counts

One writer at a time, in two layers: a slot of the Prefect global concurrency limit
``blocwatch-writer`` (visible in the UI, shared by every flow on the Prefect server), then
the file lock ``data/work.lock`` as the safety net (writers outside Prefect's view: another
Prefect server, ``blocwatch unpark``). A run waits for both together at most
``lock_timeout_s`` (10 minutes by default, so a waiting run does not hold a worker slot for
long), then skips. Leaving the block closes the connection and releases both; an exception
on the way out marks the runs row 'failed' with the error first (unless the body already
recorded its own failure).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import httpx
from filelock import FileLock, Timeout
from prefect import get_run_logger
from prefect.concurrency.asyncio import (
    AcquireConcurrencySlotTimeoutError,
    ConcurrencySlotAcquisitionError,
)
from prefect.concurrency.sync import concurrency
from prefect.runtime import flow_run
from pydantic import BaseModel, ConfigDict

from blocwatch.config import SourcesConfig, load_sources
from blocwatch.errors import ConfigError
from blocwatch.paths import DataPaths, Found, data_paths, find_config
from blocwatch.taxonomy import Taxonomy, load_taxonomy
from blocwatch.topics import TopicsConfig, load_topics
from flows.report import report
from warehouse.db import connect_writer
from warehouse.load import finish_run, start_run, sync_reference
from warehouse.topics import sync_topics

__all__ = ["LOCK_TIMEOUT_S", "WRITER_LIMIT", "RunInputs", "RunOptions", "WriterRun",
           "ensure_writer_limit", "load_inputs", "prefect_run_id", "writer_limit_name",
           "writer_lock", "writer_run", "writer_slot"]

# How long a run waits for the writer before it skips: long enough for a routine ingest
# or maintenance to finish, short enough that a run queued behind a long backfill frees
# its worker slot instead of holding it for the backfill's hours.
LOCK_TIMEOUT_S = 600.0
WRITER_LIMIT = "blocwatch-writer"
WRITER_LIMIT_ENV = "BLOCWATCH_WRITER_LIMIT"
# A run killed outright (OOM, SIGKILL) stops renewing its lease (renewed every three
# quarters of it): its slot comes back within this plus the server's 15-second sweep,
# instead of Prefect's default five minutes; 60 s is the shortest lease the server takes.
# A lease lost to a server too busy to renew it in time leaves the file lock guarding the
# writer. (A five-minute lease was tried: the slot of a killed run then blocked the next
# run for five minutes, and no lease was lost with one minute once the tests stopped
# renewing against the wrong server.)
LEASE_S = 60.0


class RunOptions(BaseModel):
    """What every writer flow is given besides its own work (the flows' shared
    parameters; each flow documents them in its Args and in prefect.yaml)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sources_file: str | None = None
    taxonomy_file: str | None = None
    data_dir: str | None = None
    resolve: dict[str, str] | None = None
    demo_web: str | None = None
    workers: int | None = None
    lock_timeout_s: float = LOCK_TIMEOUT_S
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
    # Host -> "127.0.0.1:port" for the fetcher: the ``resolve`` parameter, plus every
    # outlet's host when the run reads a demo web (``demo_web``).
    resolve: dict[str, str] | None = None
    # The saved topics (topics.yaml) that can be counted; its bad entries were logged.
    topics: TopicsConfig | None = None


def load_inputs(options: RunOptions, taxonomy: bool = True) -> RunInputs:
    """Find, read and validate the configuration files and make the data directory:
    everything a flow checks before it waits for the writer, so a bad or missing file fails
    at once with nothing written. Where each came from goes to the run's log."""
    started = time.monotonic()
    paths = data_paths(options.data_dir)
    if options.demo_web:
        sources = _demo_sources(options, paths)
    else:
        sources = find_config("sources.yaml", options.sources_file,
                              option="--sources (flow parameter sources_file)")
    config = load_sources(sources.path)
    resolve = options.resolve
    if options.demo_web:
        resolve = {**config.resolve_all(options.demo_web), **(resolve or {})}
    paths.ensure()
    logger = _logger()
    logger.info("sources: %s; data: %s (%s)", sources, paths.root, paths.origin)
    if not taxonomy:
        return RunInputs(options, config, paths, started, resolve=resolve)
    found = find_config("taxonomy.yaml", options.taxonomy_file,
                        option="--taxonomy (flow parameter taxonomy_file)")
    logger.info("taxonomy: %s", found)
    taxonomy_path = str(found.path.resolve())
    tax = load_taxonomy(taxonomy_path)
    return RunInputs(options, config, paths, started, taxonomy_path, tax, resolve,
                     _topics(tax, logger))


def _topics(taxonomy: Taxonomy, logger: Any) -> TopicsConfig:
    """topics.yaml, found as the taxonomy is (working directory, $BLOCWATCH_HOME, the
    shipped one). A bad topic is a warning naming it and is left out; the others count."""
    found = find_config("topics.yaml")
    topics = load_topics(found.path, taxonomy)
    logger.info("topics: %s (%d topics)", found, len(topics.topics))
    for error in topics.errors:
        logger.warning("topic skipped: %s", error)
    return topics


def _demo_sources(options: RunOptions, paths: DataPaths) -> Found:
    """The demo outlets' sources.yaml, written by the generator under the data directory."""
    if options.sources_file:
        return find_config("sources.yaml", options.sources_file,
                           option="--sources (flow parameter sources_file)")
    path = paths.demo_dir / "sources.yaml"
    if not path.is_file():
        raise ConfigError(str(path), f"no demo web generated in {paths.demo_dir} (the data "
                          f"directory: {paths.origin}); run `blocwatch demo --serve-web` "
                          "with the same data directory, and keep it running")
    return Found(path, "the demo web's")


def _logger() -> Any:
    try:
        return get_run_logger()
    except Exception:  # outside a flow run (a test calling load_inputs): stay quiet
        return logging.getLogger("blocwatch")


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


def writer_limit_name() -> str:
    """The writer's Prefect global concurrency limit: ``blocwatch-writer``, or
    ``$BLOCWATCH_WRITER_LIMIT`` (one per warehouse when one Prefect server runs several)."""
    return os.environ.get(WRITER_LIMIT_ENV) or WRITER_LIMIT


def ensure_writer_limit(name: str | None = None) -> bool:
    """Create the writer's global concurrency limit (one slot) unless it exists; True if it
    was created. Prefect does not enforce a limit that does not exist: it logs a warning and
    lets every run through. An existing limit is left as it is (a limit of 0 pauses every
    writer)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    name = name or writer_limit_name()
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
            return False
        except ObjectNotFound:
            pass
        try:
            client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name=name, limit=1))
        except ObjectAlreadyExists:  # another run created it in between
            return False
    return True


def _slot_taken(exc: BaseException) -> bool:
    """Whether an acquisition failed only because the limit's slots are all taken (423)."""
    cause = exc.__cause__
    return isinstance(cause, httpx.HTTPStatusError) and cause.response.status_code == 423


class _QuietAcquisition(logging.Filter):
    """Drops Prefect's ERROR line for an acquisition that found the limit full or timed
    out: both are expected here, and the run's own log says what happened."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "ConcurrencySlotAcquisitionWithLeaseService" not in record.getMessage()


@contextmanager
def writer_slot(timeout_s: float, logger: Any) -> Iterator[bool]:
    """Hold a slot of the writer's Prefect global concurrency limit for the body; yield
    False if none came within ``timeout_s`` (the run then skips)."""
    name = writer_limit_name()
    if ensure_writer_limit(name):
        logger.info("created the Prefect global concurrency limit %s (1 slot)", name)
    quiet = _QuietAcquisition()
    prefect_log = logging.getLogger("prefect._internal.concurrency")
    with ExitStack() as held:
        prefect_log.addFilter(quiet)
        try:
            try:
                # One try without waiting, so the log says when (and why) a run waits.
                held.enter_context(concurrency(name, occupy=1, max_retries=0,
                                               lease_duration=LEASE_S))
            except ConcurrencySlotAcquisitionError as exc:
                if not _slot_taken(exc):
                    raise
                logger.info("another run is writing the warehouse (Prefect concurrency "
                            "limit %s full); waiting up to %.0f s", name, timeout_s)
                try:
                    held.enter_context(concurrency(name, occupy=1, timeout_seconds=timeout_s,
                                                   lease_duration=LEASE_S))
                except AcquireConcurrencySlotTimeoutError:
                    logger.warning("the Prefect concurrency limit %s stayed full for %.0f s: "
                                   "skipping this run, nothing was written", name, timeout_s)
                    acquired = False
                else:
                    logger.info("got a slot of %s; the other run has finished", name)
                    acquired = True
            else:
                acquired = True
        finally:
            prefect_log.removeFilter(quiet)
        yield acquired


def _failure(exc: BaseException) -> str:
    """The runs row's message for a run that ended by an exception."""
    if type(exc).__name__ in ("CancelledError", "FlowRunTimeoutError"):
        # How Prefect interrupts a run: its time limit (timeout_seconds) or a cancellation.
        return (f"interrupted ({type(exc).__name__}): the flow's time limit ran out, or the "
                "run was cancelled")
    return f"{type(exc).__name__}: {exc}"


def _skipped(run: WriterRun, reason: str) -> dict[str, Any]:
    """The summary of a run that never got the writer (it wrote nothing, not even a runs
    row)."""
    summary = {"status": "skipped", "flow": run.flow, "reason": reason,
               "seconds": round(run.seconds(), 2), "data_dir": str(run.paths.root)}
    report(run.flow, summary, [])
    return summary


@contextmanager
def writer_run(flow: str, inputs: RunInputs, *, sync: bool = True,
               existing_only: bool = False) -> Iterator[WriterRun]:
    """Take the writer (a Prefect concurrency slot, then the file lock), open the work
    database, start the runs row and (``sync``) refresh sources and entities from the YAML
    files; on the way out record a failure and close. ``existing_only``: a run with no
    work database yet has nothing to do (the summary says so in ``run.skipped``)."""
    run = WriterRun(flow, inputs, get_run_logger(),
                    counts={"discovered": 0, "new": 0, "fetched": 0, "failed": 0,
                            "loaded": 0})
    timeout_s = inputs.options.lock_timeout_s
    deadline = time.monotonic() + timeout_s
    with writer_slot(timeout_s, run.logger) as slot:
        if not slot:
            run.skipped = _skipped(run, f"the Prefect concurrency limit "
                                   f"{writer_limit_name()} stayed full for {timeout_s:g} s")
            yield run
            return
        with writer_lock(inputs.paths.lock, max(0.0, deadline - time.monotonic()),
                         run.logger) as locked:
            if not locked:
                run.skipped = _skipped(run, f"the warehouse lock {inputs.paths.lock} was "
                                       f"held for more than {timeout_s:g} s")
                yield run
                return
            if existing_only and not inputs.paths.work_db.exists():
                run.logger.info("no work database at %s yet: nothing to do",
                                inputs.paths.work_db)
                run.skipped = _skipped(run, f"no warehouse yet in {inputs.paths.root}")
                yield run
                return
            run.con = connect_writer(inputs.paths.work_db)
            try:
                run.run_id = start_run(run.con, flow, prefect_run_id())
                if sync:
                    assert inputs.taxonomy is not None, "a run that syncs needs the taxonomy"
                    sync_reference(run.con, inputs.config, inputs.taxonomy)
                    if inputs.topics is not None:
                        sync_topics(run.con, inputs.topics)
                yield run
            except BaseException as exc:
                if run.status != "failed" and run.con is not None:
                    run.finish("failed", _failure(exc))
                raise
            finally:
                run.close()
