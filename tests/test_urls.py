from __future__ import annotations

from datetime import date

import pytest

from blocwatch.stages.urls import canonical_url, date_from_url, same_site


@pytest.mark.parametrize(("raw", "expected"), [
    ("HTTP://Example.TEST:80/a/b.html?utm_source=x&id=3&fbclid=y#comments",
     "http://example.test/a/b.html?id=3"),
    ("https://example.test:443/a?utm_medium=rss", "https://example.test/a"),
    ("https://example.test:8443/a?b=1&a=2", "https://example.test:8443/a?b=1&a=2"),
    ("https://example.test", "https://example.test/"),
])
def test_canonical_url(raw: str, expected: str) -> None:
    assert canonical_url(raw) == expected


@pytest.mark.parametrize(("url", "expected"), [
    ("https://x.test/2025/03/04/slug.html", date(2025, 3, 4)),
    ("https://x.test/news/2025-11-30-slug", date(2025, 11, 30)),
    ("https://x.test/a/20240229/slug", date(2024, 2, 29)),
    ("https://x.test/a/20230229/slug", None),  # not a real day
    ("https://x.test/id/1234567", None),
])
def test_date_from_url(url: str, expected: date | None) -> None:
    assert date_from_url(url) == expected


def test_same_site() -> None:
    assert same_site("https://www.x.test/a", "http://x.test/b")
    assert not same_site("https://x.test/a", "https://y.test/a")
