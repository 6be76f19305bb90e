"""Publication dates: every source's day (feed, URL, page metadata, updated, visible, full
text) within the sanity rules, in the outlet's time zone, and the vote between them;
date_source says which won, date_agree/date_disagree how well supported it is."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from blocwatch.records import ArticleRecord, PageInput
from blocwatch.stages.dates import (
    EARLIEST_DATE,
    MAX_FUTURE,
    DateCandidate,
    choose,
    country_timezone,
    date_evidence,
    local_day,
    visible_date,
)
from blocwatch.stages.page import process_page

REPO = Path(__file__).resolve().parents[1]
TAXONOMY = str(REPO / "taxonomy.yaml")
TODAY = date(2026, 7, 10)
BODY = ("<p>Officials said the talks would resume next month after a pause of several weeks, "
        "and that both sides had agreed to keep their proposals confidential until then.</p>"
        * 4)


def html(head: str = "", byline: str = "", url: str = "http://x.test/story") -> str:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Talks</title>'
            f'<link rel="canonical" href="{url}">{head}</head><body>'
            f'<header><nav><a href="/">Home</a></nav></header><article><h1>Talks</h1>'
            f'{byline}{BODY}</article><footer><p>© 2026 Example News. All rights reserved.'
            f"</p></footer></body></html>")


def evidence(page: str, url: str = "http://x.test/story", feed: datetime | date | None = None,
             **kw: object) -> tuple[date | None, str | None]:
    """(day, source) the vote gives, judged on TODAY's fetch (limit: tomorrow)."""
    got = date_evidence(page, [url], feed, limit=TODAY + MAX_FUTURE, **kw)  # type: ignore[arg-type]
    return got.day, got.source


def C(day: str, source: str) -> DateCandidate:  # noqa: N802 - reads like a constructor
    return DateCandidate(date.fromisoformat(day), source)


# --- the vote ------------------------------------------------------------------------------

def test_the_vote_weighs_sources() -> None:
    # A feed's date outweighs the page's metadata and its updated date together...
    got = choose([C("2026-07-03", "page"), C("2026-07-03", "updated"), C("2026-07-02", "feed")])
    assert (got.day, got.source, got.agree, got.disagree) == (date(2026, 7, 2), "feed", 1, 2)
    # ...but not when the visible date says the same as they do, and the URL agrees.
    got = choose([C("2026-07-03", "page"), C("2026-07-03", "visible"),
                  C("2026-07-03", "url"), C("2026-07-02", "feed")])
    assert (got.day, got.source, got.agree, got.disagree) == (date(2026, 7, 3), "url", 3, 1)
    # Two of the page's readings agreeing beat a third on its own.
    got = choose([C("2026-07-03", "page"), C("2026-07-05", "updated"),
                  C("2026-07-05", "visible")])
    assert (got.day, got.source) == (date(2026, 7, 5), "visible")
    # A tie goes to the source first in PRIORITY.
    got = choose([C("2026-07-03", "page"), C("2026-07-05", "visible")])
    assert (got.day, got.source, got.agree, got.disagree) == (date(2026, 7, 3), "page", 1, 1)
    assert choose([]) == choose(())
    assert choose([]).day is None


def test_dates_more_than_a_day_ahead_are_skipped() -> None:
    url = "http://x.test/2026/07/01/story.html"
    assert evidence(html(), url, date(2026, 7, 11)) == (date(2026, 7, 11), "feed")
    assert evidence(html(), url, date(2026, 7, 12)) == (date(2026, 7, 1), "url")
    future = '<meta property="article:published_time" content="2031-01-01T00:00:00+00:00">'
    assert evidence(html(future), url, date(2030, 1, 1)) == (date(2026, 7, 1), "url")


def test_dates_before_the_floor_are_skipped() -> None:
    url = "http://x.test/2026/07/01/story.html"
    epoch = '<meta property="article:published_time" content="1970-01-01T00:00:00+00:00">'
    assert evidence(html(epoch), url) == (date(2026, 7, 1), "url")
    assert evidence(html(), "http://x.test/a", date(1994, 12, 31)) == (None, None)
    assert evidence(html(), "http://x.test/a", EARLIEST_DATE) == (EARLIEST_DATE, "feed")
    # An outlet's first publication day raises the floor: an earlier page date is a
    # template default or a date quoted in the text.
    old = '<meta property="article:published_time" content="2023-05-05T00:00:00+00:00">'
    first = date(2024, 3, 1)
    assert evidence(html(old), url, date(2026, 7, 2), floor=first) == (
        date(2026, 7, 2), "feed")
    assert evidence(html(old), "http://x.test/a", floor=first) == (None, None)


# --- the page's own sources ----------------------------------------------------------------

def test_page_date_from_metadata() -> None:
    head = '<meta property="article:published_time" content="2026-07-08T10:00:00+00:00">'
    assert evidence(html(head)) == (date(2026, 7, 8), "page")
    ld = ('<script type="application/ld+json">{"@type": "NewsArticle", '
          '"datePublished": "2026-07-08T10:00:00+09:00", '
          '"dateModified": "2026-07-09T10:00:00+09:00"}</script>')
    got = date_evidence(html(ld), ["http://x.test/story"], limit=TODAY + MAX_FUTURE)
    assert (got.day, got.source) == (date(2026, 7, 8), "page")
    assert {c.source: c.day for c in got.candidates} == {
        "page": date(2026, 7, 8), "updated": date(2026, 7, 9)}


def test_the_url_counts_as_the_url_never_as_the_page() -> None:
    """htmldate reads dates out of URLs (and canonical links) first; a page that gives no
    date must not get its URL's under the name "page"."""
    got = date_evidence(html(url="http://x.test/2026/07/08/story.html"),
                        ["http://x.test/story"], limit=TODAY + MAX_FUTURE)
    assert (got.day, got.source) == (date(2026, 7, 8), "url")
    assert [c.source for c in got.candidates] == ["url"]
    og = html('<meta property="og:url" content="http://x.test/2026/07/07/story.html">')
    assert evidence(og) == (date(2026, 7, 7), "url")


def test_a_copyright_line_is_no_publication_date() -> None:
    # htmldate's extensive search would answer 2026-01-01 here.
    assert evidence(html()) == (None, None)


def test_the_full_text_is_read_when_nothing_else_gives_a_date() -> None:
    page = html(byline="<p>Last checked on July 4, 2026 by the desk.</p>")
    got = date_evidence(page, ["http://x.test/story"], limit=TODAY + MAX_FUTURE)
    assert (got.day, got.source, got.agree, got.disagree) == (date(2026, 7, 4), "text", 1, 0)


def test_published_rather_than_modified() -> None:
    head = ('<meta property="article:published_time" content="2026-07-01T10:00:00+00:00">'
            '<meta property="article:modified_time" content="2026-07-05T10:00:00+00:00">')
    assert evidence(html(head)) == (date(2026, 7, 1), "page")


def test_wrong_metadata_is_skipped_within_the_page() -> None:
    for bogus in ("1970-01-01T00:00:00+00:00", "2031-01-01T00:00:00+00:00"):
        head = f'<meta property="article:published_time" content="{bogus}">'
        assert evidence(html(head)) == (None, None), bogus
        good = '<time datetime="2026-07-04T08:00:00+00:00">4 July 2026</time>'
        assert evidence(html(head, good))[0] == date(2026, 7, 4), bogus


@pytest.mark.parametrize(("visible", "expected"), [
    ("2026年7月8日 18時05分", date(2026, 7, 8)),
    ("2026年07月08日 18:05", date(2026, 7, 8)),
    ("입력 2026.07.08 18:05", date(2026, 7, 8)),
    ("2026년 7월 8일", date(2026, 7, 8)),
    ("8 июля 2026, 18:05", date(2026, 7, 8)),
    ("08.07.2026 18:05", date(2026, 7, 8)),
    ("July 8, 2026", date(2026, 7, 8)),
    ("Mittwoch, 8. Juli 2026", date(2026, 7, 8)),
    ("8 de julio de 2026", date(2026, 7, 8)),
    ("le 8 juillet 2026", date(2026, 7, 8)),
])
def test_visible_dates_in_the_press_s_notations(visible: str, expected: date) -> None:
    page = html(byline=f'<p class="date">{visible}</p>')
    assert visible_date(page, EARLIEST_DATE, TODAY) == expected
    # htmldate's fast search reads some of these too (then "page" wins the tie).
    got = date_evidence(page, ["http://x.test/story"], limit=TODAY + MAX_FUTURE)
    assert (got.day, got.disagree) == (expected, 0)
    assert "visible" in {c.source for c in got.candidates}


def test_visible_dates_only_in_date_marked_or_labelled_places() -> None:
    body = html(byline="<p>The 2019年3月5日 agreement was cited.</p>")
    assert visible_date(body, EARLIEST_DATE, TODAY) is None
    marked = html(byline='<span class="pubdate">公開 2026年7月8日</span>')
    assert visible_date(marked, EARLIEST_DATE, TODAY) == date(2026, 7, 8)
    assert visible_date(marked, EARLIEST_DATE, date(2026, 7, 7)) is None
    labelled = html(byline="<p>Veröffentlicht am 06.07.2026 um 10:00</p>")
    assert visible_date(labelled, EARLIEST_DATE, TODAY) == date(2026, 7, 6)
    # A date in the footer or a script is a related article's or the page's build time.
    footer = html().replace("All rights", '<span class="date">July 2, 2026</span> All rights')
    assert visible_date(footer, EARLIEST_DATE, TODAY) is None


def test_a_date_standing_alone_under_the_headline_is_the_dateline() -> None:
    # Unmarked, but alone right under the headline (a real government page does this).
    alone = html(byline="<p><em>10.11.2021</em></p>")
    assert visible_date(alone, EARLIEST_DATE, TODAY) == date(2021, 11, 10)
    assert visible_date(html(byline="<p>Mittwoch, 10.11.2021, 14:30 Uhr</p>"),
                        EARLIEST_DATE, TODAY) == date(2021, 11, 10)
    # A short sentence quoting a date is not a dateline.
    assert visible_date(html(byline="<p>On 10.11.2021 the deal was cited.</p>"),
                        EARLIEST_DATE, TODAY) is None
    # A label alone has its date in the next element.
    label = html(byline="<span>Erschienen am:</span><h2>13.10.2021</h2>")
    assert visible_date(label, EARLIEST_DATE, TODAY) == date(2021, 10, 13)


def test_a_date_in_a_teaser_is_the_other_article_s() -> None:
    teaser = ('<div class="card"><p>Another story about something else entirely.</p>'
              '<div class="card-date">01.09.2004</div></div>')
    page = html().replace("</article>", f"{teaser}</article>")
    assert visible_date(page, EARLIEST_DATE, TODAY) is None
    # The same element outside a teaser is the article's.
    assert visible_date(page.replace('class="card"', 'class="box"'),
                        EARLIEST_DATE, TODAY) == date(2004, 9, 1)


def test_a_page_date_no_stated_time_confirms_counts_once() -> None:
    # <meta name="date"> is read by htmldate's searches for both the publication and the
    # latest date: one reading, and without a stated time it loses a tie to the dateline.
    head = '<meta name="date" content="2021-10-15">'
    byline = '<p class="date">13.10.2021</p>'
    got = date_evidence(html(head, byline), ["http://x.test/story"], limit=TODAY)
    assert (got.day, got.source) == (date(2021, 10, 13), "visible")
    assert sorted(c.source for c in got.candidates) == ["page", "visible"]
    # Stated with its time, the page's publication date wins the tie as before.
    stated = '<meta property="article:published_time" content="2021-10-15T09:00:00+02:00">'
    assert evidence(html(stated, byline)) == (date(2021, 10, 15), "page")
    # A 1 January placeholder no stated time confirms is no evidence at all.
    placeholder = ('<meta itemprop="dateCreated" content="2004-01-01">'
                   '<meta itemprop="dateModified" content="2019-06-13">')
    assert evidence(html(placeholder)) == (date(2019, 6, 13), "updated")


# --- time zones ----------------------------------------------------------------------------

def test_a_time_counts_on_the_outlet_s_calendar() -> None:
    late = datetime(2026, 7, 7, 15, 30, tzinfo=UTC)  # 00:30 on the 8th in Tokyo
    assert local_day(late, "Asia/Tokyo") == date(2026, 7, 8)
    assert local_day(late, "America/New_York") == date(2026, 7, 7)
    assert local_day(date(2026, 7, 7), "Asia/Tokyo") == date(2026, 7, 7)
    assert evidence(html(), feed=late, timezone="Asia/Tokyo") == (date(2026, 7, 8), "feed")
    head = '<meta property="article:published_time" content="2026-07-08T00:30:00+09:00">'
    assert evidence(html(head), timezone="Asia/Tokyo") == (date(2026, 7, 8), "page")
    assert evidence(html(head), timezone="America/New_York") == (date(2026, 7, 7), "page")
    # No zone known: the day as the page and the feed write it.
    assert evidence(html(head)) == (date(2026, 7, 8), "page")
    assert evidence(html(head), timezone="as-written") == (date(2026, 7, 8), "page")
    assert evidence(html(), feed=late, timezone="as-written") == (date(2026, 7, 7), "feed")


def test_time_zones_default_from_the_country() -> None:
    assert country_timezone("JP") == "Asia/Tokyo"
    assert country_timezone("kr") == "Asia/Seoul"
    # Countries spanning several zones take the shipped default, not zone.tab's first.
    assert country_timezone("US") == "America/New_York"
    assert country_timezone("RU") == "Europe/Moscow"
    assert country_timezone("AU") == "Australia/Sydney"
    assert country_timezone("XX") == "UTC"


def test_sources_yaml_timezone(tmp_path: Path) -> None:
    from blocwatch.config import load_sources
    from blocwatch.errors import ConfigError

    def write(extra: str) -> Path:
        path = tmp_path / "sources.yaml"
        path.write_text("sources:\n  - id: kyodo\n    name: Kyodo\n"
                        "    homepage: https://english.kyodonews.net/\n    country: JP\n"
                        f"    language: en\n    feeds: [https://x.test/rss]\n{extra}",
                        encoding="utf-8")
        return path

    assert load_sources(write("")).sources[0].zone == "Asia/Tokyo"
    assert load_sources(write("    timezone: Europe/London\n")).sources[0].zone == (
        "Europe/London")
    assert load_sources(write("    timezone: as-written\n")).sources[0].zone == "as-written"
    with pytest.raises(ConfigError, match="timezone.*unknown time zone 'Mars/Olympus'"):
        load_sources(write("    timezone: Mars/Olympus\n"))


# --- process_page: date_source ---------------------------------------------------------------

def process(body: str, url: str, feed: date | None, fetched: datetime) -> ArticleRecord:
    """process_page on one page: the dates as the ingest stores them."""
    rec = process_page(PageInput(url, url, body.encode(), "text/html", "x", "en", feed,
                                 fetched), TAXONOMY)
    assert isinstance(rec, ArticleRecord), rec
    return rec


@pytest.mark.parametrize(("head", "url", "feed", "expected"), [
    ('<meta property="article:published_time" content="2026-07-08T10:00:00+00:00">',
     "http://x.test/2026/07/08/a.html", date(2026, 7, 8), (date(2026, 7, 8), "feed", 4, 0)),
    ('<meta property="article:published_time" content="2026-07-08T10:00:00+00:00">',
     "http://x.test/news/a.html", None, (date(2026, 7, 8), "page", 2, 0)),
    ("", "http://x.test/news/a.html", date(2026, 7, 7), (date(2026, 7, 7), "feed", 1, 0)),
    ("", "http://x.test/2026/07/06/a.html", None, (date(2026, 7, 6), "url", 1, 0)),
    ('<meta property="article:published_time" content="1970-01-01T00:00:00+00:00">',
     "http://x.test/2026/07/06/a.html", date(2026, 7, 5), (date(2026, 7, 5), "feed", 1, 1)),
    ("", "http://x.test/news/a.html", None, (None, None, None, None)),
])
def test_date_source_says_which_won(head: str, url: str, feed: date | None,
                                    expected: tuple[date | None, str | None, int | None,
                                                    int | None]) -> None:
    rec = process(html(head, url=url), url, feed, datetime(2026, 7, 9, 6, tzinfo=UTC))
    assert (rec.published, rec.date_source, rec.date_agree, rec.date_disagree) == expected


def test_the_future_is_relative_to_the_fetch() -> None:
    """Reprocessing an archived page years later keeps judging "the future" from when the
    page was fetched."""
    head = '<meta property="article:published_time" content="2026-07-12T10:00:00+00:00">'
    url = "http://x.test/news/a.html"
    early = process(html(head, url=url), url, None, datetime(2026, 7, 9, tzinfo=UTC))
    assert (early.published, early.date_source) == (None, None)
    late = process(html(head, url=url), url, None, datetime(2026, 7, 12, tzinfo=UTC))
    assert (late.published, late.date_source) == (date(2026, 7, 12), "page")


def test_the_outlet_s_first_date_is_a_floor() -> None:
    head = '<meta property="article:published_time" content="2020-01-01T10:00:00+00:00">'
    url = "http://x.test/news/a.html"
    rec = process_page(PageInput(url, url, html(head, url=url).encode(), "text/html", "x",
                                 "en", date(2026, 7, 1), datetime(2026, 7, 9, tzinfo=UTC),
                                 first_date=date(2024, 1, 1)), TAXONOMY)
    assert isinstance(rec, ArticleRecord)
    assert (rec.published, rec.date_source) == (date(2026, 7, 1), "feed")


def test_first_date_in_sources_yaml_reaches_the_date_choice(tmp_path: Path) -> None:
    import yaml

    from blocwatch.config import load_sources
    from blocwatch.demo.server import DemoWeb
    from blocwatch.orchestration.batch import fetch_and_process
    from blocwatch.orchestration.crawl import discover_all
    from tests.conftest import build_demo

    corpus = build_demo(tmp_path, articles=40, seed=3)
    raw = yaml.safe_load((corpus / "sources.yaml").read_text(encoding="utf-8"))
    outlet = raw["sources"][0]["id"]
    ledger = yaml.safe_load((corpus / "ledger.json").read_text(encoding="utf-8"))
    days = sorted(a["published"] for a in ledger["articles"] if a["source"] == outlet)
    floor = date.fromisoformat(days[len(days) // 2])
    raw["sources"][0]["first_date"] = floor.isoformat()
    edited = tmp_path / "sources.yaml"
    edited.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    config = load_sources(edited)
    assert config.sources[0].first_date == floor
    with DemoWeb(corpus / "web") as web:
        found = discover_all(config, [config.sources[0]], lambda urls: set(), web.resolve_map())
        out = fetch_and_process(config, found[0].candidates, Path(TAXONOMY), None, None,
                                web.resolve_map())
    published = {a.url: a.published for a in out.articles}
    expected = {a["url"]: (date.fromisoformat(a["published"])
                           if a["published"] >= floor.isoformat() else None)
                for a in ledger["articles"] if a["source"] == outlet}
    # Pages dated before the outlet's first day get no date at all (page, feed and URL all
    # say the same day), the others keep theirs.
    assert published == expected
    assert None in published.values()
