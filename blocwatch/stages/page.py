"""One page in, one article record out: extraction, dating, language, tagging, keywords and
the near-duplicate signature.

Runs in worker processes (CPU-bound), so everything here is a plain picklable value. The
ingest and reprocess runs ask the workers for everything but the keywords
(``keywords=False``) and add those in their own process (``add_keywords``): the language
analyzers behind keywords take about 250 MB per process once a process has met Japanese,
Chinese, Korean and Russian pages, and keywording costs a few milliseconds a page where
extraction costs about a hundred, so one copy of them serves all workers.

Publication date: ``blocwatch.stages.dates`` gathers the day from the feed, the URL, the page's
metadata and the date shown by the headline, in the outlet's time zone, and votes;
``date_source`` records the source that won, ``date_agree``/``date_disagree`` how many
sources named that day or another.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from blocwatch import dedup
from blocwatch.records import ArticleRecord, PageFailure, PageInput
from blocwatch.stages.dates import EARLIEST_DATE, MAX_FUTURE, date_evidence
from blocwatch.stages.extract import content_hash, decode_html, extract_page
from blocwatch.stages.keywords import extract_keywords
from blocwatch.stages.language import check_language, declared_language
from blocwatch.stages.tagger import Tagger
from blocwatch.stages.urls import canonical_url, same_site
from blocwatch.taxonomy import Taxonomy, load_taxonomy


class _State:
    taxonomy_path: str | None = None
    tagger: Tagger | None = None
    exclude: frozenset[str] = frozenset()


def keyword_exclusions(taxonomy: Taxonomy) -> frozenset[str]:
    """What is never a keyword: entity names are what the analyst filters by already, and
    keywords should say something else. Whole alias texts only: the words of "North Korea"
    or "Collective Security Treaty Organization" are keywords elsewhere ("north of",
    "security guarantees")."""
    return frozenset(alias.text.lower() for alias in taxonomy.aliases)


def init_worker(taxonomy_path: str) -> None:
    """Build the tagger once per process (the automaton is the expensive part)."""
    if _State.taxonomy_path == taxonomy_path and _State.tagger is not None:
        return
    taxonomy = load_taxonomy(Path(taxonomy_path))
    _State.tagger = Tagger(taxonomy)
    _State.exclude = keyword_exclusions(taxonomy)
    _State.taxonomy_path = taxonomy_path


# --- the page ------------------------------------------------------------------------------

def _masked(text: str, tagger: Tagger) -> str:
    """The text with every entity mention cut out (a line break in its place, so no
    keyword phrase runs across it): the words of a name are not keywords of the article,
    the same words elsewhere are."""
    pieces: list[str] = []
    pos = 0
    for m in tagger.find(text):
        pieces.append(text[pos:m.start])
        pieces.append("\n")
        pos = m.end
    pieces.append(text[pos:])
    return "".join(pieces)


def article_keywords(text: str, language: str | None, taxonomy_path: str
                     ) -> list[tuple[str, int, float]]:
    """(term, count, score) of an article's keywords, its entity names left out."""
    init_worker(taxonomy_path)
    assert _State.tagger is not None
    return [(k.term, k.count, k.score) for k in
            extract_keywords(_masked(text, _State.tagger), language, exclude=_State.exclude)]


def add_keywords(record: ArticleRecord, taxonomy_path: str) -> ArticleRecord:
    """``record`` with its keywords (for records made with ``keywords=False``)."""
    record.keywords = article_keywords(record.text, record.language, taxonomy_path)
    return record


def process_page(page: PageInput, taxonomy_path: str, keywords: bool = True
                 ) -> ArticleRecord | PageFailure:
    """Extract, date, identify the language of, tag, keyword and sign one fetched page;
    ``keywords=False`` leaves the keywords to ``add_keywords`` (see the module docstring)."""
    init_worker(taxonomy_path)
    assert _State.tagger is not None
    try:
        html = decode_html(page.body, page.content_type)
        extracted = extract_page(html, page.final_url)
    except Exception as exc:  # trafilatura/lxml raise many types on broken markup
        return PageFailure(page.url, "no_text", f"extraction failed: {type(exc).__name__}: {exc}")
    if extracted is None:
        return PageFailure(page.url, "no_text", "no article text found on the page")
    text = extracted.text
    url = canonical_url(page.final_url)
    if extracted.canonical and same_site(extracted.canonical, page.final_url):
        url = canonical_url(extracted.canonical)
    fetched_at = page.fetched_at or datetime.now(UTC)
    today = fetched_at.astimezone(UTC).date() if fetched_at.tzinfo else fetched_at.date()
    dated = date_evidence(html, [page.final_url, page.url], page.feed_date,
                          timezone=page.timezone,
                          floor=max(page.first_date or EARLIEST_DATE, EARLIEST_DATE),
                          limit=today + MAX_FUTURE)
    lang = check_language(text, declared_language(html, extracted.language),
                          page.source_language)
    language = lang.language or "en"
    title = extracted.title or ""
    result = _State.tagger.tag(title, text)
    mentions = [(c.entity_id, c.body_count, c.title_count, c.title_count > 0, c.first_offset)
                for c in sorted(result.mentions.values(), key=lambda c: c.entity_id)]
    co = [(a, b, n) for (a, b), n in sorted(result.co_mentions.items())]
    kws = article_keywords(text, language, taxonomy_path) if keywords else []
    return ArticleRecord(
        url=url, discovered_url=page.url, fetched_url=canonical_url(page.final_url),
        source_id=page.source_id,
        title=extracted.title, author=extracted.author, published=dated.day,
        date_source=dated.source, date_agree=dated.agree if dated.day else None,
        date_disagree=dated.disagree if dated.day else None, language=language,
        sitename=extracted.sitename,
        text=text, word_count=len(text.split()), content_hash=content_hash(text),
        fetched_at=fetched_at, mentions=mentions, co_mentions=co,
        keywords=kws, language_source=lang.source, declared_language=lang.declared,
        detected_language=lang.detected, language_confidence=lang.confidence,
        signature=dedup.signature(text))
