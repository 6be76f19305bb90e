"""One page in, one article record out: extraction, dating, tagging and keywords.

Runs in worker processes (CPU-bound), so everything here is a plain picklable value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from blocwatch.extract import content_hash, decode_html, extract_page
from blocwatch.keywords import extract_keywords
from blocwatch.tagger import Tagger
from blocwatch.taxonomy import load_taxonomy
from blocwatch.urls import canonical_url, date_from_url, same_site

_HTML_LANG_RE = re.compile(r"""<html[^>]*?\blang=["']?([A-Za-z]{2,3})""", re.I)
MAX_FUTURE = timedelta(days=1)


@dataclass(frozen=True)
class PageInput:
    url: str
    final_url: str
    body: bytes
    content_type: str
    source_id: str
    source_language: str
    feed_date: date | None = None
    fetched_at: datetime | None = None


@dataclass
class ArticleRecord:
    url: str
    discovered_url: str
    fetched_url: str
    source_id: str
    title: str | None
    author: str | None
    published: date | None
    date_source: str | None
    language: str | None
    sitename: str | None
    text: str
    word_count: int
    content_hash: str
    fetched_at: datetime
    mentions: list[tuple[str, int, int, bool, int | None]] = field(default_factory=list)
    co_mentions: list[tuple[str, str, int]] = field(default_factory=list)
    keywords: list[tuple[str, int, float]] = field(default_factory=list)


@dataclass(frozen=True)
class PageFailure:
    url: str
    outcome: str
    error: str


class _State:
    taxonomy_path: str | None = None
    tagger: Tagger | None = None
    exclude: frozenset[str] = frozenset()


def init_worker(taxonomy_path: str) -> None:
    """Build the tagger once per process (the automaton is the expensive part)."""
    if _State.taxonomy_path == taxonomy_path and _State.tagger is not None:
        return
    taxonomy = load_taxonomy(Path(taxonomy_path))
    _State.tagger = Tagger(taxonomy)
    # Entity names are what the analyst filters by already; keywords should say something else.
    words = set()
    for alias in taxonomy.aliases:
        for w in re.findall(r"\w[\w'-]*", alias.text.lower()):
            words.add(w)
        words.add(alias.text.lower())
    _State.exclude = frozenset(words)
    _State.taxonomy_path = taxonomy_path


def choose_date(page_date: date | None, feed_date: date | None, url: str,
                today: date | None = None) -> tuple[date | None, str | None]:
    """Publication date by fallback chain page → feed → URL, rejecting future dates."""
    limit = (today or datetime.now(UTC).date()) + MAX_FUTURE
    for value, source in ((page_date, "page"), (feed_date, "feed"), (date_from_url(url), "url")):
        if value is not None and value <= limit:
            return value, source
    return None, None


def process_page(page: PageInput, taxonomy_path: str) -> ArticleRecord | PageFailure:
    """Extract, date, tag and keyword one fetched page."""
    init_worker(taxonomy_path)
    assert _State.tagger is not None
    try:
        html = decode_html(page.body, page.content_type)
        extracted = extract_page(html, page.final_url)
    except Exception as exc:  # trafilatura/lxml raise many types on broken markup
        return PageFailure(page.url, "no_text", f"extraction failed: {type(exc).__name__}: {exc}")
    if extracted is None:
        return PageFailure(page.url, "no_text", "no article text found on the page")
    url = canonical_url(page.final_url)
    if extracted.canonical and same_site(extracted.canonical, page.final_url):
        url = canonical_url(extracted.canonical)
    published, date_source = choose_date(extracted.date, page.feed_date, page.final_url)
    m = _HTML_LANG_RE.search(html[:4096])
    language = (extracted.language or (m.group(1) if m else None) or page.source_language)
    title = extracted.title or ""
    result = _State.tagger.tag(title, extracted.text)
    mentions = [(c.entity_id, c.body_count, c.title_count, c.title_count > 0, c.first_offset)
                for c in sorted(result.mentions.values(), key=lambda c: c.entity_id)]
    co = [(a, b, n) for (a, b), n in sorted(result.co_mentions.items())]
    kws = [(k.term, k.count, k.score) for k in
           extract_keywords(extracted.text, language.lower()[:2], exclude=_State.exclude)]
    return ArticleRecord(
        url=url, discovered_url=page.url, fetched_url=canonical_url(page.final_url),
        source_id=page.source_id,
        title=extracted.title, author=extracted.author, published=published,
        date_source=date_source, language=language.lower()[:2], sitename=extracted.sitename,
        text=extracted.text, word_count=len(extracted.text.split()),
        content_hash=content_hash(extracted.text),
        fetched_at=page.fetched_at or datetime.now(UTC), mentions=mentions, co_mentions=co,
        keywords=kws)
