"""The publication day of an article, from every piece of evidence there is.

Evidence (each a *source*; an article may have several):

- ``feed``: the feed entry's date (RSS pubDate, Atom published/updated, sitemap lastmod);
- ``url``: a date written in the article's address (/2026/07/08/, 2026-07-08, 20260708):
  the fetched URL, the discovered one, ``<link rel=canonical>`` or ``og:url``;
- ``page``: the page's publication metadata, as htmldate's fast search reads it
  (``article:published_time``, JSON-LD, ``<time>``...), never from the URL;
- ``updated``: the page's latest date by the same search (often the date a reader sees);
- ``visible``: a date written near the headline in a date-marked element, a ``<time>``
  element, after a label ("Published", "Veröffentlicht am", "Stand:", or a label element
  followed by the date), or standing alone right under the headline; never one inside a
  teaser or card (another article's date); in the
  notations of the press (2026-07-08, 08.07.2026, 8. Juli 2026, July 8, 2026,
  2026年7月8日, 2026년 7월 8일, 8 июля 2026);
- ``text``: htmldate's extensive search over the whole page, asked only when nothing else
  gave a date (on a page with no date it returns the copyright year's 1 January, so it
  never outvotes real evidence).

Every source passes the sanity rules first: no day more than ``MAX_FUTURE`` after the fetch,
none before the floor (``EARLIEST_DATE`` or the outlet's ``first_date``). A time with an
offset (a feed's pubDate, the page's published time) is turned into the day in the
outlet's own time zone, so an article published at 00:30 in Tokyo is dated that day, not
the day before as UTC would have it. An outlet whose zone is unknown (``timezone:
as-written``) keeps each day as its feed and pages write it.

Then the sources vote: each names a day with its weight (``WEIGHTS``); the day with most
weight wins, ties going to the source first in ``PRIORITY``. Weights, in words: a feed's
date is the CMS's own publication time for that item and outweighs the page's metadata
unless the page's metadata, its updated date and its visible date all say otherwise; a
date in the URL is set once when the article is created and counts double; the page's
three readings count once each, so two of them agreeing beat one. A page date that no
stated publication time (a time with its offset) confirms is weaker: when htmldate's two
searches both return it, that is one reading, not two; it loses a tie with the visible
date; and a 1 January among such dates is a year-only placeholder and no evidence.
``DateChoice`` keeps how many sources named the chosen day and how many named another, so
an analyst can keep only well-supported dates.
"""

from __future__ import annotations

import functools
import html as html_lib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import lxml.html

from blocwatch.config import AS_WRITTEN, country_timezone
from blocwatch.stages.urls import date_from_url

__all__ = ["AS_WRITTEN", "EARLIEST_DATE", "MAX_FUTURE", "PRIORITY", "WEIGHTS", "DateCandidate",
           "DateChoice", "choose", "country_timezone", "date_evidence", "local_day",
           "metadata_date", "published_times", "visible_date"]

MAX_FUTURE = timedelta(days=1)
# htmldate's own floor, and about when news sites began dating pages: anything earlier on
# a news page is a placeholder (1970-01-01, 1900-01-01) or a date quoted in the text.
EARLIEST_DATE = date(1995, 1, 1)

WEIGHTS = {"feed": 3, "url": 2, "page": 1, "visible": 1, "updated": 1, "text": 1}
# A page date no stated publication time confirms (see date_evidence) loses a tie with the
# visible date.
UNCONFIRMED = 0.9
PRIORITY = ("feed", "url", "page", "visible", "updated", "text")


@dataclass(frozen=True)
class DateCandidate:
    day: date
    source: str
    weight: float | None = None   # None: WEIGHTS[source]


@dataclass(frozen=True)
class DateChoice:
    """The chosen day, the source that won, and the support behind it."""

    day: date | None
    source: str | None
    agree: int = 0       # sources naming the chosen day
    disagree: int = 0    # sources naming another day
    candidates: tuple[DateCandidate, ...] = ()


def choose(candidates: Iterable[DateCandidate]) -> DateChoice:
    """The day most weight names (see the module docstring); ties by ``PRIORITY``."""
    cands = tuple(candidates)
    if not cands:
        return DateChoice(None, None)
    weight: dict[date, float] = {}
    for c in cands:
        weight[c.day] = weight.get(c.day, 0) + (WEIGHTS[c.source] if c.weight is None
                                                 else c.weight)
    top = max(weight.values())
    ranked = sorted(cands, key=lambda c: PRIORITY.index(c.source))
    winner = next(c for c in ranked if weight[c.day] == top)
    agree = sum(1 for c in cands if c.day == winner.day)
    return DateChoice(winner.day, winner.source, agree, len(cands) - agree, cands)


# --- time zones ----------------------------------------------------------------------------

@functools.cache
def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_day(when: datetime | date, timezone: str | None) -> date:
    """The calendar day of ``when`` in ``timezone``; with no zone (None or ``AS_WRITTEN``),
    a naive time or a bare date, the day as written."""
    if isinstance(when, datetime):
        if when.tzinfo is None or timezone in (None, AS_WRITTEN):
            return when.date()
        return when.astimezone(_zone(timezone)).date()
    return when


# --- the page's metadata -------------------------------------------------------------------

_FAR_FUTURE = date(2999, 12, 31)


def _htmldate(html: str, floor: date, limit: date, original: bool = True,
              extensive: bool = False) -> date | None:
    from htmldate import find_date

    # url="" rather than None: with None, htmldate reads the date out of the canonical
    # link's URL, and "page" would then mean "URL".
    found = find_date(html, url="", original_date=original, extensive_search=extensive,
                      min_date=floor.isoformat(), max_date=limit.isoformat())
    if not found:
        return None
    try:
        value = date.fromisoformat(found[:10])
    except ValueError:
        return None
    return value if floor <= value <= limit else None


def metadata_date(html: str, floor: date, limit: date, original: bool = True,
                  extensive: bool = False) -> date | None:
    """The publication (``original``) or latest date in the page's metadata, by htmldate's
    fast search (or its ``extensive`` one over the whole text), within [floor, limit]."""
    found = _htmldate(html, floor, limit, original, extensive)
    if found is not None and found.day == 1:
        # A date past max_date makes htmldate fall back to its year and month
        # (2026-07-12 -> 2026-07-01): ask again without the limit and drop such a stand-in.
        unbounded = _htmldate(html, floor, _FAR_FUTURE, original, extensive)
        if (unbounded is not None and unbounded != found
                and (unbounded.year, unbounded.month) == (found.year, found.month)):
            found = None
    return found


# Published times with an offset, where pages put them: Open Graph, schema.org (JSON-LD or
# microdata), Dublin Core, <time datetime>.
_PUBLISHED_META_RE = re.compile(
    r"""<meta\b[^>]*?(?:property|name|itemprop)\s*=\s*["'](?:article:published_time|"""
    r"""og:published_time|datePublished|dc\.date|dcterms\.created|pubdate|publishdate|"""
    r"""sailthru\.date|parsely-pub-date)["'][^>]*>""", re.I)
_CONTENT_RE = re.compile(r"""\bcontent\s*=\s*["']([^"']+)["']""", re.I)
_LD_PUBLISHED_RE = re.compile(r""""datePublished"\s*:\s*"([^"]+)\"""")
_TIME_ATTR_RE = re.compile(r"""<time\b[^>]*\bdatetime\s*=\s*["']([^"']+)["']""", re.I)
_ISO_RE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*"
                     r"(Z|[+-]\d{2}:?\d{2})\s*$", re.I)


def _aware(value: str) -> datetime | None:
    m = _ISO_RE.match(value)
    if not m:
        return None
    zone = m.group(3).upper()
    if zone == "Z":
        zone = "+00:00"
    elif ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    try:
        return datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}{zone}")
    except ValueError:
        return None


def published_times(html: str) -> list[datetime]:
    """Publication times with a UTC offset that the page's metadata states, in page order
    of preference (meta tags, JSON-LD, ``<time>``)."""
    values: list[str] = []
    for m in _PUBLISHED_META_RE.finditer(html):
        content = _CONTENT_RE.search(m.group(0))
        if content:
            values.append(html_lib.unescape(content.group(1)))
    values += _LD_PUBLISHED_RE.findall(html)
    values += _TIME_ATTR_RE.findall(html)
    out = []
    for v in values:
        dt = _aware(v)
        if dt is not None:
            out.append(dt)
    return out


def _in_zone(day: date, times: list[datetime], timezone: str | None) -> date:
    """htmldate reads the day as written; where the page states that moment with its
    offset, the outlet's own day is the one that counts."""
    if timezone in (None, AS_WRITTEN):
        return day
    for dt in times:
        if dt.date() == day:
            return local_day(dt, timezone)
    return day


# --- the visible date ----------------------------------------------------------------------

_MONTH_NAMES = (
    "january february march april may june july august september october november december",
    "jan feb mar apr may jun jul aug sep oct nov dec",
    "januar februar märz april mai juni juli august september oktober november dezember",
    "jänner feber märz april mai juni juli august september oktober november dezember",
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre "
    "dicembre",
    "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
)
_MONTHS: dict[str, int] = {"sept": 9}
for _names in _MONTH_NAMES:
    for _i, _name in enumerate(_names.split()):
        _MONTHS.setdefault(_name, _i + 1)
_MONTH_ALT = "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True))
_YEAR = r"((?:19|20)\d{2})"
_NOTATIONS = (
    # 2026-07-08, 2026/07/08, 2026.07.08, 2026年7月8日, 2026년 7월 8일
    (re.compile(rf"(?<!\d){_YEAR}\s*[-/.年년]\s*(\d{{1,2}})\s*[-/.月월]\s*(\d{{1,2}})(?!\d)"),
     "ymd"),
    # 08.07.2026 (day first, as in Europe; slashes are left out: 07/08 is ambiguous)
    (re.compile(rf"(?<![\d.])(\d{{1,2}})\.\s?(\d{{1,2}})\.\s?{_YEAR}(?!\d)"), "dmy"),
    # 8. Juli 2026, 8 July 2026, 8 de julio de 2026, 8 июля 2026
    (re.compile(rf"(?<!\w)(\d{{1,2}})\.?\s*(?:de\s+)?({_MONTH_ALT})\.?,?\s*(?:de\s+)?{_YEAR}"
                r"(?!\d)", re.I), "dMy"),
    # July 8, 2026
    (re.compile(rf"(?<!\w)({_MONTH_ALT})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+{_YEAR}(?!\d)",
                re.I), "Mdy"),
)
# Class, id or itemprop of an element that holds a date (or the byline beside it).
_DATE_MARK_RE = re.compile(r"date|time|publi|posted|datum|dateline|byline|meta|stand|fecha",
                           re.I)
# Words that introduce a publication date in running text.
_DATE_LABEL_RE = re.compile(
    r"(?<!\w)(?:published|posted|veröffentlicht|erstellt|publiziert|stand|publié|publicado|"
    r"pubblicato|опубликовано|公開|発行|配信|发布|게재|입력|erschienen|gepostet)(?!\w)", re.I)
_DROP = ("script", "style", "noscript", "nav", "footer", "aside", "form", "select")
# How far from the headline to look: the byline and dateline sit right beside it; a date
# further down is a related article's or a comment's.
_AFTER_HEADLINE = 400
_BEFORE_HEADLINE = 60
_SHORT_TEXT = 200
# A date standing alone (an element holding little else) right under the headline is the
# dateline even when nothing marks it: <h1>..</h1><p><em>10.11.2021</em></p>.
_NEAR_HEADLINE = 12
_BARE_DATE_TEXT = 40


def parse_written_date(text: str, floor: date, limit: date) -> date | None:
    """The first date in ``text`` written in one of the notations above, within range."""
    best: tuple[int, date] | None = None
    for pattern, order in _NOTATIONS:
        for m in pattern.finditer(text):
            g = m.groups()
            try:
                if order == "ymd":
                    value = date(int(g[0]), int(g[1]), int(g[2]))
                elif order == "dmy":
                    value = date(int(g[2]), int(g[1]), int(g[0]))
                elif order == "dMy":
                    value = date(int(g[2]), _MONTHS[g[1].lower()], int(g[0]))
                else:
                    value = date(int(g[2]), _MONTHS[g[0].lower()], int(g[1]))
            except (ValueError, KeyError):
                continue
            if floor <= value <= limit and (best is None or m.start() < best[0]):
                best = (m.start(), value)
            break  # the first match of each notation is the one to compare
    return best[1] if best else None


def _alone(text: str) -> bool:
    """A date with at most a weekday and a time or "Uhr" beside it, not a sentence."""
    for pattern, _ in _NOTATIONS:
        m = pattern.search(text)
        if m:
            rest = text[:m.start()] + " " + text[m.end():]
            return sum(1 for w in rest.split() if any(c.isalpha() for c in w)) <= 2
    return False


# Class of a container that lists other articles: a date inside one is that article's.
_TEASER_RE = re.compile(r"(?<![a-z])(?:teaser|card|related|recommend)", re.I)


def _in_teaser(el: lxml.html.HtmlElement) -> bool:
    return any(_TEASER_RE.search(a.get("class", "")) for a in el.iterancestors())


def visible_date(html: str, floor: date, limit: date) -> date | None:
    """The date a reader sees by the headline (see the module docstring), within
    [floor, limit]; None when there is none."""
    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return None
    for el in tree.xpath("|".join(f"//{t}" for t in _DROP)):
        el.drop_tree()
    elements = [el for el in tree.iter() if isinstance(el.tag, str)]
    headline = next((i for i, el in enumerate(elements) if el.tag == "h1"), 0)
    order = (elements[headline:headline + _AFTER_HEADLINE]
             + elements[max(0, headline - _BEFORE_HEADLINE):headline][::-1])
    for i, el in enumerate(order):
        if _in_teaser(el):
            continue
        if i < _NEAR_HEADLINE and headline:
            text = el.text_content().strip()
            if len(text) <= _BARE_DATE_TEXT and _alone(text):
                found = parse_written_date(text, floor, limit)
                if found:
                    return found
        if el.tag == "time" and el.get("datetime"):
            found = parse_written_date(el.get("datetime", ""), floor, limit)
            if found:
                return found
        marks = " ".join(el.get(a, "") for a in ("class", "id", "itemprop"))
        own = f"{el.text or ''} {el.tail or ''}"
        if el.tag == "time" or _DATE_MARK_RE.search(marks):
            text = el.text_content()
            if len(text) < _SHORT_TEXT:
                found = parse_written_date(text, floor, limit)
                if found:
                    return found
        if len(own) < _SHORT_TEXT and _DATE_LABEL_RE.search(own):
            found = parse_written_date(own, floor, limit)
            # A label alone ("Erschienen am:") has its date in the next element.
            if found is None and i + 1 < len(order):
                after = order[i + 1].text_content()
                found = parse_written_date(after, floor, limit) if len(after) < _SHORT_TEXT \
                    else None
            if found:
                return found
    return None


# --- all together --------------------------------------------------------------------------

_CANONICAL_RE = re.compile(
    r"""<(?:link\b[^>]*\brel\s*=\s*["']canonical["']|meta\b[^>]*\bproperty\s*=\s*["']"""
    r"""og:url["'])[^>]*>""", re.I)
_HREF_RE = re.compile(r"""\b(?:href|content)\s*=\s*["']([^"']+)["']""", re.I)


def page_urls(html: str) -> list[str]:
    """The article's own addresses the page states (canonical link, og:url)."""
    out = []
    for m in _CANONICAL_RE.finditer(html[:200_000]):
        href = _HREF_RE.search(m.group(0))
        if href:
            out.append(html_lib.unescape(href.group(1)))
    return out


def date_evidence(html: str, urls: Iterable[str], feed: datetime | date | None = None, *,
                  timezone: str | None = None, floor: date = EARLIEST_DATE,
                  limit: date | None = None) -> DateChoice:
    """Gather every source's day for one page and vote (see the module docstring).

    ``urls``: the addresses the article was found and fetched at; the page's canonical
    link and og:url are added. ``feed``: the feed entry's time (or day). ``limit``
    defaults to tomorrow (UTC).
    """
    limit = limit or datetime.now(UTC).date() + MAX_FUTURE
    floor = max(floor, EARLIEST_DATE)
    if limit < floor:
        return DateChoice(None, None)
    found: list[DateCandidate] = []

    def add(day: date | None, source: str, weight: float | None = None) -> None:
        if day is not None and floor <= day <= limit:
            found.append(DateCandidate(day, source, weight))

    if feed is not None:
        add(local_day(feed, timezone), "feed")
    url_day = next((d for u in [*urls, *page_urls(html)] if (d := date_from_url(u))), None)
    add(url_day, "url")
    times = published_times(html)
    stated = {t.date() for t in times}
    readings: dict[str, date | None] = {}
    for source, original in (("page", True), ("updated", False)):
        try:
            readings[source] = metadata_date(html, floor, limit, original)
        except Exception:  # htmldate/lxml on broken markup: other sources remain
            readings[source] = None
    page_day = readings["page"]
    if page_day is not None and page_day not in stated:
        if (page_day.month, page_day.day) == (1, 1):
            # The oldest date htmldate finds is often a year-only placeholder
            # (dateCreated "01/01/2004"): a 1 January no stated time confirms is no evidence.
            readings["page"] = None
        elif readings["updated"] == page_day:
            # Both searches returning a date no stated publication time confirms is one
            # reading (often a comment's date or a <meta name=date> of unknown notation),
            # not two sources agreeing.
            readings["updated"] = None
    for source, day in readings.items():
        add(_in_zone(day, times, timezone) if day else None, source,
            UNCONFIRMED if source == "page" and day is not None and day not in stated else None)
    add(visible_date(html, floor, limit), "visible")
    if not found:
        try:
            day = metadata_date(html, floor, limit, extensive=True)
        except Exception:
            day = None
        if day is not None and not _copyright_stand_in(day, html):
            add(day, "text")
    return choose(found)


_COPYRIGHT_RE = re.compile(r"(?:©|&copy;|&#169;|\(c\)|copyright)\s*(?:\d{4}\s*[-–]\s*)?"
                           r"((?:19|20)\d{2})", re.I)


def _copyright_stand_in(day: date, html: str) -> bool:
    """htmldate's extensive search turns a bare year into its 1 January; on a page whose
    copyright line names that year, that is the copyright, not a publication date."""
    if (day.month, day.day) != (1, 1):
        return False
    return any(int(y) == day.year for y in _COPYRIGHT_RE.findall(html))
