"""Turning an article page into text and metadata with trafilatura."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date

import trafilatura

_CHARSET_RE = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_\-]+)""", re.I)


@dataclass(frozen=True)
class Extracted:
    title: str | None
    author: str | None
    date: date | None
    text: str
    language: str | None
    sitename: str | None
    canonical: str | None


def decode_html(body: bytes, content_type: str = "") -> str:
    """Decode a page: charset from the HTTP header, else the page's <meta>, else UTF-8,
    else trafilatura's own detection."""
    candidates = []
    m = re.search(r"charset=([A-Za-z0-9_\-]+)", content_type or "", re.I)
    if m:
        candidates.append(m.group(1))
    m2 = _CHARSET_RE.search(body[:4096])
    if m2:
        candidates.append(m2.group(1).decode("ascii"))
    candidates.append("utf-8")
    for enc in candidates:
        try:
            return body.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
    from trafilatura.utils import decode_file

    return decode_file(body)


def extract_page(html: str, url: str) -> Extracted | None:
    """Main text and metadata of an article page; None when there is no article text."""
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True,
                                      include_comments=False, include_tables=False)
    if doc is None:
        return None
    title = _clean(doc.title)
    text = doc.text or ""
    # trafilatura repeats the headline as the first line; mentions in it are counted apart.
    if title:
        first, _, rest = text.partition("\n")
        if first.strip() == title:
            text = rest
    text = text.strip()
    if not text:
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


def content_hash(text: str) -> str:
    """Hash of the text with whitespace normalised, so re-wrapped copies compare equal."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None
