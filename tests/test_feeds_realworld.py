"""parse_feed against real, partly malformed feeds (../shared/realweb, not part of the
repository): it must find the entries feedparser 6.0.14 finds. Skipped without the data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blocwatch.stages.feeds import FeedError, parse_feed

REALWEB = Path(__file__).resolve().parents[2] / "shared" / "realweb"

pytestmark = pytest.mark.skipif(not (REALWEB / "feeds.json").is_file(),
                                reason=f"real-feed data not found at {REALWEB}")


def test_real_feeds_give_the_entries_feedparser_finds() -> None:
    reference = json.loads((REALWEB / "feeds.json").read_text(encoding="utf-8"))["feeds"]
    found = expected = 0
    short: list[str] = []
    for feed in reference:
        want = len({e["link"] for e in feed["entries"]})
        try:
            page = parse_feed((REALWEB / "feeds" / feed["file"]).read_bytes(),
                              f"https://feeds.example/{feed['file']}")
            got = len({e.url for e in page.entries})
        except FeedError as exc:
            got = 0
            assert want == 0, f"{feed['file']}: {exc}"
        found += got
        expected += want
        if got < want:
            short.append(f"{feed['file']}: {got}/{want}")
    # feedparser turns Atom ids that are not URLs ("Correct Value") into links; they are
    # no articles, so a few fewer is right (feedparser__atom10_id.xml).
    assert found >= 0.99 * expected, short
    assert short == ["feedparser__atom10_id.xml: 0/2"]
