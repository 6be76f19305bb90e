from __future__ import annotations

from datetime import date

import pytest

from blocwatch.discover import FeedError, parse_feed

RSS = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
<title>T</title><atom:link rel="next" href="/feed/page/2.xml"/>
<item><title>A</title><link>http://x.test/2025/01/02/a.html</link>
<pubDate>Thu, 02 Jan 2025 10:00:00 +0000</pubDate></item>
<item><title>B</title><guid>http://x.test/b.html</guid></item>
<item><title>No link</title></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
<link rel="self" href="http://y.test/atom.xml"/><link rel="next" href="http://y.test/atom/2.xml"/>
<entry><title>A</title><link rel="alternate" href="/2025/05/06/a.html"/>
<updated>2025-05-07T00:00:00Z</updated><published>2025-05-06T23:30:00Z</published></entry>
</feed>"""

SITEMAP_INDEX = b"""<?xml version="1.0"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>http://z.test/sitemaps/2025-01.xml</loc></sitemap>
<sitemap><loc>http://z.test/sitemaps/2025-02.xml</loc></sitemap></sitemapindex>"""

URLSET = b"""<?xml version="1.0"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>http://z.test/a.html</loc><lastmod>2025-01-03</lastmod></url></urlset>"""


def test_rss_entries_dates_and_next_page() -> None:
    page = parse_feed(RSS, "http://x.test/feed.xml")
    assert page.kind == "rss"
    assert [(e.url, e.published) for e in page.entries] == [
        ("http://x.test/2025/01/02/a.html", date(2025, 1, 2)), ("http://x.test/b.html", None)]
    assert page.next_urls == ["http://x.test/feed/page/2.xml"]


def test_atom_relative_links_and_published_date() -> None:
    page = parse_feed(ATOM, "http://y.test/atom.xml")
    assert page.kind == "atom"
    assert page.entries[0].url == "http://y.test/2025/05/06/a.html"
    assert page.entries[0].published == date(2025, 5, 6)
    assert page.next_urls == ["http://y.test/atom/2.xml"]


def test_sitemaps() -> None:
    index = parse_feed(SITEMAP_INDEX, "http://z.test/sitemap.xml")
    assert index.kind == "sitemapindex" and len(index.next_urls) == 2 and not index.entries
    urls = parse_feed(URLSET, "http://z.test/sitemaps/2025-01.xml")
    assert [(e.url, e.published) for e in urls.entries] == [("http://z.test/a.html",
                                                             date(2025, 1, 3))]


@pytest.mark.parametrize(("content", "reason"), [
    (b"<!DOCTYPE html><html><body>hi</body></html>", "HTML page"),
    (b"", "empty"),
    (RSS[:200], "malformed XML"),
    (b"<?xml version='1.0'?><note>x</note>", "root element <note>"),
    (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
     b"<rss><channel><item><link>&x;</link></item></channel></rss>", None),
])
def test_bad_documents_raise_feed_error_with_reason(content: bytes, reason: str | None) -> None:
    if reason is None:
        # External entities are never resolved: the local file must not leak into a URL.
        page = parse_feed(content, "http://x.test/")
        assert all("root:" not in e.url for e in page.entries)
        return
    with pytest.raises(FeedError, match=reason):
        parse_feed(content, "http://x.test/feed.xml")


@pytest.mark.parametrize("template", [
    b'<rss version="2.0"><channel>{items}</channel></rss>',
    b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>',
    b'<feed xmlns="http://www.w3.org/2005/Atom">{atom}</feed>',
])
def test_links_that_are_not_urls_are_skipped_and_reported(template: bytes) -> None:
    links = ["http://ok.test/a.html", "http://ok.test:99999/b.html", "http://[zz/c.html",
             "http://ok.test:x/d.html", "/e.html"]
    doc = template.replace(b"{items}", b"".join(
        b"<item><link>%s</link></item>" % u.encode() for u in links)).replace(
        b"{locs}", b"".join(b"<url><loc>%s</loc></url>" % u.encode() for u in links)).replace(
        b"{atom}", b"".join(b'<entry><link href="%s"/></entry>' % u.encode() for u in links))
    page = parse_feed(doc, "http://ok.test/feed.xml")
    assert [e.url for e in page.entries] == ["http://ok.test/a.html", "http://ok.test/e.html"]
    assert page.invalid == links[1:4]
    note = page.invalid_note("http://ok.test/feed.xml")
    assert note is not None and note.startswith("http://ok.test/feed.xml: 3 link(s)")
