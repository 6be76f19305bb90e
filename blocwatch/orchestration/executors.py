"""Where the CPU-bound stage (extract + tag + keywords, ``process_page``) runs.

``fetch_and_process`` hands every fetched page to a ``concurrent.futures.Executor``; this
module builds that executor:

* by default a local process pool, one process per core (trafilatura holds the interpreter
  lock, so threads do not help: four threads extract 0.92x as fast as one);
* with a Dask scheduler address, the workers of a ``dask.distributed`` cluster — the same
  cluster a Prefect ``DaskTaskRunner(address=...)`` would use. ``process_page`` runs there
  unchanged: it is a plain picklable function of a picklable page, and builds its tagger
  once per worker process on first use.

Fetching (polite, per-host) and loading (one DuckDB writer) stay in the flow's process: only
the part that scales with CPU moves to the cluster. Workers need blocwatch installed and the
taxonomy file at the same path as the flow (the same container image, in practice).

Nothing here imports Prefect; ``distributed`` is imported only when a cluster is used.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError, Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, TypeVar

from blocwatch.stages.page import init_worker

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["DaskExecutor", "ResilientProcessPool", "WorkerCrashed", "extraction_executor",
           "process_pool"]

T = TypeVar("T")


class WorkerCrashed(RuntimeError):
    """The worker process died (segfault, out-of-memory kill) while running this call alone,
    so this call, and no other, is what killed it."""


class ResilientProcessPool(Executor):
    """A process pool that survives a worker dying.

    When a worker dies, ``ProcessPoolExecutor`` fails every call in flight with
    ``BrokenProcessPool`` and refuses new ones: one page that crashes lxml would fail the
    whole run. Here the broken pool is replaced, and each call it failed is retried alone
    in a one-process pool, one at a time. A call that kills that process too is the culprit:
    its future fails with ``WorkerCrashed`` (the caller records that page as failed); the
    innocent calls that were merely in flight beside it complete normally.
    """

    def __init__(self, make_pool: Callable[[int], ProcessPoolExecutor], workers: int) -> None:
        self._make_pool = make_pool
        self._workers = workers
        self._lock = threading.Lock()
        self._pool = make_pool(workers)
        self._isolation: ProcessPoolExecutor | None = None
        self._closed = False
        self.crashes = 0

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        outer: Future[T] = Future()
        outer.set_running_or_notify_cancel()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot submit after shutdown")
            pool = self._pool
        try:
            inner = pool.submit(fn, *args, **kwargs)
        except BrokenProcessPool:
            self._replace(pool)
            self._isolated(outer, fn, args, kwargs)
            return outer
        inner.add_done_callback(lambda f: self._pooled_done(outer, f, pool, fn, args, kwargs))
        return outer

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken and not self._closed:
                self.crashes += 1
                # wait=False: this may run on the broken pool's own management thread.
                broken.shutdown(wait=False, cancel_futures=True)
                self._pool = self._make_pool(self._workers)

    def _pooled_done(self, outer: Future, inner: Future, pool: ProcessPoolExecutor,
                     fn: Callable, args: tuple, kwargs: dict) -> None:
        if inner.cancelled():
            outer.set_exception(CancelledError())
            return
        exc = inner.exception()
        if isinstance(exc, BrokenProcessPool):
            self._replace(pool)
            self._isolated(outer, fn, args, kwargs)
        elif exc is not None:
            outer.set_exception(exc)
        else:
            outer.set_result(inner.result())

    def _isolated(self, outer: Future, fn: Callable, args: tuple, kwargs: dict) -> None:
        # Run on a separate thread: waiting here would block a pool's management thread.
        def run() -> None:
            with _ISOLATION_LOCK:
                with self._lock:
                    if self._closed:  # shut down meanwhile: start no new process
                        outer.set_exception(CancelledError())
                        return
                    if self._isolation is None:
                        self._isolation = self._make_pool(1)
                    iso = self._isolation
                try:
                    outer.set_result(iso.submit(fn, *args, **kwargs).result())
                except BrokenProcessPool:
                    with self._lock:
                        self._isolation = None
                    iso.shutdown(wait=False)
                    if self._workers_start():
                        outer.set_exception(WorkerCrashed(
                            "the worker process died while processing this page alone "
                            "(crash or out-of-memory kill)"))
                    else:
                        # Not this call's fault: no worker can start at all. Fail loudly
                        # rather than record every page as a crash.
                        outer.set_exception(BrokenProcessPool(
                            "extraction worker processes cannot start (their initializer "
                            "or interpreter start-up fails)"))
                except BaseException as exc:  # noqa: BLE001 - handed to the caller
                    outer.set_exception(exc)

        threading.Thread(target=run, name="blocwatch-isolated-retry", daemon=True).start()

    def _workers_start(self) -> bool:
        probe = self._make_pool(1)
        try:
            probe.submit(os.getpid).result()
            return True
        except BrokenProcessPool:
            return False
        finally:
            probe.shutdown(wait=False)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            pool, iso = self._pool, self._isolation
        pool.shutdown(wait=wait, cancel_futures=cancel_futures)
        if iso is not None:
            iso.shutdown(wait=wait, cancel_futures=cancel_futures)


# One isolated retry at a time across the process: that is what makes the culprit certain.
_ISOLATION_LOCK = threading.Lock()


def process_pool(taxonomy_path: str, workers: int | None = None) -> ResilientProcessPool | None:
    """A local process pool for extraction; None when one worker (process inline)."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers <= 1:
        return None

    def make(n: int) -> ProcessPoolExecutor:
        # spawn, not fork: forking a process that runs Prefect's threads can deadlock.
        return ProcessPoolExecutor(max_workers=n, initializer=init_worker,
                                   initargs=(taxonomy_path,),
                                   mp_context=multiprocessing.get_context("spawn"))

    return ResilientProcessPool(make, workers)


class DaskExecutor(Executor):
    """A ``concurrent.futures.Executor`` whose work runs on a dask.distributed cluster.

    Give the scheduler ``address`` (``tcp://host:8786``) to connect a client owned (and
    closed) by this executor, or an existing ``client`` (for example the one
    ``prefect_dask.get_dask_client()`` yields inside a flow run using a DaskTaskRunner),
    which is left open.
    """

    def __init__(self, address: str | None = None, client: Client | None = None,
                 timeout_s: float = 60.0) -> None:
        if (address is None) == (client is None):
            raise ValueError("give exactly one of a scheduler address or a Dask client")
        if client is None:
            from distributed import Client

            client = Client(address, timeout=timeout_s, set_as_default=False)
            self._owns_client = True
        else:
            self._owns_client = False
        self.client = client
        # pure=False: two identical pages are two tasks, not one cached result.
        self._executor = client.get_executor(pure=False)

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        return self._executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        # ClientExecutor cancels what is still pending when not waiting.
        self._executor.shutdown(wait=wait and not cancel_futures)
        if self._owns_client:
            self.client.close()


def extraction_executor(taxonomy_path: str, workers: int | None = None,
                        dask_address: str | None = None) -> Executor | None:
    """The executor for ``fetch_and_process``: the Dask cluster at ``dask_address`` when
    given, else a local process pool of ``workers`` processes (default: one per core;
    None for 1, meaning inline)."""
    if dask_address:
        return DaskExecutor(dask_address)
    return process_pool(taxonomy_path, workers)
