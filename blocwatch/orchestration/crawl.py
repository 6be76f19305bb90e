"""Discovery: the one crawler, for ingest and backfill alike.

An outlet's plan names the documents to read (feeds and sitemaps, HTML archive pages) and
the URLs listed as they are; the crawler reads them politely, follows sitemap indexes,
paged feeds and archive pages, and returns the URLs the warehouse does not know yet. What
differs between a routine ingest and a backfill is a stop policy, not another crawler:

* ``FreshPolicy`` (ingest): a paged feed is followed only while a page holds something new,
  so a routine run reads one page per feed while the first run reaches the whole history;
  at most ``max_feed_pages`` documents per feed or sitemap.
* ``BackfillScope`` (backfill): every page is read to the end (up to ``max_pages``
  documents per outlet) unless a feed page is wholly older than the range; URLs dated
  outside the range (feed or sitemap date, else the date in the URL) are dropped.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, model_validator

from blocwatch.config import Source, SourcesConfig
from blocwatch.records import Candidate, SourceDiscovery
from blocwatch.stages.feeds import FeedError, FeedPage, archive_links, parse_feed
from blocwatch.stages.fetch import Fetcher, HostMemory
from blocwatch.stages.urls import canonical_url, date_from_url

__all__ = ["BackfillScope", "CrawlPolicy", "FreshPolicy", "KnownFilter", "SourcePlan",
           "crawl", "discover_all", "discover_backfill", "owner_of", "plan_backfill",
           "plan_ingest"]

KnownFilter = Callable[[list[str]], set[str]]


@dataclass
class SourcePlan:
    """What the crawler reads for one outlet."""

    source: Source
    documents: list[str] = field(default_factory=list)  # feeds and sitemaps
    archives: list[str] = field(default_factory=list)   # HTML archive pages
    urls: list[str] = field(default_factory=list)       # article URLs listed as they are


class CrawlPolicy(Protocol):
    """When the crawler stops, and which URLs it keeps."""

    # Regular expression an archive page's link must match to be an article (None: links
    # with a date in the URL).
    link_pattern: str | None

    def max_documents(self, plan: SourcePlan) -> int:
        """Documents (feeds, sitemaps, archive pages) read for the outlet, at most."""
        ...

    def follow(self, page: FeedPage, urls: list[str], days: list[date | None],
               is_known: KnownFilter) -> bool:
        """Whether to read a feed's next pages, given this page's URLs and their days."""
        ...

    def keeps(self, day: date | None) -> bool:
        """Whether a URL of this (feed, sitemap or URL) day is a candidate."""
        ...


@dataclass(frozen=True)
class FreshPolicy:
    """A routine ingest: page through a feed only while it holds something new."""

    max_feed_pages: int = 100
    link_pattern: str | None = None

    def max_documents(self, plan: SourcePlan) -> int:
        return self.max_feed_pages * max(1, len(plan.documents))

    def follow(self, page: FeedPage, urls: list[str], days: list[date | None],
               is_known: KnownFilter) -> bool:
        return bool(urls) and len(is_known(urls)) < len(set(urls))

    def keeps(self, day: date | None) -> bool:
        return True


class BackfillScope(BaseModel):
    """What a backfill reads, and its stop policy.

    Attributes:
        start, end: inclusive date range; URLs dated outside it are skipped. URLs with no
            date anywhere (feed, sitemap, URL) are kept: their date is only known after
            extraction.
        sitemaps: extra sitemap, sitemap-index or feed URLs, each read to the end.
        archive_pages: HTML pages listing articles (archive, section or tag pages); their
            same-site links are candidates and their rel="next" pages are followed.
        link_pattern: regular expression an archive page's link must match to count as an
            article; default: links with a date in the URL (/2026/07/06/, 2026-07-06).
        max_pages: feed, sitemap and archive documents read per outlet, at most.
        configured: also read the outlets' configured feeds and sitemaps.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: date | None = None
    end: date | None = None
    sitemaps: tuple[str, ...] = ()
    archive_pages: tuple[str, ...] = ()
    link_pattern: str | None = None
    max_pages: int = 1000
    configured: bool = True

    @model_validator(mode="after")
    def _valid(self) -> BackfillScope:
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"backfill start {self.start} is after end {self.end}")
        if self.max_pages < 1:
            raise ValueError("max_pages must be at least 1")
        if self.link_pattern is not None:
            re.compile(self.link_pattern)  # fail at start, not mid-run
        return self

    def in_range(self, day: date | None) -> bool:
        if day is None:
            return True
        return (self.start is None or day >= self.start) and (self.end is None
                                                               or day <= self.end)

    def max_documents(self, plan: SourcePlan) -> int:
        return self.max_pages

    def follow(self, page: FeedPage, urls: list[str], days: list[date | None],
               is_known: KnownFilter) -> bool:
        # Feeds run newest first: once a whole page is older than the range, stop.
        return not (self.start is not None and page.kind in ("rss", "atom") and days
                    and all(d is not None and d < self.start for d in days))

    def keeps(self, day: date | None) -> bool:
        return self.in_range(day)


def plan_ingest(sources: Iterable[Source]) -> list[SourcePlan]:
    """Each outlet's configured feeds, sitemaps and URL list."""
    return [SourcePlan(s, [str(u) for u in [*s.feeds, *s.sitemaps]],
                       urls=[str(u) for u in s.urls]) for s in sources]


def _host(url: str) -> str:
    h = (urlsplit(url).hostname or "").lower()
    return h[4:] if h.startswith("www.") else h


def owner_of(url: str, sources: Iterable[Source]) -> Source | None:
    """The outlet a URL belongs to: the one whose homepage, feeds or sitemaps share its host."""
    host = _host(url)
    for s in sources:
        hosts = {_host(str(u)) for u in [s.homepage, *s.feeds, *s.sitemaps, *s.urls]}
        if host in hosts:
            return s
    return None


def plan_backfill(config: SourcesConfig, scope: BackfillScope,
                  only_sources: Iterable[str] | None = None) -> list[SourcePlan]:
    """Which documents each outlet reads in a backfill.

    Outlets: ``only_sources`` if given; else, when extra sitemaps or archive pages are
    given, the outlets they belong to; else every enabled outlet. Raises ValueError for a
    URL no configured outlet owns (its articles would have no outlet).
    """
    enabled = config.enabled()
    plans: dict[str, SourcePlan] = {}
    unowned = []
    for url, kind in [(u, "documents") for u in scope.sitemaps] + [
            (u, "archives") for u in scope.archive_pages]:
        src = owner_of(url, enabled)
        if src is None:
            unowned.append(url)
            continue
        getattr(plans.setdefault(src.id, SourcePlan(src)), kind).append(url)
    if unowned:
        raise ValueError("no enabled outlet in sources.yaml owns these URLs (match a "
                         f"homepage, feed or sitemap host): {', '.join(unowned)}")
    if only_sources:
        wanted = set(only_sources)
        missing = sorted(wanted - {s.id for s in enabled})
        if missing:
            raise ValueError(f"unknown or disabled source id(s): {', '.join(missing)}")
        chosen = [s for s in enabled if s.id in wanted]
    elif plans:
        chosen = [s for s in enabled if s.id in plans]
    else:
        chosen = enabled
    out = []
    for s in chosen:
        plan = plans.get(s.id) or SourcePlan(s)
        if scope.configured:
            plan.documents = [str(u) for u in [*s.feeds, *s.sitemaps]] + plan.documents
        out.append(plan)
    return out


async def crawl_source(fetcher: Fetcher, plan: SourcePlan, config: SourcesConfig,
                       policy: CrawlPolicy, is_known: KnownFilter) -> SourceDiscovery:
    """Read one outlet's documents as its plan and the policy say; return the URLs the
    policy keeps that ``is_known`` does not know."""
    source = plan.source
    out = SourceDiscovery(source.id)
    politeness = config.politeness_for(source)
    # Per URL: the date handed to the page's date vote (the feed's time with its offset,
    # else its day), and the day the policy judges (the feed's day, else the URL's).
    when: dict[str, datetime | date | None] = {}
    days: dict[str, date | None] = {}
    for u in plan.urls:
        url = canonical_url(u)
        when.setdefault(url, None)
        days.setdefault(url, None)
    queue = [(u, "feed") for u in plan.documents] + [(u, "archive") for u in plan.archives]
    seen: set[str] = set()
    # Notes on documents that were read (recovered XML, wrong encoding, skipped links) go
    # after every failure: run_sources.error keeps the first error of a source, and a
    # recovered feed must not hide another feed of it that could not be read at all.
    notes: list[str] = []
    limit = policy.max_documents(plan)
    while queue and len(seen) < limit:
        doc_url, kind = queue.pop(0)
        if doc_url in seen:
            continue
        seen.add(doc_url)
        res = await fetcher.fetch(doc_url, politeness, source.allow_private_network,
                                  accept_xml=kind == "feed")
        if not res.ok or res.body is None:
            out.docs_failed += 1
            out.errors.append(f"{doc_url}: {res.error}")
            continue
        base = res.final_url or doc_url
        if kind == "archive":
            links, nexts = archive_links(res.body, base, policy.link_pattern)
            out.docs_ok += 1
            for url in links:
                # An archive page dates nothing: the URL's day is for the policy only, and
                # the page's date vote reads the URL itself.
                when.setdefault(url, None)
                if days.get(url) is None:
                    days[url] = date_from_url(url)
            queue.extend((u, "archive") for u in nexts)
            continue
        try:
            page = parse_feed(res.body, base, res.content_type or "")
        except FeedError as exc:
            out.docs_failed += 1
            out.errors.append(f"{doc_url}: {exc}")
            continue
        out.docs_ok += 1  # entries read despite problems count as read
        notes.extend(f"{doc_url}: {problem}" for problem in page.problems)
        if note := page.invalid_note(doc_url):
            notes.append(note)
        urls = [canonical_url(e.url) for e in page.entries]
        page_days = []
        for entry, url in zip(page.entries, urls, strict=True):
            day = entry.published or date_from_url(url)
            page_days.append(day)
            if when.get(url) is None:
                when[url] = entry.published_at or entry.published
            if days.get(url) is None:
                days[url] = day
        if page.kind == "sitemapindex":
            queue.extend((u, "feed") for u in page.next_urls)
        elif page.next_urls and policy.follow(page, urls, page_days, is_known):
            queue.extend((u, kind) for u in page.next_urls)
    unread = {u for u, _ in queue} - seen
    if unread:
        notes.append(f"stopped after {limit} documents (the most one outlet reads in a run); "
                     f"{len(unread)} more not read")
    out.errors.extend(notes)
    kept = [u for u in when if policy.keeps(days[u])]
    out.discovered = len(kept)
    known = is_known(kept)
    out.candidates = [Candidate(u, source.id, when[u]) for u in kept if u not in known]
    return out


def crawl(config: SourcesConfig, plans: Iterable[SourcePlan], policy: CrawlPolicy,
          is_known: KnownFilter, resolve: dict[str, str] | None = None,
          memory: HostMemory | None = None) -> list[SourceDiscovery]:
    """Crawl several outlets concurrently (each host keeps its own politeness)."""
    async def run() -> list[SourceDiscovery]:
        async with Fetcher(config.settings.user_agent, resolve, memory) as fetcher:
            return list(await asyncio.gather(
                *(crawl_source(fetcher, p, config, policy, is_known) for p in plans)))
    return asyncio.run(run())


def discover_all(config: SourcesConfig, sources: Iterable[Source], is_known: KnownFilter,
                 resolve: dict[str, str] | None = None,
                 memory: HostMemory | None = None) -> list[SourceDiscovery]:
    """A routine ingest's discovery: new URLs from each outlet's feeds, sitemaps and list."""
    return crawl(config, plan_ingest(sources), FreshPolicy(config.settings.max_feed_pages),
                 is_known, resolve, memory)


def discover_backfill(config: SourcesConfig, plans: list[SourcePlan], scope: BackfillScope,
                      is_known: KnownFilter, resolve: dict[str, str] | None = None,
                      memory: HostMemory | None = None) -> list[SourceDiscovery]:
    """A backfill's discovery: the plans' documents read to the end, within the scope."""
    return crawl(config, plans, scope, is_known, resolve, memory)
