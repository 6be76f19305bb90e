from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from blocwatch.config import Politeness, Settings, Source, SourcesConfig
from blocwatch.orchestration.crawl import discover_all
from blocwatch.records import SourceDiscovery
from blocwatch.stages import feeds as discover
from blocwatch.stages.feeds import FeedError, parse_feed

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


# --- partly broken feeds, read as feed readers read them --------------------------------
# Hand-written documents: each has one fault real feeds have, and good entries around it.

def rss(items: str, head: str = '<?xml version="1.0" encoding="utf-8"?>\n',
        channel: str = "") -> str:
    return (f'{head}<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>\n'
            f"<title>T</title>{channel}\n{items}\n</channel></rss>\n")


def item(path: str, title: str = "A", date: str = "Thu, 02 Jan 2025 10:00:00 +0000") -> str:
    return (f"<item><title>{title}</title><link>http://x.test{path}</link>"
            f"<pubDate>{date}</pubDate></item>\n")


AMP_LINKS = ["http://x.test/a.php?id=1&cat=2", "http://x.test/b.php?id=2&copy=1&lang=en",
             "http://x.test/c.html"]
AMP_RSS = rss("".join(f"<item><title>T{i}</title><link>{u}</link>"
                      f"<pubDate>Thu, 02 Jan 2025 1{i}:00:00 +0000</pubDate></item>\n"
                      for i, u in enumerate(AMP_LINKS)),
              channel='<atom:link rel="next" href="/feed.xml?page=2&amp;x=1"/>').encode()


def test_unescaped_ampersands_keep_every_link_whole() -> None:
    page = parse_feed(AMP_RSS, "http://x.test/feed.xml")
    # "&copy=1&lang=en" read as HTML entities would give "(c)=1<=en": a wrong URL.
    assert [e.url for e in page.entries] == AMP_LINKS
    assert [e.published for e in page.entries] == [date(2025, 1, 2)] * 3
    assert page.next_urls == ["http://x.test/feed.xml?page=2&x=1"]
    assert page.problems == ["not well-formed XML: 3 '&' not written as '&amp;' (read as text)"]
    atom = (b'<feed xmlns="http://www.w3.org/2005/Atom"><link rel="next" href="/p/2?a=1&b=2"/>'
            b'<entry><link href="/a?x=1&y=2"/></entry></feed>')
    page = parse_feed(atom, "http://y.test/atom.xml")
    assert [e.url for e in page.entries] == ["http://y.test/a?x=1&y=2"]
    assert page.next_urls == ["http://y.test/p/2?a=1&b=2"]


def test_undeclared_entity_keeps_the_entries_and_records_it() -> None:
    doc = rss(item("/a.html", "Kishida&nbsp;meets NATO &mdash; again") + item("/b.html")
              + item("/c.html", "Tokyo &hellip;"))
    page = parse_feed(doc.encode(), "http://x.test/feed.xml")
    assert [e.url for e in page.entries] == [f"http://x.test/{p}.html" for p in "abc"]
    assert page.entries[0].title == "Kishida\xa0meets NATO \u2014 again"
    assert len(page.problems) == 1
    assert page.problems[0].startswith("malformed XML at line 4: undefined entity")
    assert page.problems[0].endswith("; 3 entries recovered")


@pytest.mark.parametrize(("codec", "title", "shown"), [
    ("cp1252", "Café in Zürich: NATO’s “new” partners", "windows-1252"),
    ("shift_jis", "日本とＮＡＴＯが東京で会談、防衛協力を確認", "shift_jis"),
])
def test_wrong_encoding_declaration_is_read_and_recorded(codec: str, title: str,
                                                         shown: str) -> None:
    doc = rss(item("/a.html", title) + item("/b.html", "政府、サイバー防衛の新方針を発表"
                                             if codec == "shift_jis" else "Réunion à Genève"))
    page = parse_feed(doc.encode(codec), "http://x.test/feed.xml")  # declares utf-8
    assert [e.url for e in page.entries] == ["http://x.test/a.html", "http://x.test/b.html"]
    assert page.entries[0].title == title
    assert page.problems == [f"declared utf-8 but decoded as {shown}"]


def test_charset_of_the_http_header_counts() -> None:
    doc = rss(item("/a.html", "日本とＮＡＴＯ"), head='<?xml version="1.0"?>\n')
    page = parse_feed(doc.encode("shift_jis"), "http://x.test/f",
                      "application/rss+xml; charset=Shift_JIS")
    assert page.entries[0].title == "日本とＮＡＴＯ" and page.problems == []
    utf16 = parse_feed(doc.replace("1.0", '1.0" encoding="utf-16').encode("utf-16"),
                       "http://x.test/f")
    assert utf16.entries[0].title == "日本とＮＡＴＯ" and utf16.problems == []


def test_truncated_feed_keeps_its_complete_entries() -> None:
    full = rss(item("/a.html") + item("/b.html") + item("/c-is-cut.html"))
    cut = full[:full.index("/c-is")]  # mid-link: "http://x.test/c" is not the article
    page = parse_feed(cut.encode(), "http://x.test/feed.xml")
    assert [e.url for e in page.entries] == ["http://x.test/a.html", "http://x.test/b.html"]
    assert page.problems == ["malformed XML at line 6: no element found; 2 entries recovered"]
    atom = ATOM.replace(b"</feed>", b"<entry><link href='/b.html'/><title>B")
    page = parse_feed(atom, "http://y.test/atom.xml")
    assert [e.url for e in page.entries] == ["http://y.test/2025/05/06/a.html",
                                             "http://y.test/b.html"]
    assert "no element found; 2 entries recovered" in page.problems[0]


def test_broken_dates_keep_the_entry() -> None:
    doc = rss(item("/a.html", date="Thu, 32 Jan 2025 10:00:00 +0000")
              + item("/b.html", date="sometime last week") + item("/c.html"))
    page = parse_feed(doc.encode(), "http://x.test/feed.xml")
    assert [(e.url[-6:], e.published) for e in page.entries] == [
        ("a.html", None), ("b.html", None), ("c.html", date(2025, 1, 2))]
    assert page.problems == ["2 entries with an unreadable date, "
                             "e.g. 'Thu, 32 Jan 2025 10:00:00 +0000'"]


def test_dates_keep_the_feed_s_offset_and_updated_stands_in() -> None:
    doc = rss(item("/a.html", date="Thu, 02 Jan 2025 23:30:00 -0500")
              + item("/b.html", date="Seg, 24 Set 2018 19:42:40 -0300")  # Portuguese
              + "<item><link>http://x.test/c.html</link>"
              '<dc:date xmlns:dc="http://purl.org/dc/elements/1.1/">2025-03-04</dc:date></item>')
    a, b, c = parse_feed(doc.encode(), "http://x.test/feed.xml").entries
    # The day as the outlet wrote it (in UTC it is already 3 January).
    assert a.published == date(2025, 1, 2)
    assert a.published_at == datetime(2025, 1, 2, 23, 30, tzinfo=timezone(-timedelta(hours=5)))
    assert b.published_at == datetime(2018, 9, 24, 19, 42, 40,
                                      tzinfo=timezone(-timedelta(hours=3)))
    assert (c.published, c.published_at) == (date(2025, 3, 4), None)  # no time given
    atom = parse_feed(ATOM, "http://y.test/atom.xml").entries[0]
    assert atom.published_at == datetime(2025, 5, 6, 23, 30, tzinfo=UTC)


def test_declaration_after_whitespace_and_unclosed_cdata() -> None:
    page = parse_feed(("\n\n  " + rss(item("/a.html"))).encode(), "http://x.test/f")
    assert len(page.entries) == 1
    assert page.problems == ["XML declaration not at the start of the document"]
    doc = rss(item("/a.html") + item("/b.html") + "<item><title><![CDATA[Cut")
    page = parse_feed(doc.encode(), "http://x.test/f")
    assert [e.url[-6:] for e in page.entries] == ["a.html", "b.html"]
    assert page.problems == ["malformed XML at line 8: unclosed CDATA section; 2 entries recovered"]


def test_html_pages_and_other_documents_are_no_feeds() -> None:
    moved = (b'<head><title>Document Moved</title></head>\n<body><h1>Object Moved</h1>This '
             b'document may be found <a HREF="http://x.test/rss/">here</a></body>')
    for doc in (moved, b"  <?xml version='1.0'?>\n<html><body>x</body></html>",
                b"<!-- generated -->\n<!DOCTYPE HTML><html><p>x</p></html>"):
        with pytest.raises(FeedError, match="not a feed: the document is an HTML page"):
            parse_feed(doc, "http://x.test/feed.xml")
    with pytest.raises(FeedError, match="empty document"):
        parse_feed(b"<?xml version='1.0'?>\n<!-- nothing yet -->\n", "http://x.test/f")
    with pytest.raises(FeedError, match="not a feed or sitemap: the document is not XML"):
        parse_feed(b"/etc/hostname", "http://x.test/f")


BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol "lol">'
                  + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 or "")) * 10}">'
                            for i in range(1, 10))
                  + ']><rss version="2.0"><channel><item><title>&lol9;</title>'
                    '<link>http://x.test/a.html</link></item></channel></rss>').encode()


def test_billion_laughs_neither_expands_nor_hangs() -> None:
    start = time.monotonic()
    page = parse_feed(BILLION_LAUGHS, "http://x.test/f")
    assert time.monotonic() - start < 1.0
    assert [(e.url, e.title) for e in page.entries] == [("http://x.test/a.html", "&lol9;")]
    assert page.problems[0] == ("DOCTYPE with 10 entity declaration(s) removed: entities are "
                                "never expanded")


def test_guids_that_are_not_urls_are_not_links() -> None:
    doc = rss("<item><guid>12345</guid></item><item><guid>http://x.test/g.html</guid></item>"
              '<item><guid isPermaLink="false">http://x.test/no.html</guid></item>')
    assert [e.url for e in parse_feed(doc.encode(), "http://x.test/f").entries] == [
        "http://x.test/g.html"]


def test_caps_on_entries_and_markup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discover, "MAX_FEED_ENTRIES", 3)
    doc = rss("".join(item(f"/{i}.html") for i in range(5)))
    page = parse_feed(doc.encode(), "http://x.test/f")
    assert [e.url[-6:] for e in page.entries] == ["0.html", "1.html", "2.html"]
    assert page.problems == ["more than 3 entries: read the first 3"]
    monkeypatch.setattr(discover, "MAX_FEED_TAGS", 40)
    page = parse_feed(rss(item("/a.html") + "<x>" * 100).encode(), "http://x.test/f")
    assert [e.url for e in page.entries] == ["http://x.test/a.html"]
    assert "more than 40 tags: read the first 1 entries" in page.problems


def test_sitemaps_recover_without_corrupting_urls() -> None:
    doc = (b'<?xml version="1.0"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
           b' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
           b"<url><loc>http://z.test/a?id=1&cat=2</loc><lastmod>2025-01-03</lastmod></url>\n"
           b"<url><loc>http://z.test/b?id=2&amp;cat=3</loc><news:news><news:publication_date>"
           b"2025-01-04T09:30:00+09:00</news:publication_date></news:news></url>\n"
           b"<url><loc>http://z.test/c?id=3&amp;cat=4</loc></url>\n"
           b"<url><loc>http://z.test/d-is-cu")
    page = parse_feed(doc, "http://z.test/sitemap.xml")
    # A recovering libxml2 drops every "&amp;" after its first error: not here.
    assert [(e.url, e.published) for e in page.entries] == [
        ("http://z.test/a?id=1&cat=2", date(2025, 1, 3)),
        ("http://z.test/b?id=2&cat=3", date(2025, 1, 4)),
        ("http://z.test/c?id=3&cat=4", None)]
    assert page.entries[1].published_at == datetime(2025, 1, 4, 0, 30, tzinfo=UTC)
    assert page.problems == ["not well-formed XML: 1 '&' not written as '&amp;' (read as text)",
                             "document cut off: the unfinished last entry dropped"]
    index = parse_feed(SITEMAP_INDEX.replace(b"2025-02.xml", b"2025-02.xml?a=1&b=2"),
                       "http://z.test/sitemap.xml")
    assert index.next_urls[1] == "http://z.test/sitemaps/2025-02.xml?a=1&b=2"


# --- through the real discovery stage, over HTTP on 127.0.0.1 ---------------------------

class FeedWeb:
    """Serves fixed documents; counts requests per path (nothing may fetch what a feed
    names in a DOCTYPE)."""

    def __init__(self, docs: dict[str, tuple[bytes, str]]) -> None:
        self.docs = docs
        self.hits: Counter[str] = Counter()
        web = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                web.hits[self.path] += 1
                body, ctype = web.docs.get(self.path, (b"not found", "text/plain"))
                self.send_response(200 if self.path in web.docs else 404)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


RSS_TYPE = "application/rss+xml"


def broken_docs() -> dict[str, tuple[bytes, str]]:
    page2 = rss(item("/old-1.html?a=1&b=2") + item("/old-2.html")).encode()
    cut = rss(item("/t1.html") + item("/t2.html") + item("/t3-cut.html"))
    return {
        "/amp.xml": (AMP_RSS.replace(b"/feed.xml?page=2", b"/amp-2.xml?page=2"), RSS_TYPE),
        "/amp-2.xml?page=2&x=1": (page2, RSS_TYPE),
        "/entity.xml": (rss(item("/e1.html", "NATO&nbsp;summit") + item("/e2.html")).encode(),
                        RSS_TYPE),
        "/latin1.xml": (rss(item("/l1.html", "Réunion à Genève")).encode("cp1252"), RSS_TYPE),
        "/sjis.xml": (rss(item("/s1.html", "日本とＮＡＴＯが東京で会談")).encode("shift_jis"),
                      "text/xml"),
        "/cut.xml": (cut[:cut.index("/t3-cut")].encode(), RSS_TYPE),
        "/dates.xml": (rss(item("/d1.html", date="Thu, 32 Jan 2025")
                           + item("/d2.html")).encode(), RSS_TYPE),
        "/laughs.xml": (BILLION_LAUGHS.replace(b"http://x.test/a.html",
                                               b"http://x.test/laughs.html"), RSS_TYPE),
        "/moved.rss": (b"<head><title>Document Moved</title></head><body><h1>Object Moved"
                       b"</h1></body>", "text/html"),
        "/empty.xml": (b"", RSS_TYPE),
    }


def discover_over_http(web: FeedWeb, feeds: dict[str, list[str]]) -> dict[str, SourceDiscovery]:
    polite = Politeness(min_delay_s=0, timeout_s=5, retries=0)
    config = SourcesConfig(
        settings=Settings(user_agent="blocwatch-test/0.1 (+https://example.test/contact)",
                          politeness=polite),
        sources=[Source(id=sid, name=sid, homepage=f"{web.base}/", country="JP",
                        language="en", feeds=[f"{web.base}{p}" for p in paths],
                        allow_private_network=True) for sid, paths in feeds.items()])
    return {d.source_id: d for d in discover_all(config, config.sources, lambda urls: set())}


@pytest.fixture(scope="module")
def feed_web() -> Iterator[FeedWeb]:
    web = FeedWeb(broken_docs())
    yield web
    web.close()


def test_discovery_reads_every_entry_of_partly_broken_feeds(feed_web: FeedWeb) -> None:
    xxe = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY e SYSTEM "{base}/secret">\n'
           '<!ENTITY % p SYSTEM "{base}/dtd"> %p;]><rss version="2.0"><channel><item>'
           "<title>&e;</title><link>http://x.test/xxe.html</link></item></channel></rss>")
    feed_web.docs["/xxe.xml"] = (xxe.format(base=feed_web.base).encode(), RSS_TYPE)
    cases = {  # source -> (its feed, the URLs it must give, the problem it must record)
        "amp": ("/amp.xml", AMP_LINKS + ["http://x.test/old-1.html?a=1&b=2",
                                         "http://x.test/old-2.html"], "3 '&' not written"),
        "entity": ("/entity.xml", ["http://x.test/e1.html", "http://x.test/e2.html"],
                   "malformed XML at line 4: undefined entity; 2 entries recovered"),
        "latin1": ("/latin1.xml", ["http://x.test/l1.html"],
                   "declared utf-8 but decoded as windows-1252"),
        "sjis": ("/sjis.xml", ["http://x.test/s1.html"], "declared utf-8 but decoded as"),
        "cut": ("/cut.xml", ["http://x.test/t1.html", "http://x.test/t2.html"],
                "no element found; 2 entries recovered"),
        "dates": ("/dates.xml", ["http://x.test/d1.html", "http://x.test/d2.html"],
                  "1 entry with an unreadable date, e.g. 'Thu, 32 Jan 2025'"),
        "laughs": ("/laughs.xml", ["http://x.test/laughs.html"],
                   "DOCTYPE with 10 entity declaration(s) removed"),
        "xxe": ("/xxe.xml", ["http://x.test/xxe.html"], "2 entity declaration(s) removed"),
    }
    start = time.monotonic()
    found = discover_over_http(feed_web, {sid: [feed] for sid, (feed, _, _) in cases.items()})
    assert time.monotonic() - start < 20
    for sid, (feed, urls, problem) in cases.items():
        d = found[sid]
        assert sorted(c.url for c in d.candidates) == sorted(urls), sid
        # Read despite its problems: a document read, not a failed one.
        assert (d.docs_ok, d.docs_failed) == ((2, 0) if sid == "amp" else (1, 0)), sid
        assert any(e.startswith(f"{feed_web.base}{feed}: ") and problem in e
                   for e in d.errors), (sid, d.errors)
    # The readable date keeps its time and offset, for the day on the outlet's calendar.
    assert {c.url: c.feed_date for c in found["dates"].candidates} == {
        "http://x.test/d1.html": None,
        "http://x.test/d2.html": datetime(2025, 1, 2, 10, 0, tzinfo=UTC)}
    # Nothing a DOCTYPE names was fetched.
    assert feed_web.hits["/secret"] == feed_web.hits["/dtd"] == 0


def test_a_recovered_feed_never_hides_a_failed_one(feed_web: FeedWeb) -> None:
    found = discover_over_http(feed_web, {"mixed": ["/entity.xml", "/moved.rss", "/empty.xml",
                                                    "/missing.xml"]})["mixed"]
    assert (found.docs_ok, found.docs_failed) == (1, 3)
    base = feed_web.base
    # Failures first: run_sources.error keeps the first error of a source.
    assert found.errors[:3] == [
        f"{base}/moved.rss: not a feed: the document is an HTML page",
        f"{base}/empty.xml: empty document",
        f"{base}/missing.xml: HTTP 404"]
    assert found.errors[3].startswith(f"{base}/entity.xml: malformed XML at line 4")
    assert len(found.candidates) == 2
