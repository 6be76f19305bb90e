"""A query line on Trends in Debian's chromium against the real `blocwatch dashboard`:
clicking its busiest point lists that period's matching articles with the query's words in
<mark> tags, and nothing else of the article's text becomes markup."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests import test_dashboard_browser as bt
from tests.test_dashboard_browser import Dashboard, no_exception, open_page, settle

pytestmark = pytest.mark.browser

dashboard = bt.dashboard
browser = bt.browser
page = bt.page


def test_clicking_a_query_point_lists_its_articles_with_the_hits_marked(
        dashboard: Dashboard, page) -> None:  # noqa: ANN001 - playwright's Page
    open_page(page, dashboard.url,
              "/?entities=japan&measure=articles&period=month&q=title%3ANATO")
    page.wait_for_selector(".js-plotly-plot .main-svg")
    no_exception(page)
    # The query line's trace and its busiest month, from the figure the page drew.
    found = page.evaluate("""() => {
        // _fullData: the traces as drawn, their typed arrays decoded
        const data = document.querySelector('.js-plotly-plot')._fullData;
        const i = data.findIndex(t => t.name === 'title:NATO');
        const ys = Array.from(data[i].y);
        const k = ys.indexOf(Math.max(...ys));
        return [i, k, String(data[i].x[k]).slice(0, 10), ys[k]];
    }""")
    index, point, month, count = found
    assert index > 0 and count > 0
    page.locator(".js-plotly-plot .scatterlayer .trace").nth(index).locator(
        "path.point").nth(point).click(force=True)
    caption = page.locator('[data-testid="stCaptionContainer"]',
                           has_text=f"articles match title:NATO from {month}")
    caption.first.wait_for()
    settle(page)
    no_exception(page)
    assert caption.first.inner_text().startswith(f"{int(count)} articles match")
    marks = page.locator("ol.bw-hits mark")
    assert marks.count() >= int(count)
    assert all("nato" in t.lower() for t in marks.all_inner_texts())
    # Only our tags: the list holds list items, links, small excerpts and marks.
    tags = page.evaluate("""() => [...new Set([...document.querySelectorAll(
        'ol.bw-hits *')].map(e => e.tagName.toLowerCase()))].sort()""")
    assert set(tags) <= {"li", "span", "a", "mark", "br", "small"}, tags
    assert parse_qs(urlsplit(page.url).query)["point"] == [f"query:1:{month}"]
