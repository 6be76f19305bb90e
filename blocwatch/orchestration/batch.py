"""Fetch and process in batches: candidates spread over hosts, each batch fetched politely
and every page extracted on the executor as soon as it arrives."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path

from blocwatch.config import SourcesConfig
from blocwatch.orchestration.executors import WorkerCrashed
from blocwatch.records import BatchResult, Candidate, FailedUrl, PageFailure, PageInput
from blocwatch.stages.archive import WarcArchive
from blocwatch.stages.fetch import Fetcher, HostMemory
from blocwatch.stages.page import add_keywords, process_page

# Workers extract and tag; keywords are added here, in the run's own process (see
# blocwatch.stages.page). A partial of a module function pickles by name.
_without_keywords = functools.partial(process_page, keywords=False)

__all__ = ["fetch_and_process", "interleaved_batches"]


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


def fetch_and_process(config: SourcesConfig, candidates: list[Candidate], taxonomy_path: Path,
                      executor: Executor | None, archive: WarcArchive | None,
                      resolve: dict[str, str] | None = None,
                      memory: HostMemory | None = None,
                      on_progress: Callable[[int], None] | None = None) -> BatchResult:
    """Fetch a batch of pages politely and process each as soon as it arrives.

    CPU work goes to ``executor`` (a process pool, so both cores extract) while the event
    loop keeps fetching; with no executor, pages are processed inline. URLs whose host has
    spent its time budget (``memory`` keeps it across batches) come back in ``deferred``,
    not as failures: they were not tried, and the next run tries them.
    """
    sources = {s.id: s for s in config.sources}
    tax = str(taxonomy_path)
    out = BatchResult()

    async def one(fetcher: Fetcher, cand: Candidate) -> None:
        source = sources[cand.source_id]
        res = await fetcher.fetch(cand.url, config.politeness_for(source),
                                  source.allow_private_network)
        out.fetches[cand.url] = res
        if res.deferred:
            out.deferred.append(FailedUrl(cand.url, cand.source_id, res.outcome,
                                          res.error or res.outcome, res))
        elif not res.ok or res.body is None:
            out.failures.append(FailedUrl(cand.url, cand.source_id, res.outcome,
                                          res.error or res.outcome, res))
        else:
            if archive is not None:
                archive.add(res)
            page = PageInput(cand.url, res.final_url or cand.url, res.body, res.content_type,
                             cand.source_id, source.language, cand.feed_date, res.fetched_at,
                             source.first_date, source.zone)
            if executor is None:
                processed = process_page(page, tax)
            else:
                loop = asyncio.get_running_loop()
                try:
                    processed = await loop.run_in_executor(executor, _without_keywords, page,
                                                           tax)
                except WorkerCrashed as exc:
                    processed = PageFailure(cand.url, "worker_crashed", str(exc))
                if not isinstance(processed, PageFailure):
                    add_keywords(processed, tax)
            if isinstance(processed, PageFailure):
                out.failures.append(FailedUrl(cand.url, cand.source_id, processed.outcome,
                                              processed.error, res))
            else:
                out.articles.append(processed)
        if on_progress is not None:
            on_progress(1)

    async def run() -> None:
        async with Fetcher(config.settings.user_agent, resolve, memory) as fetcher:
            await asyncio.gather(*(one(fetcher, c) for c in candidates))

    asyncio.run(run())
    # Completion order depends on timing; the warehouse must not. Where several URLs give
    # one article (an AMP copy, a redirect alias), the page fetched at its own canonical
    # URL is the one stored; the others are logged as duplicates of it.
    out.articles.sort(key=lambda a: (a.url, a.fetched_url != a.url, a.discovered_url))
    out.failures.sort(key=lambda f: f.url)
    out.deferred.sort(key=lambda f: f.url)
    return out
