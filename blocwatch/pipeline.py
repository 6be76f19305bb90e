"""The ingest stages as plain functions: discover, fetch + process. Prefect wraps them in
``flows/``; tests and benchmarks call them directly."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from blocwatch.archive import WarcArchive
from blocwatch.config import Source, SourcesConfig
from blocwatch.discover import FeedError, parse_feed
from blocwatch.executors import WorkerCrashed
from blocwatch.fetch import Fetcher, FetchResult, HostMemory
from blocwatch.process import ArticleRecord, PageFailure, PageInput, process_page
from blocwatch.urls import canonical_url


@dataclass(frozen=True)
class Candidate:
    """An article URL found by discovery and not stored yet."""

    url: str
    source_id: str
    # The feed entry's time with its offset where the feed gives one, else its day.
    feed_date: datetime | date | None = None


@dataclass
class SourceDiscovery:
    source_id: str
    candidates: list[Candidate] = field(default_factory=list)
    discovered: int = 0
    docs_ok: int = 0
    docs_failed: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class FailedUrl:
    url: str
    source_id: str
    outcome: str
    error: str
    result: FetchResult | None = None


@dataclass
class BatchResult:
    articles: list[ArticleRecord] = field(default_factory=list)
    failures: list[FailedUrl] = field(default_factory=list)
    fetches: dict[str, FetchResult] = field(default_factory=dict)
    # Not tried: the host had spent its time budget for the run (outcome "deferred").
    deferred: list[FailedUrl] = field(default_factory=list)


KnownFilter = Callable[[list[str]], set[str]]


async def discover_source(fetcher: Fetcher, source: Source, config: SourcesConfig,
                          is_known: KnownFilter) -> SourceDiscovery:
    """Walk a source's feeds, sitemaps and URL list; return the URLs not yet known.

    Paged feeds are followed until a page holds nothing new, so a routine run reads one
    page per feed while the first run reaches the whole history.
    """
    out = SourceDiscovery(source.id)
    politeness = config.politeness_for(source)
    found: dict[str, datetime | date | None] = {}
    for u in source.urls:
        found.setdefault(canonical_url(str(u)), None)
    queue = [str(u) for u in source.feeds] + [str(u) for u in source.sitemaps]
    seen_docs: set[str] = set()
    # Notes on documents that were read (recovered XML, wrong encoding, skipped links) go
    # after every failure: run_sources.error keeps the first error of a source, and a
    # recovered feed must not hide another feed of it that could not be read at all.
    notes: list[str] = []
    while queue and len(seen_docs) < config.settings.max_feed_pages * max(1, len(
            source.feeds) + len(source.sitemaps)):
        doc_url = queue.pop(0)
        if doc_url in seen_docs:
            continue
        seen_docs.add(doc_url)
        res = await fetcher.fetch(doc_url, politeness, source.allow_private_network,
                                  accept_xml=True)
        if not res.ok or res.body is None:
            out.docs_failed += 1
            out.errors.append(f"{doc_url}: {res.error}")
            continue
        try:
            page = parse_feed(res.body, res.final_url or doc_url, res.content_type or "")
        except FeedError as exc:
            out.docs_failed += 1
            out.errors.append(f"{doc_url}: {exc}")
            continue
        out.docs_ok += 1  # entries read despite problems count as read
        notes.extend(f"{doc_url}: {problem}" for problem in page.problems)
        if note := page.invalid_note(doc_url):
            notes.append(note)
        urls = [canonical_url(e.url) for e in page.entries]
        for entry, url in zip(page.entries, urls, strict=True):
            if found.get(url) is None:
                found[url] = entry.published_at or entry.published
        if page.kind == "sitemapindex":
            queue.extend(page.next_urls)
        elif page.next_urls and urls:
            known = is_known(urls)
            if len(known) < len(set(urls)):
                queue.extend(page.next_urls)
    out.errors.extend(notes)
    out.discovered = len(found)
    known = is_known(list(found))
    out.candidates = [Candidate(u, source.id, d) for u, d in found.items() if u not in known]
    return out


def discover_all(config: SourcesConfig, sources: Iterable[Source], is_known: KnownFilter,
                 resolve: dict[str, str] | None = None,
                 memory: HostMemory | None = None) -> list[SourceDiscovery]:
    """Discover several sources concurrently (each host keeps its own politeness)."""
    async def run() -> list[SourceDiscovery]:
        async with Fetcher(config.settings.user_agent, resolve, memory) as fetcher:
            return list(await asyncio.gather(
                *(discover_source(fetcher, s, config, is_known) for s in sources)))
    return asyncio.run(run())


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
                    processed = await loop.run_in_executor(executor, process_page, page, tax)
                except WorkerCrashed as exc:
                    processed = PageFailure(cand.url, "worker_crashed", str(exc))
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
