"""Discovery for a backfill: an outlet's history over a date range, from its feeds and
sitemaps read to the end, extra sitemaps, and HTML archive pages.

A routine ingest stops paging a feed at the first page with nothing new; a backfill reads
every page (up to ``max_pages`` documents per outlet), keeps the URLs whose date (feed or
sitemap date, else the date in the URL) falls in the range, and leaves fetching, loading
and publishing to the same stages as ingest.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

import lxml.html

from blocwatch.config import Source, SourcesConfig
from blocwatch.discover import FeedError, parse_feed
from blocwatch.fetch import Fetcher, HostMemory
from blocwatch.pipeline import Candidate, KnownFilter, SourceDiscovery
from blocwatch.urls import canonical_url, date_from_url, parses, same_site

_ASSET_RE = re.compile(r"\.(?:css|js|xml|rss|atom|json|png|jpe?g|gif|svg|webp|ico|pdf|zip)$",
                       re.I)


@dataclass(frozen=True)
class BackfillScope:
    """What a backfill reads.

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

    start: date | None = None
    end: date | None = None
    sitemaps: tuple[str, ...] = ()
    archive_pages: tuple[str, ...] = ()
    link_pattern: str | None = None
    max_pages: int = 1000
    configured: bool = True

    def __post_init__(self) -> None:
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"backfill start {self.start} is after end {self.end}")
        if self.max_pages < 1:
            raise ValueError("max_pages must be at least 1")
        if self.link_pattern is not None:
            re.compile(self.link_pattern)  # fail at start, not mid-run

    def in_range(self, day: date | None) -> bool:
        if day is None:
            return True
        return (self.start is None or day >= self.start) and (self.end is None
                                                               or day <= self.end)


@dataclass
class SourcePlan:
    source: Source
    documents: list[str] = field(default_factory=list)  # feeds and sitemaps
    archives: list[str] = field(default_factory=list)   # HTML archive pages


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
    """Which documents each outlet reads.

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


def archive_links(html: bytes, page_url: str, pattern: str | None = None
                  ) -> tuple[list[str], list[str]]:
    """Article links and next pages of an HTML archive page.

    Returns (links, next_pages): same-site links that look like articles (matching
    ``pattern``, else carrying a date in the URL), and rel="next" targets.
    """
    try:
        doc = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return [], []
    doc.make_links_absolute(page_url, handle_failures="discard")
    regex = re.compile(pattern) if pattern else None
    own = canonical_url(page_url)
    links: dict[str, None] = {}
    nexts: dict[str, None] = {}
    for el in doc.iter("a", "link"):
        href = (el.get("href") or "").strip()
        if (not href.startswith(("http://", "https://")) or not parses(href)
                or not same_site(href, page_url)):
            continue
        if "next" in (el.get("rel") or "").lower().split():
            nexts[href] = None
            continue
        if el.tag != "a":
            continue
        url = canonical_url(href)
        if url == own or _ASSET_RE.search(urlsplit(url).path):
            continue
        if (regex.search(url) if regex else date_from_url(url) is not None):
            links[url] = None
    return list(links), list(nexts)


async def backfill_source(fetcher: Fetcher, plan: SourcePlan, config: SourcesConfig,
                          scope: BackfillScope, is_known: KnownFilter) -> SourceDiscovery:
    """Read one outlet's documents to the end and return its in-range URLs not stored yet."""
    source = plan.source
    out = SourceDiscovery(source.id)
    politeness = config.politeness_for(source)
    found: dict[str, date | None] = {}
    queue: list[tuple[str, str]] = ([(u, "feed") for u in plan.documents]
                                    + [(u, "archive") for u in plan.archives])
    seen: set[str] = set()
    while queue and len(seen) < scope.max_pages:
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
            links, nexts = archive_links(res.body, base, scope.link_pattern)
            out.docs_ok += 1
            for url in links:
                found.setdefault(url, date_from_url(url))
            queue.extend((u, "archive") for u in nexts)
            continue
        try:
            page = parse_feed(res.body, base)
        except FeedError as exc:
            out.docs_failed += 1
            out.errors.append(f"{doc_url}: {exc}")
            continue
        out.docs_ok += 1
        if note := page.invalid_note(doc_url):
            out.errors.append(note)
        dated = []
        for entry in page.entries:
            url = canonical_url(entry.url)
            day = entry.published or date_from_url(url)
            dated.append(day)
            if found.get(url) is None:
                found[url] = day
        if page.kind == "sitemapindex":
            queue.extend((u, "feed") for u in page.next_urls)
        elif page.next_urls:
            # Feeds run newest first: once a whole page is older than the range, stop.
            too_old = (scope.start is not None and page.kind in ("rss", "atom") and dated
                       and all(d is not None and d < scope.start for d in dated))
            if not too_old:
                queue.extend((u, "feed") for u in page.next_urls)
    unread = {u for u, _ in queue} - seen
    if unread:
        out.errors.append(f"stopped after max_pages={scope.max_pages} documents; "
                          f"{len(unread)} more not read")
    in_range = {u: d for u, d in found.items() if scope.in_range(d)}
    out.discovered = len(in_range)
    known = is_known(list(in_range))
    out.candidates = [Candidate(u, source.id, d) for u, d in in_range.items() if u not in known]
    return out


def discover_backfill(config: SourcesConfig, plans: list[SourcePlan], scope: BackfillScope,
                      is_known: KnownFilter, resolve: dict[str, str] | None = None,
                      memory: HostMemory | None = None) -> list[SourceDiscovery]:
    """Backfill discovery of several outlets concurrently (each host keeps its politeness)."""
    async def run() -> list[SourceDiscovery]:
        async with Fetcher(config.settings.user_agent, resolve, memory) as fetcher:
            return list(await asyncio.gather(
                *(backfill_source(fetcher, p, config, scope, is_known) for p in plans)))
    return asyncio.run(run())
