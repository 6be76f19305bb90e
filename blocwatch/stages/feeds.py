"""Reading feeds, sitemaps and URL lists into article URLs.

Feeds (RSS 0.9x/1.0/2.0, Atom, RDF) are read by feedparser, as feed readers read them: a
feed with one unescaped ``&``, an undefined entity, a wrong encoding declaration or a
missing end still gives its good entries, and what was wrong is kept in
``FeedPage.problems``. Sitemaps are not feeds to feedparser; lxml reads them with a
recovering parser.

Feeds are untrusted input, so before either parser sees a byte:

* the document is decoded here and handed on as UTF-8 bytes, never as a URL or a path
  (feedparser opens a ``str`` that looks like a URL or a file name);
* a DOCTYPE is removed with its internal subset, so no entity is ever declared, let alone
  expanded (billion laughs) or fetched (external entities); feedparser's own DOCTYPE
  filter keeps "safe" entity declarations and misses some written on one line;
* the bodies of elements that only carry article text (description, content, summary)
  are emptied: only links, titles and dates are used, and feedparser spends about 15 us
  per tag in Python, so a 5 MB feed of nested or escaped markup would otherwise block the
  event loop for tens of seconds;
* at most ``MAX_FEED_ENTRIES`` entries (``MAX_SITEMAP_ENTRIES`` URLs) and
  ``MAX_FEED_TAGS`` tags are read from one document; the fetcher's ``max_bytes`` caps the
  bytes before that.
"""

from __future__ import annotations

import codecs
import io
import re
import time
import unicodedata
import xml.sax
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.html
from lxml import etree

from blocwatch.errors import BlocwatchError
from blocwatch.stages.extract import declared_charsets
from blocwatch.stages.urls import canonical_url, date_from_url, parses, same_site

# Entries read from one feed document; feeds list the newest few dozen, so more is a
# runaway or hostile feed. Paging (rel="next") reaches the rest.
MAX_FEED_ENTRIES = 10_000
# URLs read from one sitemap: the sitemaps.org protocol's own limit per file.
MAX_SITEMAP_ENTRIES = 50_000
# Tags and entity references handed to feedparser per document (after article bodies are
# emptied): bounds its Python-speed parse to a few seconds whatever the markup.
MAX_FEED_TAGS = 100_000


class FeedError(BlocwatchError):
    """A feed or sitemap could not be read."""


@dataclass(frozen=True)
class FeedEntry:
    url: str
    title: str | None = None
    # The day as the feed writes it (in the offset it gives, not converted to UTC).
    published: date | None = None
    # Timezone-aware time when the feed gives a time with an offset or zone; None for a
    # bare date or a time without a zone (then ``published`` is all that is known).
    published_at: datetime | None = None


@dataclass
class FeedPage:
    kind: str  # rss | atom | sitemapindex | urlset | list
    entries: list[FeedEntry] = field(default_factory=list)
    next_urls: list[str] = field(default_factory=list)  # next page / child sitemaps
    # Links that cannot be parsed as URLs (bad port, broken IPv6 host): skipped, reported.
    invalid: list[str] = field(default_factory=list)
    # What was wrong with a document that was still read, in plain words: malformed XML
    # and how much was recovered, a wrong encoding declaration, unreadable dates, caps hit.
    problems: list[str] = field(default_factory=list)

    def join(self, base: str, link: str) -> str | None:
        """``link`` resolved against ``base``; None (and noted in ``invalid``) when either
        is not a parseable URL, so one bad entry never costs the rest of the feed."""
        try:
            url = urljoin(base, link)
        except ValueError:
            url = None
        if url is None or not parses(url):
            self.invalid.append(link)
            return None
        return url

    def invalid_note(self, doc_url: str) -> str | None:
        """The error line for run_sources when some links were skipped."""
        if not self.invalid:
            return None
        return (f"{doc_url}: {len(self.invalid)} link(s) that are not valid URLs skipped, "
                f"e.g. {self.invalid[0][:200]!r}")


# ---------------------------------------------------------------------------------------
# Dates

def parse_datetime(value: str | None) -> tuple[date | None, datetime | None]:
    """RFC 822 (RSS) or ISO 8601 (Atom, sitemaps) date: (day as written, aware time).

    The day is the one in the offset the feed gives; the time is None when the value has
    no time or no zone. Month names in a few European languages are read too (feeds
    write "Seg, 24 Set 2018 19:42:40 -0300"). (None, None) when unparseable.
    """
    if not value or not value.strip():
        return None, None
    value = value.strip()
    for parse in (lambda v: datetime.fromisoformat(v.replace("Z", "+00:00")),
                  parsedate_to_datetime, _local_date):
        try:
            dt = parse(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            continue
        if dt is not None:
            return dt.date(), dt if dt.tzinfo is not None else None
    try:
        return date.fromisoformat(value[:10]), None
    except ValueError:
        return None, None


# Month abbreviations, accents stripped: English, French, German, Italian, Portuguese,
# Spanish ("juin"/"juil" need four letters).
_MONTHS = {m: i for i, names in enumerate((
    "jan ene gen", "feb fev", "mar", "apr abr avr", "may mai mag", "jun giu juin",
    "jul lug juil", "aug ago aou", "sep set", "oct out okt ott", "nov", "dec dez dic"), 1)
    for m in names.split()}
_LOCAL_DATE = re.compile(
    r"(\d{1,2})\.?[\s-]+([^\W\d_]{3,})\.?[\s,-]+(\d{4})"
    r"(?:[\s,T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*(?:([+-]\d{2}):?(\d{2})|(GMT|UTC|Z)\b)?")


def _local_date(value: str) -> datetime | None:
    """ "24 Set 2018 19:42:40 -0300" with the month named in another language."""
    m = _LOCAL_DATE.search(value)
    if not m:
        return None
    name = unicodedata.normalize("NFKD", m.group(2)).encode("ascii", "ignore").decode()
    name = name.lower()
    month = _MONTHS.get(name[:4]) or _MONTHS.get(name[:3])
    if month is None:
        return None
    hh, mm, ss = (int(g) if g else 0 for g in m.group(4, 5, 6))
    tz = None
    if m.group(7):
        sign = -1 if m.group(7).startswith("-") else 1
        tz = timezone(sign * timedelta(hours=abs(int(m.group(7))), minutes=int(m.group(8))))
    elif m.group(9):
        tz = UTC
    return datetime(int(m.group(3)), month, int(m.group(1)), hh, mm, ss,
                    tzinfo=tz if m.group(4) else None)


def parse_date(value: str | None) -> date | None:
    """RFC 822 (RSS) or ISO 8601 (Atom, sitemaps) date; None when unparseable."""
    return parse_datetime(value)[0]


def _entry_when(entry: dict[str, Any]) -> tuple[date | None, datetime | None, str | None]:
    """Published, else updated: (day, aware time, the raw value when none could be read).

    The raw string is read first so the day stays in the feed's own offset; feedparser's
    UTC reading (it knows more formats) is the fallback.
    """
    unreadable = None
    for key in ("published", "updated"):
        raw = dict.get(entry, key)
        day, at = parse_datetime(raw) if isinstance(raw, str) else (None, None)
        if day is None:
            parsed = dict.get(entry, f"{key}_parsed")
            if isinstance(parsed, time.struct_time):
                try:
                    at = datetime(*parsed[:6], tzinfo=UTC)
                    day = at.date()
                except ValueError:
                    pass
        if day is not None:
            return day, at, None
        if raw and unreadable is None:
            unreadable = str(raw)
    return None, None, unreadable


# ---------------------------------------------------------------------------------------
# Bytes to safe text

_XML_DECL = re.compile(r"<\?xml\s[^>]*?\?>")
_DECLARED_LABEL = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([^"']{1,40})["']""")
_NAME = re.compile(r"[A-Za-z_][\w.:-]*")
_SPACE = re.compile(r"\s+")
_DOCTYPE_TOKEN = re.compile(r"""["'\[\]>]|<!--|<!ENTITY""")


def _decode(content: bytes, content_type: str = "") -> tuple[str, str | None]:
    """The document as text and, when it was not in the encoding it declares, why.

    Order as in ``extract.decode_html``: byte-order mark; non-ASCII bytes that are valid
    UTF-8; the HTTP charset, then the XML declaration (XML's default is UTF-8); then a
    mostly-UTF-8 document keeps its UTF-8 with the few bad bytes replaced (a feed cut
    mid-character, one stray Latin-1 byte); then detection from the bytes.
    """
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
                       (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                       (codecs.BOM_UTF16_BE, "utf-16-be")):
        if content.startswith(bom):
            return content[len(bom):].decode(codec, "replace"), None
    head = content[:4]
    if len(head) == 4 and head[1] == head[3] == 0 and head[0] and head[2]:
        return content.decode("utf-16-le", "replace"), None
    if len(head) == 4 and head[0] == head[2] == 0 and head[1] and head[3]:
        return content.decode("utf-16-be", "replace"), None

    m = _DECLARED_LABEL.search(content[:1024])
    label = m.group(1).decode("ascii", "replace").strip().lower() if m else None
    declared = declared_charsets(content[:1024] if label else b"", content_type)
    said = declared[0] if declared else None
    candidates = ([] if content.isascii() else ["utf-8"]) + declared + ["utf-8"]
    for codec in dict.fromkeys(candidates):
        try:
            text = content.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
        return text, _wrong_declaration(said, label, codec)
    text = content.decode("utf-8", "replace")
    bad = text.count("\ufffd") - content.count(b"\xef\xbf\xbd")
    good = sum(1 for ch in text if ord(ch) > 0x7F and ch != "\ufffd")
    if said in (None, "utf-8") and good >= 10 * bad:
        return text, f"{bad} byte sequence(s) that are not UTF-8 replaced"
    for codec in (_guess_charset(content), "cp1252"):
        if codec:
            try:
                return content.decode(codec), _wrong_declaration(said, label, codec)
            except (LookupError, UnicodeDecodeError):
                continue
    return content.decode("cp1252", "replace"), "undecodable bytes read as windows-1252"


def _wrong_declaration(said: str | None, label: str | None, used: str) -> str | None:
    """The note for a document decoded as ``used`` that declared ``said`` (a codec) with
    the XML declaration's ``label``."""
    if said == used:
        return None
    if said is None and label:
        return f"declared encoding {label!r} is unknown, decoded as {_shown(used)}"
    if said is None:
        return None if used == "utf-8" else (f"no encoding declared and not UTF-8: "
                                             f"decoded as {_shown(used)}")
    return f"declared {_shown(said)} but decoded as {_shown(used)}"


def _shown(codec: str) -> str:
    """A codec by the name web pages declare it with."""
    if codec.startswith("cp125"):
        return "windows-125" + codec[5:]
    return {"cp932": "shift_jis", "cp949": "euc-kr", "cp874": "windows-874"}.get(codec, codec)


def _guess_charset(content: bytes) -> str | None:
    """charset_normalizer's guess, with windows-1252 (what browsers and feed readers
    assume for unlabelled legacy bytes) winning ties: on a short Portuguese feed it
    otherwise picks a Baltic code page that decodes the same bytes with equal "chaos"."""
    from charset_normalizer import from_bytes

    sample = content if len(content) <= 65_536 else content[:32_768] + content[-32_768:]
    matches = list(from_bytes(sample))
    if not matches:
        return None
    best = min(m.chaos for m in matches)
    if any(m.encoding == "cp1252" and m.chaos <= best for m in matches):
        return "cp1252"
    try:
        return codecs.lookup(matches[0].encoding).name
    except LookupError:
        return None


@dataclass
class _Prepared:
    text: str
    root: str | None  # qualified name of the root element, None when there is none
    problems: list[str]
    ended: bool = False  # nothing but a prolog (declaration, comments)

    @property
    def local(self) -> str:
        return (self.root or "").rsplit(":", 1)[-1]


def _blank(s: str) -> str:
    """What replaces removed markup: its line breaks, so error line numbers still match
    the document as served."""
    return "\n" * s.count("\n")


def _prepare(content: bytes, content_type: str = "") -> _Prepared:
    """Decode, find the root element, remove any DOCTYPE, and put one UTF-8 XML
    declaration first (a declaration after whitespace or a comment stops expat)."""
    text, enc_problem = _decode(content, content_type)
    problems = [enc_problem] if enc_problem else []
    text = text.lstrip("\ufeff")
    out: list[str] = []
    i, n, root = 0, len(text), None
    misplaced = False
    while i < n:
        ch = text[i]
        if ch.isspace():
            j = m.end() if (m := _SPACE.match(text, i)) else i + 1
            out.append(text[i:j])
            i = j
        elif text.startswith("<?", i):
            j = text.find("?>", i)
            if j < 0:
                break
            pi = text[i:j + 2]
            if _XML_DECL.fullmatch(pi):
                misplaced = misplaced or i > 0
                out.append(_blank(pi))
            else:
                out.append(pi)
            i = j + 2
        elif text.startswith("<!--", i):
            j = text.find("-->", i + 4)
            if j < 0:
                break
            out.append(text[i:j + 3])
            i = j + 3
        elif text[i:i + 9].upper() == "<!DOCTYPE":
            j, entities = _doctype_end(text, i)
            if j < 0:
                raise FeedError("malformed XML: the DOCTYPE declaration never ends")
            if entities:
                problems.append(f"DOCTYPE with {entities} entity declaration(s) removed: "
                                f"entities are never expanded")
            out.append(_blank(text[i:j]))
            i = j
        elif ch == "<" and (m := _NAME.match(text, i + 1)):
            root = m.group(0)
            break
        else:
            break
    if misplaced:
        problems.append("XML declaration not at the start of the document")
    body = "".join(out) + text[i:]
    return _Prepared('<?xml version="1.0" encoding="utf-8"?>' + body, root, problems, i >= n)


def _doctype_end(text: str, start: int) -> tuple[int, int]:
    """End (exclusive) of the DOCTYPE at ``start`` and how many ENTITY declarations its
    internal subset holds; (-1, n) when it never ends. Quoted strings and comments may
    hold ``>`` and ``]``."""
    pos, depth, entities = start + 9, 0, 0
    while m := _DOCTYPE_TOKEN.search(text, pos):
        tok = m.group(0)
        if tok in ("'", '"', "<!--"):
            j = text.find("-->" if tok == "<!--" else tok, m.end())
            if j < 0:
                return -1, entities
            pos = j + (3 if tok == "<!--" else 1)
            continue
        pos = m.end()
        if tok == "<!ENTITY":
            entities += 1
        elif tok == "[":
            depth += 1
        elif tok == "]":
            depth = max(0, depth - 1)
        elif depth == 0:  # ">"
            return pos, entities
    return -1, entities


# Elements that only carry article text or media captions; their bodies are emptied
# before feedparser reads the feed (see the module docstring).
_BODY_TAGS = ("description", "content:encoded", "content", "summary", "subtitle",
              "itunes:summary", "media:description", "media:text", "body", "xhtml:body")


def _strip_bodies(text: str) -> str:
    """``text`` with the bodies of ``_BODY_TAGS`` elements emptied, their line breaks
    kept. Linear: every search starts where the last ended, and an element that never
    ends stops the stripping there (the rest is left to the parser as it is)."""
    out: list[str] = []
    pos = 0
    opens = {t: text.find(f"<{t}", 0) for t in _BODY_TAGS}
    while True:
        live = {t: p for t, p in opens.items() if p >= 0}
        if not live:
            break
        tag, at = min(live.items(), key=lambda kv: kv[1])
        after = at + len(tag) + 1
        if at < pos or after >= len(text) or text[after] not in " \t\r\n/>":
            opens[tag] = text.find(f"<{tag}", max(after, pos))
            continue
        gt = text.find(">", after)
        if gt < 0:
            break
        if text[gt - 1] == "/":  # <content src="..."/>: no body
            opens[tag] = text.find(f"<{tag}", gt)
            continue
        end = _close_of(text, gt + 1, f"</{tag}>")
        if end < 0:
            break
        out.append(text[pos:gt + 1])
        out.append(_blank(text[gt + 1:end]))
        pos = end
        opens[tag] = text.find(f"<{tag}", end)
    out.append(text[pos:])
    return "".join(out)


def _close_of(text: str, start: int, close: str) -> int:
    """Index of ``close`` after ``start``, passing over CDATA sections (which may hold
    it as text); -1 when it never comes. Each stretch of text is searched once."""
    pos, end = start, text.find(close, start)
    while end >= 0:
        cdata = text.find("<![CDATA[", pos, end)
        if cdata < 0:
            return end
        pos = text.find("]]>", cdata + 9)
        if pos < 0:
            return -1
        pos += 3
        if pos > end:
            end = text.find(close, pos)
    return -1


# What costs feedparser a Python call each: tags and entity or character references.
_MARKUP = re.compile(r"[<&]")
_ENTRY_END = re.compile(r"</(?:[\w.-]+:)?(?:item|entry)\s*>")


def _cap(text: str, root: str | None, entry_end: re.Pattern[str], max_entries: int,
         max_tags: int | None) -> tuple[str, str | None]:
    """Cut ``text`` after ``max_entries`` entries or before ``max_tags`` tags, keeping the
    closing of the document; (text, note) where the note says what was dropped."""
    tags = text.count("<") + text.count("&")
    if (max_tags is None or tags <= max_tags) and text.count("</") < max_entries:
        return text, None  # fewer end tags than the cap: fewer entries too
    limit = len(text)
    if max_tags is not None and tags > max_tags:
        for k, m in enumerate(_MARKUP.finditer(text)):
            if k == max_tags:
                limit = m.start()
                break
    cut, count = None, 0
    for m in entry_end.finditer(text, 0, limit):
        count += 1
        cut = m.end()
        if count == max_entries:
            break
    else:
        if limit == len(text):
            return text, None
    if cut is None:
        cut = limit
        note = f"more than {max_tags} tags before the first entry ends: cut there"
    elif count == max_entries:
        note = f"more than {max_entries} entries: read the first {max_entries}"
    else:
        note = f"more than {max_tags} tags: read the first {count} entries"
    tail = -1
    if root:
        closing = ["</channel>"] if root.rsplit(":", 1)[-1] == "rss" else []
        for c in [*closing, f"</{root}"]:
            tail = text.rfind(c)
            if tail >= cut:
                break
    return text[:cut] + (text[tail:] if tail >= cut else ""), note


# ---------------------------------------------------------------------------------------
# The entry point

_HTML_ROOTS = ("html", "head", "body")
_SITEMAP_ROOTS = ("sitemapindex", "urlset")


def parse_feed(content: bytes, base_url: str, content_type: str = "") -> FeedPage:
    """Parse an RSS 0.9x/1.0/2.0, Atom or RDF feed, a sitemap index or a urlset.

    Good entries of a partly broken document are kept and what was wrong is listed in
    ``problems``. Raises FeedError with the reason when the document is not one of those
    (an HTML page, an empty document, another XML vocabulary) or nothing in it could be
    read. ``content_type`` is the HTTP header, for its charset.
    """
    if not content.strip():
        raise FeedError("empty document")
    if content[:512].lstrip().lower().startswith((b"<!doctype html", b"<html")):
        raise FeedError("not a feed: the document is an HTML page")
    doc = _prepare(content, content_type)
    if doc.local.lower() in _HTML_ROOTS:
        raise FeedError("not a feed: the document is an HTML page")
    if doc.root is None:
        if doc.ended:
            raise FeedError("empty document: no element in it")
        raise FeedError("not a feed or sitemap: the document is not XML")
    if doc.local in _SITEMAP_ROOTS:
        return _read_sitemap(doc, base_url)
    return _read_feed(doc, base_url)


def _malformed(where: str, recovered: int) -> str:
    got = {0: "no entry with a link", 1: "1 entry"}.get(recovered, f"{recovered} entries")
    return f"malformed XML{where}; {got} recovered"


def _read_feed(doc: _Prepared, base: str) -> FeedPage:
    # Stray "&" escaped first: feedparser's fallback parser would read "&copy=2&lang=en"
    # in a link as HTML entities without their semicolons, "(c)=2<=en".
    text, amps = _escape_stray_ampersands(_strip_bodies(doc.text))
    text, cap_note = _cap(text, doc.root, _ENTRY_END, MAX_FEED_ENTRIES, MAX_FEED_TAGS)
    try:
        # Bytes in a stream: feedparser fetches or opens anything else that looks like a
        # URL or a file name. Sanitising and URI resolution in HTML are for displaying
        # content, which is not read here.
        result = feedparser.parse(io.BytesIO(text.encode("utf-8")), sanitize_html=False,
                                  resolve_relative_uris=False)
    except Exception as exc:  # a parser bug must cost this document, not the discovery
        raise FeedError(f"feed parser failed: {type(exc).__name__}: {exc}") from exc
    version = result.get("version") or ""
    kind = "atom" if version.startswith("atom") or doc.local == "feed" else "rss"
    page = FeedPage(kind)
    entries = result.get("entries") or []
    if not version and not entries:
        raise FeedError(f"not a feed or sitemap: root element <{doc.local}>")
    feed = result.get("feed") or {}
    for link in dict.get(feed, "links") or []:
        if link.get("rel") == "next" and link.get("href") and (
                url := page.join(base, link["href"])):
            page.next_urls.append(url)
    bad_dates: list[str] = []
    for entry in entries[:MAX_FEED_ENTRIES]:
        link = _entry_link(entry)
        if not link or not (url := page.join(base, link)):
            continue
        day, at, unreadable = _entry_when(entry)
        if unreadable:
            bad_dates.append(unreadable)
        title = dict.get(entry, "title")
        title = title.strip() if isinstance(title, str) else None
        page.entries.append(FeedEntry(url, title or None, day, at))
    problems = list(doc.problems)
    if amps:
        problems.append(_amp_note(amps))
    if result.get("bozo"):
        exc = result.get("bozo_exception")
        if isinstance(exc, xml.sax.SAXParseException):
            where = f" at line {exc.getLineNumber()}: {exc.getMessage()}"
        else:
            where = f": {exc}"
        if not page.entries:
            raise FeedError("; ".join([_malformed(where, 0), *problems]))
        problems.append(_malformed(where, len(page.entries)))
    if bad_dates:
        problems.append(f"{len(bad_dates)} entr{'y' if len(bad_dates) == 1 else 'ies'} "
                        f"with an unreadable date, e.g. {bad_dates[0][:60]!r}")
    if cap_note:
        problems.append(cap_note)
    page.problems = problems
    return page


_ABSOLUTE_HTTP = re.compile(r"\s*https?://", re.I)


def _entry_link(entry: dict[str, Any]) -> str | None:
    """The article link: the HTML alternate link, else any alternate link. A guid stands
    in for the link only when it is an absolute http(s) URL (RSS says a permalink guid
    is one; ids like "12345" would otherwise become paths on the feed's host)."""
    link = dict.get(entry, "link")
    if link and dict.get(entry, "guidislink") and not _ABSOLUTE_HTTP.match(link):
        link = None
    if not link:
        for alt in dict.get(entry, "links") or []:
            if alt.get("rel", "alternate") == "alternate" and alt.get("href"):
                return str(alt["href"]).strip() or None
        return None
    return str(link).strip() or None


_STRAY_AMP = re.compile(r"&(?!(?:[A-Za-z_][\w.-]*|#[0-9]+|#[xX][0-9a-fA-F]+);)")
_SITEMAP_END = re.compile(r"</(?:[\w.-]+:)?(?:url|sitemap)\s*>")


def _escape_stray_ampersands(text: str) -> tuple[str, int]:
    """``&`` that starts no entity or character reference, escaped outside CDATA
    sections, and how many.

    Parsers that recover guess wrong at a stray ``&``: feedparser's fallback reads HTML
    entities without semicolons in links, libxml2 drops text (see ``_sitemap_refs``). A
    wrong URL is worse than a missing one. A named reference with its semicolon
    (``&nbsp;``) is left to the parser.
    """
    return _outside_cdata(text, lambda chunk: _STRAY_AMP.subn("&amp;", chunk))


def _outside_cdata(text: str, fix: Callable[[str], tuple[str, int]]) -> tuple[str, int]:
    """``fix`` applied to the text between CDATA sections; the sum of its counts. An
    unclosed CDATA section runs to the end, as it does for the parser."""
    out: list[str] = []
    pos, count = 0, 0
    while pos < len(text):
        start = text.find("<![CDATA[", pos)
        fixed, k = fix(text[pos:start if start >= 0 else len(text)])
        out.append(fixed)
        count += k
        if start < 0:
            break
        end = text.find("]]>", start)
        end = len(text) if end < 0 else end + 3
        out.append(text[start:end])
        pos = end
    return "".join(out), count


def _amp_note(count: int) -> str:
    return f"not well-formed XML: {count} '&' not written as '&amp;' (read as text)"


# ---------------------------------------------------------------------------------------
# Sitemaps

_REF = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|([A-Za-z_][\w.-]*));")
_XML_CHAR = re.compile("[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_PREDEFINED = {"gt": ">", "quot": '"', "apos": "'"}


def _sitemap_refs(text: str) -> tuple[str, int, dict[int, str]]:
    """Every ``&`` outside CDATA replaced, before lxml sees it: references by their
    character, ``&`` and ``<`` by private-use marks; (text, stray ``&`` count, the
    translation that turns the marks back).

    After its first error, libxml2's recovering parser drops every entity reference,
    ``&amp;`` included, so ``/a?b=1&amp;c=2`` would come out as ``/a?b=1c=2``: a
    wrong URL, silently. With no reference left, an error costs at most its element.
    An undefined named reference (``&nbsp;``) is an unescaped ``&``, kept as text.
    """
    free = (chr(c) for c in range(0xE000, 0xF900) if chr(c) not in text)
    amp, lt = next(free), next(free)

    def ref(m: re.Match[str]) -> str:
        dec, hexa, name = m.groups()
        if name is not None:
            return amp if name == "amp" else lt if name == "lt" else _PREDEFINED.get(
                name, m.group(0))  # the "&" is replaced (and counted) with the stray ones
        ch = chr(min(int(dec) if dec else int(hexa, 16), 0x10FFFF))
        return amp if ch == "&" else lt if ch == "<" else ch if _XML_CHAR.match(ch) else ""

    def fix(chunk: str) -> tuple[str, int]:
        chunk = _REF.sub(ref, chunk)
        return chunk.replace("&", amp), chunk.count("&")

    text, stray = _outside_cdata(text, fix)
    return text, stray, str.maketrans({amp: "&", lt: "<"})


def _read_sitemap(doc: _Prepared, base: str) -> FeedPage:
    kind = doc.local
    text, amps, unmark = _sitemap_refs(doc.text)
    text, cap_note = _cap(text, doc.root, _SITEMAP_END, MAX_SITEMAP_ENTRIES, None)
    problems = list(doc.problems)
    if amps:
        problems.append(_amp_note(amps))
    if not re.search(rf"</{re.escape(doc.root or kind)}\s*>\s*$", text[-300:]):
        # Cut off: keep only whole <url>/<sitemap> elements; the last one may end in the
        # middle of its <loc>, and a truncated URL is a wrong one.
        last = max((m.end() for m in _SITEMAP_END.finditer(text)), default=len(text))
        text = text[:last] + f"</{doc.root}>"
        problems.append("document cut off: the unfinished last entry dropped")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                             remove_comments=True, remove_pis=True, recover=True)
    try:
        root = etree.fromstring(text.encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"malformed XML: {exc}") from exc
    if root is None:
        raise FeedError("malformed XML: nothing could be read")
    page = _parse_sitemap(root, base, kind, unmark)
    found = len(page.entries) + len(page.next_urls)
    errors = [e for e in parser.error_log if e.level >= etree.ErrorLevels.ERROR]
    if errors:
        first = errors[0]
        where = f" at line {first.line}: {first.message}"
        if not found:
            raise FeedError("; ".join([_malformed(where, 0), *problems]))
        problems.append(_malformed(where, found))
    if cap_note:
        problems.append(cap_note)
    page.problems = problems
    return page


def _local(tag: object) -> str:
    return tag.split("}", 1)[1] if isinstance(tag, str) and "}" in tag else str(tag)


def _text(el: etree._Element | None, unmark: dict[int, str]) -> str | None:
    if el is None or el.text is None:
        return None
    t = el.text.translate(unmark).strip()
    return t or None


def _parse_sitemap(root: etree._Element, base: str, kind: str,
                   unmark: dict[int, str]) -> FeedPage:
    page = FeedPage(kind)
    for el in root:
        if not isinstance(el.tag, str):
            continue
        loc = None
        when: tuple[date | None, datetime | None] = (None, None)
        for child in el:
            cname = _local(child.tag)
            if cname == "loc":
                loc = _text(child, unmark)
            elif cname == "lastmod" and when[0] is None:
                when = parse_datetime(_text(child, unmark))
            elif cname == "news":
                for sub in child:
                    if _local(sub.tag) == "publication_date":
                        pub = parse_datetime(_text(sub, unmark))
                        when = pub if pub[0] is not None else when
        if not loc or not (url := page.join(base, loc)):
            continue
        if kind == "sitemapindex":
            page.next_urls.append(url)
        else:
            page.entries.append(FeedEntry(url, None, *when))
    return page


# ---------------------------------------------------------------------------------------
# HTML archive pages (a backfill's section, tag and archive listings)

_ASSET_RE = re.compile(r"\.(?:css|js|xml|rss|atom|json|png|jpe?g|gif|svg|webp|ico|pdf|zip)$",
                       re.I)


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
