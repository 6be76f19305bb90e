"""One page in, one article record out: extraction, dating, language, tagging, keywords and
the near-duplicate signature.

Runs in worker processes (CPU-bound), so everything here is a plain picklable value.

Publication date. A date is taken from the first of these that passes the sanity rules:

1. the page: htmldate on the page's markup (meta tags, JSON-LD, ``<time>``, date-like
   elements), deliberately *without* the URL, so that "page" never means "a date htmldate
   read from the URL", and without htmldate's extensive free-text search, which on a page
   without a date returns the copyright year's 1 January; then a date written in an
   element marked as a date (class/id/itemprop "date", "time", "published"...) in
   Japanese, Chinese, Korean or Russian notation (2026年7月8日, 2026년 7월 8일,
   8 июля 2026, 08.07.2026), which htmldate's fast mode does not read;
2. the feed entry (RSS pubDate, Atom published/updated, sitemap lastmod);
3. the date in the URL (/2026/07/08/, 2026-07-08, 20260708).

Sanity rules: no date more than ``MAX_FUTURE`` after the page was fetched, and none before
the floor: ``EARLIEST_DATE`` or the outlet's first publication day when sources.yaml
gives one (``PageInput.first_date``). A date that breaks a rule is skipped and the next
source tried. ``date_source`` records the source that won.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from blocwatch import dedup
from blocwatch.extract import content_hash, decode_html, extract_page
from blocwatch.keywords import extract_keywords
from blocwatch.language import check_language, declared_language
from blocwatch.tagger import Tagger
from blocwatch.taxonomy import load_taxonomy
from blocwatch.urls import canonical_url, date_from_url, same_site

MAX_FUTURE = timedelta(days=1)
# htmldate's own floor, and about when news sites began dating pages: anything earlier on
# a news page is a placeholder (1970-01-01, 1900-01-01) or a date quoted in the text.
EARLIEST_DATE = date(1995, 1, 1)


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
    # The outlet's first publication day (sources.yaml ``first_date``), when known: a page
    # date before it is a template default or a date quoted in the text.
    first_date: date | None = None


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
    # Language check (blocwatch.language): how ``language`` was decided.
    language_source: str | None = None
    declared_language: str | None = None
    detected_language: str | None = None
    language_confidence: float | None = None
    # MinHash signature of the text (blocwatch.dedup), for near-duplicate stories.
    signature: bytes | None = None


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
    # Entity names are what the analyst filters by already; keywords should say something
    # else. Whole alias texts only: the words of "North Korea" or "Collective Security
    # Treaty Organization" are keywords elsewhere ("north of", "security guarantees").
    _State.exclude = frozenset(alias.text.lower() for alias in taxonomy.aliases)
    _State.taxonomy_path = taxonomy_path


# --- dates ---------------------------------------------------------------------------------

# An element whose class, id or itemprop says it holds a date (or the byline next to it).
_DATE_ELEMENT_RE = re.compile(
    r"""<(?P<tag>[a-z][a-z0-9]*)\b[^>]*?\b(?:class|id|itemprop)\s*=\s*["'][^"']*?"""
    r"""(?:date|time|publish|posted|dateline|byline|timestamp)[^"']*["'][^>]*>"""
    r"""(?P<body>.{0,400}?)</(?P=tag)\s*>""", re.I | re.S)
_TAG_RE = re.compile(r"<[^>]+>")
_RU_MONTHS = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
              "сентября", "октября", "ноября", "декабря")
# Year-month-day with CJK or Korean unit characters, or dots/slashes between the numbers.
_YMD_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*[年년./-]\s*(\d{1,2})\s*[月월./-]\s*"
                     r"(\d{1,2})(?!\d)")
_DMY_RU_RE = re.compile(rf"(?<!\d)(\d{{1,2}})\s+({'|'.join(_RU_MONTHS)})\s+((?:19|20)\d{{2}})",
                        re.I)
_DMY_DOTTED_RE = re.compile(r"(?<!\d)(\d{1,2})\.(\d{1,2})\.((?:19|20)\d{2})(?!\d)")


def _valid(y: int, m: int, d: int, floor: date, limit: date) -> date | None:
    try:
        value = date(y, m, d)
    except ValueError:
        return None
    return value if floor <= value <= limit else None


def visible_date(html: str, floor: date, limit: date) -> date | None:
    """A date written in a date-marked element in Japanese, Chinese, Korean or Russian
    notation (or day.month.year), within [floor, limit]; the first one in the page."""
    for m in _DATE_ELEMENT_RE.finditer(html):
        text = html_lib.unescape(_TAG_RE.sub(" ", m.group("body")))
        for pattern, order in ((_YMD_RE, "ymd"), (_DMY_RU_RE, "dmy_ru"),
                               (_DMY_DOTTED_RE, "dmy")):
            for hit in pattern.finditer(text):
                if order == "ymd":
                    y, mo, d = int(hit.group(1)), int(hit.group(2)), int(hit.group(3))
                elif order == "dmy_ru":
                    y, d = int(hit.group(3)), int(hit.group(1))
                    mo = _RU_MONTHS.index(hit.group(2).lower()) + 1
                else:
                    y, mo, d = int(hit.group(3)), int(hit.group(2)), int(hit.group(1))
                value = _valid(y, mo, d, floor, limit)
                if value is not None:
                    return value
    return None


_FAR_FUTURE = date(2999, 12, 31)


def _htmldate(html: str, floor: date, limit: date) -> date | None:
    from htmldate import find_date

    # url="" rather than None: with None, htmldate reads the date out of the canonical
    # link's URL, and "page" would then mean "URL".
    found = find_date(html, url="", original_date=True, extensive_search=False,
                      min_date=floor.isoformat(), max_date=limit.isoformat())
    if not found:
        return None
    try:
        value = date.fromisoformat(found[:10])
    except ValueError:
        return None
    return value if floor <= value <= limit else None


def page_date(html: str, floor: date = EARLIEST_DATE, limit: date | None = None
              ) -> date | None:
    """The publication date the page itself gives (see the module docstring), within
    [floor, limit]; None when the page gives none."""
    limit = limit or datetime.now(UTC).date() + MAX_FUTURE
    if limit < floor:
        return None
    found = _htmldate(html, floor, limit)
    if found is not None and found.day == 1:
        # A date past max_date makes htmldate fall back to its year and month
        # (2026-07-12 -> 2026-07-01): ask again without the limit and drop such a stand-in.
        unbounded = _htmldate(html, floor, _FAR_FUTURE)
        if (unbounded is not None and unbounded != found
                and (unbounded.year, unbounded.month) == (found.year, found.month)):
            found = None
    if found is not None:
        return found
    return visible_date(html, floor, limit)


def choose_date(page_date: date | None, feed_date: date | None, url: str,
                today: date | None = None, floor: date | None = None
                ) -> tuple[date | None, str | None]:
    """Publication date by fallback chain page → feed → URL; a date more than MAX_FUTURE
    after ``today`` (default: now) or before ``floor`` (default: EARLIEST_DATE) is skipped."""
    limit = (today or datetime.now(UTC).date()) + MAX_FUTURE
    lowest = max(floor or EARLIEST_DATE, EARLIEST_DATE)
    for value, source in ((page_date, "page"), (feed_date, "feed"), (date_from_url(url), "url")):
        if value is not None and lowest <= value <= limit:
            return value, source
    return None, None


# --- the page ------------------------------------------------------------------------------

# How far into the extracted text a headline line may sit and still mark the article's
# start (site name and menu items come first on the pages where this happens).
_HEADLINE_SEARCH_LINES = 20


def _without_headline(text: str, title: str | None) -> str:
    """The text from just after the headline. extract_page drops a first line equal to the
    headline; on short pages (common in Chinese and Japanese, where 300 characters is a
    full story) trafilatura's fallback extractors instead return the page from its top:
    site name and menu lines, then the headline, or headline, byline and text glued into
    one line. The headline's mentions would then count twice and the menu's once. An
    article never begins before its own headline, so what precedes it is dropped."""
    if not title:
        return text
    head = " ".join(title.split())
    lines = text.split("\n")
    for i, line in enumerate(lines[:_HEADLINE_SEARCH_LINES]):
        flat = " ".join(line.split())
        if flat == head:
            rest = "\n".join(lines[i + 1:]).strip()
            return rest or text
        if flat.startswith(head) and line.lstrip()[len(head):len(head) + 1].isspace():
            glued = line.lstrip()[len(head):].lstrip()
            return "\n".join([glued, *lines[i + 1:]]).strip()
    return text


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


def process_page(page: PageInput, taxonomy_path: str) -> ArticleRecord | PageFailure:
    """Extract, date, identify the language of, tag, keyword and sign one fetched page."""
    init_worker(taxonomy_path)
    assert _State.tagger is not None
    try:
        html = decode_html(page.body, page.content_type)
        extracted = extract_page(html, page.final_url)
    except Exception as exc:  # trafilatura/lxml raise many types on broken markup
        return PageFailure(page.url, "no_text", f"extraction failed: {type(exc).__name__}: {exc}")
    if extracted is None:
        return PageFailure(page.url, "no_text", "no article text found on the page")
    text = _without_headline(extracted.text, extracted.title)
    if not text.strip():
        return PageFailure(page.url, "no_text", "no article text found on the page")
    url = canonical_url(page.final_url)
    if extracted.canonical and same_site(extracted.canonical, page.final_url):
        url = canonical_url(extracted.canonical)
    fetched_at = page.fetched_at or datetime.now(UTC)
    today = fetched_at.astimezone(UTC).date() if fetched_at.tzinfo else fetched_at.date()
    floor = max(page.first_date or EARLIEST_DATE, EARLIEST_DATE)
    try:
        from_page = page_date(html, floor, today + MAX_FUTURE)
    except Exception:  # htmldate/lxml on broken markup: the feed and URL remain
        from_page = None
    url_for_date = page.final_url if date_from_url(page.final_url) else page.url
    published, date_source = choose_date(from_page, page.feed_date, url_for_date, today, floor)
    lang = check_language(text, declared_language(html, extracted.language),
                          page.source_language)
    language = lang.language or "en"
    title = extracted.title or ""
    result = _State.tagger.tag(title, text)
    mentions = [(c.entity_id, c.body_count, c.title_count, c.title_count > 0, c.first_offset)
                for c in sorted(result.mentions.values(), key=lambda c: c.entity_id)]
    co = [(a, b, n) for (a, b), n in sorted(result.co_mentions.items())]
    kws = [(k.term, k.count, k.score) for k in
           extract_keywords(_masked(text, _State.tagger), language,
                            exclude=_State.exclude)]
    return ArticleRecord(
        url=url, discovered_url=page.url, fetched_url=canonical_url(page.final_url),
        source_id=page.source_id,
        title=extracted.title, author=extracted.author, published=published,
        date_source=date_source, language=language, sitename=extracted.sitename,
        text=text, word_count=len(text.split()), content_hash=content_hash(text),
        fetched_at=fetched_at, mentions=mentions, co_mentions=co,
        keywords=kws, language_source=lang.source, declared_language=lang.declared,
        detected_language=lang.detected, language_confidence=lang.confidence,
        signature=dedup.signature(text))
