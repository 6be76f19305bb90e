"""Publication dates: the page (htmldate without the URL), then the feed, then the URL, with
sanity rules; and date_source says which one won."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from blocwatch.process import (
    EARLIEST_DATE,
    ArticleRecord,
    PageInput,
    choose_date,
    page_date,
    process_page,
    visible_date,
)

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


# --- choose_date ------------------------------------------------------------------------------

def test_page_then_feed_then_url() -> None:
    url = "http://x.test/2026/07/01/story.html"
    assert choose_date(date(2026, 7, 3), date(2026, 7, 2), url, TODAY) == (
        date(2026, 7, 3), "page")
    assert choose_date(None, date(2026, 7, 2), url, TODAY) == (date(2026, 7, 2), "feed")
    assert choose_date(None, None, url, TODAY) == (date(2026, 7, 1), "url")
    assert choose_date(None, None, "http://x.test/story", TODAY) == (None, None)


def test_dates_more_than_a_day_ahead_are_skipped() -> None:
    url = "http://x.test/2026/07/01/story.html"
    assert choose_date(date(2026, 7, 11), None, url, TODAY) == (date(2026, 7, 11), "page")
    assert choose_date(date(2026, 7, 12), date(2026, 7, 9), url, TODAY) == (
        date(2026, 7, 9), "feed")
    assert choose_date(date(2031, 1, 1), date(2030, 1, 1), url, TODAY) == (
        date(2026, 7, 1), "url")


def test_dates_before_the_floor_are_skipped() -> None:
    url = "http://x.test/2026/07/01/story.html"
    assert choose_date(date(1970, 1, 1), None, url, TODAY) == (date(2026, 7, 1), "url")
    assert choose_date(date(1994, 12, 31), None, "http://x.test/a", TODAY) == (
        None, None)
    assert choose_date(EARLIEST_DATE, None, url, TODAY) == (EARLIEST_DATE, "page")
    # An outlet's first publication day raises the floor: an earlier page date is a
    # template default or a date quoted in the text.
    first = date(2024, 3, 1)
    assert choose_date(date(2023, 5, 5), date(2026, 7, 2), url, TODAY, first) == (
        date(2026, 7, 2), "feed")
    assert choose_date(date(2024, 3, 1), None, url, TODAY, first) == (date(2024, 3, 1), "page")


# --- page_date --------------------------------------------------------------------------------

def test_page_date_from_metadata() -> None:
    head = '<meta property="article:published_time" content="2026-07-08T10:00:00+00:00">'
    assert page_date(html(head), limit=TODAY) == date(2026, 7, 8)
    ld = ('<script type="application/ld+json">{"@type": "NewsArticle", '
          '"datePublished": "2026-07-08T10:00:00+09:00", '
          '"dateModified": "2026-07-09T10:00:00+09:00"}</script>')
    assert page_date(html(ld), limit=TODAY) == date(2026, 7, 8)


def test_page_date_never_reads_the_url() -> None:
    """htmldate reads dates out of URLs (and canonical links) first; a page that gives no
    date must not get its URL's under the name "page"."""
    assert page_date(html(url="http://x.test/2026/07/08/story.html"), limit=TODAY) is None


def test_a_copyright_line_is_no_publication_date() -> None:
    # htmldate's extensive search would answer 2026-01-01 here.
    assert page_date(html(), limit=TODAY) is None


def test_published_rather_than_modified() -> None:
    head = ('<meta property="article:published_time" content="2026-07-01T10:00:00+00:00">'
            '<meta property="article:modified_time" content="2026-07-05T10:00:00+00:00">')
    assert page_date(html(head), limit=TODAY) == date(2026, 7, 1)


def test_wrong_metadata_is_skipped_within_the_page() -> None:
    for bogus in ("1970-01-01T00:00:00+00:00", "2031-01-01T00:00:00+00:00"):
        head = f'<meta property="article:published_time" content="{bogus}">'
        assert page_date(html(head), limit=TODAY) is None, bogus
        good = '<time datetime="2026-07-04T08:00:00+00:00">4 July 2026</time>'
        assert page_date(html(head, good), limit=TODAY) == date(2026, 7, 4), bogus


@pytest.mark.parametrize(("visible", "expected"), [
    ("2026年7月8日 18時05分", date(2026, 7, 8)),
    ("2026年07月08日 18:05", date(2026, 7, 8)),
    ("입력 2026.07.08 18:05", date(2026, 7, 8)),
    ("2026년 7월 8일", date(2026, 7, 8)),
    ("8 июля 2026, 18:05", date(2026, 7, 8)),
    ("08.07.2026 18:05", date(2026, 7, 8)),
    ("July 8, 2026", date(2026, 7, 8)),
])
def test_visible_dates_in_the_beat_s_notations(visible: str, expected: date) -> None:
    page = html(byline=f'<p class="date">{visible}</p>')
    assert page_date(page, limit=TODAY) == expected


def test_visible_dates_only_in_date_marked_elements() -> None:
    body = html(byline="<p>The 2019年3月5日 agreement was cited.</p>")
    assert visible_date(body, EARLIEST_DATE, TODAY) is None
    marked = html(byline='<span class="pubdate">公開 2026年7月8日</span>')
    assert visible_date(marked, EARLIEST_DATE, TODAY) == date(2026, 7, 8)
    assert visible_date(marked, EARLIEST_DATE, date(2026, 7, 7)) is None


# --- process_page: date_source ---------------------------------------------------------------

def process(body: str, url: str, feed: date | None, fetched: datetime) -> ArticleRecord:
    rec = process_page(PageInput(url, url, body.encode(), "text/html", "x", "en", feed,
                                 fetched), TAXONOMY)
    assert isinstance(rec, ArticleRecord), rec
    return rec


@pytest.mark.parametrize(("head", "url", "feed", "expected"), [
    ('<meta property="article:published_time" content="2026-07-08T10:00:00+00:00">',
     "http://x.test/2026/07/08/a.html", date(2026, 7, 8), (date(2026, 7, 8), "page")),
    ("", "http://x.test/news/a.html", date(2026, 7, 7), (date(2026, 7, 7), "feed")),
    ("", "http://x.test/2026/07/06/a.html", None, (date(2026, 7, 6), "url")),
    ('<meta property="article:published_time" content="1970-01-01T00:00:00+00:00">',
     "http://x.test/2026/07/06/a.html", date(2026, 7, 5), (date(2026, 7, 5), "feed")),
    ("", "http://x.test/news/a.html", None, (None, None)),
])
def test_date_source_says_which_won(head: str, url: str, feed: date | None,
                                    expected: tuple[date | None, str | None]) -> None:
    rec = process(html(head, url=url), url, feed, datetime(2026, 7, 9, 6, tzinfo=UTC))
    assert (rec.published, rec.date_source) == expected


def test_the_future_is_relative_to_the_fetch() -> None:
    """Reprocessing an archived page years later keeps judging "the future" from when the
    page was fetched."""
    head = '<meta property="article:published_time" content="2026-07-12T10:00:00+00:00">'
    url = "http://x.test/2026/07/08/a.html"
    early = process(html(head, url=url), url, None, datetime(2026, 7, 9, tzinfo=UTC))
    assert (early.published, early.date_source) == (date(2026, 7, 8), "url")
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
    from blocwatch.pipeline import discover_all, fetch_and_process
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
