"""A worker process that dies (segfault, OOM kill) costs one page, not the run."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from blocwatch.config import load_sources
from blocwatch.orchestration.batch import fetch_and_process
from blocwatch.orchestration.crawl import discover_all
from blocwatch.orchestration.executors import ResilientProcessPool, WorkerCrashed
from tests import crashing_worker
from tests.conftest import REPO, build_demo

SPAWN = multiprocessing.get_context("spawn")


def test_only_the_call_that_kills_its_worker_fails() -> None:
    pool = ResilientProcessPool(lambda n: ProcessPoolExecutor(n, mp_context=SPAWN), 2)
    try:
        futures = {n: pool.submit(crashing_worker.square_or_die, n) for n in range(-1, 9)}
        with pytest.raises(WorkerCrashed):
            futures[-1].result(timeout=120)
        assert {n: f.result(timeout=120) for n, f in futures.items() if n >= 0} == \
            {n: n * n for n in range(9)}
        assert pool.crashes >= 1
        # The pool still works after the crash.
        assert pool.submit(crashing_worker.square_or_die, 12).result(timeout=120) == 144
    finally:
        pool.shutdown()


def test_workers_that_cannot_start_fail_the_call_not_blame_it() -> None:
    pool = ResilientProcessPool(lambda n: ProcessPoolExecutor(
        n, mp_context=SPAWN, initializer=crashing_worker.fail_to_start), 2)
    try:
        with pytest.raises(BrokenProcessPool, match="cannot start"):
            pool.submit(crashing_worker.square_or_die, 3).result(timeout=120)
    finally:
        pool.shutdown()


def test_a_page_that_kills_the_extraction_worker_is_one_failure(tmp_path: Path) -> None:
    from blocwatch.demo.server import DemoWeb

    corpus = build_demo(tmp_path, articles=40, seed=5)
    config = load_sources(corpus / "sources.yaml")
    taxonomy = REPO / "taxonomy.yaml"
    with DemoWeb(corpus / "web") as web:
        resolve = web.resolve_map()
        found = discover_all(config, config.enabled(), lambda urls: set(), resolve)
        candidates = [c for d in found for c in d.candidates]
        crash_url = sorted(c.url for c in candidates)[len(candidates) // 2]

        def make(n: int) -> ProcessPoolExecutor:
            return ProcessPoolExecutor(n, mp_context=SPAWN, initializer=crashing_worker.init,
                                       initargs=(str(taxonomy), crash_url))

        pool = ResilientProcessPool(make, 2)
        try:
            crashed = fetch_and_process(config, candidates, taxonomy, pool, None, resolve)
        finally:
            pool.shutdown()
        inline = fetch_and_process(config, candidates, taxonomy, None, None, resolve)

    assert pool.crashes >= 1
    assert [(f.url, f.outcome) for f in crashed.failures] == sorted(
        [(f.url, f.outcome) for f in inline.failures] + [(crash_url, "worker_crashed")])
    assert [a.url for a in crashed.articles] == \
        [a.url for a in inline.articles if a.discovered_url != crash_url]
    assert len(crashed.articles) == len(inline.articles) - 1
