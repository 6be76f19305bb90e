"""Turning an article page into text and metadata with trafilatura."""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass
from datetime import date

import trafilatura

# A charset declared in the first bytes: <meta charset>, <meta http-equiv=Content-Type
# content="...; charset=..."> or an XML declaration's encoding.
_CHARSET_RE = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)"""
    rb"""|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_:.\-]+)""", re.I)
_HEADER_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_:.\-]+)""", re.I)
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
# Labels mapped as browsers do (WHATWG Encoding Standard): pages labelled with the narrow
# legacy charset routinely use its Windows superset, which Python keeps apart.
_WHATWG = {
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
    "l1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252", "iso-8859-9": "cp1254",
    "latin5": "cp1254", "tis-620": "cp874", "iso-8859-11": "cp874",
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
    "ms_kanji": "cp932", "windows-31j": "cp932",
    "euc-kr": "cp949", "euc_kr": "cp949", "ks_c_5601-1987": "cp949", "windows-949": "cp949",
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
    "cp936": "gb18030", "euc-cn": "gb18030",
    "big5": "big5hkscs", "x-x-big5": "big5hkscs",
    "utf8": "utf-8", "unicode-1-1-utf-8": "utf-8",
}
# Shorter extractions are confirmed by trafilatura's precision mode before they count.
CONFIRM_BELOW_CHARS = 500
# Detection reads this much from the start and the end of a large page.
_DETECT_SAMPLE = 32_768


@dataclass(frozen=True)
class Extracted:
    title: str | None
    author: str | None
    date: date | None
    text: str
    language: str | None
    sitename: str | None
    canonical: str | None


def _codec(label: str) -> str | None:
    label = label.strip().strip("\"'").lower()
    name = _WHATWG.get(label, label)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_charsets(body: bytes, content_type: str = "") -> list[str]:
    """Python codec names the page declares, strongest first: byte-order mark, HTTP
    header, then <meta>/XML declaration in the first 4 KiB."""
    out: list[str] = []
    for bom, enc in _BOMS:
        if body.startswith(bom):
            out.append(enc)
    m = _HEADER_CHARSET_RE.search(content_type or "")
    labels = [m.group(1)] if m else []
    m2 = _CHARSET_RE.search(body[:4096])
    if m2:
        labels.append((m2.group(1) or m2.group(2)).decode("ascii"))
    for label in labels:
        codec = _codec(label)
        # A page cannot declare itself UTF-16 from inside 8-bit markup; browsers ignore it.
        if codec and not codec.startswith("utf-16") and codec not in out:
            out.append(codec)
    return out


def detect_charset(body: bytes) -> str | None:
    """The most likely encoding of undeclared bytes (charset_normalizer), or None."""
    from charset_normalizer import from_bytes

    sample = body
    if len(body) > 2 * _DETECT_SAMPLE:
        # Cut at a line break so no multi-byte character is split at the seams.
        head = body[:_DETECT_SAMPLE].rsplit(b"\n", 1)[0]
        tail = body[-_DETECT_SAMPLE:].split(b"\n", 1)[-1]
        sample = head + b"\n" + tail
    best = from_bytes(sample).best()
    return _codec(best.encoding) if best is not None else None


def decode_html(body: bytes, content_type: str = "") -> str:
    """Decode a page as a browser would, without trusting any single hint.

    Order: byte-order mark; valid UTF-8 with non-ASCII bytes; charset of the HTTP header;
    <meta charset>/XML declaration; strict UTF-8; then detection from the bytes themselves
    (pages with no charset anywhere, or a wrong one); only if all fail, UTF-8 with
    replacement characters.
    A declared charset the bytes do not decode under is treated as wrong.
    """
    candidates = declared_charsets(body, content_type)
    if not body.startswith(tuple(b for b, _ in _BOMS)) and not body.isascii():
        # Non-ASCII bytes that form valid UTF-8 are UTF-8 beyond reasonable doubt (legacy
        # text almost never is); this overrides the common stale "charset=ISO-8859-1".
        candidates.insert(0, "utf-8")
    candidates.append("utf-8")
    for enc in candidates:
        try:
            text = body.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
        return text[1:] if text.startswith("\ufeff") else text
    detected = detect_charset(body)
    if detected:
        try:
            return body.decode(detected)
        except (LookupError, UnicodeDecodeError):
            pass
    return body.decode("utf-8", "replace")


def extract_page(html: str, url: str) -> Extracted | None:
    """Main text and metadata of an article page; None when there is no article text."""
    # Tables are kept: on news pages they hold results, figures and timelines that are
    # part of the story (measured on real pages: docs/quality.md, "Real pages").
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True,
                                      include_comments=False, include_tables=True)
    if doc is None:
        return None
    title = _clean(doc.title)
    text = without_headline(doc.text or "", title)
    if not text:
        return None
    if len(text) < CONFIRM_BELOW_CHARS and not _has_precise_text(html, url):
        return None
    published = None
    if doc.date:
        try:
            published = date.fromisoformat(doc.date[:10])
        except ValueError:
            published = None
    return Extracted(title=title, author=_clean(doc.author), date=published, text=text,
                     language=_clean(getattr(doc, "language", None)),
                     sitename=_clean(doc.sitename), canonical=_clean(doc.url))


# How far into the extracted text a headline line may sit and still be the article's own
# (site name, menu and breadcrumb lines come first on pages where this happens).
_HEADLINE_SEARCH_LINES = 20
# A line of page furniture: short and without a sentence's end (menu items, site name,
# breadcrumbs, a dateline). A line before the headline that reads as a sentence is kept.
_FURNITURE_MAX_CHARS = 60
_SENTENCE_END = tuple(".!?。！？…\"'”’»)")


def _is_furniture(line: str) -> bool:
    flat = line.strip()
    return len(flat) <= _FURNITURE_MAX_CHARS and not flat.endswith(_SENTENCE_END)


def without_headline(text: str, title: str | None) -> str:
    """The article text without its headline and the page furniture before it.

    trafilatura repeats the headline as the first line, and on short pages (common in
    Chinese and Japanese, where 300 characters is a full story) its fallback extractors
    return the page from its top: site name and menu lines, then the headline, or headline,
    byline and text glued into one line. Mentions in the headline are counted apart, so the
    headline line goes; of the lines before it only furniture goes (short lines that end no
    sentence): a real page may put its lead or a whole paragraph above a repeated headline.
    """
    text = text.strip()
    if not title:
        return text
    head = " ".join(title.split())
    lines = text.split("\n")
    for i, line in enumerate(lines[:_HEADLINE_SEARCH_LINES]):
        flat = " ".join(line.split())
        if flat == head:
            rest = lines[i + 1:]
        elif flat.startswith(head) and line.lstrip()[len(head):len(head) + 1].isspace():
            rest = [line.lstrip()[len(head):].lstrip(), *lines[i + 1:]]
        else:
            continue
        kept = [x for x in lines[:i] if x.strip() and not _is_furniture(x)]
        return "\n".join([*kept, *rest]).strip()
    return text


def _has_precise_text(html: str, url: str) -> bool:
    # trafilatura's recall-oriented fallbacks turn a page without an article (an index
    # page, a cookie wall) into its menu and footer; its precision mode finds nothing there.
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=False, favor_precision=True,
                                      include_comments=False, include_tables=True)
    return doc is not None and bool((doc.text or "").strip())


def content_hash(text: str) -> str:
    """Hash of the text with whitespace normalised, so re-wrapped copies compare equal."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None
