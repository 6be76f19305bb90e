"""Reading feeds, sitemaps and URL lists into article URLs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from lxml import etree

from blocwatch.errors import BlocwatchError
from blocwatch.urls import parses


class FeedError(BlocwatchError):
    """A feed or sitemap could not be read."""


@dataclass(frozen=True)
class FeedEntry:
    url: str
    title: str | None = None
    published: date | None = None


@dataclass
class FeedPage:
    kind: str  # rss | atom | sitemapindex | urlset | list
    entries: list[FeedEntry] = field(default_factory=list)
    next_urls: list[str] = field(default_factory=list)  # next page / child sitemaps
    # Links that cannot be parsed as URLs (bad port, broken IPv6 host): skipped, reported.
    invalid: list[str] = field(default_factory=list)

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


# Feeds are untrusted input: no entity expansion, no network, no huge trees.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                          remove_comments=True, recover=False)
_ATOM = "{http://www.w3.org/2005/Atom}"


def _local(tag: object) -> str:
    return tag.split("}", 1)[1] if isinstance(tag, str) and "}" in tag else str(tag)


def _text(el: etree._Element | None) -> str | None:
    if el is None or el.text is None:
        return None
    t = el.text.strip()
    return t or None


def parse_date(value: str | None) -> date | None:
    """RFC 822 (RSS) or ISO 8601 (Atom, sitemaps) date; None when unparseable."""
    if not value:
        return None
    value = value.strip()
    try:
        return parsedate_to_datetime(value).date()
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def parse_feed(content: bytes, base_url: str) -> FeedPage:
    """Parse an RSS 2.0, Atom, sitemap index or urlset document.

    Raises FeedError with the reason when the document is not one of those.
    """
    head = content[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise FeedError("not a feed: the document is an HTML page")
    if not content.strip():
        raise FeedError("empty document")
    try:
        root = etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"malformed XML: {exc}") from exc
    kind = _local(root.tag)
    if kind == "rss" or kind == "RDF":
        return _parse_rss(root, base_url)
    if kind == "feed":
        return _parse_atom(root, base_url)
    if kind in ("sitemapindex", "urlset"):
        return _parse_sitemap(root, base_url, kind)
    raise FeedError(f"not a feed or sitemap: root element <{kind}>")


def _parse_rss(root: etree._Element, base: str) -> FeedPage:
    page = FeedPage("rss")
    for el in root.iter():
        name = _local(el.tag)
        if name == "item":
            link = None
            title = None
            published = None
            for child in el:
                cname = _local(child.tag)
                if cname == "link" and _text(child):
                    link = _text(child)
                elif cname == "guid" and link is None and child.get("isPermaLink") != "false":
                    link = _text(child)
                elif cname == "title":
                    title = _text(child)
                elif cname in ("pubDate", "date", "published"):
                    published = published or parse_date(_text(child))
            if link and (url := page.join(base, link)):
                page.entries.append(FeedEntry(url, title, published))
        elif name == "link" and el.tag.startswith(_ATOM) and el.get("rel") == "next":
            href = el.get("href")
            if href and (url := page.join(base, href)):
                page.next_urls.append(url)
    return page


def _parse_atom(root: etree._Element, base: str) -> FeedPage:
    page = FeedPage("atom")
    for link in root.findall(f"{_ATOM}link"):
        if link.get("rel") == "next" and link.get("href") and (
                url := page.join(base, link.get("href"))):
            page.next_urls.append(url)
    for entry in root.findall(f"{_ATOM}entry"):
        href = None
        for link in entry.findall(f"{_ATOM}link"):
            if link.get("rel", "alternate") == "alternate" and link.get("href"):
                href = link.get("href")
                break
        if not href or not (url := page.join(base, href)):
            continue
        published = parse_date(_text(entry.find(f"{_ATOM}published"))) or parse_date(
            _text(entry.find(f"{_ATOM}updated")))
        page.entries.append(FeedEntry(url, _text(entry.find(f"{_ATOM}title")), published))
    return page


def _parse_sitemap(root: etree._Element, base: str, kind: str) -> FeedPage:
    page = FeedPage(kind)
    for el in root:
        loc = lastmod = None
        for child in el:
            cname = _local(child.tag)
            if cname == "loc":
                loc = _text(child)
            elif cname == "lastmod":
                lastmod = parse_date(_text(child))
            elif cname == "news":
                for sub in child:
                    if _local(sub.tag) == "publication_date":
                        lastmod = parse_date(_text(sub)) or lastmod
        if not loc or not (url := page.join(base, loc)):
            continue
        if kind == "sitemapindex":
            page.next_urls.append(url)
        else:
            page.entries.append(FeedEntry(url, None, lastmod))
    return page
